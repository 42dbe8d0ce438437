"""The thesis's seed-claim verdicts: the law's grader branch by branch, natural-experiment errors by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from hbmcycle import verdicts as v
from hbmcycle.thesis.seed_verdicts import grade_law, natural_errors


@pytest.mark.parametrize(
    "n_for, n_against, closer, expected",
    [
        (0, 0, None, v.UNCHECKABLE),  # nothing measured decides it
        (1, 0, None, v.HOLDS),  # a regression for, none against, no natural experiment
        (1, 0, True, v.HOLDS),
        (0, 0, True, v.HOLDS),  # only natural experiments, closer to the thesis
        (0, 1, None, v.FAILS),
        (0, 0, False, v.FAILS),  # only natural experiments, closer to bandwidth alone
        (0, 1, False, v.FAILS),
        (1, 1, None, v.PARTLY),  # regressions disagree
        (1, 0, False, v.PARTLY),  # regression for, natural experiments against
        (0, 1, True, v.PARTLY),  # regression against, natural experiments for
    ],
)
def test_grade_law(n_for, n_against, closer, expected):
    assert grade_law(n_for, n_against, closer) == expected


def natural(rows):
    return pl.DataFrame(rows, schema=["pair", "kind", "label", "ratio"], orient="row")


def test_natural_errors_use_only_like_for_like_measurements():
    frame = natural(
        [
            ("p1", "law", "thesis: size x bandwidth", 2.0),
            ("p1", "law", "bandwidth only", 1.0),
            ("p1", "measured", "round 1", 1.0),
            ("p1", "confounded", "other round", 2.0),  # ignored
            ("p2", "law", "thesis: size x bandwidth", 4.0),
            ("p2", "law", "bandwidth only", 2.0),
            ("p2", "confounded", "chained", 4.0),  # p2 has no like-for-like result: not counted
        ]
    )
    thesis, bandwidth, pairs = natural_errors(frame)
    assert pairs == 1
    assert thesis == pytest.approx(math.log(2.0)) and bandwidth == pytest.approx(0.0)


def test_natural_errors_without_pairs():
    thesis, bandwidth, pairs = natural_errors(natural([("p", "law", "thesis: size x bandwidth", 2.0)]))
    assert pairs == 0 and math.isnan(thesis) and math.isnan(bandwidth)
