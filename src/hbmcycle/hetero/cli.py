"""Command line: ``compare`` prints each serving option's throughput/interactivity frontier.

The lead mounts ``app`` as ``hbmcycle hetero``.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.scenario import Choice, load_scenario
from hbmcycle.inference.names import UnknownNameError

app = typer.Typer(
    help="Heterogeneous inference: GPU, SRAM-chip and disaggregated serving options.", no_args_is_help=True
)

COLUMNS = [
    "option",
    "per_user_tokens_per_s",
    "tokens_per_s_per_mw",
    "usd_per_mtok",
    "tokens_per_s_per_chip",
    "tokens_per_s_per_rack",
    "batch",
    "microbatches",
    "gpus",
    "lpus",
    "wafers",
    "prefill_chips",
]


@app.callback()
def hetero() -> None:
    """Heterogeneous inference: GPU, SRAM-chip and disaggregated serving options."""


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@app.command("compare")
def compare_command(
    model: str = typer.Option(..., "--model", help="Model id or name, e.g. llama-3.3-70b, kimi-k2"),
    context: int = typer.Option(..., "--context", min=1, help="Tokens in each sequence's KV cache (and prompt length)"),
    output_tokens: int = typer.Option(
        1024, "--output-tokens", min=1, help="Tokens generated per request (prefill load)"
    ),
    weights: str = typer.Option("fp8", "--weights", help="Weight precision: bf16, fp8, fp4"),
    kv: str = typer.Option("fp8", "--kv", help="KV-cache precision: bf16, fp8"),
    stack: str = typer.Option("lean", "--stack", help="Serving-stack overheads: lean (assumed) or calibrated (fitted)"),
    throughput: str = typer.Option(
        "tokens_per_s_per_mw",
        "--per",
        help="Frontier axis: tokens_per_s_per_mw, tokens_per_s_per_chip, tokens_per_s_per_rack",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON: a list of frontier points"),
) -> None:
    """Frontier points (per-user speed vs throughput) of GPU-only, GPU+LPX AFD, SRAM-only and GPU prefill + SRAM decode."""
    allowed = ("tokens_per_s_per_mw", "tokens_per_s_per_chip", "tokens_per_s_per_rack")
    if throughput not in allowed:
        _fail(f"--per must be one of {', '.join(allowed)}")
    try:
        scenario = load_scenario(
            Choice(model=model, context=context, output_tokens=output_tokens, weights=weights, kv=kv, stack=stack)
        )
        points, skipped = dis.all_points(scenario)
    except FileNotFoundError as exc:
        _fail(f"{exc}; build the database first with `hbmcycle data build`")
    except (UnknownNameError, ValueError) as exc:
        _fail(str(exc))
    front = dis.overall_pareto(dis.frontier(points, throughput), throughput)
    shown = front.select(COLUMNS + ["overall_optimal"])
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "model": str(scenario.model.model_id[0]),
                    "context": context,
                    "stack": stack,
                    "skipped": skipped,
                    "points": shown.to_dicts(),
                }
            )
        )
        return
    console = Console(width=max(Console().width, 150))  # the frontier table has 11 columns
    for message in skipped:
        console.print(f"[yellow]skipped[/yellow] {message}")
    table = Table(title=f"{scenario.model.model_id[0]} at context {context:,}: frontier per option ({stack} stack)")
    for column in [
        "option",
        "tok/s/user",
        "tok/s/MW",
        "$/Mtok",
        "tok/s/chip",
        "batch",
        "m",
        "GPUs",
        "LPUs",
        "wafers",
        "overall",
    ]:
        table.add_column(column, justify="left" if column == "option" else "right")
    for row in shown.iter_rows(named=True):
        table.add_row(
            row["option"],
            f"{row['per_user_tokens_per_s']:,.0f}",
            f"{row['tokens_per_s_per_mw']:,.0f}",
            f"{row['usd_per_mtok']:.2f}",
            f"{row['tokens_per_s_per_chip']:,.0f}",
            f"{row['batch']:g}",
            f"{row['microbatches']:g}",
            f"{row['gpus']:g}",
            f"{row['lpus']:g}",
            f"{row['wafers']:g}",
            "yes" if row["overall_optimal"] else "",
        )
    console.print(table)
    console.print(
        "Power and prices of chips without published figures come from proxies (ranges; mid shown). "
        "Cerebras-style points lack a compute bound (no WSE-3 FLOP/s in the tables): upper bounds."
    )
