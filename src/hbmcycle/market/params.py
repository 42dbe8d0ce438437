"""Parameters and named scenarios of the HBM market model.

`parameters.yaml` holds every input with type, unit, plausible range ([min, max]), default and
basis (validated by `hbmcycle.assumptions`); `scenarios.yaml` holds named override sets. A
parameter set is a plain ``{name: value}`` mapping; values may be numpy arrays of one length
(one model run per element), which is how fan charts and sensitivities run in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hbmcycle import assumptions

# One error type for both models' --param options (the k=v parser is the cycle model's too).
from hbmcycle.cycle.scenarios import ParameterError

PARAMETER_FILE = Path(__file__).with_name("parameters.yaml")
SCENARIO_FILE = Path(__file__).with_name("scenarios.yaml")


# Entries that define a measurement rather than describe the market: never drawn or varied.
DEFINITIONS = ("base_year", "glut_threshold", "reconcile_tolerance")


def entries() -> dict[str, assumptions.Entry]:
    return assumptions.load(PARAMETER_FILE)


def bounds(name: str) -> tuple[float, float]:
    """The plausible range [min, max] of a parameter (every entry of parameters.yaml states one)."""
    e = entries()[name]
    if e.min is None or e.max is None:
        raise ParameterError(f"{PARAMETER_FILE}: {name} needs min and max (its plausible range)")
    return float(e.min), float(e.max)


@cache
def scenario_file() -> dict[str, dict]:
    doc = yaml.safe_load(SCENARIO_FILE.read_text(encoding="utf-8"))
    for name, sc in doc.items():
        if not isinstance(sc, dict) or not isinstance(sc.get("description"), str):
            raise ParameterError(f"{SCENARIO_FILE}: scenario {name!r} needs a description")
        for key, value in (sc.get("overrides") or {}).items():
            coerce(key, value)
    return doc


def scenario_names() -> list[str]:
    return list(scenario_file())


def coerce(name: str, value: Any) -> float:
    """A parameter value as a float, checked against the parameter's range."""
    spec = entries()
    if name not in spec:
        near = difflib.get_close_matches(name, spec, n=3)
        hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(spec)}"
        raise ParameterError(f"unknown parameter {name!r}; {hint}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r}: {value!r} is not a number") from None
    low, high = bounds(name)
    if not low <= number <= high:
        raise ParameterError(f"parameter {name!r} = {value!r} is out of range [{low:g}, {high:g}] ({spec[name].unit})")
    return number


def resolve(scenario: str = "base", overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Defaults, then the scenario's overrides, then `overrides` (each range-checked)."""
    scenarios = scenario_file()
    if scenario not in scenarios:
        raise ParameterError(f"unknown scenario {scenario!r}; choose one of: {', '.join(scenarios)}")
    values = {name: float(e.default) for name, e in entries().items()}
    changes = dict(scenarios[scenario].get("overrides") or {}) | dict(overrides or {})
    values |= {k: coerce(k, v) for k, v in changes.items()}
    return values


def uncertain() -> list[str]:
    """Parameters with a plausible range (min < max): the ones the fan and the sensitivity move."""
    return [n for n in entries() if bounds(n)[0] < bounds(n)[1] and n not in DEFINITIONS]


def draws(values: Mapping[str, float], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """`n` parameter sets: each uncertain parameter drawn from a triangular distribution over its
    plausible range with its mode at the scenario value; the others repeated."""
    rng = np.random.default_rng(seed)
    out = {k: np.full(n, float(v)) for k, v in values.items()}
    for name in uncertain():
        lo, hi = bounds(name)
        out[name] = rng.triangular(lo, float(np.clip(values[name], lo, hi)), hi, size=n)
    return out
