"""Adversarial command lines against the shipped database (issue 10, items 1, 9, 10; issue 14, item 12).

Every case runs `hbmcycle.cli.main` in-process and asserts: the documented exit code (0 ok,
2 bad input, 1 runtime failure), no traceback, a failure is exactly one stderr line starting
with `error:`, and no file of the project (raw CSVs, sidecars, database, Parquet, calibration)
or of the working directory was created, changed or removed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbmcycle.cli import main

OK, BAD, RUNTIME = 0, 2, 1


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    code: int
    fragment: str = ""  # part of the error line (or of stdout when code is 0)


def case(*argv: str, code: int = BAD, fragment: str = "") -> Case:
    return Case(tuple(argv), code, fragment)


def show(table: str = "accelerators", *extra: str, **kw) -> Case:
    return case("data", "show", table, *extra, **kw)


def where(expr: str, **kw) -> Case:
    return show("accelerators", "--where", expr, "--columns", "product", **kw)


PREDICT = ("predict", "--accelerator", "H100 SXM", "--model", "llama-3.1-8b")


def predict(*extra: str, batch: str = "8", context: str = "4096", **kw) -> Case:
    return case(*PREDICT, "--batch", batch, "--context", context, *extra, **kw)


def frontier(*extra: str, **kw) -> Case:
    return case("frontier", "--accelerator", "H100 SXM", "--model", "llama-3.1-8b", *extra, **kw)


def hetero(*extra: str, **kw) -> Case:
    return case("hetero", "compare", *extra, **kw)


def cycle(*extra: str, **kw) -> Case:
    return case("cycle", "simulate", "--paths", "20", "--horizon-quarters", "4", *extra, **kw)


INJECTIONS = [
    "1=1; COPY (SELECT 'gone') TO 'data/raw/accelerators.csv' (FORMAT csv, HEADER false); SELECT * FROM accelerators WHERE 1=1",
    "CAST((SELECT content FROM read_text('/etc/passwd')) AS INTEGER)=1",
    "1=1; EXPORT DATABASE 'exported'",
    "1=1; INSTALL httpfs",
    "1=1; LOAD httpfs",
    "len(glob('/etc/*')) > 0",
    "(SELECT count(*) FROM glob('/etc/*')) > 0",
    "1=1) UNION ALL (SELECT * FROM accelerators",
    "1=1) UNION (SELECT * FROM _sources",
    "getenv('HOME') = 'x'",
    "current_setting('threads') > 0",
    "read_csv_auto('/etc/passwd') IS NOT NULL",
    "query('SELECT 1') IS NOT NULL",
    "EXISTS (SELECT 1)",
    "product IN (FROM accelerators SELECT product)",
    "vendor = 'AMD' --",
    "1=1; ATTACH 'x.duckdb' AS x",
    "1=1; SET enable_external_access = true",
    "1=1; PRAGMA database_list",
    "1=1 ORDER BY 1",
    "1=1 LIMIT 1",
    "1=1 GROUP BY vendor",
    "vendor = 'AMD'; DROP TABLE accelerators",
    "duckdb_tables() IS NOT NULL",
    "pragma_version() IS NOT NULL",
    "1=1; CALL pragma_version()",
    "accelerators.vendor = 'AMD'",
    "nosuch = 1",
    "vendor = 1",
    "",
    ")",
    "vendor = 'AMD' AND",
    "1=1; COPY accelerators TO '/tmp/hbmcycle-fuzz-leak.csv'",
    "write_csv('x') IS NULL",
    "read_parquet('data/processed/parquet/accelerators.parquet') IS NOT NULL",
]

CASES = [
    # --- data show: the filter is one boolean expression over the table's columns ---
    *[where(expr, fragment="is not a valid filter") for expr in INJECTIONS],
    where("lower(vendor) = 'amd'", code=OK, fragment="Instinct"),
    where("memory_gib > 100 AND vendor IN ('AMD', 'NVIDIA')", code=OK),
    where("product ILIKE '%h100%'", code=OK, fragment="H100"),
    where("(vendor = 'AMD') OR (vendor = 'Groq')", code=OK),
    where("vendor = 'AMD') OR (1=1", code=OK),  # balanced: still one expression over the table
    where("ship_year BETWEEN 2020 AND 2022", code=OK),
    where("coalesce(tdp_w, 0) >= 0", code=OK),
    # --- data show: names, columns, limits ---
    show("nosuch", fragment="no table or view 'nosuch'"),
    show("accelerator", fragment="did you mean 'accelerators'"),
    show('accelerators"; DROP TABLE accelerators; --', fragment="no table or view"),
    show("../../etc/passwd", fragment="no table or view"),
    show("", fragment="no table or view"),
    show("accelerators", "--limit", "-1", fragment="valid: at least 0"),
    show("accelerators", "--limit", "abc", fragment="not an integer"),
    show("accelerators", "--limit", "１２", fragment="ASCII digits only"),
    show("accelerators", "--limit", "1e3", fragment="not an integer"),
    show("accelerators", "--limit", "1.5", fragment="not an integer"),
    show("accelerators", "--limit", "", fragment="not an integer"),
    show("accelerators", "--limit", "0", "--columns", "product", code=OK, fragment="first 0 of"),
    show("accelerators", "--limit", "3", "--columns", "product", code=OK, fragment="first 3 of"),
    show("accelerators", "--limit", "99999999999999999999", "--csv", code=OK),
    show("accelerators", "--columns", "nosuch", fragment="unknown column(s) nosuch"),
    show("accelerators", "--columns", "prodcut", fragment="did you mean 'product'"),
    show("accelerators", "--columns", ",", fragment="(none given)"),
    show("accelerators", "--columns", "product,,memory_gib", code=OK),
    show("accelerators", "--vertical", "--limit", "1", code=OK, fragment="accelerator_id"),
    show("accelerators", code=OK, fragment="more column(s) not shown"),
    show("_tables", "--csv", code=OK),
    show("accelerator_metrics", "--limit", "2", code=OK),
    case("data", "show", fragment="Missing argument"),
    case("data", "show", "accelerators", "--bogus", fragment="No such option"),
    case("data", "frobnicate", fragment="No such command"),
    case("data", "tables", code=OK, fragment="accelerators"),
    case("data", "tables", "extra", fragment="unexpected extra argument"),
    case("data", "check", "--table", "nosuch", fragment="no table named 'nosuch'"),
    case("data", "check", "--table", "acelerators", fragment="did you mean 'accelerators'"),
    case("frobnicate", fragment="No such command"),
    case("--version", fragment="No such option"),
    # --- predict ---
    predict(code=OK, fragment="tokens/s per user"),
    predict("--json", code=OK, fragment='"bound"'),
    predict(batch="0", fragment="valid: at least 1"),
    predict(batch="-1", fragment="valid: at least 1"),
    predict(batch="abc", fragment="not an integer"),
    predict(batch="８", fragment="ASCII digits only"),
    predict(batch="1.5", fragment="not an integer"),
    predict(batch="", fragment="not an integer"),
    predict(batch="1000000000", fragment="does not fit"),
    predict(context="0", fragment="valid: at least 1"),
    predict(context="1000000", fragment="maximum context of 131,072"),
    predict(context="131073", fragment="maximum context"),
    predict(context="131072", batch="1", code=OK),
    predict(context="４０９６", fragment="ASCII digits only"),
    predict(context="99999999999999999999999", fragment="maximum context"),
    predict("--gpus", "0", fragment="valid: at least 1"),
    predict("--gpus", "1000", fragment="exceeds the scale-up domain"),
    predict("--gpus", "-8", fragment="valid: at least 1"),
    predict("--weights", "int3", fragment="unknown weights precision 'int3'"),
    predict("--weights", "", fragment="precision"),
    predict("--kv", "fp4", fragment="KV-cache precision"),
    predict("--weights", "FP8", code=OK),
    case(
        "predict",
        "--accelerator",
        "nope",
        "--model",
        "llama-3.1-8b",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="valid:",
    ),
    case(
        "predict",
        "--accelerator",
        "h1000",
        "--model",
        "llama-3.1-8b",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="did you mean",
    ),
    case(
        "predict",
        "--accelerator",
        "h100",
        "--model",
        "llama-3.1-8b",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="ambiguous",
    ),
    case(
        "predict",
        "--accelerator",
        "",
        "--model",
        "llama-3.1-8b",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="unknown accelerator",
    ),
    case(
        "predict",
        "--accelerator",
        "H100 SXM",
        "--model",
        "lama-3.1-8b",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="did you mean 'llama-3.1-8b'",
    ),
    case(
        "predict",
        "--accelerator",
        "H100 SXM",
        "--model",
        "'; DROP TABLE x; --",
        "--batch",
        "1",
        "--context",
        "9",
        fragment="unknown model",
    ),
    case(
        "predict",
        "--accelerator",
        "H100 SXM",
        "--model",
        "llama-3.1-8b",
        "--context",
        "9",
        fragment="Missing option '--batch'",
    ),
    case(
        "predict",
        "--accelerator",
        "H100 SXM",
        "--model",
        "llama-2-70b",
        "--batch",
        "1",
        "--context",
        "5000",
        fragment="maximum context of 4,096",
    ),
    # --- frontier ---
    frontier("--context", "4096", "--max-gpus", "0", fragment="valid: at least 1"),
    frontier("--context", "4096", "--max-gpus", "-3", fragment="valid: at least 1"),
    frontier("--context", "4096", "--max-gpus", "x", fragment="not an integer"),
    frontier("--context", "0", fragment="valid: at least 1"),
    frontier("--context", "1000000000", fragment="maximum context"),
    frontier("--context", "4096", "--weights", "fp3", fragment="precision"),
    frontier("--context", "4096", "--max-gpus", "1", "--json", code=OK, fragment='"group_size": 1'),
    frontier("--context", "4096", "--max-gpus", "2", code=OK, fragment="Frontier"),
    # --- hetero compare ---
    hetero("--model", "llama-3.3-70b", "--context", "1000000000", fragment="maximum context"),
    hetero("--model", "llama-3.3-70b", "--context", "0", fragment="valid: at least 1"),
    hetero("--model", "llama-3.3-70b", "--context", "８１９２", fragment="ASCII digits only"),
    hetero("--model", "llama-3.3-70b", "--context", "8192", "--output-tokens", "0", fragment="valid: 1 to"),
    hetero("--model", "llama-3.3-70b", "--context", "8192", "--per", "nope", fragment="valid: tokens_per_s_per_mw"),
    hetero("--model", "llama-3.3-70b", "--context", "8192", "--stack", "fat", fragment="valid: lean, calibrated"),
    hetero("--model", "llama-3.3-70b", "--context", "8192", "--weights", "int3", fragment="precision"),
    hetero("--model", "no-such-model", "--context", "8192", fragment="valid:"),
    hetero("--model", "llama-3.3-70b", fragment="Missing option '--context'"),
    hetero("--model", "llama-3.3-70b", "--context", "8192", code=OK, fragment="Summary per option"),
    # --- cycle simulate ---
    cycle(code=OK, fragment="P(glut)"),
    cycle("--seed", "-1", fragment="valid: at least 0"),
    cycle("--seed", "abc", fragment="not an integer"),
    cycle("--seed", "７", fragment="ASCII digits only"),
    cycle("--seed", "12345678901234567890123", code=OK),
    case("cycle", "simulate", "--paths", "0", fragment="valid: 1 to 2000000"),
    case("cycle", "simulate", "--paths", "2000001", fragment="valid: 1 to 2000000"),
    case("cycle", "simulate", "--horizon-quarters", "0", fragment="valid: 1 to 400"),
    case("cycle", "simulate", "--horizon-quarters", "401", fragment="valid: 1 to 400"),
    case("cycle", "simulate", "--paths", "1e6", fragment="not an integer"),
    cycle("--scenario", "nope", fragment="unknown scenario 'nope'"),
    cycle("-p", "vendors=[unclosed", fragment="unknown parameter 'vendors'"),
    cycle("-p", "capacity_response=[unclosed", fragment="is not a number"),
    cycle("-p", "capacity_response", fragment="NAME=VALUE"),
    cycle("-p", "capacity_response=nan", fragment="out of range"),
    cycle("-p", "capacity_response=inf", fragment="out of range"),
    cycle("-p", "capacity_response=-inf", fragment="out of range"),
    cycle("-p", "capacity_response=1e400", fragment="out of range"),
    cycle("-p", "yield_dip=3", fragment="out of range"),
    cycle("-p", "lead_time_min_quarters=1.5", fragment="whole number"),
    cycle("-p", "lead_time_min_quarters=９", fragment="non-ASCII digits"),
    cycle("-p", "=1", fragment="NAME=VALUE"),
    cycle("-p", "import os; os.system('touch pwned')=1", fragment="unknown parameter"),
    cycle("-p", "capacity_response=0.2", "--json", code=OK, fragment='"median_method"'),
    case("cycle", "history", fragment="No such command"),
    # --- model ---
    case("model", "validate", "--bogus", fragment="No such option"),
    case("model", "nope", fragment="No such command"),
]


@pytest.fixture(scope="module")
def shipped_root(shipped_db):
    """The shipped database with its engine constants fitted once, so no case writes a calibration."""
    old = os.environ.get("HBMCYCLE_ROOT")
    os.environ["HBMCYCLE_ROOT"] = str(shipped_db)
    try:
        from hbmcycle.inference import constants

        constants.current()
        yield shipped_db
    finally:
        if old is None:
            os.environ.pop("HBMCYCLE_ROOT", None)
        else:
            os.environ["HBMCYCLE_ROOT"] = old


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every file under the roots: size, mtime and, for the curated CSVs and the database, a sha256."""
    state = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                state[str(path)] = (
                    "link" if path.is_symlink() else "dir",
                    os.readlink(path) if path.is_symlink() else "",
                )
                continue
            info = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.suffix in (".csv", ".duckdb") else ""
            state[str(path)] = (info.st_size, info.st_mtime_ns, digest)
    return state


