"""The command line: exit codes and readable output."""

from __future__ import annotations

from test_validation import ACC_ROWS, rows_with, write_fixture
from typer.testing import CliRunner

from hbmcycle.cli import app

runner = CliRunner()


def test_data_check_fails_with_located_message(project):
    write_fixture(project / "data" / "raw", rows_with(0, "memory_gib", "big"))
    result = runner.invoke(app, ["data", "check"])
    assert result.exit_code == 2  # invalid data is bad input
    assert "accelerators.csv:2:" in result.output and "memory_gib" in result.output


def test_data_build_then_show(project):
    write_fixture(project / "data" / "raw")
    assert runner.invoke(app, ["data", "build"]).exit_code == 0
    result = runner.invoke(app, ["data", "show", "accelerators", "--columns", "product,memory_gib"])
    assert result.exit_code == 0
    assert "H100 SXM" in result.output and "141" in result.output
    csv = runner.invoke(app, ["data", "show", "accelerators", "--csv", "--where", "vendor = 'Groq'"])
    assert csv.output.splitlines()[1].startswith("x_lpu,Groq")


def test_show_unknown_table_lists_known(project):
    write_fixture(project / "data" / "raw")
    runner.invoke(app, ["data", "build"])
    result = runner.invoke(app, ["data", "show", "nonsense"])
    assert result.exit_code == 2 and "accelerators" in result.output


def test_show_without_database_says_how_to_build(project):
    result = runner.invoke(app, ["data", "show", "accelerators"])
    assert result.exit_code == 1 and "make data" in result.output


def test_failed_build_leaves_database(project):
    raw = project / "data" / "raw"
    write_fixture(raw)
    runner.invoke(app, ["data", "build"])
    write_fixture(raw, ACC_ROWS + [ACC_ROWS[0]])
    result = runner.invoke(app, ["data", "build"])
    assert result.exit_code == 2 and "left as it was" in result.output


def test_show_with_bad_filter_is_a_clear_error(project):
    write_fixture(project / "data" / "raw")
    runner.invoke(app, ["data", "build"])
    result = runner.invoke(app, ["data", "show", "accelerators", "--where", "bogus = 1"])
    assert result.exit_code == 2 and "not a valid filter" in result.output and "bogus" in result.output


def test_area_commands_are_imported_only_when_used():
    import subprocess
    import sys

    # A fresh interpreter: this test process has long imported the engine.
    probe = (
        "import sys; from hbmcycle.cli import main; main(['data', '--help']); "
        "print(sorted(m for m in ('polars', 'numpy', 'scipy', 'hbmcycle.inference.step_time', "
        "'hbmcycle.hetero.cli', 'hbmcycle.cycle.stream') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_help_lists_every_area_and_unknown_names_get_a_suggestion():
    listed = runner.invoke(app, ["--help"]).output
    names = ("predict", "frontier", "serve", "claims", "report", "data", "model", "cycle", "hbm", "hetero")
    assert [n for n in names if f"\n  {n} " in listed] == list(names)
    assert "backtest" in runner.invoke(app, ["cycle", "--help"]).output
    typo = runner.invoke(app, ["hetro", "compare"])
    assert typo.exit_code == 2 and "Did you mean 'hetero'" in typo.output
