"""Command line: ``predict`` and ``frontier`` (app) and ``calibrate`` / ``validate`` (model_app).

The lead mounts ``app``'s commands at the top level (``hbmcycle predict``, ``hbmcycle frontier``)
and ``model_app`` as ``hbmcycle model``.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cli_errors import RUNTIME_FAILURE, fail, integer
from hbmcycle.data import db
from hbmcycle.inference import assumptions, calibration, constants, names
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.frontier import frontier_table
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.parallel import STANDARD_GROUP_SIZES
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, KV_PRECISIONS, WEIGHT_PRECISIONS, check_precision
from hbmcycle.inference.step_time import BOUNDS, decode_step

app = typer.Typer(
    help="LLM inference performance model: decode speed and the throughput frontier.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
model_app = typer.Typer(
    help="Calibrate the inference model on measurements and validate it.", no_args_is_help=True, rich_markup_mode=None
)

console = Console()


def _tables(*wanted: str) -> list[pl.DataFrame]:
    try:
        tables = db.read_tables(wanted)
    except (FileNotFoundError, db.DatabaseUnreadable) as exc:
        fail(f"{exc}", RUNTIME_FAILURE)
    except KeyError as exc:
        fail(f"{exc.args[0]}; rebuild the database with `hbmcycle data build`", RUNTIME_FAILURE)
    return [tables[name] for name in wanted]


def _constants(refit: bool = False) -> constants.EngineConstants:
    try:
        return constants.current(refit=refit)
    except (FileNotFoundError, db.DatabaseUnreadable) as exc:
        fail(f"{exc}", RUNTIME_FAILURE)
    except KeyError as exc:
        fail(f"{exc.args[0]}; rebuild the database with `hbmcycle data build`", RUNTIME_FAILURE)
    except ValueError as exc:
        fail(f"calibration failed: {exc}", RUNTIME_FAILURE)


def _with_memory_utilization(eff, memory_utilization: float | None):
    """The efficiencies with the reserve set by ``--memory-utilization`` (range-checked), or unchanged."""
    if memory_utilization is None:
        return eff
    try:
        assumptions.load().replace(memory_utilization=memory_utilization)
    except assumptions.AssumptionError as exc:
        fail(f"--memory-utilization: {exc}")
    return replace(eff, reserve_fraction=1.0 - memory_utilization)


def _setup(accelerator: str, model: str, weights: str, kv: str, gpus: int, context: int):
    """Resolve names and precisions into (model arrays, hardware arrays, bytes/weight, bytes/KV element)."""
    accelerators, models = _tables("accelerators", "llm_models")
    try:
        weights = check_precision(weights, WEIGHT_PRECISIONS, "weights")
        kv = check_precision(kv, KV_PRECISIONS, "KV-cache")
        accel_row = names.resolve(accelerators, accelerator, "accelerator_id", "product", "accelerator")
        model_row = names.resolve(models, model, "model_id", "name", "model")
        names.check_context(models, model_row, context)
        hw = hardware_arrays(accelerators[accel_row], weights)
        arrays = model_arrays(models[model_row])
    except ValueError as exc:
        fail(str(exc))
    if gpus < 1:
        fail("--gpus must be at least 1")
    domain = hw.scaleup_domain_size[0]
    if gpus > 1 and not (np.isfinite(domain) and gpus <= domain):
        fail(
            f"--gpus {gpus} exceeds the scale-up domain of {hw.product[0] or hw.accelerator_id[0]} "
            f"({'unknown' if not np.isfinite(domain) else int(domain)}); valid: 1 ... {int(domain) if np.isfinite(domain) else 1}"
        )
    if gpus > 1 and not np.isfinite(hw.link_bytes_s[0]):
        fail(f"{hw.product[0]}: accelerators lacks scaleup_bw_gb_s, needed for --gpus > 1")
    return arrays, hw, BYTES_PER_ELEMENT[weights], BYTES_PER_ELEMENT[kv], weights, kv


@app.command("predict")
def predict_command(
    accelerator: str = typer.Option(..., "--accelerator", help="Accelerator id or product name, e.g. 'H100 SXM', h200"),
    model: str = typer.Option(..., "--model", help="Model id or name, e.g. Llama-3.1-8B"),
    batch: int = typer.Option(..., "--batch", parser=integer(1), help="Concurrent sequences (1 or more)"),
    context: int = typer.Option(
        ..., "--context", parser=integer(1), help="Tokens in each sequence's KV cache (1 to the model's max_context)"
    ),
    weights: str = typer.Option("bf16", "--weights", help="Weight precision: bf16, fp8, fp4"),
    kv: str = typer.Option("bf16", "--kv", help="KV-cache precision: bf16, fp8"),
    gpus: int = typer.Option(
        1, "--gpus", parser=integer(1), help="Tensor/expert-parallel group size within one scale-up domain"
    ),
    memory_utilization: float = typer.Option(
        None, "--memory-utilization", help="Fraction of HBM the engine may use (default 0.9, assumptions.yaml)"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Decode step time, per-user speed, throughput, largest batch and the active bound."""
    arrays, hw, w_bytes, kv_bytes, weights, kv = _setup(accelerator, model, weights, kv, gpus, context)
    fitted = _constants()
    eff, provenance = fitted.efficiency, fitted.label
    eff = _with_memory_utilization(eff, memory_utilization)
    step = decode_step(arrays, hw, batch, context, gpus, w_bytes, kv_bytes, eff)
    fits = int(step.max_batch[0])
    if fits < 1:
        fail(
            f"{arrays.model_id[0]} in {weights} does not fit {gpus} x {hw.product[0]} with a context of {context}; "
            "use more --gpus, lower precision or a shorter context"
        )
    if batch > fits:
        fail(
            f"batch {batch} does not fit: at context {context} the largest batch on {gpus} x {hw.product[0]} is {fits}"
        )
    result = {
        "accelerator_id": str(hw.accelerator_id[0]),
        "model_id": str(arrays.model_id[0]),
        "weights": weights,
        "kv": kv,
        "gpus": gpus,
        "batch": batch,
        "context": context,
        "step_ms": float(step.step_s[0]) * 1e3,
        "per_user_tokens_per_s": float(step.per_user_tokens_per_s[0]),
        "tokens_per_s": float(step.tokens_per_s[0]),
        "tokens_per_s_per_accelerator": float(step.tokens_per_s_per_accelerator[0]),
        "max_batch": fits,
        "bound": BOUNDS[int(step.bound[0])],
        "memory_ms": float(step.memory_s[0]) * 1e3,
        "compute_ms": float(step.compute_s[0]) * 1e3,
        "comm_ms": float(np.asarray(step.comm_s).ravel()[0]) * 1e3,
        "calibration": provenance,
    }
    if json_output:
        typer.echo(json.dumps(result))
        return
    _print_prediction(result, str(hw.product[0] or result["accelerator_id"]))


