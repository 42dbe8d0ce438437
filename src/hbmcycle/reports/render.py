"""Execute the paired notebooks with papermill and write self-contained HTML reports.

Each notebook in notebooks/*.py (jupytext percent format) is converted to .ipynb, executed
with checked parameters in a kernel that renders charts as live offline views, and exported
with code hidden, formulas as MathML, the cell tagged ``summary`` first and a provenance
header. Executed notebooks and render records live in ``data/processed/report_build``; the
HTML is written atomically (a failing notebook leaves the previous report intact) with the
mode the umask gives. A report whose fingerprint (see ``cache``) is unchanged is not rendered.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hbmcycle import paths
from hbmcycle.reports import files, warm

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# Rendered first to last; notebooks not listed follow in name order.
ORDER = ["data_atlas", "inference_model", "thesis", "memory_cycle", "heterogeneous_inference"]
SUMMARY_TAG = "summary"
BUNDLE_PLACEHOLDER = "/*hbmcycle: vega bundle*/"
# jsonschema (via altair) imports rfc3987_syntax when installed (jupyter-events pulls it in through
# jsonschema[format-nongpl]), which builds a Lark grammar at import: about 1 s per kernel for an
# IRI format check no report uses. Report kernels mark it absent, so jsonschema skips that checker.
KERNEL_PRELUDE = "--IPKernelApp.exec_lines=import sys; sys.modules.setdefault('rfc3987_syntax', None)"


def skip_iri_grammar() -> None:
    """The renderer's own nbformat/jupytext import jsonschema too: skip the same grammar here (and in workers)."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class ReportError(RuntimeError):
    pass


@dataclass(frozen=True)
class Job:
    """One report to render: the notebook, checked parameters, the output file and the shared context."""

    notebook: Path
    parameters: dict
    target: Path
    provenance: dict
    fingerprint: str


@dataclass(frozen=True)
class Rendered:
    name: str
    path: Path
    skipped: bool  # fingerprint unchanged: the existing HTML is current


def notebooks() -> list[Path]:
    found = {p.stem: p for p in paths.notebooks_dir().glob("*.py")}
    ordered = [found.pop(n) for n in ORDER if n in found]
    return ordered + [found[n] for n in sorted(found)]


def record_path(target: Path) -> Path:
    """Where the render record of a report file lives (keyed by its folder too: tests render elsewhere)."""
    import hashlib

    folder = hashlib.sha256(str(target.parent.resolve()).encode()).hexdigest()[:8]
    return files.build_dir() / f"{target.stem}.{folder}.json"


