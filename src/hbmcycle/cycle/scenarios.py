"""Named scenarios and the validated parameter set of the supply-cycle model.

`scenarios.yaml` (next to this module) is the single source of parameter names, types,
ranges, defaults and their basis; `CycleParams` mirrors it field by field (a test checks
that). Use `resolve("base", {"lead_time_max_quarters": "10"})` or `parse_overrides`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCENARIO_FILE = Path(__file__).with_name("scenarios.yaml")
_TYPES = {"float": float, "integer": int}


class ParameterError(ValueError):
    """An unknown scenario or parameter name, or a value of the wrong type or out of range."""


@dataclasses.dataclass(frozen=True)
class CycleParams:
    """All inputs of `simulate.simulate`; see scenarios.yaml for units, ranges and basis."""

    start_year: float
    shipment_growth: float
    content_growth: float
    demand_growth_sd: float
    demand_noise_sd: float
    elasticity: float
    pause_probability: float
    pause_start_quarter: int
    pause_quarters: int
    pause_shipment_growth: float
    lead_time_min_quarters: int
    lead_time_max_quarters: int
    capacity_response: float
    capacity_response_sd: float
    expectation_smoothing: float
    depreciation_per_year: float
    bit_growth_per_year: float
    trade_ratio_growth_per_year: float
    yield_dip: float
    yield_dip_sd: float
    yield_ramp_quarters: float
    generation_cadence_quarters: int
    first_transition_quarter: int
    initial_balance: float
    price_floor: float
    price_cap: float
    glut_excess: float

    def replace(self, **changes: Any) -> CycleParams:
        """A copy with some values changed, validated like any override."""
        return build(dataclasses.asdict(self) | changes)


@cache
def load_file(path: Path = SCENARIO_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    check_file(doc)
    return doc


def check_file(doc: Any) -> None:
    """Schema of scenarios.yaml; raises ParameterError listing every problem found."""
    problems: list[str] = []
    if not isinstance(doc, dict) or not {"parameters", "scenarios"} <= set(doc):
        raise ParameterError("scenario file needs top-level keys 'parameters' and 'scenarios'")
    fields = [f.name for f in dataclasses.fields(CycleParams)]
    schema = doc["parameters"]
    if list(schema) != fields:
        problems.append(f"parameters must be exactly, in order: {fields}; got {list(schema)}")
    for name, spec in schema.items():
        missing = {"type", "unit", "min", "max", "default", "basis"} - set(spec or {})
        if missing:
            problems.append(f"parameter {name!r} lacks {sorted(missing)}")
            continue
        if spec["type"] not in _TYPES:
            problems.append(f"parameter {name!r}: type must be one of {sorted(_TYPES)}, got {spec['type']!r}")
        elif not spec["min"] <= spec["default"] <= spec["max"]:
            problems.append(f"parameter {name!r}: default {spec['default']} outside [{spec['min']}, {spec['max']}]")
        if not str(spec["basis"]).strip():
            problems.append(f"parameter {name!r}: empty basis")
    sets = dict(doc["scenarios"]) | ({"backtest": doc["backtest"]} if "backtest" in doc else {})
    for name, sc in sets.items():
        if (
            not isinstance(sc, dict)
            or not isinstance(sc.get("description"), str)
            or not isinstance(sc.get("overrides"), dict)
        ):
            problems.append(f"scenario {name!r} needs a description and an overrides mapping")
            continue
        for key, value in sc["overrides"].items():
            try:
                _coerce(key, value, schema)
            except ParameterError as e:
                problems.append(f"scenario {name!r}: {e}")
    if problems:
        raise ParameterError("invalid scenario file:\n  " + "\n  ".join(problems))


def scenario_names() -> list[str]:
    return list(load_file()["scenarios"])


def schema() -> dict[str, dict]:
    return load_file()["parameters"]


def _coerce(name: str, value: Any, spec_by_name: Mapping[str, dict]) -> float | int:
    if name not in spec_by_name:
        near = difflib.get_close_matches(name, spec_by_name, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(spec_by_name)}"
        raise ParameterError(f"unknown parameter {name!r}{hint}")
    spec = spec_by_name[name]
    kind = _TYPES[spec["type"]]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r}: {value!r} is not a number") from None
    if kind is int:
        if not number.is_integer():
            raise ParameterError(f"parameter {name!r}: {value!r} must be a whole number of {spec['unit']}")
        number = int(number)
    if not spec["min"] <= number <= spec["max"]:
        raise ParameterError(
            f"parameter {name!r} = {value!r} is out of range [{spec['min']}, {spec['max']}] ({spec['unit']})"
        )
    return number


def build(values: Mapping[str, Any]) -> CycleParams:
    """A CycleParams from a full mapping of values, type- and range-checked, with cross checks."""
    spec = schema()
    coerced = {k: _coerce(k, v, spec) for k, v in values.items()}
    missing = set(spec) - set(coerced)
    if missing:
        raise ParameterError(f"missing parameters: {sorted(missing)}")
    if coerced["lead_time_min_quarters"] > coerced["lead_time_max_quarters"]:
        raise ParameterError(
            f"lead_time_min_quarters ({coerced['lead_time_min_quarters']}) exceeds "
            f"lead_time_max_quarters ({coerced['lead_time_max_quarters']})"
        )
    if coerced["price_floor"] >= coerced["price_cap"]:
        raise ParameterError("price_floor must be below price_cap")
    fields: dict[str, Any] = coerced  # ints and floats per the schema, checked above
    return CycleParams(**fields)


def defaults() -> CycleParams:
    return build({k: v["default"] for k, v in schema().items()})


def resolve(name: str = "base", overrides: Mapping[str, Any] | None = None) -> CycleParams:
    """Parameters of a named scenario (or `backtest`), then `overrides` applied one by one."""
    doc = load_file()
    sets = doc["scenarios"] | ({"backtest": doc["backtest"]} if "backtest" in doc else {})
    if name not in sets:
        raise ParameterError(f"unknown scenario {name!r}; choose one of: {', '.join(doc['scenarios'])}")
    values = {k: v["default"] for k, v in schema().items()}
    values |= sets[name]["overrides"]
    values |= dict(overrides or {})
    return build(values)


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """`["k=v", ...]` (as typed on the command line) -> {k: v}; values are checked by `resolve`."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ParameterError(f"--param expects NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out
