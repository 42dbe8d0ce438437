"""Sensitivity of a verdict: the value of one input at which it flips.

A judge is a function ``value -> verdict`` that reruns the analysis with one input changed
(hop latency, a stack overhead, a price, a power figure, a context). :func:`flip_point` walks a
grid away from the base value on each side, takes the nearest grid value where the verdict
differs, and (for a numeric input) narrows it by bisection between that value and its
neighbour. :class:`Flip` is one row of a claim's sensitivity table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

import polars as pl


@dataclass(frozen=True)
class Flip:
    """One key input of a claim: its base value, the verdict there, and where (if anywhere) it flips."""

    claim_id: str
    assumption: str
    unit: str
    base: str
    verdict_at_base: str
    flips_at: str  # the input value at which the verdict changes ("" if it never does in the range)
    verdict_after: str
    tested: str  # the range searched

    @property
    def sentence(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not self.flips_at:
            return f"{self.assumption}: no flip over {self.tested}{unit}"
        return f"{self.assumption} {self.flips_at}{unit} (base {self.base}) -> {self.verdict_after}"


def flip_point(judge: Callable[[float], str], base: float, grid: Sequence[float], refine: int = 8) -> tuple[float, str]:
    """(value, verdict) nearest to ``base`` on ``grid`` where ``judge`` differs from ``judge(base)``; (NaN, "") if none.

    Between the last grid value with the base verdict and the first without, ``refine``
    bisection steps narrow the flip value (assumes one crossing between neighbours).
    """
    at_base = judge(base)
    grid = [float(g) for g in grid]
    below = sorted((g for g in grid if g < base), reverse=True)
    above = sorted(g for g in grid if g > base)
    candidates = []
    for side in (below, above):
        inner = base
        for value in side:
            verdict = judge(value)
            if verdict != at_base:
                candidates.append(_bisect(judge, at_base, inner, value, verdict, refine))
                break
            inner = value
    if not candidates:
        return float("nan"), ""
    return min(candidates, key=lambda c: abs(c[0] - base))


def _bisect(judge, at_base: str, inner: float, outer: float, verdict: str, steps: int) -> tuple[float, str]:
    for _ in range(steps):
        middle = (inner + outer) / 2
        found = judge(middle)
        if found == at_base:
            inner = middle
        else:
            outer, verdict = middle, found
    return outer, verdict


def numeric_flip(
    claim_id: str,
    assumption: str,
    unit: str,
    judge: Callable[[float], str],
    base: float,
    grid: Iterable[float],
    refine: int = 8,
) -> Flip:
    """A :class:`Flip` row for a numeric input searched over ``grid`` (``refine`` bisection steps)."""
    grid = [float(g) for g in grid]
    value, verdict = flip_point(judge, base, grid, refine)
    return Flip(
        claim_id=claim_id,
        assumption=assumption,
        unit=unit,
        base=f"{base:g}",
        verdict_at_base=judge(base),
        flips_at="" if math.isnan(value) else f"{value:.3g}",
        verdict_after=verdict,
        tested=f"{min(grid):g}-{max(grid):g}",
    )


def choice_flip(claim_id: str, assumption: str, verdicts: dict[str, str], base: str) -> Flip:
    """A :class:`Flip` row for a categorical input (stack, price basis, workload): the verdict under each choice.

    A choice under which the claim cannot be checked (no figure) is listed but is not a flip.
    """
    other = {k: v for k, v in verdicts.items() if v not in (verdicts[base], "cannot be checked")}
    first = next(iter(other), "")
    return Flip(
        claim_id=claim_id,
        assumption=assumption,
        unit="",
        base=base,
        verdict_at_base=verdicts[base],
        flips_at=first,
        verdict_after=other.get(first, ""),
        tested=", ".join(f"{k}: {v}" for k, v in verdicts.items()),
    )


def would_change(flips: Sequence[Flip], otherwise: str = "") -> str:
    """The would-change sentence of a verdict from its sensitivity rows."""
    moving = [f.sentence for f in flips if f.flips_at]
    steady = [f.sentence for f in flips if not f.flips_at]
    parts = moving + steady + ([otherwise] if otherwise else [])
    return "; ".join(parts) if parts else "nothing in the inputs tested"


def to_frame(flips: Sequence[Flip]) -> pl.DataFrame:
    schema = {name: pl.Utf8 for name in Flip.__dataclass_fields__}
    return (
        pl.DataFrame([asdict(f) for f in flips], schema=schema, orient="row") if flips else pl.DataFrame(schema=schema)
    )
