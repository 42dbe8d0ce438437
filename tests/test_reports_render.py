"""Rendering: all five notebooks execute with small parameters; files, provenance, index, incremental skips."""

from __future__ import annotations

import json
import os
import re

import pytest
from report_renders import SMALL, render_all

from hbmcycle.reports import files, render, run

EXTERNAL = re.compile(
    r"<script[^>]+src=[\"']?https?://|<link[^>]+href=[\"']?https?://|import\s*\(\s*[\"']https?://", re.I
)


@pytest.fixture(autouse=True)
def _in_shipped_root(use_shipped_db):
    return use_shipped_db


@pytest.fixture(scope="module")
def rendered(shipped_db):
    result = render_all(shipped_db)
    assert not result["failures"], result["failures"]
    return result


def test_every_notebook_executes_with_small_parameters(rendered):
    assert sorted(rendered["reports"]) == sorted(SMALL)


@pytest.mark.parametrize("name", list(SMALL))
def test_report_is_self_contained_with_title_provenance_and_summary(rendered, name):
    html = rendered["reports"][name].read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    assert html.count("window.vegaEmbed=") == 1  # the Vega bundle is inlined once per page
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title not in ("", "Notebook")
    assert 'class="hbm-provenance"' in html and "Engine constants" in html
    summary_at = html.index('class="hbm-summary"')
    first_section = html.index("<h2", html.index("</h1>"))
    assert summary_at < first_section, "the summary comes before the first section"
    assert '<img src="data:image/svg+xml' not in html  # charts are live views, not static images


def test_executed_notebooks_live_outside_the_published_folder(rendered, shipped_db):
    reports = shipped_db / "reports"
    assert not list(reports.glob("*.ipynb")) and not (reports / "_build").exists()
    assert all((files.build_dir() / f"{n}.ipynb").exists() for n in SMALL)


def test_parameters_reach_the_kernel(rendered):
    executed = (files.build_dir() / "memory_cycle.ipynb").read_text(encoding="utf-8")
    assert "paths = 400" in executed


def test_index_lists_each_report_with_its_answer(rendered):
    html = rendered["index"].read_text(encoding="utf-8")
    for job in rendered["jobs"]:
        record = render.read_record(job.target)
        assert f'href="{job.target.name}"' in html
        assert record["summary"]["answer"][:40] in html.replace("&#x27;", "'")


def test_an_unchanged_report_is_not_rendered_again(rendered):
    for job in rendered["jobs"]:
        (again,) = run.plan([job.notebook.stem], SMALL[job.notebook.stem], output=job.target)
        assert again.fingerprint == job.fingerprint
        assert render.is_current(again)
    touched = []
    run.run([again], done=lambda result, job: touched.append(result.skipped))
    assert touched == [True]


def test_a_parameterised_render_does_not_overwrite_the_default_report():
    (default,) = run.plan(["data_atlas"], [])
    (custom,) = run.plan(["data_atlas"], ["min_year=2024"])
    assert default.target.name == "data_atlas.html"
    assert custom.target.name.startswith("data_atlas.p-") and custom.target.parent == default.target.parent
    assert custom.fingerprint != default.fingerprint


def test_render_record_names_the_engine_constants(rendered):
    from hbmcycle.inference import constants

    record = json.loads(render.record_path(rendered["jobs"][0].target).read_text())
    assert record["provenance"]["engine_constants"] == constants.current().label


def test_kernel_is_forked_with_imports_done_and_the_callers_environment(project, monkeypatch):
    from hbmcycle.reports.render import Job

    notebook = project / "probe.py"
    notebook.write_text(
        "# %% [markdown]\n# Probe\n\n# %%\nimport os, sys\n"
        "print('preloaded', 'polars' in sys.modules and 'hbmcycle.charts' in sys.modules)\n"
        "print('mark', os.environ.get('HBMCYCLE_PROBE'))\nprint('cwd', os.getcwd())\n"
        "print('pids', os.getpid(), os.getppid())\n\n# %%\nfrom hbmcycle import charts  # preloaded: the notebook imports it\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HBMCYCLE_PROBE", "set after any forkserver started")
    job = Job(notebook, {}, project / "reports" / "probe.html", {}, "fp")
    done: list = []
    assert run.run([job], workers=1, done=lambda result, _: done.append(result)) == 0, done
    executed = json.loads((files.build_dir() / "probe.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert "preloaded True" in text  # a fresh `python -m ipykernel_launcher` imports neither
    assert "mark set after any forkserver started" in text
    assert f"cwd {project}" in text
    kernel_pid, parent_pid = map(int, re.search(r"pids (\d+) (\d+)", text).groups())
    assert parent_pid != os.getpid() and kernel_pid != parent_pid  # its own process, child of the worker
    assert job.target.is_file()


def test_report_builds_a_missing_database_first_when_asked(project):
    import shutil
    import subprocess
    import sys

    from conftest import RAW

    shutil.rmtree(project / "data" / "raw")
    shutil.copytree(RAW, project / "data" / "raw")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "tiny.py").write_text(
        "# %% [markdown]\n# Tiny\n\n# %%\nfrom hbmcycle.data import db\n"
        "print(db.read_table('accelerators').height, 'accelerators')\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "hbmcycle", "report", "--build-data"], capture_output=True, text=True, cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout and (project / "data" / "processed" / "hbmcycle.duckdb").exists()
    executed = (files.build_dir() / "tiny.ipynb").read_text(encoding="utf-8")
    assert "accelerators" in executed and (project / "reports" / "tiny.html").is_file()
