"""``hbmcycle serve``: the best serving configuration of a system for a workload and scenario.

Mounted at the top level by :mod:`hbmcycle.cli`. Bad input exits 2 with one ``error:`` line
naming the valid choices; a missing database exits 2 with the command that builds it.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.cli_errors import fail
from hbmcycle.data import db
from hbmcycle.inference import constants, names
from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.assumptions import AssumptionError, load
from hbmcycle.inference.disaggregation import best_disaggregated
from hbmcycle.inference.economics import rental_price, tokens_per_s_per_megawatt, usd_per_million_tokens
from hbmcycle.inference.hardware import UnsupportedError, hardware_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, KV_PRECISIONS, WEIGHT_PRECISIONS, check_precision
from hbmcycle.inference.system import Limits, best_point
from hbmcycle.inference.system_validation import maturity_for

console = Console()
TABLES = ("accelerators", "llm_models", "workloads", "rental_prices")


def _load_tables() -> dict[str, pl.DataFrame]:
    try:
        return db.read_tables(TABLES)
    except (FileNotFoundError, KeyError) as exc:
        fail(f"{exc.args[0] if exc.args else exc}; build the database with `hbmcycle data build`")


def _workload(tables, workload: str | None, isl: int | None, osl: int | None, assumed):
    if workload and (isl or osl):
        fail("give either --workload or --isl/--osl, not both")
    if workload:
        return wl.lookup(tables["workloads"], workload, assumed)
    if not (isl and osl):
        fail(
            f"give --workload NAME or both --isl and --osl; workloads: {', '.join(tables['workloads']['workload_id'])}"
        )
    return wl.custom(isl, osl)


def _limits(spec: wl.WorkloadSpec, scenario: str, ttft_ms: float | None, tpot_ms: float | None) -> Limits:
    if scenario not in wl.SCENARIOS:
        fail(f"unknown scenario {scenario!r}; valid: {', '.join(wl.SCENARIOS)}")
    if scenario != "offline" and scenario not in spec.limits_ms:
        if ttft_ms is None or tpot_ms is None:
            fail(f"workload {spec.workload_id} defines no {scenario} limits; give --ttft-ms and --tpot-ms")
        return Limits(ttft_ms, tpot_ms)
    ttft, tpot = spec.limits(scenario)
    return Limits(ttft if ttft_ms is None else ttft_ms, tpot if tpot_ms is None else tpot_ms)


def _economics(tables, hw, per_accelerator: float) -> dict:
    price = rental_price(tables["rental_prices"]).filter(pl.col("accelerator_id") == hw.accelerator_id[0])
    usd_hour = float(price["usd_per_gpu_hour"][0]) if price.height else math.nan
    per_mw = float(tokens_per_s_per_megawatt(per_accelerator, hw.tdp_w[0] / 1000.0))
    usd = float(usd_per_million_tokens(usd_hour, per_accelerator))
    clean = lambda x: None if not np.isfinite(x) else x
    return {
        "tokens_per_s_per_mw": clean(per_mw),
        "power_basis": "accelerator TDP only (no host, network or cooling)",
        "usd_per_million_tokens": clean(usd),
        "usd_per_accelerator_hour": clean(usd_hour),
    }


def serve_command(
    accelerator: str = typer.Option(..., "--accelerator", help="Accelerator id or product name, e.g. h200, 'GB200'"),
    model: str | None = typer.Option(None, "--model", help="Model id or name (default: the workload's model)"),
    workload: str | None = typer.Option(None, "--workload", help="Workload id, e.g. mlperf-llama2-70b, chat"),
    isl: int | None = typer.Option(None, "--isl", min=1, help="Prompt tokens per request (instead of --workload)"),
    osl: int | None = typer.Option(None, "--osl", min=1, help="Output tokens per request (instead of --workload)"),
    scenario: str = typer.Option("offline", "--scenario", help="offline, server or interactive"),
    weights: str = typer.Option("fp8", "--weights", help="Weight precision: bf16, fp8, fp4"),
    kv: str | None = typer.Option(
        None, "--kv", help="KV-cache precision: bf16, fp8 (default: fp8, bf16 for bf16 weights)"
    ),
    gpus: int = typer.Option(8, "--gpus", min=1, help="Accelerators in the system (split into tensor-parallel groups)"),
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, help="Running sequences per group (default: best)"
    ),
    ttft_ms: float | None = typer.Option(None, "--ttft-ms", min=0.0, help="p90 TTFT limit (default: the scenario's)"),
    tpot_ms: float | None = typer.Option(None, "--tpot-ms", min=0.0, help="p90 TPOT limit (default: the scenario's)"),
    disaggregated: bool = typer.Option(False, "--disaggregated", help="Separate prefill and decode pools"),
    memory_utilization: float | None = typer.Option(
        None, "--memory-utilization", help="Fraction of HBM the engine may use (default 0.9)"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Output tokens/s, TTFT and TPOT of the best configuration under the scenario's latency limits."""
    if disaggregated and concurrency:
        fail("--concurrency applies to colocated serving; drop it or drop --disaggregated")
    tables = _load_tables()
    try:
        assumed = load() if memory_utilization is None else load().replace(memory_utilization=memory_utilization)
        spec = _workload(tables, workload, isl, osl, assumed)
        weights = check_precision(weights, WEIGHT_PRECISIONS, "weights")
        kv_precision = check_precision(kv or ("bf16" if weights == "bf16" else "fp8"), KV_PRECISIONS, "KV-cache")
        limits = _limits(spec, scenario.strip().lower(), ttft_ms, tpot_ms)
        accel, arrays = _resolve(tables, accelerator, model or spec.model_id, spec.workload_id)
        hw = hardware_arrays(accel, weights)
    except (ValueError, AssumptionError, UnsupportedError) as exc:
        fail(str(exc))
    fitted = _fitted()
    m, source = maturity_for(fitted.maturity, accel["vendor"][0], weights)
    eff = replace(fitted.efficiency, reserve_fraction=1.0 - assumed.memory_utilization)
    args = (arrays, hw, spec, limits, gpus, BYTES_PER_ELEMENT[weights], BYTES_PER_ELEMENT[kv_precision], eff, assumed)
    point = best_disaggregated(*args, m) if disaggregated else best_point(*args, m, concurrency)
    if point is None:
        fail(f"no configuration of {gpus} x {hw.product[0]} serves {arrays.model_id[0]} ({weights}) on {spec.workload_id} "
              f"within the {scenario} limits; try more --gpus, a lower precision or looser limits")  # fmt: skip
    query = dict(workload_id=spec.workload_id, scenario=scenario, weights=weights, kv=kv_precision, gpus=gpus)
    provenance = dict(maturity=m, maturity_from=source, memory_utilization=assumed.memory_utilization)
    result = {"accelerator_id": str(hw.accelerator_id[0]), "model_id": str(arrays.model_id[0]), **query,
              "disaggregated": disaggregated, **point, **_economics(tables, hw, point["tokens_per_s_per_accelerator"]),
              **provenance, "assumed": list(spec.assumed), "calibration": fitted.label}  # fmt: skip
    _print(result, json_output)


def _resolve(tables, accelerator: str, model_name: str, workload_id: str):
    """(the accelerator's row, the model's arrays); ValueError naming the valid choices."""
    if not model_name:
        raise ValueError(f"workload {workload_id} names no model; give --model")
    accel_row = names.resolve(tables["accelerators"], accelerator, "accelerator_id", "product", "accelerator")
    model_row = names.resolve(tables["llm_models"], model_name, "model_id", "name", "model")
    return tables["accelerators"][accel_row], model_arrays(tables["llm_models"][model_row])


def _fitted() -> constants.EngineConstants:
    try:
        return constants.current()
    except (KeyError, ValueError) as exc:
        typer.echo(f"error: engine constants could not be fitted: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _print(result: dict, json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(result))
        return
    table = Table(
        title=f"{result['model_id']} on {result['gpus']} x {result['accelerator_id']}: {result['workload_id']}, "
        f"{result['scenario']}",
        show_header=False,
    )
    for key, value in result.items():
        if key in {"accelerator_id", "model_id", "workload_id", "scenario"}:
            continue
        shown = (
            f"{value:,.4g}" if isinstance(value, float) else ", ".join(value) if isinstance(value, list) else str(value)
        )
        table.add_row(key, shown)
    console.print(table)
