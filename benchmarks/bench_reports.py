"""Benchmark: `make report` on a fresh checkout (goal <= 30 s) and again with nothing changed (goal <= 3 s).

Run: .venv/bin/python benchmarks/bench_reports.py [--repeat R]
A fresh project root (a copy of data/raw, the notebooks and the lock file; no database, no
reports) is timed through what `make report` runs there: `hbmcycle data build` then
`hbmcycle report` (every notebook executed, in parallel). The unchanged run is `hbmcycle report`
again (nothing stale: only fingerprints are checked and the index rewritten), best of R.
The cold run is timed once: it is the first render by definition.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLD_GOAL_S, WARM_GOAL_S = 30.0, 3.0


def timed(args: list[str], root: Path) -> float:
    env = {**os.environ, "HBMCYCLE_ROOT": str(root)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "hbmcycle", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"hbmcycle {' '.join(args)} failed:\n{result.stderr}")
    return elapsed


def verdict(seconds: float, goal: float) -> str:
    return f"{seconds:6.1f} s  goal <= {goal:g} s  {'PASS' if seconds <= goal else 'FAIL'}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hbmcycle-bench-") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
        shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.ipynb"))
        shutil.copy(REPO / "requirements.lock", root / "requirements.lock")
        build = timed(["data", "build"], root)
        render = timed(["report"], root)
        warm = min(timed(["report"], root) for _ in range(args.repeat))
    print(f"make report, fresh checkout ({os.cpu_count()} cores): data build {build:.1f} s + reports {render:.1f} s")
    print(f"  cold  {verdict(build + render, COLD_GOAL_S)}")
    print(f"  again {verdict(warm, WARM_GOAL_S)}  (nothing changed, best of {args.repeat})")
    if build + render > COLD_GOAL_S or warm > WARM_GOAL_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
