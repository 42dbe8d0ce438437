"""All five reports rendered once per test session with small parameters (shared by the report and browser tests).

Rendering executes every notebook, so this is also the check that all five run in CI.
Parameters are kept small (fewer Monte Carlo paths, a short list of accelerators) so the whole
set renders in well under a minute on two cores.
"""

from __future__ import annotations

import os
from pathlib import Path

SMALL = {
    "data_atlas": ["min_year=2021"],
    "inference_model": ["context=2048"],
    "thesis": ["interactivity=[25]"],
    "memory_cycle": ["scenario_names=[base, bear]", "paths=400", "backtest_paths=20", "market_draws=400"],
    "heterogeneous_inference": ["speed_levels=[50, 400]"],
}
_RENDERED: dict[str, dict] = {}


def render_all(root: Path) -> dict:
    """Render each notebook with its small parameters as its default report in root/reports (once per session).

    Returns {"reports": {name: html path}, "index": path, "failures": [...]}.
    """
    key = str(root)
    if key in _RENDERED:
        return _RENDERED[key]
    from hbmcycle.reports import index, run

    previous = os.environ.get("HBMCYCLE_ROOT")
    os.environ["HBMCYCLE_ROOT"] = str(root)
    try:
        _RENDERED[key] = _render(root / "reports", run, index)
    finally:
        if previous is None:
            os.environ.pop("HBMCYCLE_ROOT")
        else:
            os.environ["HBMCYCLE_ROOT"] = previous
    return _RENDERED[key]


def _render(out: Path, run, index) -> dict:
    jobs = []
    for name, pairs in SMALL.items():
        (job,) = run.plan([name], pairs, output=out / f"{name}.html")
        jobs.append(job)
    results: dict[str, Path] = {}
    failures: list[str] = []

    def done(result, job) -> None:
        if isinstance(result, run.ReportError):
            failures.append(str(result))
        else:
            results[job.notebook.stem] = result.path

    run.run(jobs, workers=2, done=done)
    return {"reports": results, "index": index.write(out), "failures": failures, "jobs": jobs}
