"""Assumptions as data: validated YAML files of named values, each with type, unit, range, default and basis.

A file is a mapping ``name -> entry``; an entry is

    {type: float | integer | string | boolean | list, unit: ..., min: ..., max: ..., allowed: [...],
     default: <value>, basis: "where the number comes from"}

``basis`` is required: a reader reviews the analysis's choices without reading code. The
schema is a pydantic model, so an unknown key, a missing basis or a default outside its
range is refused with the file and the entry named (``AssumptionError``). The house
pattern is ``cycle/scenarios.yaml``; this module serves the flat files (thesis, hetero,
engine) that need no scenarios.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

_PYTHON_TYPES = {"float": (int, float), "integer": (int,), "string": (str,), "boolean": (bool,), "list": (list,)}


class AssumptionError(ValueError):
    """A malformed assumptions file: the message names the file and the entry."""


class Entry(BaseModel):
    """One assumption: its value (``default``), what it measures and why it is what it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["float", "integer", "string", "boolean", "list"]
    default: Any
    basis: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: list[Any] | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> Entry:
        value = self.default
        if isinstance(value, bool) and self.type in ("float", "integer"):
            raise ValueError(f"default {value!r} is not a {self.type}")
        if not isinstance(value, _PYTHON_TYPES[self.type]):
            raise ValueError(f"default {value!r} is not a {self.type}")
        numbers: list[Any] = value if isinstance(value, list) else [value]
        for number in numbers:
            if self.min is not None and isinstance(number, int | float) and number < self.min:
                raise ValueError(f"default {value!r} is below min {self.min:g}")
            if self.max is not None and isinstance(number, int | float) and number > self.max:
                raise ValueError(f"default {value!r} is above max {self.max:g}")
        if self.allowed is not None and value not in self.allowed:
            raise ValueError(f"default {value!r} is not one of {self.allowed}")
        if not self.basis.strip():
            raise ValueError("basis is empty: say where the value comes from")
        return self


@cache
def load(path: Path) -> dict[str, Entry]:
    """Every entry of an assumptions file, validated (cached: the files ship with the package)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AssumptionError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(doc, dict) or not doc:
        raise AssumptionError(f"{path}: expected a mapping of assumption names to entries")
    entries = {}
    for name, spec in doc.items():
        try:
            entries[name] = Entry.model_validate(spec)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise AssumptionError(f"{path}: {name}: {where}: {first['msg']}") from None
    return entries


def values(path: Path) -> dict[str, Any]:
    """``name -> default`` for every entry (lists become tuples, so the values can sit in frozen dataclasses)."""
    return {name: tuple(e.default) if e.type == "list" else e.default for name, e in load(path).items()}


def table(path: Path) -> list[dict[str, Any]]:
    """The file as rows (name, value, unit, range, basis): what a report prints under "assumptions"."""
    rows = []
    for name, e in load(path).items():
        bounds = "" if e.min is None and e.max is None else f"[{_fmt(e.min)}, {_fmt(e.max)}]"
        rows.append({"name": name, "value": e.default, "unit": e.unit or "", "range": bounds, "basis": e.basis})
    return rows


def _fmt(number: float | None) -> str:
    return "" if number is None else f"{number:g}"
