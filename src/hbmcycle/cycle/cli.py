"""`hbmcycle cycle ...`: run named scenarios of the supply-cycle model from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cycle import scenarios
from hbmcycle.cycle import simulate as sim

app = typer.Typer(help="HBM / DRAM supply-cycle scenarios (Monte Carlo).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """HBM / DRAM supply-cycle scenarios (Monte Carlo)."""


@app.command()
def simulate(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Named scenario from scenarios.yaml.")] = "base",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Override NAME=VALUE (repeatable).")] = None,
    paths: Annotated[int, typer.Option(min=1, max=2_000_000, help="Monte Carlo paths.")] = 10_000,
    horizon_quarters: Annotated[int, typer.Option(min=1, max=400, help="Quarters to simulate.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary instead of tables.")] = False,
) -> None:
    """Simulate a scenario; print glut/shortage probability by year and median paths."""
    try:
        params = scenarios.resolve(scenario, scenarios.parse_overrides(param))
    except scenarios.ParameterError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    result = sim.simulate(
        params, paths=paths, quarters=horizon_quarters, seed=seed, progress=None if not as_json else False
    )
    digest = sim.summary(result) | {"scenario": scenario, "seed": seed}
    if as_json:
        typer.echo(json.dumps(digest, indent=2))
        return
    console = Console()
    table = Table(title=f"{scenario}: {paths:,} paths x {horizon_quarters} quarters (seed {seed})")
    for col in ("year", "P(glut)", "P(shortage)", "median price", "median utilisation", "median balance"):
        table.add_column(col, justify="right")
    years = np.floor(result.time + 1e-9).astype(int)
    for row in digest["by_year"]:
        sel = years == row["year"]
        med = {v: float(np.median(result.get(v)[sel][-1])) for v in ("price", "utilisation", "balance")}
        table.add_row(
            str(row["year"]),
            f"{row['glut_probability']:.1%}",
            f"{row['shortage_probability']:.1%}",
            f"{med['price']:.2f}",
            f"{med['utilisation']:.1%}",
            f"{med['balance']:+.1%}",
        )
    console.print(table)
    console.print(
        "Medians at each year's last quarter. Glut: supply capacity >= "
        f"{params.glut_excess:.0%} above demand at the normal price in some quarter of the year."
    )
