"""Printing the system-level validation (``hbmcycle model validate --level system``)."""

from __future__ import annotations

import json

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.inference import system_validation as sv

console = Console()


def system_table(fitted) -> pl.DataFrame:
    """The saved system validation table of the current constants (empty without the system fit)."""
    rows = fitted.record.get("system", {}).get("validation", [])
    return pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.col(pl.Float64).fill_null(float("nan")))


def print_system_validation(fitted, json_output: bool) -> None:
    """Every row (predicted vs measured), then median and max |error| per split, scenario, vendor and round."""
    table = system_table(fitted)
    if table.is_empty():
        typer.echo("error: the calibration has no system-level fit; rebuild with `hbmcycle data build`", err=True)
        raise typer.Exit(code=2)
    if json_output:
        typer.echo(json.dumps(table.with_columns(pl.col(pl.Float64).fill_nan(None)).to_dicts()))
        return
    out = Table(title="System-level validation: tokens/s per accelerator")
    for column in (
        "result",
        "round",
        "scenario",
        "gpus",
        "prec",
        "split",
        "maturity",
        "measured",
        "predicted",
        "error",
    ):
        out.add_column(column, overflow="fold")
    for row in table.iter_rows(named=True):
        out.add_row(
            row["result_id"],
            row["round"] or "InferenceX",
            row["scenario"],
            str(row["gpus"]),
            row["precision"],
            row["split"],
            f"{row['maturity']:.2f} ({row['maturity_from']})",
            f"{row['measured_tokens_per_s_per_accelerator']:,.0f}",
            f"{row['predicted_tokens_per_s_per_accelerator']:,.0f}",
            f"{row['error']:+.0%}" if row["error"] == row["error"] else row["bound"],
        )
    console.print(out)
    for by in ("split", "scenario", "vendor", "round"):
        _print_summary(sv.summary(table, by), by)
    for key, fit in fitted.maturity.items():
        flag = "  (at its bound: the fit wanted a value outside the allowed range)" if fit.get("at_bound") else ""
        console.print(
            f"maturity {key}: {fit['factor']:.3f} from {fit['rows']} rows ({fit['rounds']}; {fit['engines']}){flag}"
        )
    head = sv.headline(table)
    console.print(
        f"MLPerf Llama-2-70B Offline, latest validation round per accelerator ({head['rows'].height} accelerators): "
        f"median |error| {head['median_abs_error']:.1%}, Spearman {head['spearman']:.2f}"
    )
    console.print(f"[dim]{fitted.label}; {fitted.record['system']['split']}[/dim]")


def _print_summary(summary: pl.DataFrame, by: str) -> None:
    out = Table(title=f"|predicted / measured - 1| by {by}")
    for column in (by, "rows", "median |error|", "max |error|"):
        out.add_column(column, justify="right")
    for row in summary.iter_rows(named=True):
        out.add_row(str(row[by]), str(row["rows"]), f"{row['median_abs_error']:.1%}", f"{row['max_abs_error']:.1%}")
    console.print(out)
