"""Plan and run a set of renders: check names and parameters, skip current reports, render in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from hbmcycle import paths
from hbmcycle.reports import cache, parameters, provenance, warm
from hbmcycle.reports.render import (
    Job,
    Rendered,
    ReportError,
    is_current,
    notebooks,
    read_record,
    vega_bundle,
)


class UsageError(ValueError):
    """Bad input to `hbmcycle report` (exit code 2)."""


def select(names: list[str] | None) -> list[Path]:
    found = notebooks()
    if not names:
        return found
    known = {n.stem: n for n in found}
    unknown = [n for n in names if n not in known]
    if unknown:
        import difflib

        hints = [
            f"{u!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(u, known, 1)) else repr(u)
            for u in unknown
        ]
        raise UsageError(f"unknown report {', '.join(hints)}; valid: {', '.join(known)}")
    return [known[n] for n in names]


def plan(
    names: list[str] | None,
    pairs: list[str],
    out_dir: Path | None = None,
    output: Path | None = None,
    force: bool = False,
) -> list[Job]:
    """One Job per report; `-p` pairs are checked against each notebook's parameters cell.

    A parameterised render never overwrites the default report: it is written to
    ``<name>.p-<hash>.html`` (or ``output``, for a single report).
    """
    from hbmcycle.inference import constants

    chosen = select(names)
    if output is not None and len(chosen) != 1:
        raise UsageError("--output needs exactly one report name")
    out_dir = out_dir or paths.reports_dir()
    checked = {}
    for nb in chosen:
        try:
            checked[nb] = parameters.parse(pairs, parameters.declared(nb)) if pairs else {}
        except parameters.ParameterError as exc:
            raise UsageError(f"{nb.stem}: {exc}") from None
    label = constants.current().label
    shared = cache.shared()
    jobs = []
    for nb, values in checked.items():
        target = output or out_dir / f"{nb.stem}{parameters.suffix(values)}.html"
        jobs.append(Job(nb, values, target, {}, cache.fingerprint(nb, values, label, shared)))
    stale = [j for j in jobs if force or not is_current(j)]
    if stale:  # provenance (git, database facts) is gathered only when something will be rendered
        commit, data = provenance.git_commit(), provenance.data_facts()
        facts = {j.target: provenance.collect(j.parameters, label, commit, data).record() for j in stale}
        jobs = [replace(j, provenance=facts[j.target]) if j.target in facts else j for j in jobs]
    return jobs


def run(
    jobs: list[Job],
    workers: int | None = None,
    done: Callable[[Rendered | ReportError, Job], None] = print,
    force: bool = False,
) -> int:
    """Render the jobs whose HTML is stale (all with ``force``), `workers` at a time; returns how many failed."""
    stale = [j for j in jobs if force or not is_current(j)]
    stale.sort(key=_expected_cost)  # longest first, so two workers finish together
    for job in jobs:
        if job not in stale:
            done(Rendered(job.target.stem, job.target, skipped=True), job)
    # One more worker than cores: a kernel waits on its parent (messages, export) part of the time,
    # so a third render on two cores measured 26 s against 29 s for all five reports.
    workers = max(1, min(workers or (os.cpu_count() or 1) + 1, len(stale)))
    if not stale:
        return 0
    # Workers come from a forkserver that has imported the renderer, the kernel and every module
    # the notebooks import; each report's kernel is forked from its worker (see `warm`).
    modules = preload_modules([job.notebook for job in stale])
    vega_bundle()  # built here if missing (a new vl-convert), so the workers do not each build it
    failed = 0
    state = (dict(os.environ), os.getcwd())
    with ProcessPoolExecutor(workers, mp_context=warm.context(modules), max_tasks_per_child=1) as pool:
        futures = {pool.submit(warm.render, job, force, state): job for job in stale}
        for future in as_completed(futures):
            failed += _finish(futures[future], future.result, done)
    return failed


def preload_modules(notebook_paths: list[Path]) -> list[str]:
    """The hbmcycle modules the notebooks import (the render forkserver imports them once)."""
    return sorted({m for nb in notebook_paths for m in cache.imported_modules(nb.read_text(encoding="utf-8"))})


def prestart(names: list[str] | None) -> None:
    """Start the render forkserver for these reports (all by default) before rendering is planned."""
    warm.prestart(preload_modules(select(names)))


# Render cost order for a first run (no timings recorded yet), measured on this project's reports.
FIRST_RUN_COST = ("thesis", "memory_cycle", "heterogeneous_inference", "inference_model", "data_atlas")


def _expected_cost(job: Job) -> tuple[float, int]:
    seconds = (read_record(job.target) or {}).get("seconds") or 0.0
    stem = job.notebook.stem
    return -seconds, FIRST_RUN_COST.index(stem) if stem in FIRST_RUN_COST else len(FIRST_RUN_COST)


def _finish(job: Job, result: Callable[[], Rendered], done) -> int:
    try:
        done(result(), job)
        return 0
    except ReportError as exc:
        done(exc, job)
        return 1
