"""Report building blocks: parameters, tables, summary, math, fingerprints, file modes, the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from hbmcycle.reports import cache, files, mathml, parameters, summary, tables

REPO = Path(__file__).resolve().parents[1]
ATLAS = REPO / "notebooks" / "data_atlas.py"


# -- parameters ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def atlas_parameters():
    return parameters.declared(ATLAS)


def test_parameters_are_read_from_the_notebooks_parameters_cell(atlas_parameters):
    source = ATLAS.read_text()
    cell = source.split('tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    assigned = re.findall(r"^(\w+) = ", cell, re.M)
    assert list(atlas_parameters) == assigned


def test_values_are_parsed_as_data_and_typed_like_the_default(atlas_parameters):
    got = parameters.parse(["min_year=2022", "vendors=[NVIDIA, AMD]", "min_swing=1"], atlas_parameters)
    assert got == {"min_year": 2022, "vendors": ["NVIDIA", "AMD"], "min_swing": 1.0}
    assert isinstance(got["min_swing"], float)


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("min_yaer=2024", "did you mean 'min_year'"),
        ("import os; os.system('id > x.txt'); min_year=2020", "unknown parameter"),
        ("vendors=[unclosed", "is not a value"),
        ("min_year=abc", "expected an integer"),
        ("min_year=true", "expected an integer"),
        ("vendors=NVIDIA", "expected a list"),
        ("statuses=[1, 2]", "expected a list"),
        ("novalue", "is not key=value"),
        ("min_swing={a: 1}", "expected a number"),
    ],
)
def test_bad_parameters_are_refused_with_the_reason(atlas_parameters, pair, message):
    with pytest.raises(parameters.ParameterError, match=re.escape(message)):
        parameters.parse([pair], atlas_parameters)


def test_parameterised_renders_get_their_own_file_name():
    assert parameters.suffix({}) == ""
    a, b = parameters.suffix({"min_year": 2022}), parameters.suffix({"min_year": 2023})
    assert a.startswith(".p-") and a != b


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "hbmcycle", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_refuses_an_unknown_parameter_and_writes_nothing(use_shipped_db):
    reports = use_shipped_db / "reports"
    before = sorted(reports.rglob("*")) if reports.exists() else []
    result = run_cli("report", "data_atlas", "-p", "min_yaer=2024")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and "did you mean 'min_year'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert (sorted(reports.rglob("*")) if reports.exists() else []) == before


def test_cli_refuses_an_unknown_report_with_a_suggestion(use_shipped_db):
    result = run_cli("report", "data_atlass")
    assert result.returncode == 2
    assert "error: unknown report 'data_atlass' (did you mean 'data_atlas'?)" in result.stderr


# -- tables -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("memory_bw_tb_s", "Memory bandwidth (TB/s)"),
        ("usd_per_mtok", "$ per Mtok"),
        ("cost_usd_per_mtok", "Cost ($ per Mtok)"),
        ("tokens_per_s_per_mw", "tok/s per MW"),
        ("system_tokens_per_s", "System (tok/s)"),
        ("hbm_bit_share", "HBM bit share"),
        ("dram_revenue_usd_b", "DRAM revenue ($ bn)"),
        ("product", "Product"),
        ("optimal from tok/s/user", "optimal from tok/s/user"),
        ("per_user_tok_s", "Per user (tok/s)"),
        ("arithmetic_tok_s_per_mw", "Arithmetic (tok/s per MW)"),
        ("rack_gpus", "Rack GPUs"),
    ],
)
def test_headers_carry_units(column, expected):
    assert tables.header(column) == expected


def test_mapping_shows_shares_in_percent_and_other_values_plainly():
    html = tables.mapping({"rack_memory_kv_share": 0.116, "rack_gpus": 72}).data
    assert "Rack memory KV share (%)" in html and ">11.6<" in html
    assert "Rack GPUs" in html and ">72<" in html


def test_percent_columns_say_so_in_the_header():
    assert tables.header("hbm_bit_share", percent=True) == "HBM bit share (%)"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (4.9999999999999996e-06, {}, "5.00×10⁻⁶"),
        (100000000000.0, {}, "1.00×10¹¹"),
        (1.91465e07, {}, "1.91×10⁷"),
        (1234.5, {}, "1,234"),
        (1.051, {}, "1.05"),
        (0.0407, {}, "0.0407"),
        (-0.407, {"percent": True}, "-40.7"),
        (True, {}, "yes"),
        (1968, {}, "1,968"),
        (2024, {"year": True}, "2024"),
        (0.0, {}, "0"),
    ],
)
def test_numbers_get_sensible_precision(value, kwargs, expected):
    assert tables.number(value, **kwargs) == expected


def test_table_aligns_numbers_right_text_left_and_collapses_long_lists():
    frame = pl.DataFrame({"product": ["A", "B"], "memory_gib": [80.0, 141.0], "ship_year": [2022, 2024]})
    html = tables.table_html(frame)
    assert '<th class="num">Memory (GiB)</th>' in html and "<th>Product</th>" in html
    assert '<td class="num">2022</td>' in html and "<details" not in html
    long = pl.DataFrame({"source": [f"s{i}" for i in range(30)]})
    assert tables.table_html(long, collapse_after=25, caption="Sources").startswith("<details")


def test_verdict_cells_are_badges_and_other_text_stays_text():
    html = tables.table_html(pl.DataFrame({"claim": ["a", "b"], "verdict": ["partly", "unclear"]}))
    assert 'data-verdict="partly holds"' in html and "<td>unclear</td>" in html


def test_mapping_shows_a_dict_as_a_table_not_a_python_repr():
    html = tables.mapping({"hop_latency_us": 5.0, "lean": True}).data
    assert "{" not in html and "Hop latency (µs)" in html and "yes" in html


# -- summary ------------------------------------------------------------------------------------


def test_summary_anchor_is_the_id_nbconvert_gives_the_heading():
    from nbconvert.filters.strings import add_anchor

    heading = "1. The seed's chart, reproduced"
    html = add_anchor(f"<h2>{heading}</h2>")
    assert f'id="{summary.anchor("## " + heading)}"' in html


def test_summary_badges_and_record():
    block = summary.summary(
        "Q?", "A.", [summary.Finding("x is 3.", "Section", "holds"), summary.Finding("y.", "Other")]
    )
    bundle = block._repr_mimebundle_()
    assert bundle[summary.MIMETYPE]["findings"][0]["verdict"] == "holds"
    assert 'data-verdict="holds"' in bundle["text/html"] and 'href="#Section"' in bundle["text/html"]
    with pytest.raises(ValueError, match="partly holds"):
        summary.Finding("z", "S", "partly")
    with pytest.raises(ValueError, match="1 to 6 findings"):
        summary.summary("Q", "A", [summary.Finding(str(i), "S") for i in range(7)])


def test_every_verdict_has_its_own_badge_colour():
    from hbmcycle.verdicts import VERDICTS

    assert set(summary.BADGE_COLOURS) == set(VERDICTS)
    assert len(set(summary.BADGE_COLOURS.values())) == len(VERDICTS)


# -- math ---------------------------------------------------------------------------------------


def test_formulas_become_mathml_and_prices_and_code_stay_text():
    out = mathml.render_math(r"Step time $t(B) = \frac{W}{\eta_w BW}$ costs $1.36M and $2M; `$x$`.")
    assert "<mfrac>" in out and r"\frac" not in out
    assert "costs $1.36M and $2M" in out and "`$x$`" in out
    block = mathml.render_math("$$a*b*c$$")
    assert 'display="block"' in block and "*" not in block.replace("&#x0002A;", "")


@pytest.mark.parametrize("formula", [r"$a^$", r"$\undefinedcmd x$"])
def test_malformed_latex_is_an_error_not_raw_text(formula):
    with pytest.raises(mathml.MathError):
        mathml.render_math(formula)


# -- incremental rendering ------------------------------------------------------------------------


def test_closure_follows_imports_through_the_package():
    found = {p.relative_to(cache.PACKAGE).as_posix() for p in cache.closure("from hbmcycle.cycle import history\n")}
    assert "cycle/history.py" in found and "cycle/__init__.py" in found
    assert "thesis/analysis.py" not in found


def test_fingerprint_changes_with_imported_code_and_parameters_only(tmp_path, monkeypatch):
    package = tmp_path / "hbmcycle"
    (package / "a").mkdir(parents=True)
    for path in (package / "__init__.py", package / "a" / "__init__.py", package / "other.py"):
        path.write_text("")
    (package / "a" / "model.py").write_text("X = 1\n")
    monkeypatch.setattr(cache, "PACKAGE", package)
    notebook = tmp_path / "nb.py"
    notebook.write_text("from hbmcycle.a import model\n")
    base = cache.fingerprint(notebook, {}, "c1", "s")
    (package / "other.py").write_text("Y = 2\n")
    assert cache.fingerprint(notebook, {}, "c1", "s") == base  # a module it does not import
    (package / "a" / "model.py").write_text("X = 2\n")
    changed = cache.fingerprint(notebook, {}, "c1", "s")
    assert changed != base
    assert cache.fingerprint(notebook, {"k": 1}, "c1", "s") != changed
    assert cache.fingerprint(notebook, {}, "c2", "s") != changed
    assert cache.fingerprint(notebook, {}, "c1", "data changed") != changed


def test_parsed_imports_kept_on_disk_follow_an_edited_module(tmp_path, monkeypatch):
    package = tmp_path / "hbmcycle"
    package.mkdir()
    for name, text in (("__init__.py", ""), ("a.py", "X = 1\n"), ("b.py", "Y = 1\n")):
        (package / name).write_text(text)
    notebook = tmp_path / "nb.py"
    notebook.write_text("from hbmcycle import a\n")
    monkeypatch.setattr(cache, "PACKAGE", package)
    monkeypatch.setenv("HBMCYCLE_ROOT", str(tmp_path))
    monkeypatch.setattr(cache, "_unsaved", set())
    cache._known_imports.cache_clear()
    before = cache.fingerprint(notebook, {}, "c", "s")
    assert (tmp_path / "data" / "processed" / "report_build" / "imports-cache.json").is_file()
    (package / "a.py").write_text("from hbmcycle import b\nX = 1\n")
    for memo in (cache._module_imports, cache._known_imports):  # as a new process sees it: the disk cache only
        memo.cache_clear()
    assert "b.py" in {p.name for p in cache.closure(notebook.read_text())}
    (package / "b.py").write_text("Y = 2\n")
    assert cache.fingerprint(notebook, {}, "c", "s") != before
    cache._known_imports.cache_clear()


# -- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_reports_honour_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        path = files.write_atomic(tmp_path / "r.html", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temp file left


# -- JupyterLab -----------------------------------------------------------------------------------


def test_saving_an_unedited_notebook_in_lab_changes_nothing_and_pairs_it(tmp_path):
    """What Lab's save does (jupytext's contents manager, notebooks/jupytext.toml) leaves every .py as committed."""
    import shutil

    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    folder = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", folder, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    manager = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(folder))
    for source in sorted((REPO / "notebooks").glob("*.py")):
        manager.save(manager.get(source.name), source.name)
        assert (folder / source.name).read_text() == source.read_text(), f"{source.name} changed on save"
        assert (folder / f"{source.stem}.ipynb").exists(), f"{source.name} is not paired with an .ipynb"
        assert "name: python3" in source.read_text().split("# ---", 2)[1]  # the kernel `make lab` serves


# -- charts ---------------------------------------------------------------------------------------


def test_setup_keeps_altairs_renderer_outside_a_report_and_uses_live_views_inside(monkeypatch):
    import altair as alt

    from hbmcycle import charts

    monkeypatch.delenv(charts.REPORT_ENV, raising=False)
    charts.setup()
    assert alt.renderers.active == "default"  # JupyterLab draws Vega-Lite itself
    monkeypatch.setenv(charts.REPORT_ENV, "1")
    charts.setup()
    assert alt.renderers.active == charts.RENDERER
    chart = alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    bundle = charts.report_renderer(charts.titled(chart, "Points </script>", "a table").to_dict())
    assert 'aria-label="Points &lt;/script&gt;"' in bundle["text/html"]
    assert "</script></div>" in bundle["text/html"] and bundle["text/html"].count("</script>") == 1
    alt.renderers.enable("default")


def test_static_export_writes_svg_offline(tmp_path):
    import altair as alt

    from hbmcycle import charts

    chart = alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    path = charts.save(charts.titled(chart, "Two points", "test"), tmp_path / "c.svg")
    assert path.read_text().lstrip().startswith("<svg") and "Two points" in path.read_text()
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        charts.save(chart, tmp_path / "c.pdf")


def test_labels_are_placed_without_overlap():
    from hbmcycle import charts

    points = pl.DataFrame({"x": [100.0, 101.0, 102.0, 1.0], "y": [10.0, 10.1, 10.2, 1.0], "name": ["AAAA"] * 4})
    placed = charts.place_labels(points, "x", "y", "name", width=600, height=400)
    close = placed.filter(pl.col("x") >= 100)
    spots = set(zip(close["align"], close["dx"], close["dy"]))
    assert not close["crowded"].any() and len(spots) == 3  # three near-coincident points, three places
    assert placed.filter(pl.col("x") == 1.0)["dx"][0] > 0  # room on the right: the first placement
