"""The validator on a corpus of malformed inputs.

Each case starts from a small valid copy of the real `accelerators` and
`hbm_generations` schemas, breaks one thing, and asserts that the build fails with
a message naming the right file, line and column, and that the database built
before the bad edit survives unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from hbmcycle.data.build import ValidationError, build
from hbmcycle.data.validate import load_all

from conftest import RAW

SRC = "https://example.org/datasheet"
ACC_HEADER = (
    "accelerator_id,vendor,product,announce_date,ship_year,status,form_factor,process_node,memory_type,"
    "memory_gib,memory_bw_tb_s,hbm_stacks,sram_mb,sram_bw_tb_s,bf16_dense_tflops,fp8_dense_tflops,"
    "fp4_dense_tflops,int8_dense_tops,tdp_w,scaleup_domain_size,scaleup_bw_gb_s,price_usd,exempt_checks,"
    "source,as_of,confidence,notes"
)
ACC_ROWS = [
    "x_h100,NVIDIA,H100 SXM,2022-03-22,2022,shipping,SXM,4N,HBM3,80,3.35,5,50,,989.5,1979,,1979,700,8,900,,,"
    f"{SRC},2022-03-22,high,",
    "x_h200,NVIDIA,H200,2023-11-13,2024,shipping,SXM,4N,HBM3E,141,4.8,6,50,,989.5,1979,,1979,700,8,900,,,"
    f'{SRC},2023-11-13,high,"a note, with a comma"',
    f"x_lpu,Groq,LPU,2023-01-01,2023,shipping,card,14nm,SRAM,0.23,80,,230,80,188,,,750,375,,,,,{SRC},2023-01-01,medium,",
]
GEN_HEADER = (
    "generation,jedec_standard,jedec_date,interface_width_bits,pin_rate_gbps_min,pin_rate_gbps_jedec_max,"
    "pin_rate_gbps_shipping_max,bw_per_stack_gb_s_jedec_max,die_density_gbit_max,stack_heights,"
    "max_capacity_per_stack_gib,first_mass_production_year,status,source,as_of,confidence,notes"
)
GEN_ROWS = [
    f"HBM3,JESD238,2022-01-27,1024,4.8,6.4,6.4,819,16,4;8;12,24,2022,standard,{SRC},2022-01-27,high,",
    f"HBM3E,JESD238A,2023-01-01,1024,6.4,9.8,9.8,1229,24,8;12;16,48,2024,standard,{SRC},2024-02-26,high,",
]


def write_fixture(raw: Path, acc_rows=ACC_ROWS, gen_rows=GEN_ROWS) -> None:
    for table in ("accelerators", "hbm_generations"):
        (raw / f"{table}.yaml").write_text((RAW / f"{table}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (raw / "accelerators.csv").write_text("\n".join([ACC_HEADER, *acc_rows]) + "\n", encoding="utf-8")
    (raw / "hbm_generations.csv").write_text("\n".join([GEN_HEADER, *gen_rows]) + "\n", encoding="utf-8")


def set_cell(row: str, column: str, value: str) -> str:
    cells = row.split(",", ACC_HEADER.count(","))
    cells[ACC_HEADER.split(",").index(column)] = value
    return ",".join(cells)


@dataclass
class Case:
    name: str
    breaks: Callable[[Path], None]
    file: str
    line: int
    column: str
    fragment: str
    # For sidecar cases: the located line (case.line is then ignored) must hold this text.
    line_holds: str = ""


def rows_with(index: int, column: str, value: str):
    rows = list(ACC_ROWS)
    rows[index] = set_cell(rows[index], column, value)
    return rows


def csv_case(name, index, column, value, fragment):
    return Case(
        name,
        lambda raw: write_fixture(raw, rows_with(index, column, value)),
        "accelerators.csv",
        index + 2,
        column,
        fragment,
    )


def edit_yaml(raw: Path, table: str, edit) -> None:
    path = raw / f"{table}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def raw_bytes(raw: Path, content: bytes) -> None:
    (raw / "accelerators.csv").write_bytes(content)


CASES = [
    csv_case("wrong type", 0, "memory_gib", "eighty", "is not a number"),
    csv_case("unit in cell", 0, "memory_gib", "80 GB", "units belong in the column name"),
    csv_case("out of range", 1, "memory_bw_tb_s", "48000", "above the maximum"),
    csv_case("negative", 1, "tdp_w", "-700", "below the minimum"),
    csv_case("integer column with fraction", 0, "hbm_stacks", "5.5", "is not an integer"),
    csv_case("missing source", 1, "source", "", "required but empty"),
    csv_case("unknown source id", 1, "source", "no_such_source", "neither a source id"),
    csv_case("missing as_of", 0, "as_of", "", "required but empty"),
    csv_case("impossible date", 0, "as_of", "2024-13-01", "not a valid date"),
    csv_case("US date format", 0, "announce_date", "03/22/2022", "is not a date"),
    csv_case("future as_of", 0, "as_of", "2999-01-01", "in the future"),
    csv_case("bad confidence", 2, "confidence", "certain", "not an allowed value"),
    csv_case("bad status", 2, "status", "shipped", "not an allowed value"),
    csv_case("bad id pattern", 2, "accelerator_id", "Groq LPU", "does not match the pattern"),
    csv_case("formula cell", 0, "product", '=HYPERLINK("http://evil.example")', "spreadsheet formula"),
    csv_case("fp8 below bf16", 1, "fp8_dense_tflops", "500", "must not fall at lower precision"),
    csv_case("bandwidth inconsistent with stacks", 0, "memory_bw_tb_s", "9.9", "implies"),
    csv_case("exemption not allowed", 0, "exempt_checks", "everything", "not an allowed value"),
    Case(
        "duplicate key",
        lambda raw: write_fixture(raw, ACC_ROWS + [ACC_ROWS[0]]),
        "accelerators.csv",
        5,
        "accelerator_id",
        "duplicate primary key",
    ),
    Case(
        "extra field",
        lambda raw: write_fixture(raw, ACC_ROWS[:2] + [ACC_ROWS[2] + ",surplus"]),
        "accelerators.csv",
        4,
        "",
        "fields, expected",
    ),
    Case(
        "empty file", lambda raw: (write_fixture(raw), raw_bytes(raw, b"")), "accelerators.csv", 0, "", "file is empty"
    ),
    Case(
        "header only",
        lambda raw: (write_fixture(raw), raw_bytes(raw, ACC_HEADER.encode() + b"\n")),
        "accelerators.csv",
        0,
        "",
        "no rows",
    ),
    Case(
        "wrong header",
        lambda raw: (
            write_fixture(raw),
            raw_bytes(raw, ("\n".join([ACC_HEADER.replace("memory_gib", "memory_tb"), *ACC_ROWS]) + "\n").encode()),
        ),
        "accelerators.csv",
        1,
        "",
        "missing memory_gib; unexpected memory_tb",
    ),
    Case(
        "non-UTF-8 bytes",
        lambda raw: (
            write_fixture(raw),
            raw_bytes(
                raw,
                ("\n".join([ACC_HEADER, ACC_ROWS[0], ACC_ROWS[1]]) + "\n").encode()
                + ACC_ROWS[2].replace("LPU", "LPU\xe9").encode("latin-1")
                + b"\n",
            ),
        ),
        "accelerators.csv",
        4,
        "",
        "is not UTF-8",
    ),
    Case(
        "unterminated quote",
        lambda raw: write_fixture(raw, ACC_ROWS + ['x_bad,"NVIDIA,oops']),
        "accelerators.csv",
        5,
        "",
        "malformed CSV",
    ),
    Case(
        "sidecar unit contradicts column name",
        lambda raw: (
            write_fixture(raw),
            edit_yaml(raw, "accelerators", lambda d: d["columns"]["memory_gib"].update(unit="TB")),
        ),
        "accelerators.yaml",
        0,
        "",
        "unit must be GiB",
        line_holds="memory_gib:",
    ),
    Case(
        "source path that is not in the repository",
        lambda raw: (
            write_fixture(raw),
            edit_yaml(
                raw,
                "accelerators",
                lambda d: d["sources"].append(
                    {
                        "id": "own_log",
                        "producer": "us",
                        "title": "log",
                        "path": "data/raw/vintages/none.json",
                        "accessed": "2026-11-26",
                    }
                ),
            ),
        ),
        "accelerators.yaml",
        0,
        "",
        "does not exist in the repository",
        line_holds="own_log",
    ),
    Case(
        "csv without sidecar",
        lambda raw: (write_fixture(raw), (raw / "orphan.csv").write_text("a\n1\n")),
        "orphan.csv",
        0,
        "",
        "no metadata sidecar",
    ),
    Case(
        "broken generation table",
        lambda raw: write_fixture(raw, gen_rows=GEN_ROWS[:1] + [GEN_ROWS[1].replace("1024", "wide", 1)]),
        "hbm_generations.csv",
        3,
        "interface_width_bits",
        "is not an integer",
    ),
]


def _line_holds(path: Path, line: int, text: str) -> bool:
    lines = path.read_text(encoding="utf-8").splitlines()
    return 0 < line <= len(lines) and text in lines[line - 1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fixture_is_valid(project):
    raw = project / "data" / "raw"
    write_fixture(raw)
    tables, problems = load_all(raw)
    assert problems == []
    assert tables["accelerators"].frame.height == 3
    assert tables["accelerators"].frame["notes"][1] == "a note, with a comma"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input_is_located_and_old_database_survives(project, case):
    raw, db = project / "data" / "raw", project / "data" / "processed" / "hbmcycle.duckdb"
    write_fixture(raw)
    build(raw=raw, db=db, parquet=project / "data" / "processed" / "parquet")
    before = digest(db)

    case.breaks(raw)
    with pytest.raises(ValidationError) as info:
        build(raw=raw, db=db, parquet=project / "data" / "processed" / "parquet")

    matching = [
        p
        for p in info.value.problems
        if p.file.endswith(case.file)
        and (_line_holds(raw / case.file, p.line, case.line_holds) if case.line_holds else p.line == case.line)
        and p.column == case.column
        and case.fragment in p.message
    ]
    assert matching, (
        f"no problem at {case.file}:{case.line} {case.column!r} containing {case.fragment!r}; got:\n{info.value}"
    )
    assert digest(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM accelerators").fetchone()[0] == 3


def test_every_problem_is_reported_in_one_run(project):
    raw = project / "data" / "raw"
    rows = rows_with(0, "memory_gib", "lots")
    rows[2] = set_cell(rows[2], "confidence", "sure")
    write_fixture(raw, rows)
    _, problems = load_all(raw)
    assert {(p.line, p.column) for p in problems} >= {(2, "memory_gib"), (4, "confidence")}


def test_message_names_file_line_column_value_and_expectation(project):
    raw = project / "data" / "raw"
    write_fixture(raw, rows_with(1, "memory_gib", "141GB"))
    _, problems = load_all(raw)
    text = str(problems[0])
    assert text.startswith(str(raw / "accelerators.csv") + ":3:") or "accelerators.csv:3:" in text
    assert "column 'memory_gib'" in text and "'141GB'" in text and "float in GiB" in text


def test_exempt_row_passes_bandwidth_check(project):
    raw = project / "data" / "raw"
    row = set_cell(set_cell(ACC_ROWS[0], "memory_bw_tb_s", "9.9"), "exempt_checks", "hbm_bandwidth")
    write_fixture(raw, [row, *ACC_ROWS[1:]])
    _, problems = load_all(raw)
    assert problems == []
