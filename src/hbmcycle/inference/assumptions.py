"""The engine's assumptions: ``assumptions.yaml`` (next to this module), validated on load.

Each parameter has a type, unit, range, default and basis; :func:`load` returns the defaults
as an :class:`Assumptions` (a test checks the file and the dataclass list the same names).
Commands override one value with :meth:`Assumptions.replace`, which re-checks the range.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ASSUMPTIONS_FILE = Path(__file__).with_name("assumptions.yaml")
_TYPES = {"float": float, "integer": int}
_REQUIRED = {"type", "unit", "min", "max", "default", "basis"}


class AssumptionError(ValueError):
    """An invalid assumptions file, or a value outside its stated range."""


@dataclasses.dataclass(frozen=True)
class Assumptions:
    """Values of assumptions.yaml (units and basis there)."""

    memory_utilization: float
    activation_bytes: float
    engine_batch_cap: int
    prefill_chunk_tokens: int
    unknown_mean_fraction_of_cap: float
    moe_load_imbalance: float
    all_to_all_latency_s: float
    kv_transfer_bytes_s: float
    maturity_min_rows: int
    maturity_bounds_low: float
    maturity_bounds_high: float
    fit_rounds_through: float

    def replace(self, **changes: Any) -> Assumptions:
        """A copy with some values changed, each checked against its range."""
        return _build(dataclasses.asdict(self) | changes)

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def check(doc: Any) -> dict[str, dict]:
    """The parameter schema of an assumptions document; raises AssumptionError listing every problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise AssumptionError("assumptions file needs a top-level 'parameters' mapping")
    schema = doc["parameters"]
    names = [f.name for f in dataclasses.fields(Assumptions)]
    problems = [] if list(schema) == names else [f"parameters must be exactly, in order: {names}; got {list(schema)}"]
    for name, spec in schema.items():
        missing = _REQUIRED - set(spec or {})
        if missing:
            problems.append(f"{name}: lacks {sorted(missing)}")
        elif spec["type"] not in _TYPES:
            problems.append(f"{name}: type must be one of {sorted(_TYPES)}")
        elif not spec["min"] <= spec["default"] <= spec["max"]:
            problems.append(f"{name}: default {spec['default']} outside [{spec['min']}, {spec['max']}]")
        elif not str(spec["basis"]).strip():
            problems.append(f"{name}: empty basis")
    if problems:
        raise AssumptionError("invalid assumptions file:\n  " + "\n  ".join(problems))
    return schema


@cache
def schema() -> dict[str, dict]:
    with open(ASSUMPTIONS_FILE, encoding="utf-8") as handle:
        return check(yaml.safe_load(handle))


def _build(values: dict[str, Any]) -> Assumptions:
    spec = schema()
    out = {}
    for name, value in values.items():
        kind, low, high = _TYPES[spec[name]["type"]], spec[name]["min"], spec[name]["max"]
        number = kind(value)
        if not low <= number <= high:
            raise AssumptionError(f"{name} = {value} is out of range [{low}, {high}] ({spec[name]['unit']})")
        out[name] = number
    return Assumptions(**out)


def load() -> Assumptions:
    """The defaults of assumptions.yaml."""
    return _build({name: spec["default"] for name, spec in schema().items()})
