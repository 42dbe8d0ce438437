"""The engine's assumptions: ``assumptions.yaml`` (next to this module) as a typed, range-checked record.

The file is validated by :mod:`hbmcycle.assumptions` (type, unit, range, default and basis
for every entry); :func:`load` returns the defaults as an :class:`Assumptions` (a test checks
that the file and the dataclass list the same names). Commands override a value with
:meth:`Assumptions.replace`, which checks it against the entry's range.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hbmcycle import assumptions as house
from hbmcycle.assumptions import AssumptionError

ASSUMPTIONS_FILE = Path(__file__).with_name("assumptions.yaml")

__all__ = ["ASSUMPTIONS_FILE", "AssumptionError", "Assumptions", "load"]


@dataclasses.dataclass(frozen=True)
class Assumptions:
    """Values of assumptions.yaml (units, ranges and basis there)."""

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
        """A copy with some values changed, each checked against its entry's type and range."""
        entries = house.load(ASSUMPTIONS_FILE)
        for name, value in changes.items():
            entry = entries.get(name)
            if entry is None:
                raise AssumptionError(f"unknown assumption {name!r}; valid: {', '.join(entries)}")
            low = -float("inf") if entry.min is None else entry.min
            high = float("inf") if entry.max is None else entry.max
            if not low <= value <= high:
                raise AssumptionError(f"{name} = {value:g} is out of range [{low:g}, {high:g}] ({entry.unit})")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load() -> Assumptions:
    """The defaults of assumptions.yaml; AssumptionError when the file and :class:`Assumptions` disagree."""
    values = house.values(ASSUMPTIONS_FILE)
    names = [f.name for f in dataclasses.fields(Assumptions)]
    if list(values) != names:
        raise AssumptionError(f"{ASSUMPTIONS_FILE}: entries must be exactly, in order: {names}; got {list(values)}")
    return Assumptions(**values)
