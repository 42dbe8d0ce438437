"""Checks that span rows or tables: foreign keys, physics consistency, series contiguity.

Each check returns Problems located at the offending row's file line, so a user can
fix the CSV directly. Tolerances are stated here, once, and quoted in the messages.
"""

from __future__ import annotations

import re

import polars as pl

from hbmcycle.data.types import Problem, Table, display

# Vendors quote rounded bandwidths (H100 SXM "3.35 TB/s"), so allow 5 % slack
# around the pin-rate range of the HBM generation.
HBM_BANDWIDTH_TOLERANCE = 0.05
# A system's quoted total memory (or aggregate bandwidth) vs count x member figure:
# vendors round totals ("13.4 TB" for 72 x 186 GB), so 5 %.
SYSTEM_MEMORY_TOLERANCE = 0.05
# Per-accelerator benchmark throughput is total / count, rounded by the compiler: 1 %.
PER_ACCELERATOR_TOLERANCE = 0.01
# An HBM product's quoted capacity vs stack height x die density: exact up to the
# rounding of a quoted "24GB", so 1 %.
HBM_CAPACITY_TOLERANCE = 0.01
# A shipment row's HBM per unit vs its accelerator's memory: analysts quote the
# headline capacity ("192 GB") where the datasheet gives usable (186 GB), so 5 %.
SHIPMENT_MEMORY_TOLERANCE = 0.05
# Calendar periods: "YYYY" for a year, "YYYYQn" for a quarter.
PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


def cross_check(tables: dict[str, Table]) -> list[Problem]:
    problems = []
    problems += foreign_keys(tables)
    problems += precision_order(tables)
    problems += hbm_bandwidth(tables)
    problems += system_memory(tables)
    problems += benchmark_per_accelerator(tables)
    problems += hbm_products(tables)
    problems += shipment_memory(tables)
    problems += period_consistency(tables)
    problems += contiguity(tables)
    return problems


def _rows(table: Table):
    """(file line, row dict) pairs."""
    return zip(table.lines, table.frame.iter_rows(named=True))


def _exempt(row: dict, check: str) -> bool:
    return check in [s.strip() for s in (row.get("exempt_checks") or "").split(";")]


def foreign_keys(tables: dict[str, Table]) -> list[Problem]:
    problems = []
    for table in tables.values():
        for fk in table.meta.foreign_keys:
            target = tables.get(fk.table)
            if target is None:
                continue  # target missing or invalid: its own problems are reported
            if fk.target_column not in target.frame.columns:
                problems.append(
                    Problem(
                        display(table.meta.yaml_path),
                        0,
                        fk.column,
                        f"foreign key references {fk.table}.{fk.target_column}, which does not exist",
                    )
                )
                continue
            valid = set(target.frame[fk.target_column].drop_nulls().to_list())
            for line, row in _rows(table):
                value = row[fk.column]
                if value is not None and value not in valid:
                    problems.append(
                        Problem(
                            display(table.meta.csv_path),
                            line,
                            fk.column,
                            f"value {value!r} is not a {fk.table}.{fk.target_column}",
                        )
                    )
    return problems


def precision_order(tables: dict[str, Table]) -> list[Problem]:
    """Halving the bits never lowers peak dense throughput: FP4 >= FP8 >= BF16."""
    acc = tables.get("accelerators")
    if acc is None:
        return []
    problems = []
    pairs = [("fp8_dense_tflops", "bf16_dense_tflops"), ("fp4_dense_tflops", "fp8_dense_tflops")]
    for line, row in _rows(acc):
        for low_bits, high_bits in pairs:
            lo, hi = row.get(low_bits), row.get(high_bits)
            if lo is not None and hi is not None and lo < hi:
                problems.append(
                    Problem(
                        display(acc.meta.csv_path),
                        line,
                        low_bits,
                        f"value {lo:g} is below {high_bits} {hi:g}; dense throughput must not fall at lower precision",
                    )
                )
    return problems


