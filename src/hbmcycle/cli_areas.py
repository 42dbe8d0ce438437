"""Each area's commands, mounted on the `hbmcycle` group but imported only when one is used.

An area's command module imports its engine (polars, numpy, scipy, the models) at the top, so
importing all of them made every invocation pay about 1 s before doing anything. The root group
keeps a name -> (module, attribute, help) table instead and builds a command the first time it is
looked up: `hbmcycle data build` imports the data area only, `hbmcycle --help` imports them all
(the help lists every command's own summary). A mistyped name is still matched against every
name, loaded or not.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import typer
from typer._click import Command, Context
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

# name -> (module, attribute, help of a group); the attribute is a Typer app or a command function.
AREAS: dict[str, tuple[str, str, str | None]] = {
    "predict": ("hbmcycle.inference.cli", "predict_command", None),
    "frontier": ("hbmcycle.inference.cli", "frontier_command", None),
    "serve": ("hbmcycle.inference.serve_cli", "serve_command", None),
    "claims": ("hbmcycle.claims.cli", "claims_command", None),
    "data": ("hbmcycle.data.cli", "app", "Validate, build and inspect the database."),
    "model": ("hbmcycle.inference.cli", "model_app", "Calibrate and validate the inference model."),
    "cycle": (
        "hbmcycle.cycle.cli",
        "app",
        "Memory supply cycle: scenario simulation and the out-of-sample back-test.",
    ),
    "hbm": ("hbmcycle.market.cli", "app", "HBM market bottom-up: demand, supply by vendor, prices, balance."),
    "hetero": (
        "hbmcycle.hetero.cli",
        "app",
        "Heterogeneous inference: GPU, SRAM chips, attention-FFN disaggregation.",
    ),
}
# The order `--help` lists commands in: single commands first, then the groups.
ORDER = ("predict", "frontier", "serve", "claims", "report", "data", "model", "cycle", "hbm", "hetero")


def build(name: str, root: typer.Typer) -> Command:
    """The click command of one area, built with the root app's settings (as add_typer/command would)."""
    module, attribute, help_text = AREAS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        return typer.main.get_group_from_info(
            TyperInfo(target, name=name, help=help_text),
            pretty_exceptions_short=root.pretty_exceptions_short,
            rich_markup_mode=root.rich_markup_mode,
            suggest_commands=root.suggest_commands,
        )
    return typer.main.get_command_from_info(
        CommandInfo(name=name, callback=target),
        pretty_exceptions_short=root.pretty_exceptions_short,
        rich_markup_mode=root.rich_markup_mode,
    )


class LazyCommands(MutableMapping[str, Command]):
    """The root group's commands: the loaded ones plus every area, built on first access."""

    def __init__(self, loaded: MutableMapping[str, Command], root: typer.Typer) -> None:
        self._loaded = dict(loaded)
        self._root = root

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded:
            if name not in AREAS:
                raise KeyError(name)
            self._loaded[name] = build(name, self._root)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        names = set(self._loaded) | set(AREAS)
        yield from (n for n in ORDER if n in names)
        yield from (n for n in self._loaded if n not in ORDER)

    def __len__(self) -> int:
        return len(set(self._loaded) | set(AREAS))

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in AREAS


def lazy_group(root: typer.Typer) -> type[TyperGroup]:
    """A TyperGroup class for `root` whose commands table loads areas on demand."""

    class AreaGroup(TyperGroup):
        def __init__(self, **attrs) -> None:
            super().__init__(**attrs)
            self.commands = LazyCommands(self.commands, root)

        def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
            return self.commands.get(cmd_name)

    return AreaGroup