def read_record(target: Path) -> dict | None:
    try:
        record = json.loads(record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def is_current(job: Job) -> bool:
    record = read_record(job.target)
    return job.target.exists() and record is not None and record.get("fingerprint") == job.fingerprint


def title_of(nb) -> str:
    """The notebook's first Markdown heading, as the page title."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "hbmcycle report"


def execute(job: Job) -> Path:
    """Run the notebook with papermill into the build folder; returns the executed .ipynb."""
    skip_iri_grammar()
    import jupytext
    import nbformat
    import papermill

    build = files.build_dir()
    build.mkdir(parents=True, exist_ok=True)
    source_nb = build / f"{job.target.stem}.source.ipynb"
    executed_nb = build / f"{job.target.stem}.ipynb"
    nbformat.write(jupytext.read(job.notebook), source_nb)
    os.environ["HBMCYCLE_REPORT"] = "1"  # the kernel inherits it: charts become live views
    manager = warm.manager_class()  # a preforked kernel in a render worker, else papermill's own
    try:
        papermill.execute_notebook(
            str(source_nb),
            str(executed_nb),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(paths.repo_root()),
            extra_arguments=["--IPKernelApp.log_level=ERROR", KERNEL_PRELUDE],
            **({"kernel_manager_class": manager} if manager else {}),
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(
            f"{job.notebook.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {executed_nb}; previous report left intact)"
        ) from None
    return executed_nb


def summary_first(nb) -> dict | None:
    """Move the cell tagged `summary` to the top (after the title); return the summary record it shows."""
    from hbmcycle.reports.summary import MIMETYPE

    tagged = [c for c in nb.cells if SUMMARY_TAG in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return None
    for cell in tagged:
        nb.cells.remove(cell)
    nb.cells[1:1] = tagged
    for cell in tagged:
        for output in cell.get("outputs", []):
            if MIMETYPE in output.get("data", {}):
                return dict(output["data"][MIMETYPE])
    return None


def vega_bundle_paths() -> list[Path]:
    """Where the bundle is kept, first choice first: with the environment (it depends only on the installed
    vl-convert, so `make install` builds it and every checkout reuses it), else the build folder."""
    from importlib.metadata import version

    name = f"vega-bundle-{version('vl-convert-python')}.js"
    return [Path(sys.prefix) / "share" / "hbmcycle" / name, files.build_dir() / name]


def vega_bundle() -> str:
    """vl-convert's Vega + Vega-Lite + vega-embed script, built once per vl-convert version (about 2 s) and kept."""
    import vl_convert

    with_env, in_build = vega_bundle_paths()
    found = next((p for p in (with_env, in_build) if p.exists()), None)
    if found is not None:
        bundle = found.read_text(encoding="utf-8")
    else:  # the stub marks `snippet` required; at run time it defaults to the snippet that sets the globals
        bundle = vl_convert.javascript_bundle().replace("</script", "<\\/script")  # type: ignore[call-arg]
    if found != with_env:
        try:
            files.write_atomic(with_env, bundle)
        except OSError:  # a read-only environment: keep it with the build products instead
            if found is None:
                files.write_atomic(in_build, bundle)
    return bundle


@functools.lru_cache(maxsize=1)
def exporter():
    """The one HTML exporter of this process (its compiled page templates are reused by every export)."""
    skip_iri_grammar()
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def warm_exporter() -> None:
    """Export an empty page once: compiles the templates and nbconvert's CSS selectors (about 0.8 s).

    The render forkserver calls it, so every worker forked from it starts with them compiled.
    """
    import nbformat

    resources = {"metadata": {"name": ""}, "hbmcycle_provenance": "", "hbmcycle_vega_bundle": BUNDLE_PLACEHOLDER}
    exporter().from_notebook_node(nbformat.v4.new_notebook(), resources=resources)


def export(job: Job, executed_nb: Path) -> dict:
    """Executed notebook -> HTML at job.target; returns the render record (title, summary, provenance)."""
    skip_iri_grammar()
    import nbformat

    from hbmcycle.reports.mathml import MathError, render_math
    from hbmcycle.reports.provenance import header_html

    nb = nbformat.read(executed_nb, as_version=4)
    summary = summary_first(nb)
    try:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = render_math(cell.source)
    except MathError as exc:
        raise ReportError(f"{job.notebook.name}: {exc}") from None
    title = title_of(nb)
    resources = {
        "metadata": {"name": title},
        "hbmcycle_provenance": header_html(job.provenance),
        "hbmcycle_vega_bundle": BUNDLE_PLACEHOLDER,
    }
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    # The 0.9 MB bundle goes in after nbconvert, which re-parses its whole page with BeautifulSoup.
    if body.count(BUNDLE_PLACEHOLDER) != 1:
        raise ReportError(f"{job.notebook.name}: the page template must hold the Vega bundle placeholder once")
    body = body.replace(BUNDLE_PLACEHOLDER, vega_bundle())
    files.write_atomic(job.target, body)
    return {"title": title, "summary": summary, "provenance": job.provenance, "fingerprint": job.fingerprint}


def render(job: Job, force: bool = False) -> Rendered:
    """Execute and export one report unless its fingerprint shows the HTML is current (or ``force``)."""
    if not force and is_current(job):
        return Rendered(job.target.stem, job.target, skipped=True)
    start = time.perf_counter()
    record = export(job, execute(job))
    record["seconds"] = round(time.perf_counter() - start, 2)  # the next run starts the slowest first
    record["notebook"] = job.notebook.stem
    record["file"] = job.target.name
    files.write_atomic(record_path(job.target), json.dumps(record, indent=1))
    return Rendered(job.target.stem, job.target, skipped=False)
