"""The one formatting layer for report tables: units in headers, sensible precision, long lists collapsed.

Column names follow the data convention (unit as suffix: ``memory_bw_tb_s``, ``usd_per_mtok``);
:func:`header` turns them into "Memory bandwidth (TB/s)". Numbers get 3 significant digits and
thousands separators, very large or small ones a power of ten, fractions named ``*_share`` or
``*_frac`` (or listed in ``percent=``) are shown in percent, booleans as yes/no, a ``verdict``
column as coloured badges. Text columns are left-aligned, numbers right-aligned. A table longer
than ``collapse_after`` rows sits in a ``<details>`` element a reader opens on demand. Written on
polars (no pandas import in every kernel); great_tables was measured at about 0.66 s of import
per kernel on a loaded machine.
"""

from __future__ import annotations

import dataclasses
import math
from html import escape

import polars as pl

# Unit suffixes (longest first) -> unit shown in the header.
UNITS: tuple[tuple[str, str], ...] = (
    ("tokens_per_s_per_mw", "tok/s per MW"),
    ("tokens_per_s", "tok/s"),
    ("tok_s_per_mw", "tok/s per MW"),
    ("tok_s", "tok/s"),
    ("usd_per_mtok", "$ per Mtok"),
    ("usd_per_gpu_hour", "$ per GPU-hour"),
    ("usd_per_hour", "$ per hour"),
    ("gib_tb_s", "GiB·TB/s"),
    ("usd_b", "$ bn"),
    ("units_k", "thousand units"),
    ("tb_s", "TB/s"),
    ("gb_s", "GB/s"),
    ("tflops", "TFLOP/s"),
    ("gflop", "GFLOP"),
    ("gib", "GiB"),
    ("gb", "GB"),
    ("eb", "EB"),
    ("kw", "kW"),
    ("mw", "MW"),
    ("pct", "%"),
    ("us", "µs"),
    ("ms", "ms"),
    ("w", "W"),
    ("s", "s"),
)
PERCENT_SUFFIXES = ("_share", "_frac", "_fraction", "cagr")
WORDS = {
    "hbm": "HBM",
    "dram": "DRAM",
    "ddr5": "DDR5",
    "gpu": "GPU",
    "gpus": "GPUs",
    "bw": "bandwidth",
    "id": "ID",
    "kv": "KV",
    "bf16": "BF16",
    "fp8": "FP8",
    "fp4": "FP4",
    "loo": "leave-one-out",
    "vif": "VIF",
    "r2": "R²",
    "cagr": "CAGR",
    "mlperf": "MLPerf",
    "tdp": "TDP",
    "se": "SE",
    "p10": "P10",
    "p90": "P90",
    "x": "×",
    "eb": "EB",
}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def split_unit(column: str) -> tuple[str, str]:
    """``memory_bw_tb_s`` -> (``memory_bw``, ``TB/s``); a name without a known unit suffix keeps it whole."""
    for suffix, unit in UNITS:
        if column == suffix:
            return "", unit
        if column.endswith("_" + suffix):
            return column[: -len(suffix) - 1], unit
    return column, ""


def is_percent(column: str) -> bool:
    return column.endswith(PERCENT_SUFFIXES)


def header(column: str, percent: bool = False) -> str:
    """A column name as a reader's header with its unit: ``usd_per_mtok`` -> "$ per Mtok"-style text."""
    if " " in column or not column.islower():
        return column  # already written for readers
    stem, unit = split_unit(column)
    words = [WORDS.get(w, w) for w in stem.split("_") if w]
    text = " ".join(words)
    text = text[:1].upper() + text[1:]
    if percent:
        unit = "%"
    if not text:
        return unit
    return f"{text} ({unit})" if unit else text


def number(value: float | int, percent: bool = False, year: bool = False) -> str:
    """A number for a reader: ints with separators, floats to 3 significant digits, powers of ten at the ends."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if year else f"{value:,}"
    if not math.isfinite(value):
        return "" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if percent:
        value *= 100
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e7 or magnitude < 1e-3:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPT)}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cell(value: object, column: str, percent: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return number(value, percent=percent, year=column.endswith("year"))
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    if column == "verdict":
        from hbmcycle.reports.summary import badge, normalise

        try:
            return badge(normalise(str(value)))
        except ValueError:
            pass  # not one of the five verdicts: shown as text
    return escape(str(value))


def table(
    frame: pl.DataFrame,
    link: tuple[str, str] | None = None,
    percent: tuple[str, ...] | list[str] = (),
    collapse_after: int = 25,
    caption: str | None = None,
    max_rows: int = 2000,
):
    """A polars frame as a formatted HTML table for a report (an IPython HTML object).

    ``link=(text_column, url_column)`` turns text_column into a link to url_column and drops
    url_column. ``percent`` names fraction columns shown in percent (``*_share``/``*_frac`` are
    detected). More than ``collapse_after`` rows: the table is collapsed behind a summary line.
    """
    from IPython.display import HTML

    return HTML(table_html(frame, link, percent, collapse_after, caption, max_rows))


def table_html(frame, link=None, percent=(), collapse_after=25, caption=None, max_rows=2000) -> str:
    columns = [c for c in frame.columns if not link or c != link[1]]
    pct = {c: c in percent or is_percent(c) for c in columns}
    numeric = {c: frame.schema[c].is_numeric() or frame.schema[c] == pl.Boolean for c in columns}
    cls = {c: ' class="num"' if numeric[c] else "" for c in columns}
    head = "".join(f"<th{cls[c]}>{escape(header(c, pct[c]))}</th>" for c in columns)
    rows = []
    for row in frame.head(max_rows).iter_rows(named=True):
        cells = []
        for c in columns:
            text = _cell(row[c], c, pct[c])
            if link and c == link[0] and row.get(link[1]):
                text = f'<a href="{escape(row[link[1]])}">{text}</a>'
            cells.append(f"<td{cls[c]}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f" (first {max_rows} of {frame.height})" if frame.height > max_rows else ""
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    html = (
        f'<div class="hbm-table"><table class="dataframe">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if frame.height > collapse_after:
        label = escape(caption or "table")
        html = f"<details class='hbm-collapsed'><summary>{label}: {frame.height} rows{more} (show)</summary>{html}</details>"
    return html


def mapping(values: dict, key: str = "parameter", value: str = "value", caption: str | None = None):
    """A dict (assumptions, settings) as a two-column table instead of a printed Python dict."""
    keys = [str(k) for k in values]
    cells = [
        number(v, percent=True) if is_percent(k) and _is_number(v) else _plain(v) for k, v in zip(keys, values.values())
    ]
    frame = pl.DataFrame({key: [header(k, is_percent(k)) for k in keys], value: cells})
    return table(frame, caption=caption)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: object) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, bool | int | float):
        return number(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)
