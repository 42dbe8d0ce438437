"""One verdict model for every claim an analysis judges (thesis, heterogeneous inference, memory cycle).

A :class:`ClaimVerdict` carries the claim as the seed states it, the post it comes from, the
scope it was tested at, the evidence (numbers, marked measured or modelled), the threshold
that turned the evidence into the verdict, the sources, and what would change the verdict.
The verdict is one of :data:`VERDICTS`:

* ``holds``: the evidence meets the threshold;
* ``partly holds``: the direction holds but not the size, or it holds over part of the range;
* ``does not hold``: the evidence contradicts the claim;
* ``not tested in scope``: the claim was made at a scale, model class or context the evidence
  does not reach (e.g. a rack-scale trillion-parameter claim judged on a per-GPU dense model);
* ``cannot be checked``: the data lack a figure the check needs.

The graders below are the only places that map numbers to verdict words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import polars as pl

HOLDS, PARTLY, FAILS, OUT_OF_SCOPE, UNCHECKABLE = (
    "holds",
    "partly holds",
    "does not hold",
    "not tested in scope",
    "cannot be checked",
)
VERDICTS: tuple[str, ...] = (HOLDS, PARTLY, FAILS, OUT_OF_SCOPE, UNCHECKABLE)
# What the evidence behind a verdict is: measured results, the model, arithmetic on the claim's
# own numbers, or facts in the tables (specs, prices, dates).
EVIDENCE_KINDS: tuple[str, ...] = ("measured", "modelled", "measured and modelled", "arithmetic", "data")


@dataclass(frozen=True)
class ClaimVerdict:
    """A judged claim; every field is text a report can print as it is."""

    claim_id: str
    claim: str  # as the seed states it
    post: str  # the seed post it comes from
    scope: str  # where it was tested: scale, model class, context, precision
    verdict: str
    evidence: str  # the numbers the verdict rests on
    evidence_kind: str
    threshold: str  # the rule that turned the evidence into the verdict
    sources: str  # tables, rows or source ids
    would_change: str  # the input values at which the verdict flips

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")
        if self.evidence_kind not in EVIDENCE_KINDS:
            raise ValueError(f"evidence kind {self.evidence_kind!r} is not one of {', '.join(EVIDENCE_KINDS)}")


def to_frame(claims: Iterable[ClaimVerdict]) -> pl.DataFrame:
    """Claims as a frame, one row each, columns in :class:`ClaimVerdict` field order."""
    rows = [asdict(c) for c in claims]
    schema = {name: pl.Utf8 for name in ClaimVerdict.__dataclass_fields__}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def by_share(share: float, holds_at: float, fails_below: float) -> str:
    """A claim true at a share of cases: >= ``holds_at`` holds, < ``fails_below`` does not, between partly."""
    if not math.isfinite(share):
        return UNCHECKABLE
    return HOLDS if share >= holds_at else (FAILS if share < fails_below else PARTLY)


def by_flags(flags: Iterable[bool]) -> str:
    """Several conditions of one claim: all true holds, some partly, none does not hold, none to check cannot."""
    flags = list(flags)
    if not flags:
        return UNCHECKABLE
    return HOLDS if all(flags) else (PARTLY if any(flags) else FAILS)


def by_ratio(ratio: float, stated: float, within: float) -> str:
    """A stated ratio (e.g. "35x"): within a factor ``within`` of it holds, above 1 partly, else does not hold."""
    if not (math.isfinite(ratio) and math.isfinite(stated)):
        return UNCHECKABLE
    if stated / within <= ratio <= stated * within:
        return HOLDS
    return PARTLY if ratio > 1.0 else FAILS


def by_threshold(value: float, at_least: float, partly_above: float | None = None) -> str:
    """A lower-bound claim ("more than 2x"): >= ``at_least`` holds, > ``partly_above`` partly, else does not hold."""
    if not math.isfinite(value):
        return UNCHECKABLE
    if value >= at_least:
        return HOLDS
    return PARTLY if partly_above is not None and value > partly_above else FAILS
