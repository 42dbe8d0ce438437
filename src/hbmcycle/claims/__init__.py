"""Every claim of the three seed posts, judged where it applies, with what would change each verdict.

Modules: ``seed`` (the ``seed_claims`` rows and the verdict constructor that quotes them),
``flips`` (flip points of a verdict over one input: its sensitivity table), ``facts`` (claims
checked directly against the tables or by arithmetic), ``registry`` (runs every analysis and
returns one verdict per seed claim), ``table`` (the HTML claims table the reports lead with),
``cli`` (``hbmcycle claims``). The verdict model itself is :mod:`hbmcycle.verdicts`.
"""

# The seed posts (the ``post`` column of seed_claims), and those the heterogeneous-inference analysis judges.
POSTS: tuple[str, ...] = ("hbm_thesis", "heterogeneous_inference", "gtc2026_review")
HETERO_POSTS: tuple[str, ...] = ("heterogeneous_inference", "gtc2026_review")
