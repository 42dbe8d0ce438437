"""`hbmcycle hbm ...`: the bottom-up HBM market from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cycle.scenarios import parse_overrides
from hbmcycle.market import balance as bal
from hbmcycle.market import params, reconcile
from hbmcycle.market.inputs import VENDORS

app = typer.Typer(help="HBM market bottom-up: demand, supply by vendor, prices, balance.", no_args_is_help=True)

ScenarioOption = Annotated[str, typer.Option("--scenario", "-s", help="Named scenario (market/scenarios.yaml).")]
ParamOption = Annotated[list[str] | None, typer.Option("--param", "-p", help="Override NAME=VALUE (repeatable).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON records instead of a table.")]


@app.callback()
def _group() -> None:
    """HBM market bottom-up: demand, supply by vendor, prices, balance."""


def _resolve(scenario: str, param: list[str] | None) -> dict[str, str]:
    try:
        overrides = parse_overrides(param)
        params.resolve(scenario, overrides)
    except params.ParameterError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    return overrides


def _run(scenario: str, overrides: dict[str, str]):
    try:
        return bal.run_scenario(scenario, overrides)
    except (KeyError, ValueError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None


@app.command("balance")
def balance_command(scenario: ScenarioOption = "base", param: ParamOption = None, as_json: JsonOption = False) -> None:
    """Per year 2023-2030: HBM demand and supply (EB), balance, prices and vendor shares."""
    overrides = _resolve(scenario, param)
    run = _run(scenario, overrides)
    frame = bal.yearly(run)
    if as_json:
        typer.echo(json.dumps([{"scenario": scenario} | r for r in frame.to_dicts()], indent=2))
        return
    threshold = params.resolve(scenario, overrides)["glut_threshold"]
    table = Table(title=f"HBM market, scenario {scenario}")
    heads = ["year", "demand EB", "supply EB", "balance", "state", "HBM price (2024=1)", "HBM/DDR5 $/bit (x)"]
    for col in heads + [f"{v} share" for v in VENDORS]:
        table.add_column(col, justify="right")
    for r in frame.iter_rows(named=True):
        cells = [str(r["year"]), f"{r['demand_eb']:.2f}", f"{r['supply_eb']:.2f}", f"{r['balance']:+.0%}", r["state"]]
        cells += [f"{r['hbm_price_index']:.2f}", f"{r['hbm_premium_vs_ddr5_x']:.1f}"]
        table.add_row(*cells, *(f"{r[f'share_{v}']:.0%}" for v in VENDORS))
    console = Console(width=max(Console().width, 140))
    console.print(table)
    console.print(
        f"EB = 1e18 bytes. balance = supply / demand - 1; glut >= +{threshold:.0%}, shortage <= -{threshold:.0%}. "
        "Price index 2024 = 1; premium = HBM $/bit over DDR5 $/bit. Shares are of modelled bits."
    )


@app.command("reconcile")
def reconcile_command(
    scenario: ScenarioOption = "base", param: ParamOption = None, as_json: JsonOption = False
) -> None:
    """The model's figures beside each published one, with the gap in percent."""
    overrides = _resolve(scenario, param)
    run = _run(scenario, overrides)
    from hbmcycle.data.db import read_tables
    from hbmcycle.market import TABLES

    frame = reconcile.table(run, read_tables(TABLES), params.resolve(scenario, overrides)["reconcile_tolerance"])
    if as_json:
        typer.echo(json.dumps(frame.to_dicts(), indent=2))
        return
    table = Table(title=f"Reconciliation, scenario {scenario}")
    for col in ("figure", "year", "published", "bound", "model", "gap_pct", "status", "source"):
        table.add_column(col)
    for r in frame.iter_rows(named=True):
        pub = f"{r['published']:.3g}" + (f" to {r['published_high']:.3g}" if r["published_high"] is not None else "")
        gap = "" if r["gap_pct"] is None else f"{r['gap_pct']:+.0f}%"
        table.add_row(r["figure"], str(r["year"]), pub, r["bound"], f"{r['model']:.3g}", gap, r["status"], r["source"])
    Console(width=max(Console().width, 160)).print(table)
