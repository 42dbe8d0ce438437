"""Benchmark: `make report` on a fresh checkout (goal <= 30 s) and again with nothing changed (goal <= 3 s).

Run: .venv/bin/python benchmarks/bench_reports.py [--repeat R] [--cold-repeat C]
A fresh project root (a copy of data/raw, the notebooks and the lock file; no database, no
reports; the installed environment is shared) is timed through what `make report` runs there:
`hbmcycle report --build-data` (the database is missing, so it is built while the render
workers import; then every notebook is executed, in parallel). The unchanged run is
`hbmcycle report` again (nothing stale: only fingerprints are checked and the index rewritten).
Both are the best of several runs (each cold run in a new root).

Beside the wall time it prints the CPU seconds used by every process involved (workers and
kernels included) and the load average: on a shared machine the wall time moves with the
others' load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLD_GOAL_S, WARM_GOAL_S = 30.0, 3.0
PR_SET_CHILD_SUBREAPER = 36  # Linux: orphaned descendants (the render forkserver) are reaped here, so counted


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], root: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every descendant) of `hbmcycle ARGS` in ``root``."""
    env = {**os.environ, "HBMCYCLE_ROOT": str(root)}
    cpu, start = children_cpu(), time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "hbmcycle", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    with contextlib.suppress(ChildProcessError):
        while True:  # reap what the command left (its forkserver exits once the command has)
            os.waitpid(-1, 0)
    if result.returncode != 0:
        sys.exit(f"hbmcycle {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, children_cpu() - cpu


def fresh_root(tmp: Path, n: int) -> Path:
    root = tmp / f"checkout{n}"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copy(REPO / "requirements.lock", root / "requirements.lock")
    return root


def verdict(seconds: float, goal: float) -> str:
    return f"{seconds:6.1f} s  goal <= {goal:g} s  {'PASS' if seconds <= goal else 'FAIL'}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="unchanged runs (best is reported)")
    ap.add_argument("--cold-repeat", type=int, default=2, help="fresh checkouts (best is reported)")
    args = ap.parse_args()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    with tempfile.TemporaryDirectory(prefix="hbmcycle-bench-") as tmp:
        colds = []
        for n in range(max(args.cold_repeat, 1)):
            colds.append(timed(["report", "--build-data"], root := fresh_root(Path(tmp), n)))
        warm = min(timed(["report"], root) for _ in range(max(args.repeat, 1)))
    cold = min(colds)
    print(f"make report ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}):")
    print(f"  cold  {verdict(cold[0], COLD_GOAL_S)}  ({cold[1]:.1f} CPU s; fresh checkout, best of {len(colds)})")
    print(f"  again {verdict(warm[0], WARM_GOAL_S)}  ({warm[1]:.1f} CPU s; nothing changed, best of {args.repeat})")
    if cold[0] > COLD_GOAL_S or warm[0] > WARM_GOAL_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
