"""Execute the paired notebooks with papermill and write self-contained HTML reports.

Each notebook in notebooks/*.py (jupytext percent format) is converted to .ipynb,
executed with injected parameters, and exported with code hidden. A report is
written to a temporary file and renamed into reports/, so a failing notebook
leaves the previous report intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter

from hbmcycle import paths

TEMPLATES = Path(__file__).parent / "templates"
# Rendered first to last; notebooks not listed follow in name order.
ORDER = ["data_atlas", "inference_model", "thesis", "memory_cycle", "heterogeneous_inference"]


class ReportError(RuntimeError):
    pass


def notebooks() -> list[Path]:
    found = {p.stem: p for p in paths.notebooks_dir().glob("*.py")}
    ordered = [found.pop(n) for n in ORDER if n in found]
    return ordered + [found[n] for n in sorted(found)]


def render(notebook: Path, parameters: dict | None = None, out_dir: Path | None = None) -> Path:
    """Execute one paired notebook and write reports/<name>.html; returns the HTML path."""
    out_dir = out_dir or paths.reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    build_dir = out_dir / "_build"
    build_dir.mkdir(exist_ok=True)
    source_nb = build_dir / f"{notebook.stem}.source.ipynb"
    executed_nb = build_dir / f"{notebook.stem}.ipynb"
    nbformat.write(jupytext.read(notebook), source_nb)
    try:
        papermill.execute_notebook(
            str(source_nb),
            str(executed_nb),
            parameters=parameters or {},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(paths.repo_root()),
            # Quiet the kernel's own start-up log (TCP warning, interrupt notice) in `make report`.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(
            f"{notebook}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {executed_nb}; previous report left intact)"
        ) from exc
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nbformat.read(executed_nb, as_version=4))
    target = out_dir / f"{notebook.stem}.html"
    fd, tmp = tempfile.mkstemp(prefix=f".{notebook.stem}-", suffix=".html", dir=out_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    os.replace(tmp, target)
    return target


def parse_parameters(pairs: list[str]) -> dict:
    """`key=value` strings to a dict; values are parsed as YAML scalars/lists (1, 1.5, true, [a, b])."""
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ReportError(f"parameter {pair!r} is not key=value")
        out[key.strip()] = yaml.safe_load(value)
    return out