def hbm_bandwidth(tables: dict[str, Table]) -> list[Problem]:
    """memory_bw ~ stacks x width x pin rate, with the pin rate inside the generation's range."""
    acc, gens = tables.get("accelerators"), tables.get("hbm_generations")
    if acc is None or gens is None:
        return []
    by_gen = {r["generation"]: r for r in gens.frame.iter_rows(named=True)}
    problems = []
    tol = HBM_BANDWIDTH_TOLERANCE
    for line, row in _rows(acc):
        gen = by_gen.get(row["memory_type"])
        stacks, bw = row.get("hbm_stacks"), row.get("memory_bw_tb_s")
        if gen is None or not stacks or bw is None or _exempt(row, "hbm_bandwidth"):
            continue
        width = gen["interface_width_bits"]
        pin_lo, pin_hi = gen["pin_rate_gbps_min"], gen["pin_rate_gbps_shipping_max"]
        if not width or pin_lo is None or pin_hi is None:
            continue
        pin = bw * 1e3 * 8 / (stacks * width)  # TB/s -> Gb/s per pin
        if not pin_lo * (1 - tol) <= pin <= pin_hi * (1 + tol):
            lo_bw = stacks * width * pin_lo / 8e3
            hi_bw = stacks * width * pin_hi / 8e3
            problems.append(
                Problem(
                    display(acc.meta.csv_path),
                    line,
                    "memory_bw_tb_s",
                    f"value {bw:g} TB/s over {stacks} {row['memory_type']} stacks implies {pin:.2f} Gb/s per pin, outside "
                    f"{pin_lo:g}-{pin_hi:g} Gb/s (±{tol:.0%}): expected {lo_bw:.2f}-{hi_bw:.2f} TB/s; "
                    "fix the row or set exempt_checks=hbm_bandwidth with a reason in notes",
                )
            )
    return problems


def system_memory(tables: dict[str, Table]) -> list[Problem]:
    """A system's total fast memory and aggregate bandwidth equal count x member figure
    (within tolerance)."""
    systems, acc = tables.get("systems"), tables.get("accelerators")
    if systems is None or acc is None:
        return []
    members = {r["accelerator_id"]: r for r in acc.frame.iter_rows(named=True)}
    pairs = [("total_fast_memory_gib", "memory_gib", "GiB"), ("aggregate_memory_bw_tb_s", "memory_bw_tb_s", "TB/s")]
    problems = []
    for line, row in _rows(systems):
        member, count = members.get(row["accelerator_id"]), row.get("accelerator_count")
        if member is None or not count or _exempt(row, "system_memory"):
            continue
        for total_column, member_column, unit in pairs:
            total, each = row.get(total_column), member[member_column]
            if total is None or each is None:
                continue
            expected = count * each
            if abs(total - expected) > SYSTEM_MEMORY_TOLERANCE * expected:
                problems.append(
                    Problem(
                        display(systems.meta.csv_path),
                        line,
                        total_column,
                        f"value {total:g} {unit} differs from {count} x {each:g} {unit} = {expected:g} {unit} "
                        f"by more than {SYSTEM_MEMORY_TOLERANCE:.0%}",
                    )
                )
    return problems


def benchmark_per_accelerator(tables: dict[str, Table]) -> list[Problem]:
    """tokens_per_s_per_accelerator = tokens_per_s / accelerator_count."""
    bench = tables.get("inference_benchmarks")
    if bench is None:
        return []
    problems = []
    for line, row in _rows(bench):
        total, count, each = row["tokens_per_s"], row["accelerator_count"], row["tokens_per_s_per_accelerator"]
        if total is None or not count or each is None:
            continue
        expected = total / count
        if abs(each - expected) > PER_ACCELERATOR_TOLERANCE * expected:
            problems.append(
                Problem(
                    display(bench.meta.csv_path),
                    line,
                    "tokens_per_s_per_accelerator",
                    f"value {each:g} differs from tokens_per_s / accelerator_count = {total:g} / {count} = "
                    f"{expected:g} by more than {PER_ACCELERATOR_TOLERANCE:.0%}",
                )
            )
    return problems


def hbm_products(tables: dict[str, Table]) -> list[Problem]:
    """An HBM product agrees with its generation: bandwidth per stack = pin rate x interface
    width / 8 (GB/s), capacity = stack height x die density / 8 (GiB; dies are binary), and the stack height
    is one the generation defines."""
    products, gens = tables.get("hbm_products"), tables.get("hbm_generations")
    if products is None or gens is None:
        return []
    by_gen = {r["generation"]: r for r in gens.frame.iter_rows(named=True)}
    name = display(products.meta.csv_path)
    problems = []
    for line, row in _rows(products):
        gen = by_gen.get(row["generation"])
        if gen is None:
            continue  # the foreign key check reports it
        pin, bw, width = row["pin_rate_gbps"], row["bw_per_stack_gb_s"], gen["interface_width_bits"]
        if pin is not None and bw is not None and width:
            expected = pin * width / 8
            if abs(bw - expected) > HBM_BANDWIDTH_TOLERANCE * expected:
                problems.append(
                    Problem(
                        name,
                        line,
                        "bw_per_stack_gb_s",
                        f"value {bw:g} GB/s differs from {pin:g} Gb/s x {width} bits / 8 = {expected:g} GB/s "
                        f"by more than {HBM_BANDWIDTH_TOLERANCE:.0%}",
                    )
                )
        height, density, capacity = row["stack_height"], row["die_density_gbit"], row["capacity_gib"]
        if height and density and capacity is not None:
            expected = height * density / 8
            if abs(capacity - expected) > HBM_CAPACITY_TOLERANCE * expected:
                problems.append(
                    Problem(
                        name,
                        line,
                        "capacity_gib",
                        f"value {capacity:g} GiB differs from {height} dies x {density:g} Gbit / 8 = {expected:g} GiB",
                    )
                )
        heights = [int(h) for h in (gen["stack_heights"] or "").split(";") if h.strip()]
        if height and heights and height not in heights:
            problems.append(
                Problem(
                    name,
                    line,
                    "stack_height",
                    f"value {height} is not a {row['generation']} stack height "
                    f"({', '.join(map(str, heights))} per hbm_generations)",
                )
            )
    return problems


