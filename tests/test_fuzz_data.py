"""Adversarial data files and sidecars through `hbmcycle data check` (issue 10, items 8 and 9).

Each case starts from the small valid fixture of test_validation (the real `accelerators`
and `hbm_generations` sidecars, a few rows), breaks one thing and asserts: the documented
exit code, no traceback, every stderr line a located problem (`file:line: ...`) or the final
`error:` line, the problem located on the right line where the case names one, and no
file of the project created, changed or removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from test_fuzz_cli import run, snapshot
from test_validation import ACC_HEADER, ACC_ROWS, GEN_HEADER, GEN_ROWS, set_cell, write_fixture

ACC, GEN = "accelerators", "hbm_generations"


@dataclass(frozen=True)
class DataCase:
    name: str
    breaks: Callable[[Path], None]
    fragment: str  # part of the problem message ("" for a clean check)
    line_holds: str = ""  # the located line of the file must contain this text
    file: str = "accelerators.yaml"


def edit(table: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    """Load a sidecar, change the document, write it back (block style, so each key has its own line)."""

    def apply(raw: Path) -> None:
        path = raw / f"{table}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False), encoding="utf-8")

    return apply


def write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(raw: Path) -> None:
        path = raw / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return apply


def append(name: str, text: str) -> Callable[[Path], None]:
    def apply(raw: Path) -> None:
        with (raw / name).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return apply


def new_table(name: str) -> Callable[[Path], None]:
    """A copy of hbm_generations under another (bad) name."""

    def apply(raw: Path) -> None:
        (raw / f"{name}.yaml").write_text((raw / "hbm_generations.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        (raw / f"{name}.csv").write_text((raw / "hbm_generations.csv").read_text(encoding="utf-8"), encoding="utf-8")

    return apply


def acc_rows(*rows: str) -> Callable[[Path], None]:
    return write("accelerators.csv", "\n".join([ACC_HEADER, *rows]) + "\n")


def cell(column: str, value: str, row: int = 0) -> Callable[[Path], None]:
    rows = list(ACC_ROWS)
    rows[row] = set_cell(rows[row], column, value)
    return acc_rows(*rows)


def column_spec(name: str, **changes) -> Callable[[Path], None]:
    return edit(ACC, lambda d: d["columns"][name].update(changes))


def rename_key(mapping_path: tuple, old: str, new: str) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        target = doc
        for step in mapping_path:
            target = target[step]
        target[new] = target.pop(old)

    return change


def symlink_loop(name: str) -> Callable[[Path], None]:
    def apply(raw: Path) -> None:
        (raw / name).unlink()
        (raw / name).symlink_to(name)

    return apply


def directory(name: str) -> Callable[[Path], None]:
    def apply(raw: Path) -> None:
        (raw / name).unlink()
        (raw / name).mkdir()

    return apply


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)
FK = {"column": "memory_type", "references": "hbm_generations.generation"}
SOURCE = {"id": "x2", "producer": "p", "title": "t", "url": "https://example.org", "accessed": "2026-01-01"}

SIDECAR_CASES = [
    DataCase(
        "maximum: instead of max",
        edit(ACC, rename_key(("columns", "memory_gib"), "max", "maximum")),
        "unknown key",
        "maximum",
    ),
    DataCase("unknown top-level key", edit(ACC, lambda d: d.update(titel="x")), "unknown key", "titel"),
    DataCase(
        "unknown check", edit(ACC, lambda d: d.update(checks={"monotone": ["ship_year"]})), "unknown key", "monotone"
    ),
    DataCase(
        "unknown source key",
        edit(ACC, lambda d: d["sources"].append(SOURCE | {"licnce": "x"})),
        "unknown key",
        "licnce",
    ),
    DataCase(
        "foreign key to a misspelt table",
        edit(ACC, lambda d: d.update(foreign_keys=[FK | {"references": "hbm_generation.generation"}])),
        "does not exist; did you mean 'hbm_generations'",
        "hbm_generation.generation",
    ),
    DataCase(
        "foreign key to a missing column",
        edit(ACC, lambda d: d.update(foreign_keys=[FK | {"references": "hbm_generations.gen"}])),
        "is not a column of hbm_generations",
        "hbm_generations.gen",
    ),
    DataCase(
        "foreign key without a dot",
        edit(ACC, lambda d: d.update(foreign_keys=[FK | {"references": "x"}])),
        "pattern",
        "references",
    ),
    DataCase(
        "foreign key on a missing column",
        edit(ACC, lambda d: d.update(foreign_keys=[FK | {"column": "nope"}])),
        "foreign key column 'nope'",
        "nope",
    ),
    DataCase(
        "title is a mapping",
        edit(ACC, lambda d: d.update(title={"a": 1})),
        "title: Input should be a valid string",
        "title",
    ),
    DataCase("description is a list", edit(ACC, lambda d: d.update(description=[1, 2])), "valid string", "description"),
    DataCase("title missing", edit(ACC, lambda d: d.pop("title")), "title: is required"),
    DataCase(
        "columns as a list", edit(ACC, lambda d: d.update(columns=list(d["columns"]))), "valid dictionary", "columns"
    ),
    DataCase("columns empty", edit(ACC, lambda d: d.update(columns={})), "at least 1", "columns"),
    DataCase(
        "column spec empty", edit(ACC, lambda d: d["columns"].update(memory_gib=None)), "memory_gib", "memory_gib"
    ),
    DataCase("bad regex", column_spec("accelerator_id", pattern="[a-"), "not a valid regular expression", "pattern"),
    DataCase("min: zero", column_spec("memory_gib", min="zero"), "valid number", "min: zero"),
    DataCase("max is a list", column_spec("memory_gib", max=[1]), "valid number", "max"),
    DataCase("type int", column_spec("ship_year", type="int"), "Input should be", "type: int"),
    DataCase("required: maybe", column_spec("vendor", required="maybe"), "valid boolean", "required"),
    DataCase("allowed empty", column_spec("status", allowed=[]), "at least 1", "allowed"),
    DataCase("allowed a string", column_spec("status", allowed="shipping"), "valid list", "allowed"),
    DataCase("min above max", column_spec("memory_gib", min=10, max=1), "above max", "memory_gib"),
    DataCase("min on a string column", column_spec("vendor", min=1), "min and max apply", "vendor"),
    DataCase("unit contradicts suffix", column_spec("memory_gib", unit="TB"), "unit must be GiB", "memory_gib"),
    DataCase(
        "provenance columns out of order",
        edit(
            ACC,
            lambda d: d.update(
                columns={
                    k: d["columns"][k] for k in [*list(d["columns"])[:-4], "notes", "source", "as_of", "confidence"]
                }
            ),
        ),
        "must end with source, as_of, confidence, notes",
        "columns",
    ),
    DataCase(
        "primary key not a column",
        edit(ACC, lambda d: d.update(primary_key=["nope"])),
        "primary_key column 'nope'",
        "primary_key",
    ),
    DataCase(
        "source url not http",
        edit(ACC, lambda d: d["sources"].append(SOURCE | {"url": "file:///etc/passwd"})),
        "pattern",
        "file:///etc/passwd",
    ),
    DataCase(
        "source without id",
        edit(ACC, lambda d: d["sources"].append({k: v for k, v in SOURCE.items() if k != "id"})),
        "id: is required",
    ),
    DataCase(
        "source without url or path",
        edit(ACC, lambda d: d["sources"].append({k: v for k, v in SOURCE.items() if k != "url"})),
        "needs url",
    ),
    DataCase("source defined twice", edit(ACC, lambda d: d["sources"].extend([SOURCE, SOURCE])), "defined twice"),
    DataCase("sources a string", edit(ACC, lambda d: d.update(sources="none")), "valid list", "sources"),
    DataCase(
        "contiguous check on a missing column",
        edit(ACC, lambda d: d.update(checks={"contiguous": [{"column": "nosuch"}]})),
        "checks.contiguous names column 'nosuch'",
        "nosuch",
    ),
    DataCase(
        "contiguous check where on a missing column",
        edit(ACC, lambda d: d.update(checks={"contiguous": [{"column": "ship_year", "where": {"nosuch": 1}}]})),
        "names column 'nosuch'",
    ),
    DataCase(
        "period check on missing columns",
        edit(ACC, lambda d: d.update(checks={"period": {"column": "period", "year": "ship_year", "quarter": "q"}})),
        "checks.period names column 'period'",
    ),
    DataCase(
        "contiguous is a string",
        edit(ACC, lambda d: d.update(checks={"contiguous": "ship_year"})),
        "valid list",
        "contiguous",
    ),
    DataCase(
        "column name with a quote", edit(ACC, rename_key(("columns",), "vendor", 'ven"dor')), "column name", "ven"
    ),
    DataCase(
        "column name upper case", edit(ACC, rename_key(("columns",), "vendor", "Vendor")), "column name", "Vendor"
    ),
    DataCase("empty sidecar", write("accelerators.yaml", ""), "is empty"),
    DataCase("a list at top level", write("accelerators.yaml", "- a\n- b\n"), "valid dictionary"),
    DataCase("a scalar at top level", write("accelerators.yaml", "just text\n"), "valid dictionary"),
    DataCase("YAML syntax error", append("accelerators.yaml", "oops: [unclosed\n"), "is not valid YAML"),
    DataCase("tab indentation", append("accelerators.yaml", "x:\n\t- 1\n"), "is not valid YAML"),
    DataCase("duplicate key", append("accelerators.yaml", "title: again\n"), "appears twice", "title: again"),
    DataCase(
        "python tag", append("accelerators.yaml", "x: !!python/object/apply:os.system ['id']\n"), "is not valid YAML"
    ),
    DataCase("alias bomb", write("accelerators.yaml", ALIAS_BOMB), "alias bomb"),
    DataCase("deep nesting", write("accelerators.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n"), "nest"),
    DataCase("not UTF-8", write("accelerators.yaml", b"title: \xff\xfe\n"), "cannot read"),
    DataCase("larger than 2 MB", write("accelerators.yaml", "# " + "x" * 2_100_000 + "\n"), "larger than"),
    DataCase("sidecar is a folder", directory("accelerators.yaml"), "cannot read"),
    DataCase("sidecar symlink loop", symlink_loop("accelerators.yaml"), "cannot read"),
    DataCase("table named frame", new_table("frame"), "reserved", file="frame.yaml"),
    DataCase("table named _tables", new_table("_tables"), "reserved", file="_tables.yaml"),
    DataCase("table named like a view", new_table("accelerator_metrics"), "reserved", file="accelerator_metrics.yaml"),
    DataCase("table name with a quote", new_table('hbm"x'), "reserved", file='hbm"x.yaml'),
    DataCase("table name with a space", new_table("hbm x"), "reserved", file="hbm x.yaml"),
    DataCase("table name upper case", new_table("HBM"), "reserved", file="HBM.yaml"),
    DataCase("table named current", new_table("current"), "reserved", file="current.yaml"),
]

CSV_CASES = [
    DataCase("full-width year", cell("ship_year", "２０２２"), "is not an integer", file="accelerators.csv"),
    DataCase("full-width float", cell("memory_gib", "８０"), "is not a number", file="accelerators.csv"),
    DataCase("Arabic-Indic digits", cell("hbm_stacks", "٥"), "is not an integer", file="accelerators.csv"),
    DataCase("nan", cell("memory_gib", "nan"), "is not a number", file="accelerators.csv"),
    DataCase("inf", cell("memory_gib", "inf"), "is not a number", file="accelerators.csv"),
    DataCase("overflowing float", cell("memory_gib", "1e999"), "not a finite number", file="accelerators.csv"),
    DataCase(
        "units in the cell", cell("memory_gib", "80 GB"), "units belong in the column name", file="accelerators.csv"
    ),
    DataCase("thousands separator", cell("tdp_w", '"1,000"'), "is not a number", file="accelerators.csv"),
    DataCase("huge value", cell("memory_gib", "999999999"), "above the maximum", file="accelerators.csv"),
    DataCase("negative value", cell("memory_gib", "-1"), "below the minimum", file="accelerators.csv"),
    DataCase("formula", cell("product", "=HYPERLINK(1)"), "spreadsheet formula", file="accelerators.csv"),
    DataCase("impossible date", cell("announce_date", "2023-02-30"), "not a valid date", file="accelerators.csv"),
    DataCase("future as_of", cell("as_of", "2999-01-01"), "in the future", file="accelerators.csv"),
    DataCase("bad confidence", cell("confidence", "very high"), "confidence", file="accelerators.csv"),
    DataCase("unknown source", cell("source", "nowhere"), "is neither a source id", file="accelerators.csv"),
    DataCase("bad status", cell("status", "rumoured"), "is not an allowed value", file="accelerators.csv"),
    DataCase("bad id pattern", cell("accelerator_id", "X H100"), "does not match the pattern", file="accelerators.csv"),
    DataCase("duplicate key", acc_rows(*ACC_ROWS, ACC_ROWS[0]), "duplicate primary key", file="accelerators.csv"),
    DataCase("extra field", acc_rows(ACC_ROWS[0] + ",extra"), "fields, expected", file="accelerators.csv"),
    DataCase("ten thousand fields", acc_rows("x" + "," * 10_000), "fields, expected", file="accelerators.csv"),
    DataCase("unterminated quote", acc_rows(*ACC_ROWS, 'x,"NVIDIA,oops'), "malformed CSV", file="accelerators.csv"),
    DataCase(
        "NUL byte", acc_rows(ACC_ROWS[0].replace("NVIDIA", "NV\x00IDIA")), "control character", file="accelerators.csv"
    ),
    DataCase("escape sequence", cell("product", "\x1b[31mred"), "control character", file="accelerators.csv"),
    DataCase(
        "field over the csv limit", cell("notes", '"' + "x" * 200_000 + '"'), "malformed CSV", file="accelerators.csv"
    ),
    DataCase(
        "not UTF-8",
        write("accelerators.csv", ACC_HEADER.encode() + b"\n\xff\xfe,x\n"),
        "not UTF-8",
        file="accelerators.csv",
    ),
    DataCase("empty file", write("accelerators.csv", ""), "file is empty", file="accelerators.csv"),
    DataCase("header only", write("accelerators.csv", ACC_HEADER + "\n"), "no rows", file="accelerators.csv"),
    DataCase(
        "renamed header",
        write("accelerators.csv", ACC_HEADER.replace("vendor", "maker") + "\n" + ACC_ROWS[0] + "\n"),
        "header does not match",
        file="accelerators.csv",
    ),
    DataCase(
        "tab separated",
        write("accelerators.csv", ACC_HEADER.replace(",", "\t") + "\n"),
        "header does not match",
        file="accelerators.csv",
    ),
    DataCase("csv symlink loop", symlink_loop("accelerators.csv"), "cannot read file", file="accelerators.csv"),
    DataCase("csv is a folder", directory("accelerators.csv"), "cannot read file", file="accelerators.csv"),
    DataCase("csv without sidecar", write("orphan.csv", "a\n1\n"), "no metadata sidecar", file="orphan.csv"),
    DataCase(
        "generation width not an integer",
        write("hbm_generations.csv", "\n".join([GEN_HEADER, GEN_ROWS[0].replace("1024", "wide", 1)]) + "\n"),
        "is not an integer",
        file="hbm_generations.csv",
    ),
]

BENIGN_CASES = [
    DataCase("byte-order mark", write("accelerators.csv", "\ufeff" + "\n".join([ACC_HEADER, *ACC_ROWS]) + "\n"), ""),
    DataCase("CRLF line ends", write("accelerators.csv", "\r\n".join([ACC_HEADER, *ACC_ROWS]) + "\r\n"), ""),
    DataCase("trailing blank lines", write("accelerators.csv", "\n".join([ACC_HEADER, *ACC_ROWS]) + "\n\n\n"), ""),
    DataCase("newline inside a quoted note", cell("notes", '"two\nlines"'), ""),
    DataCase("comments in the sidecar", append("accelerators.yaml", "# a comment\n"), ""),
]

LOCATED = re.compile(r"^\S.*?:(\d+)?:? ")


@pytest.mark.parametrize("case", SIDECAR_CASES + CSV_CASES, ids=[c.name for c in SIDECAR_CASES + CSV_CASES])
def test_broken_input_is_located_and_refused(case, project, capsys, tmp_path_factory, monkeypatch):
    raw = project / "data" / "raw"
    write_fixture(raw)
    case.breaks(raw)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    before = snapshot(project)
    code, out, err = run(capsys, ["data", "check"])
    assert "Traceback" not in out + err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "problem(s) found" in lines[-1]
    problems = [line for line in lines[:-1] if case.file in line and case.fragment in line]
    assert problems, f"no problem in {case.file} mentioning {case.fragment!r}: {err}"
    if case.line_holds:
        line = int(re.search(re.escape(case.file) + r":(\d+):", problems[0])[1])
        text = (raw / case.file).read_text(encoding="utf-8").splitlines()
        assert case.line_holds in text[line - 1], f"line {line} is {text[line - 1]!r}, expected {case.line_holds!r}"
    assert snapshot(project) == before


@pytest.mark.parametrize("case", BENIGN_CASES, ids=[c.name for c in BENIGN_CASES])
def test_benign_variations_pass(case, project, capsys):
    write_fixture(project / "data" / "raw")
    case.breaks(project / "data" / "raw")
    code, out, err = run(capsys, ["data", "check"])
    assert code == 0 and "all checks pass" in out, err


def test_a_failed_build_leaves_database_and_parquet_byte_identical(project, capsys):
    raw = project / "data" / "raw"
    write_fixture(raw)
    assert run(capsys, ["data", "build"])[0] == 0
    before = snapshot(project / "data" / "processed")
    column_spec("memory_gib", maximum=1)(raw)
    code, _, err = run(capsys, ["data", "build"])
    assert code == 2 and "unknown key" in err and "left as it was" in err.strip().splitlines()[-1]
    assert snapshot(project / "data" / "processed") == before
