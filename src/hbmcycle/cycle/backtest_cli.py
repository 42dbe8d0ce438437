"""`hbmcycle cycle backtest`: the cycle model fitted on early DRAM history, scored on later history.

Mounted on the `cycle` group by cycle/cli.py, which holds the other cycle commands.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def backtest_command(
    paths: Annotated[
        int | None, typer.Option(min=20, max=100_000, help="Paths per grid point (default: scenarios.yaml).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Fit the cycle model on the fit window of DRAM revenue; print in-sample and out-of-sample errors."""
    from hbmcycle.cycle import validate
    from hbmcycle.data.db import read_table

    try:
        market = read_table("dram_market")
    except (KeyError, OSError, ValueError) as e:
        typer.echo(f"error: cannot read dram_market: {e}", err=True)
        raise typer.Exit(1) from None
    result = validate.run(market, paths=paths, seed=seed, progress=not as_json)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    console = Console()
    best = ", ".join(f"{k}={v:g}" + (" (grid edge)" if result.on_edge[k] else "") for k, v in result.best.items())
    console.print(f"Fit window {result.fit_years[0]}-{result.fit_years[1]}, test window "
                  f"{result.test_years[0]}-{result.test_years[1]}; best grid point: {best}")  # fmt: skip
    stale = {k: v for k, v in result.defaults_vs_fit().items() if v["fitted"] != v["scenario_default"]}
    if stale:
        console.print("[yellow]scenarios.yaml defaults differ from this fit:[/yellow] " + ", ".join(
            f"{k} {v['scenario_default']:g} vs fitted {v['fitted']:g}" for k, v in stale.items()))  # fmt: skip
    if result.gaps:
        console.print(
            f"Years without an actual revenue figure (forecasts excluded): {', '.join(map(str, result.gaps))}"
        )
    table = Table(title="Cycle statistics: observed vs fitted model (median, 10-90 % of paths)")
    for col in (
        "metric",
        "window",
        "observed",
        "model_median",
        "model_p10_p90",
        "log_error",
        "inside",
        "naive_log_error",
    ):
        table.add_column(col, justify="right")
    for r in result.errors.iter_rows(named=True):
        naive = "" if r["naive_log_error"] is None else f"{r['naive_log_error']:+.2f}"
        table.add_row(
            r["metric"], r["window"], f"{r['observed']:.2f}", f"{r['model_median']:.2f}",
            f"{r['model_p10']:.2f} to {r['model_p90']:.2f}", f"{r['log_error']:+.2f}",
            {True: "yes", False: "no", None: ""}[r["inside_p10_p90"]], naive,
        )  # fmt: skip
    console.print(table)
    console.print("log_error = ln(|model median| / |observed|); naive = the fit window's observed value used as the "
                  "forecast for the test window. period in years, drawdown/upswing as fractions.")  # fmt: skip