def run(capsys, argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_outcome(c: Case, code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert code == c.code, f"{c.argv}: exit {code}, expected {c.code}; stderr: {err!r}"
    if code == OK:
        assert c.fragment in out, f"{c.argv}: {c.fragment!r} not in stdout"
        return
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{c.argv}: not one error line: {err!r}"
    assert c.fragment in lines[0], f"{c.argv}: {c.fragment!r} not in {lines[0]!r}"


@pytest.mark.parametrize("c", CASES, ids=[" ".join(c.argv)[:90] for c in CASES])
def test_command_line_case(c: Case, shipped_root, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(shipped_root / "data")
    code, out, err = run(capsys, c.argv)
    assert_outcome(c, code, out, err)
    assert snapshot(shipped_root / "data") == before, "the command changed files of the project"
    assert list(tmp_path.iterdir()) == [], "the command wrote into the working directory"
    assert not Path("/tmp/hbmcycle-fuzz-leak.csv").exists()


# --- the database itself broken: runtime failures (exit 1), one line, nothing rebuilt behind the user's back ---


def _corrupt(db: Path) -> None:
    db.write_bytes(b"this is not a duckdb file" * 100)


def _truncate(db: Path) -> None:
    db.write_bytes(db.read_bytes()[:4096])


def _empty(db: Path) -> None:
    db.write_bytes(b"")


def _loop(db: Path) -> None:
    db.unlink()
    db.symlink_to(db.name)


def _missing(db: Path) -> None:
    db.unlink()


BREAKAGES = {"corrupt": _corrupt, "truncated": _truncate, "empty": _empty, "symlink loop": _loop, "missing": _missing}
READERS = [
    ("data", "show", "accelerators"),
    ("data", "tables"),
    ("data", "show", "accelerators", "--where", "vendor = 'AMD'"),
    (*PREDICT, "--batch", "1", "--context", "100"),
    ("frontier", "--accelerator", "H100 SXM", "--model", "llama-3.1-8b", "--context", "100"),
    ("hetero", "compare", "--model", "llama-3.3-70b", "--context", "8192"),
]


@pytest.mark.parametrize("breakage", list(BREAKAGES))
@pytest.mark.parametrize("argv", READERS, ids=[" ".join(a[:3]) for a in READERS])
def test_broken_database_is_a_one_line_runtime_error(breakage, argv, project, capsys):
    from test_validation import write_fixture

    from hbmcycle.data.build import build

    write_fixture(project / "data" / "raw")
    build()
    BREAKAGES[breakage](project / "data" / "processed" / "current" / "hbmcycle.duckdb")
    before = snapshot(project / "data")
    code, out, err = run(capsys, argv)
    assert_outcome(Case(argv, RUNTIME, ""), code, out, err)
    assert "make data" in err or "data build" in err
    assert snapshot(project / "data") == before


# --- property-based: numeric arguments either parse as ASCII integers in range or are refused with one line ---

NUMBERISH = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.text(alphabet=st.sampled_from("0123456789-+.e ,_１２٣x"), max_size=8),
    st.text(max_size=6),
)


def _expected_int(text: str, low: int, high: int | None) -> int | None:
    stripped = text.strip()
    if not stripped or not all(c in "0123456789" for c in stripped.lstrip("+-")) or stripped.lstrip("+-") == "":
        return None
    if stripped.count("+") + stripped.count("-") > 1:
        return None
    value = int(stripped)
    return value if value >= low and (high is None or value <= high) else None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=NUMBERISH)
def test_show_limit_property(limit, shipped_root, capsys):
    code, out, err = run(capsys, ["data", "show", "hbm_generations", "--columns", "generation", "--limit", limit])
    assert "Traceback" not in out + err
    expected = _expected_int(limit, 0, None)
    if expected is None:
        assert code == BAD and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    else:
        assert code == OK
        rows = [line for line in out.splitlines() if line.startswith("│ HBM")]
        assert len(rows) == min(expected, 8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=NUMBERISH, paths=NUMBERISH)
def test_cycle_numeric_arguments_property(seed, paths, capsys):
    argv = ["cycle", "simulate", "--horizon-quarters", "2", "--json", "--seed", seed, "--paths", paths]
    code, out, err = run(capsys, argv)
    assert "Traceback" not in out + err
    good = _expected_int(seed, 0, None) is not None and _expected_int(paths, 1, 200) is not None
    refused = _expected_int(seed, 0, None) is None or _expected_int(paths, 1, 2_000_000) is None
    if good:
        assert code == OK and f'"paths": {int(paths)}' in out
    elif refused:
        assert code == BAD and err.startswith("error: ") and len(err.strip().splitlines()) == 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=NUMBERISH, context=NUMBERISH)
def test_predict_numeric_arguments_property(batch, context, shipped_root, capsys):
    code, out, err = run(capsys, [*PREDICT, "--batch", batch, "--context", context, "--json"])
    assert "Traceback" not in out + err
    if _expected_int(batch, 1, None) is None or _expected_int(context, 1, 131_072) is None:
        assert code == BAD and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    else:
        assert code in (OK, BAD)  # BAD only when the batch does not fit at that context
        assert (code == OK) == ('"max_batch"' in out)
        if code == BAD:
            assert "does not fit" in err
