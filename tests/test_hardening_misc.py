"""Reader sandbox, the CLI's last line of defence, help text, catalog counts and the streamed Monte Carlo."""

from __future__ import annotations

import tracemalloc

import duckdb
import numpy as np
import pytest
from test_fuzz_cli import run

from hbmcycle import cli
from hbmcycle.cycle import scenarios, stream
from hbmcycle.cycle import simulate as sim
from hbmcycle.data import db
from hbmcycle.suggest import choices_hint


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "COPY (SELECT 1) TO 'leak.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "ATTACH 'other.duckdb' AS other",
        "CREATE TABLE t AS SELECT 1",
        "EXPORT DATABASE 'exported'",
    ],
)
def test_read_connections_cannot_touch_files_extensions_or_settings(sql, use_shipped_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with db.connect() as con, pytest.raises(duckdb.Error):
        con.execute(sql)
    assert list(tmp_path.iterdir()) == []


def test_tables_and_catalog_count_sources_alike(use_shipped_db):
    from hbmcycle.data.coverage import load_coverage

    cover, _ = load_coverage(use_shipped_db / "data" / "raw")
    catalog = dict(cover.select("table", "sources").iter_rows())
    tables = dict(db.tables().select("table_name", "sources").iter_rows())
    assert tables == catalog
    assert tables["inference_benchmarks"] > 0


def test_an_unexpected_exception_is_one_line_exit_1(monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(stream, "digest", boom)
    code, out, err = run(capsys, ["cycle", "simulate", "--paths", "5", "--horizon-quarters", "1"])
    assert code == 1 and err == "error: unexpected ZeroDivisionError: division by zero\n" and "Traceback" not in out


@pytest.mark.parametrize(
    "argv", [["--help"], ["data", "--help"], ["data", "show", "--help"], ["cycle", "--help"], ["predict", "--help"]]
)
def test_help_has_no_type_labels_on_flags_and_no_phantom_commands(argv, capsys):
    code, out, _ = run(capsys, argv)
    assert code == 0 and "<bool>" not in out and "Usage:" in out
    if argv[0] == "cycle":
        assert "history" not in out  # there is no `cycle history` command


def test_no_arguments_prints_help_and_succeeds(capsys):
    code, out, _ = run(capsys, ["data"])
    assert code == 0 and "Commands:" in out and "show" in out


def test_suggestions_are_short_and_close():
    choices = [f"chip_{i}" for i in range(53)] + ["nvidia_h100_sxm"]
    hint = choices_hint("nvidia_h100_smx", choices)
    assert hint.startswith("did you mean 'nvidia_h100_sxm'?")
    assert "... and 46 more" in hint and hint.count(",") < 10
    assert "did you mean" not in choices_hint("zzzz", choices)


def test_cli_entry_point_is_main():
    assert cli.run.__module__ == "hbmcycle.cli"


# --- cycle simulate, streamed ---

PARAMS = scenarios.resolve("bear")


def test_one_chunk_digest_matches_the_in_memory_simulation():
    exact = sim.simulate(PARAMS, paths=3000, quarters=12, seed=4, progress=False)
    streamed = stream.digest(PARAMS, paths=3000, quarters=12, seed=4)
    expected = sim.glut_probability_by_year(exact).to_dicts()
    for row, want in zip(streamed["by_year"], expected):
        assert row["glut_probability"] == want["glut_probability"]
        assert row["shortage_probability"] == want["shortage_probability"]
    assert streamed["probability_any_glut"] == sim.summary(exact)["probability_any_glut"]
    width = (PARAMS.price_cap - PARAMS.price_floor) / stream.HISTOGRAM_BINS
    assert abs(streamed["median_at_end"]["price"] - float(np.median(exact.price[-1]))) <= width
    assert (
        abs(streamed["median_at_end"]["utilisation"] - float(np.median(exact.utilisation[-1])))
        <= 1 / stream.HISTOGRAM_BINS
    )


def test_chunked_digest_aggregates_its_chunks_exactly():
    paths, chunk = 2500, 1000
    streamed = stream.digest(PARAMS, paths=paths, quarters=8, seed=7, chunk=chunk)
    seeds = [7, np.random.SeedSequence([7, 1]), np.random.SeedSequence([7, 2])]
    runs = [sim.simulate(PARAMS, paths=n, quarters=8, seed=s, progress=False) for n, s in zip((1000, 1000, 500), seeds)]
    balance = np.concatenate([r.balance for r in runs], axis=1)
    glut_any = (balance >= PARAMS.glut_excess).any(axis=0).mean()
    assert streamed["probability_any_glut"] == pytest.approx(glut_any, abs=1e-12)
    price_end = np.concatenate([r.price[-1] for r in runs])
    width = (PARAMS.price_cap - PARAMS.price_floor) / stream.HISTOGRAM_BINS
    assert abs(streamed["median_at_end"]["price"] - float(np.median(price_end))) <= width
    assert stream.digest(PARAMS, paths=paths, quarters=8, seed=7, chunk=chunk) == streamed


def test_streamed_memory_stays_within_the_chunk_budget():
    budget = 8 * 2**20
    quarters, paths = 40, 40_000  # unchunked: 40 bytes x 1.6 M path-quarters = 64 MB
    chunk = stream.chunk_paths(quarters, budget)
    assert chunk < paths
    tracemalloc.start()
    try:
        stream.digest(PARAMS, paths=paths, quarters=quarters, seed=1, chunk=chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * budget, f"peak {peak / 2**20:.1f} MiB for a {budget / 2**20:.0f} MiB chunk budget"
