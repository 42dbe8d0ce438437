"""The verdict model: each grader branch on hand-picked numbers, and the record's own checks."""

from __future__ import annotations

import math

import pytest

from hbmcycle import verdicts as v


@pytest.mark.parametrize(
    "share, expected",
    [(0.9, v.HOLDS), (2 / 3, v.HOLDS), (0.5, v.PARTLY), (1 / 3, v.PARTLY), (0.2, v.FAILS), (math.nan, v.UNCHECKABLE)],
)
def test_by_share_uses_both_thresholds(share, expected):
    assert v.by_share(share, holds_at=2 / 3, fails_below=1 / 3) == expected


@pytest.mark.parametrize(
    "flags, expected",
    [([True, True], v.HOLDS), ([True, False], v.PARTLY), ([False, False], v.FAILS), ([], v.UNCHECKABLE)],
)
def test_by_flags(flags, expected):
    assert v.by_flags(flags) == expected


@pytest.mark.parametrize(
    "ratio, expected",
    [
        (35.0, v.HOLDS),  # exactly the stated ratio
        (24.0, v.HOLDS),  # 35 / 1.5 = 23.3 <= 24
        (52.0, v.HOLDS),  # 52 <= 35 * 1.5 = 52.5
        (60.0, v.PARTLY),  # beyond the band but a gain
        (3.0, v.PARTLY),
        (0.8, v.FAILS),  # a loss
        (math.nan, v.UNCHECKABLE),
    ],
)
def test_by_ratio(ratio, expected):
    assert v.by_ratio(ratio, stated=35.0, within=1.5) == expected


@pytest.mark.parametrize(
    "value, expected", [(2.0, v.HOLDS), (1.4, v.PARTLY), (1.0, v.FAILS), (math.inf, v.UNCHECKABLE)]
)
def test_by_threshold(value, expected):
    assert v.by_threshold(value, at_least=2.0, partly_above=1.0) == expected


def test_by_threshold_without_a_partly_band():
    assert v.by_threshold(1.9, at_least=2.0) == v.FAILS


def record(**changes):
    base = dict(
        claim_id="x",
        claim="Throughput doubles.",
        post="hbm_thesis",
        scope="per GPU",
        verdict=v.HOLDS,
        evidence="2.1x",
        evidence_kind="measured",
        threshold=">= 2x",
        sources="inference_benchmarks",
        would_change="a measured gain below 2x",
    )
    return v.ClaimVerdict(**(base | changes))


def test_unknown_verdict_words_are_refused():
    with pytest.raises(ValueError, match="partly"):
        record(verdict="partly")  # the old hetero spelling is not a verdict any more
    with pytest.raises(ValueError, match="evidence kind"):
        record(evidence_kind="vibes")


def test_frame_keeps_field_order_and_handles_no_claims():
    frame = v.to_frame([record(), record(claim_id="y", verdict=v.OUT_OF_SCOPE)])
    assert frame.columns[:5] == ["claim_id", "claim", "post", "scope", "verdict"]
    assert frame["verdict"].to_list() == [v.HOLDS, v.OUT_OF_SCOPE]
    assert v.to_frame([]).columns == frame.columns
