"""Loading the tables the model consumes and resolving user-typed names to rows."""

from __future__ import annotations

import re

import polars as pl

from hbmcycle.suggest import choices_hint


class UnknownNameError(ValueError):
    """A name matched no row (or several); the message lists the valid choices."""


def read(table: str) -> pl.DataFrame:
    """A validated table from the project database (``hbmcycle data build`` creates it)."""
    from hbmcycle.data.db import read_table

    return read_table(table)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", text.lower())


def resolve(frame: pl.DataFrame, name: str, id_column: str, name_column: str, what: str) -> int:
    """Row index whose id or name matches ``name`` case-insensitively.

    Tries, in order: exact id or name; the same ignoring spaces, ``_`` and ``-``; the id
    without its vendor prefix (``h200`` -> ``nvidia_h200``); a unique prefix of a name or
    id. Raises :class:`UnknownNameError` listing the valid choices otherwise.
    """
    ids = frame.get_column(id_column).to_list()
    names = [n or "" for n in frame.get_column(name_column).to_list()]
    wanted = name.strip().lower()
    key = _key(name)
    rules = (
        lambda i, n: wanted in (i.lower(), n.lower()),
        lambda i, n: key in (_key(i), _key(n)),
        lambda i, n: "_" in i and _key(i.split("_", 1)[1]) == key,
        lambda i, n: bool(key) and (_key(n).startswith(key) or _key(i.split("_", 1)[-1]).startswith(key)),
    )
    for rule in rules:
        hits = [row for row, (i, n) in enumerate(zip(ids, names)) if rule(i, n)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            choices = ", ".join(f"{ids[h]} ({names[h]})" for h in hits)
            raise UnknownNameError(f"{what} {name!r} is ambiguous; it matches: {choices}")
    # Suggest through names and vendor-less ids as well; list ids (what a user can type back).
    aliases = {n: i for i, n in zip(ids, names) if n} | {i.split("_", 1)[-1]: i for i in ids}
    raise UnknownNameError(f"unknown {what} {name!r}; {choices_hint(wanted, ids, aliases)}")


def check_context(frame: pl.DataFrame, row: int, context: float, option: str = "--context") -> None:
    """Refuse a context beyond the model's ``max_context`` (every command applies the same rule).

    Raises ValueError naming the model, its maximum and the valid range; a model without a
    published maximum accepts any context.
    """
    limit = frame["max_context"][row] if "max_context" in frame.columns else None
    if limit is not None and context > limit:
        model = frame["model_id"][row]
        raise ValueError(
            f"{option} {context:,.0f} exceeds {model}'s maximum context of {limit:,} tokens; valid: 1 to {limit:,}"
        )
