"""The seed posts' claims (table ``seed_claims``): the list every analysis judges against, one row per claim.

A :class:`Seed` is one row: the quote (verbatim; Chinese quotes carry this project's English
rendering), the post, the stated value (low and high end of a range) and unit, and the scope
the post made it at. :func:`judged` turns a seed and an analysis's evidence into a
:class:`~hbmcycle.verdicts.ClaimVerdict`, so a verdict always quotes the claim it judges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from hbmcycle.verdicts import ClaimVerdict


@dataclass(frozen=True)
class Seed:
    claim_id: str
    post: str
    quote: str
    quote_en: str
    value: float  # NaN for a qualitative claim
    high: float  # NaN unless a range
    unit: str
    scope: str
    topic: str
    evidence_tables: str
    source: str
    notes: str

    @property
    def claim(self) -> str:
        """The claim as stated, with the English rendering of a Chinese quote."""
        return f"{self.quote} ({self.quote_en})" if self.quote_en else self.quote

    @property
    def numeric(self) -> bool:
        return math.isfinite(self.value)


def _float(value) -> float:
    return float("nan") if value is None else float(value)


def seeds(seed_claims: pl.DataFrame) -> dict[str, Seed]:
    """Every seed claim by id, in table order."""
    out = {}
    for r in seed_claims.iter_rows(named=True):
        out[r["claim_id"]] = Seed(
            claim_id=r["claim_id"],
            post=r["post"],
            quote=r["quote"],
            quote_en=r["quote_en"] or "",
            value=_float(r["claimed_value"]),
            high=_float(r["claimed_value_high"]),
            unit=r["claimed_unit"] or "",
            scope=r["scope"] or "",
            topic=r["topic"],
            evidence_tables=r["evidence_tables"] or "",
            source=r["source"],
            notes=r["notes"] or "",
        )
    return out


def judged(
    seed: Seed,
    *,
    verdict: str,
    scope: str,
    evidence: str,
    evidence_kind: str,
    threshold: str,
    sources: str,
    would_change: str,
) -> ClaimVerdict:
    """A verdict on ``seed``: the quote, post and id come from the seed row, the rest from the analysis."""
    return ClaimVerdict(
        claim_id=seed.claim_id,
        claim=seed.claim,
        post=seed.post,
        scope=scope,
        verdict=verdict,
        evidence=evidence,
        evidence_kind=evidence_kind,
        threshold=threshold,
        sources=sources,
        would_change=would_change,
    )
