"""`hbmcycle cycle ...`: run named scenarios of the supply-cycle model from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cli_errors import fail, integer
from hbmcycle.cycle import scenarios, stream
from hbmcycle.cycle.backtest_cli import backtest_command

app = typer.Typer(help="HBM / DRAM supply-cycle scenarios (Monte Carlo).", no_args_is_help=True, rich_markup_mode=None)


@app.callback()
def _group() -> None:
    """HBM / DRAM supply-cycle scenarios (Monte Carlo)."""


@app.command()
def simulate(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Named scenario from scenarios.yaml.")] = "base",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Override NAME=VALUE (repeatable).")] = None,
    paths: Annotated[
        int, typer.Option(parser=integer(1, 2_000_000), help="Monte Carlo paths (1 to 2,000,000).")
    ] = 10_000,
    horizon_quarters: Annotated[
        int, typer.Option(parser=integer(1, 400), help="Quarters to simulate (1 to 400).")
    ] = 40,
    seed: Annotated[int, typer.Option(parser=integer(0), help="Random seed, 0 or more (same seed, same result).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary instead of tables.")] = False,
) -> None:
    """Simulate a scenario; print glut/shortage probability by year and median paths.

    Paths are simulated in chunks (memory stays under ~0.5 GB at any size); probabilities are
    exact counts, medians come from fine histograms (the method is printed).
    """
    odd = [p for p in param or [] if any(c.isdigit() and not c.isascii() for c in p)]
    if odd:
        fail(f"--param {odd[0]!r} has non-ASCII digits; write numbers with 0-9")
    try:
        params = scenarios.resolve(scenario, scenarios.parse_overrides(param))
    except scenarios.ParameterError as e:
        fail(str(e))
    digest = stream.digest(
        params, paths, horizon_quarters, seed, progress=not as_json and paths * horizon_quarters > 5_000_000
    )
    digest |= {"scenario": scenario, "seed": seed}
    if as_json:
        typer.echo(json.dumps(digest, indent=2))
        return
    console = Console()
    table = Table(title=f"{scenario}: {paths:,} paths x {horizon_quarters} quarters (seed {seed})")
    for col in ("year", "P(glut)", "P(shortage)", "median price (index)", "median utilisation", "median balance"):
        table.add_column(col, justify="right")
    for row in digest["by_year"]:
        table.add_row(
            str(row["year"]),
            f"{row['glut_probability']:.1%}",
            f"{row['shortage_probability']:.1%}",
            f"{row['median_price']:.2f}",
            f"{row['median_utilisation']:.1%}",
            f"{row['median_balance']:+.1%}",
        )
    console.print(table)
    console.print(
        "Medians at each year's last quarter. Glut: supply capacity >= "
        f"{params.glut_excess:.0%} above demand at the normal price in some quarter of the year. "
        f"Medians from {digest['median_method']}.",
        markup=False,
        highlight=False,
    )


app.command("backtest")(backtest_command)