def shipment_memory(tables: dict[str, Table]) -> list[Problem]:
    """A shipment row naming an accelerator quotes that accelerator's HBM per unit."""
    shipments, acc = tables.get("accelerator_shipments"), tables.get("accelerators")
    if shipments is None or acc is None:
        return []
    memory = dict(zip(acc.frame["accelerator_id"], acc.frame["memory_gib"]))
    problems = []
    for line, row in _rows(shipments):
        member, quoted = memory.get(row["accelerator_id"]), row["hbm_gib_per_unit"]
        if member is None or quoted is None:
            continue
        if abs(quoted - member) > SHIPMENT_MEMORY_TOLERANCE * member:
            problems.append(
                Problem(
                    display(shipments.meta.csv_path),
                    line,
                    "hbm_gib_per_unit",
                    f"value {quoted:g} GiB differs from accelerators.memory_gib {member:g} GiB of "
                    f"{row['accelerator_id']} by more than {SHIPMENT_MEMORY_TOLERANCE:.0%}",
                )
            )
    return problems


def period_consistency(tables: dict[str, Table]) -> list[Problem]:
    """A period label agrees with its year and quarter columns: `2023Q1` has year 2023 and
    quarter 1; `2023` has year 2023 and no quarter.

    Sidecar form::

        checks:
          period: {column: period, year: year, quarter: quarter}
    """
    problems = []
    for table in tables.values():
        spec = table.meta.checks.get("period")
        if not spec:
            continue
        name = display(table.meta.csv_path)
        for line, row in _rows(table):
            match = PERIOD.match(row[spec["column"]] or "")
            if not match:
                continue  # the column's pattern reports malformed labels
            year, quarter = int(match[1]), int(match[2]) if match[2] else None
            if row[spec["year"]] != year:
                problems.append(
                    Problem(
                        name,
                        line,
                        spec["year"],
                        f"value {row[spec['year']]} disagrees with {spec['column']} {match[0]!r} (expected {year})",
                    )
                )
            if row[spec["quarter"]] != quarter:
                expected = "empty for an annual period" if quarter is None else str(quarter)
                problems.append(
                    Problem(
                        name,
                        line,
                        spec["quarter"],
                        f"value {row[spec['quarter']]} disagrees with {spec['column']} {match[0]!r} (expected {expected})",
                    )
                )
    return problems


def contiguity(tables: dict[str, Table]) -> list[Problem]:
    """Series declared contiguous in a sidecar (`checks: contiguous: [...]`) have no gaps.

    Sidecar form::

        checks:
          contiguous:
            - {column: year, group_by: [company], where_null: quarter, where: {company: industry}}

    `where` keeps rows whose columns equal the given values; `where_null` keeps rows
    where that column is empty; `where_false` drops rows where that boolean is true.
    """
    problems = []
    for table in tables.values():
        for spec in table.meta.checks.get("contiguous", []) or []:
            frame = table.frame.with_row_index("_i")
            for name, value in (spec.get("where") or {}).items():
                frame = frame.filter(pl.col(name) == value)
            if spec.get("where_null"):
                frame = frame.filter(pl.col(spec["where_null"]).is_null())
            if spec.get("where_false"):
                frame = frame.filter(~pl.col(spec["where_false"]).fill_null(False))
            column, group_by = spec["column"], spec.get("group_by") or []
            groups = frame.group_by(group_by) if group_by else [((), frame)]
            for key, group in groups:
                years = sorted(group[column].drop_nulls().to_list())
                gaps = [y for y in range(years[0], years[-1] + 1) if y not in set(years)] if years else []
                if gaps:
                    first_line = table.lines[group["_i"][0]]
                    problems.append(
                        Problem(
                            display(table.meta.csv_path),
                            first_line,
                            column,
                            f"series {dict(zip(group_by, key))} claims to be contiguous but lacks "
                            f"{', '.join(map(str, gaps))}",
                        )
                    )
    return problems