def _print_prediction(result: dict, product: str) -> None:
    table = Table(title=f"{result['model_id']} on {result['gpus']} x {product}", show_header=False)
    rows: list[tuple[str, str | None, str]] = [
        ("step time (ms)", "step_ms", "{:.3f}"),
        ("tokens/s per user", "per_user_tokens_per_s", "{:,.1f}"),
        ("tokens/s total", "tokens_per_s", "{:,.0f}"),
        ("tokens/s per accelerator", "tokens_per_s_per_accelerator", "{:,.0f}"),
        ("active bound", "bound", "{}"),
        ("max batch at this context", "max_batch", "{:,}"),
        ("memory / compute / comm (ms)", None, ""),
        ("calibration", "calibration", "{}"),
    ]
    for label, key, fmt in rows:
        value = (
            f"{result['memory_ms']:.3f} / {result['compute_ms']:.3f} / {result['comm_ms']:.3f}"
            if key is None
            else fmt.format(result[key])
        )
        table.add_row(label, value)
    console.print(table)


@app.command("frontier")
def frontier_command(
    accelerator: str = typer.Option(..., "--accelerator", help="Accelerator id or product name"),
    model: str = typer.Option(..., "--model", help="Model id or name"),
    context: int = typer.Option(
        ..., "--context", parser=integer(1), help="Tokens in each sequence's KV cache (1 to the model's max_context)"
    ),
    weights: str = typer.Option("bf16", "--weights", help="Weight precision: bf16, fp8, fp4"),
    kv: str = typer.Option("bf16", "--kv", help="KV-cache precision: bf16, fp8"),
    max_gpus: int | None = typer.Option(
        None,
        "--max-gpus",
        parser=integer(1),
        help="Largest group size swept (default: the scale-up domain, at most 72)",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON list of frontier points"),
) -> None:
    """Pareto frontier of throughput per accelerator vs tokens/s per user, sweeping batch and group size."""
    arrays, hw, w_bytes, kv_bytes, weights, kv = _setup(accelerator, model, weights, kv, 1, context)
    fitted = _constants()
    eff, provenance = fitted.efficiency, fitted.label
    groups = None
    if max_gpus is not None:
        groups = np.array([g for g in STANDARD_GROUP_SIZES if g <= max_gpus], dtype=float)
        if groups.size == 0:
            fail(f"--max-gpus {max_gpus} allows no group size; valid: at least {min(STANDARD_GROUP_SIZES)}")
    table = frontier_table(arrays, hw, context, w_bytes, kv_bytes, eff, group_sizes=groups)
    if table.is_empty():
        fail(f"{arrays.model_id[0]} in {weights} fits no group of {hw.product[0]} at context {context}")
    if json_output:
        typer.echo(json.dumps([{**row, "calibration": provenance} for row in table.to_dicts()]))
        return
    out = Table(
        title=f"Frontier: {arrays.model_id[0]} ({weights} weights, {kv} KV) on {hw.product[0]}, context {context}"
    )
    for column in ("GPUs", "batch", "step ms", "tok/s/user", "tok/s/GPU", "bound"):
        out.add_column(column, justify="right")
    for row in table.iter_rows(named=True):
        out.add_row(
            str(row["group_size"]),
            str(row["batch"]),
            f"{row['step_ms']:.2f}",
            f"{row['per_user_tokens_per_s']:,.1f}",
            f"{row['tokens_per_s_per_accelerator']:,.0f}",
            row["bound"],
        )
    console.print(out)
    console.print(f"[dim]{provenance}[/dim]")


@model_app.command("calibrate")
def calibrate_command() -> None:
    """Fit efficiencies and overheads on decode_measurements again; write data/processed/calibration.json."""
    fitted = _constants(refit=True)
    record = fitted.record
    console.print(f"wrote {constants.calibration_path()} ({fitted.label})")
    for name in record["fitted"]:
        flag = "  (at its bound)" if name in record["at_bounds"] else ""
        console.print(f"  {name} = {record['parameters'][name]:.4g}{flag}")
    _print_summary(pl.DataFrame(record["summary"]))


def _print_summary(summary: pl.DataFrame) -> None:
    out = Table(title="Validation summary: |predicted / measured - 1|")
    for column in ("split", "rows", "median |error|", "max |error|"):
        out.add_column(column, justify="right")
    for row in summary.iter_rows(named=True):
        out.add_row(row["split"], str(row["rows"]), f"{row['median_abs_error']:.1%}", f"{row['max_abs_error']:.1%}")
    console.print(out)


@model_app.command("validate")
def validate_command(
    level: str = typer.Option("step", "--level", help="step (decode_measurements) or system (MLPerf, InferenceX)"),
    json_output: bool = typer.Option(False, "--json", help="Print the table as JSON rows"),
) -> None:
    """Predicted vs measured for every measurement row, with the error summary (held-out rows apart)."""
    if level not in ("step", "system"):
        fail(f"unknown --level {level!r}; valid: step, system")
    fitted = _constants()
    if level == "system":
        from hbmcycle.inference.system_report import print_system_validation

        print_system_validation(fitted, json_output)
        return
    record = fitted.record
    table = pl.DataFrame(record["validation"], infer_schema_length=None)
    provenance = f"{fitted.label}: {record['method']}"
    if json_output:
        typer.echo(json.dumps(table.to_dicts()))
        return
    out = Table(title="Inference model validation")
    for column in ("measurement", "metric", "split", "batch", "measured", "predicted", "error", "caveat"):
        # ids stay on one line (they are what a reader searches for); only the caveat wraps
        out.add_column(column, no_wrap=column != "caveat", overflow="fold")
    for row in table.iter_rows(named=True):
        out.add_row(
            row["measurement_id"],
            row["metric"],
            row["split"],
            "" if row["batch"] is None else f"{row['batch']:.0f}",
            f"{row['measured']:,.1f} {row['unit']}",
            "" if row["predicted"] is None else f"{row['predicted']:,.1f}",
            "" if row["error"] is None else f"{row['error']:+.0%}",
            row["caveat"],
        )
    Console(width=max(console.width, 180)).print(out)
    _print_summary(calibration.summary(table))
    console.print(f"[dim]{provenance}[/dim]")
