"""Benchmark: what the rack-scale thesis run adds to the thesis analysis (and so to its report's render).

Run: .venv/bin/python benchmarks/bench_thesis_racks.py [--repeat R]
Times, on the built database, the whole thesis analysis and, on its own, its rack part (the
rack matrix over racks x floors x models x precisions x workloads, and the Rubin example's
verdicts with their speed-floor flips), alternating the two in each round so both see the same
machine load; the best of ``--repeat`` rounds each. Goal: the rack part adds <= 2 s.
"""

from __future__ import annotations

import argparse
import math
import time

from hbmcycle import thesis
from hbmcycle.claims import registry
from hbmcycle.claims.seed import seeds
from hbmcycle.data import db
from hbmcycle.inference import constants
from hbmcycle.inference.assumptions import load
from hbmcycle.thesis.analysis import rack_run
from hbmcycle.thesis.rack_verdicts import example_claims
from hbmcycle.thesis.racks import RackInputs

GOAL_S = 2.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tables = db.read_tables(registry.THESIS_CLAIM_TABLES)
    engine = constants.current()
    seed_rows = seeds(tables["seed_claims"])
    analysis = thesis.analyse(tables, thesis.Config(), engine.efficiency, engine.maturity)
    rack_part = math.inf
    whole = math.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        thesis.analyse(tables, thesis.Config(), engine.efficiency, engine.maturity)
        whole = min(whole, time.perf_counter() - t0)
        t0 = time.perf_counter()
        rubin = rack_run(analysis, RackInputs(tables, engine.efficiency, engine.maturity, load()))
        example_claims(rubin, seed_rows)
        rack_part = min(rack_part, time.perf_counter() - t0)
    points = analysis.racks.height
    verdict = "PASS" if rack_part <= GOAL_S else "FAIL"
    print(
        f"thesis analysis {whole:.2f} s, of which the rack part {rack_part:.2f} s ({points} rack points; best of "
        f"{args.repeat}); goal <= {GOAL_S:g} s: {verdict}"
    )
    raise SystemExit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
