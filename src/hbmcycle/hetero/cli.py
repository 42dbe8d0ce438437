"""Command line: ``compare`` summarises each serving option and prints the overall frontier.

The lead mounts ``app`` as ``hbmcycle hetero``.
"""

from __future__ import annotations

import json

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cli_errors import RUNTIME_FAILURE, fail, integer
from hbmcycle.data import db
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.scenario import Choice, load_scenario, read_tables
from hbmcycle.inference import constants, names
from hbmcycle.inference.names import UnknownNameError

app = typer.Typer(
    help="Heterogeneous inference: GPU, SRAM-chip and disaggregated serving options.",
    no_args_is_help=True,
    rich_markup_mode=None,
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
# Terminal headers: units spelled out, no one-letter names.
HEADERS = {
    "option": "option",
    "per_user_tokens_per_s": "tokens/s per user",
    "tokens_per_s_per_mw": "tokens/s per MW",
    "usd_per_mtok": "USD per M tokens",
    "tokens_per_s_per_chip": "tokens/s per chip",
    "batch": "batch (sequences)",
    "microbatches": "micro-batches",
    "gpus": "GPUs",
    "lpus": "LPUs",
    "wafers": "wafers",
}
AXES = ("tokens_per_s_per_mw", "tokens_per_s_per_chip", "tokens_per_s_per_rack")


@app.callback()
def hetero() -> None:
    """Heterogeneous inference: GPU, SRAM-chip and disaggregated serving options."""


def _scenario(choice: Choice):
    """Resolve the model (refusing a context beyond its maximum), then build the scenario."""
    try:
        tables = read_tables()
        row = names.resolve(tables.llm_models, choice.model, "model_id", "name", "model")
        names.check_context(tables.llm_models, row, choice.context)
        scenario = load_scenario(choice, tables)
        return scenario, *dis.all_points(scenario)
    except (FileNotFoundError, db.DatabaseUnreadable) as exc:
        fail(f"{exc}", RUNTIME_FAILURE)
    except KeyError as exc:
        fail(f"{exc.args[0]}; rebuild the database with `hbmcycle data build`", RUNTIME_FAILURE)
    except (UnknownNameError, ValueError) as exc:
        fail(str(exc))


@app.command("compare")
def compare_command(
    model: str = typer.Option(..., "--model", help="Model id or name, e.g. llama-3.3-70b, kimi-k2"),
    context: int = typer.Option(
        ..., "--context", parser=integer(1), help="Tokens in each sequence's KV cache and prompt (1 to max_context)"
    ),
    output_tokens: int = typer.Option(
        1024, "--output-tokens", parser=integer(1, 10_000_000), help="Tokens generated per request (prefill load)"
    ),
    weights: str = typer.Option(
        "fp8",
        "--weights",
        help="Weight precision: bf16, fp8, fp4. Default fp8, unlike predict's bf16: the SRAM chips compared "
        "(Groq LPX, Cerebras) and the seed claims are quoted at fp8",
    ),
    kv: str = typer.Option("fp8", "--kv", help="KV-cache precision: bf16, fp8 (default fp8, as --weights)"),
    stack: str = typer.Option(
        Choice.stack, "--stack", help="Serving-stack overheads: calibrated (fitted, default) or lean (a sensitivity)"
    ),
    throughput: str = typer.Option("tokens_per_s_per_mw", "--per", help=f"Frontier axis: {', '.join(AXES)}"),
    show_all: bool = typer.Option(False, "--all", help="Print every option's frontier, not only the overall one"),
    json_output: bool = typer.Option(False, "--json", help="Print JSON: every option's frontier points"),
) -> None:
    """Compare GPU-only, GPU+LPX AFD, SRAM-only and GPU prefill + SRAM decode: a summary per option, then the frontier."""
    if throughput not in AXES:
        fail(f"--per {throughput!r} is not an axis; valid: {', '.join(AXES)}")
    choice = Choice(model=model, context=context, output_tokens=output_tokens, weights=weights, kv=kv, stack=stack)
    if stack not in ("lean", "calibrated"):
        fail(f"--stack {stack!r} is not a stack; valid: lean, calibrated")
    scenario, points, skipped = _scenario(choice)
    front = dis.overall_pareto(dis.frontier(points, throughput), throughput)
    shown = front.select(COLUMNS + ["overall_optimal"])
    chips = {k: getattr(scenario, k) for k in ("gpu", "baseline_gpu", "lpu", "wafer")}
    header = {
        "model": str(scenario.model.model_id[0]),
        "context": context,
        "weights": choice.weights,
        "kv": choice.kv,
        "stack": stack,
        "calibration": constants.current().label,
    }
    if json_output:
        chip_ids = {k: c.accelerator_id for k, c in chips.items()}
        typer.echo(json.dumps(header | {"chips": chip_ids, "skipped": skipped, "points": shown.to_dicts()}))
        return
    _print_comparison(header, chips, skipped, shown, throughput, show_all)


def _print_comparison(header: dict, chips: dict, skipped: list, shown: pl.DataFrame, axis: str, show_all: bool) -> None:
    console = Console(width=max(Console().width, 150))
    for message in skipped:
        console.print(f"[yellow]skipped[/yellow] {message}")
    named = ", ".join(f"{k.replace('_', ' ')} = {c.hw.product[0] or c.accelerator_id}" for k, c in chips.items())
    console.print(
        f"{header['model']} at context {header['context']:,}, {header['weights']} weights, {header['kv']} KV, "
        f"{header['stack']} stack. Chips: {named}",
        markup=False,
        highlight=False,
    )
    console.print(_summary(shown, axis))
    rows = shown if show_all else shown.filter(pl.col("overall_optimal"))
    what = "every option's frontier" if show_all else "the overall frontier (--all for every option's)"
    console.print(_points(rows, f"{rows.height} points: {what}"))
    console.print(
        "Power and prices of chips without published figures come from proxies (ranges; mid shown). "
        "Cerebras-style points lack a compute bound (no WSE-3 FLOP/s in the tables): upper bounds."
    )


def _summary(shown: pl.DataFrame, axis: str) -> Table:
    """One row per option: its fastest per-user speed, best throughput and cheapest cost on its frontier."""
    table = Table(title=f"Summary per option (frontier on {HEADERS.get(axis, axis)})")
    for column in (
        "option",
        "points",
        "max tokens/s per user",
        f"max {HEADERS.get(axis, axis)}",
        "min USD per M tokens",
    ):
        table.add_column(column, justify="left" if column == "option" else "right")
    summary = (
        shown.group_by("option", maintain_order=True)
        .agg(
            pl.len().alias("points"),
            pl.col("per_user_tokens_per_s").max().alias("speed"),
            pl.col(axis).max().alias("throughput"),
            pl.col("usd_per_mtok").min().alias("cost"),
        )
        .sort("throughput", descending=True)
    )
    for row in summary.iter_rows(named=True):
        table.add_row(
            row["option"], str(row["points"]), f"{row['speed']:,.0f}", f"{row['throughput']:,.0f}", f"{row['cost']:.2f}"
        )
    return table


def _points(rows: pl.DataFrame, title: str) -> Table:
    table = Table(title=title)
    keys = [k for k in HEADERS if k in rows.columns]
    for key in keys:
        table.add_column(HEADERS[key], justify="left" if key == "option" else "right", no_wrap=key == "option")
    formats = {"per_user_tokens_per_s": "{:,.0f}", "tokens_per_s_per_mw": "{:,.0f}", "usd_per_mtok": "{:.2f}"}
    formats["tokens_per_s_per_chip"] = "{:,.0f}"
    for row in rows.iter_rows(named=True):
        table.add_row(*(row[k] if k == "option" else formats.get(k, "{:g}").format(row[k]) for k in keys))
    return table
