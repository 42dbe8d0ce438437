"""Checks that span rows or tables: foreign keys, physics consistency, series contiguity.

Each check returns Problems located at the offending row's file line, so a user can
fix the CSV directly. Tolerances are stated here, once, and quoted in the messages.
"""

from __future__ import annotations

import polars as pl

from hbmcycle.validate import Problem, Table, display

# Vendors quote rounded bandwidths (H100 SXM "3.35 TB/s"), so allow 5 % slack
# around the pin-rate range of the HBM generation.
HBM_BANDWIDTH_TOLERANCE = 0.05
# A system's quoted total memory vs count x member memory: vendors round totals
# ("13.4 TB" for 72 x 186 GB), so 5 %.
SYSTEM_MEMORY_TOLERANCE = 0.05


def cross_check(tables: dict[str, Table]) -> list[Problem]:
    problems = []
    problems += foreign_keys(tables)
    problems += precision_order(tables)
    problems += hbm_bandwidth(tables)
    problems += system_memory(tables)
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
                problems.append(Problem(display(table.meta.yaml_path), 0, fk.column,
                                        f"foreign key references {fk.table}.{fk.target_column}, which does not exist"))
                continue
            valid = set(target.frame[fk.target_column].drop_nulls().to_list())
            for line, row in _rows(table):
                value = row[fk.column]
                if value is not None and value not in valid:
                    problems.append(Problem(display(table.meta.csv_path), line, fk.column,
                                            f"value {value!r} is not a {fk.table}.{fk.target_column}"))
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
                problems.append(Problem(display(acc.meta.csv_path), line, low_bits,
                                        f"value {lo:g} is below {high_bits} {hi:g}; dense throughput must not fall at lower precision"))
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
            problems.append(Problem(
                display(acc.meta.csv_path), line, "memory_bw_tb_s",
                f"value {bw:g} TB/s over {stacks} {row['memory_type']} stacks implies {pin:.2f} Gb/s per pin, outside "
                f"{pin_lo:g}-{pin_hi:g} Gb/s (±{tol:.0%}): expected {lo_bw:.2f}-{hi_bw:.2f} TB/s; "
                "fix the row or set exempt_checks=hbm_bandwidth with a reason in notes"))
    return problems


def system_memory(tables: dict[str, Table]) -> list[Problem]:
    """A system's total fast memory equals count x member memory (within tolerance)."""
    systems, acc = tables.get("systems"), tables.get("accelerators")
    if systems is None or acc is None:
        return []
    memory = dict(zip(acc.frame["accelerator_id"], acc.frame["memory_gb"]))
    problems = []
    for line, row in _rows(systems):
        member = memory.get(row["accelerator_id"])
        total, count = row.get("total_fast_memory_gb"), row.get("accelerator_count")
        if member is None or total is None or not count or _exempt(row, "system_memory"):
            continue
        expected = count * member
        if abs(total - expected) > SYSTEM_MEMORY_TOLERANCE * expected:
            problems.append(Problem(display(systems.meta.csv_path), line, "total_fast_memory_gb",
                                    f"value {total:g} GB differs from {count} x {member:g} GB = {expected:g} GB "
                                    f"by more than {SYSTEM_MEMORY_TOLERANCE:.0%}"))
    return problems


def contiguity(tables: dict[str, Table]) -> list[Problem]:
    """Series declared contiguous in a sidecar (`checks: contiguous: [...]`) have no gaps.

    Sidecar form::

        checks:
          contiguous:
            - {column: year, group_by: [company], where_null: quarter}
    """
    problems = []
    for table in tables.values():
        for spec in table.meta.checks.get("contiguous", []) or []:
            frame = table.frame.with_row_index("_i")
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
                    problems.append(Problem(display(table.meta.csv_path), first_line, column,
                                            f"series {dict(zip(group_by, key))} claims to be contiguous but lacks "
                                            f"{', '.join(map(str, gaps))}"))
    return problems
