"""Benchmark: the cycle model at 100,000 paths x 40 quarters (goal: about a second).

Run: .venv/bin/python benchmarks/bench_cycle.py [--paths N] [--quarters Q] [--repeat R]
Prints the best wall time of R runs and paths*quarters per second, per scenario, with PASS or
FAIL against the goal; exits 1 when any scenario misses it.
"""

from __future__ import annotations

import argparse
import sys
import time

from hbmcycle.cycle import scenarios
from hbmcycle.cycle.simulate import simulate

GOAL_S = 1.0  # seconds for 100,000 paths x 40 quarters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--quarters", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    points = args.paths * args.quarters
    print(f"cycle model: {args.paths:,} paths x {args.quarters} quarters = {points:,} points, best of {args.repeat}")
    failed = False
    for name in ("base", "ai_capex_pause", "hbm4e_yield_slip"):
        params = scenarios.resolve(name)
        best = float("inf")
        for i in range(args.repeat):
            t0 = time.perf_counter()
            simulate(params, paths=args.paths, quarters=args.quarters, seed=i, progress=False)
            best = min(best, time.perf_counter() - t0)
        verdict = "PASS" if best <= GOAL_S else "FAIL"
        failed |= verdict == "FAIL"
        print(f"  {name:<18} {best:6.3f} s   {points / best:,.0f} paths*quarters/s   goal <= {GOAL_S:g} s: {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
