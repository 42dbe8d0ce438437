"""Flip points: found where a hand-made judge changes its verdict, absent where it never does."""

from __future__ import annotations

import math

import pytest

from hbmcycle.claims import flips


def threshold_judge(at: float):
    return lambda x: "holds" if x >= at else "does not hold"


def test_flip_found_below_base_and_refined_by_bisection():
    value, verdict = flips.flip_point(threshold_judge(3.0), base=5.0, grid=[0, 1, 2, 4, 8])
    # 4 still holds, 2 does not: bisection between them converges on 3 from below-side values
    assert verdict == "does not hold"
    assert value == pytest.approx(3.0, abs=2 / 2**8)
    assert value < 3.0  # the returned value is one where the verdict has flipped


def test_nearest_flip_wins_when_both_sides_flip():
    judge = lambda x: "partly holds" if 4 <= x <= 6 else "holds"
    value, verdict = flips.flip_point(judge, base=5.0, grid=[0, 2, 3, 6.5, 7, 100], refine=0)
    assert (value, verdict) == (6.5, "holds")  # 6.5 is 1.5 away, 3 is 2 away


def test_no_flip_in_range():
    value, verdict = flips.flip_point(threshold_judge(-1.0), base=5.0, grid=[0, 1, 10])
    assert math.isnan(value) and verdict == ""


def test_numeric_flip_row_and_sentence():
    row = flips.numeric_flip("c1", "hop latency", "us", threshold_judge(3.0), 5.0, [0, 1, 2, 4, 8])
    assert (row.claim_id, row.base, row.verdict_at_base, row.verdict_after) == ("c1", "5", "holds", "does not hold")
    assert row.tested == "0-8"
    assert row.sentence.startswith("hop latency 2.99 us (base 5) -> does not hold")


def test_choice_flip_ignores_choices_without_a_figure():
    row = flips.choice_flip("c2", "price basis", {"index": "holds", "tco": "cannot be checked"}, base="index")
    assert row.flips_at == "" and row.verdict_after == ""
    row = flips.choice_flip("c2", "price basis", {"index": "holds", "list": "partly holds"}, base="index")
    assert (row.flips_at, row.verdict_after) == ("list", "partly holds")


def test_would_change_lists_flips_first_then_steady_inputs():
    moving = flips.numeric_flip("c", "context", "tokens", threshold_judge(3.0), 5.0, [1, 2, 8])
    steady = flips.numeric_flip("c", "batch", "sequences", threshold_judge(-1.0), 5.0, [1, 8])
    text = flips.would_change([steady, moving], "a sourced price")
    assert text.index("context") < text.index("batch") < text.index("a sourced price")
    assert "no flip over 1-8 sequences" in text
    assert flips.would_change([]) == "nothing in the inputs tested"
