"""System level: software maturity fitted on MLPerf rounds up to v5.0, validated on later rounds and InferenceX.

Rows are the measured MLPerf and InferenceX results in ``inference_benchmarks`` that name a
workload, a model and an accelerator the engine knows. Each is predicted by
:func:`hbmcycle.inference.system.best_point` for its scenario (offline: no limit; server and
interactive: the workload's MLPerf TTFT/TPOT limits; InferenceX: its per-user speed) on its
accelerator count (InferenceX states none: 8 assumed).

Software maturity. The step engine's efficiencies come from single-GPU measurements; a
system's software stack reaches a different fraction of them. One factor ``m`` per vendor and
weight precision multiplies the achieved bandwidth and FLOP/s (see ``serving``), fitted by
least squares on log(predicted / measured) over the key's fit rows (MLPerf round <= v5.0) of
its latest round with at least ``maturity_min_rows`` rows (the newest software; all its
rounds pooled when no single round has enough). A key without enough rows falls back to the
vendor's factor, then to 1. The engine cannot be separated from the vendor with these rows: every NVIDIA result
runs TensorRT-LLM and every AMD one vLLM or an unnamed stack, so the key is vendor x
precision and the engine is reported beside it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from hbmcycle.inference import workloads as wl
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.assumptions import Assumptions
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, WEIGHT_PRECISIONS
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.inference.system import Limits, best_point

INFERENCEX_GPUS = 8  # InferenceX compares single 8-GPU nodes; its rows state no count


def kv_precision(weights: str) -> str:
    """MLPerf and InferenceX submissions with fp8 or fp4 weights keep an fp8 KV cache; bf16 weights a bf16 one."""
    return "bf16" if weights == "bf16" else "fp8"


def benchmark_rows(tables: dict[str, pl.DataFrame], assumptions: Assumptions) -> pl.DataFrame:
    """Measured rows the engine can predict, with vendor, round number, split and maturity key."""
    rows = tables["inference_benchmarks"].filter(
        (pl.col("kind") == "measured")
        & pl.col("workload_id").is_not_null()
        & pl.col("tokens_per_s_per_accelerator").is_not_null()
        & pl.col("precision").is_in(list(WEIGHT_PRECISIONS))
        & pl.col("model_id").is_in(tables["llm_models"]["model_id"].to_list())
        & pl.col("workload_id").is_in(tables["workloads"]["workload_id"].to_list())
    )
    vendors = tables["accelerators"].select("accelerator_id", "vendor")
    rows = rows.join(vendors, on="accelerator_id", how="inner")
    round_number = pl.col("round").str.strip_prefix("v").cast(pl.Float64, strict=False)
    return rows.with_columns(
        round_number.alias("round_number"),
        pl.when(round_number <= assumptions.fit_rounds_through)
        .then(pl.lit("fit"))
        .otherwise(pl.lit("validate"))
        .alias("split"),
        pl.concat_str("vendor", "precision", separator="/").alias("maturity_key"),
        pl.col("accelerator_count").fill_null(INFERENCEX_GPUS).alias("gpus"),
    ).sort("result_id")


def _row_query(row: dict, inputs, assumptions: Assumptions) -> tuple | None:
    """Engine inputs of one row; None where the workload states no length (Llama-3.1-405B: no input mean or cap)."""
    spec = inputs.workload(row["workload_id"])
    if spec is None:
        return None
    hw = inputs.hardware(row["accelerator_id"], row["precision"])
    if row["benchmark"] == "mlperf_inference":
        limits = Limits(*spec.limits(row["scenario"]))
    else:
        limits = Limits(min_per_user_tokens_per_s=float(row["per_user_tokens_per_s"] or 0.0))
    w, kv = BYTES_PER_ELEMENT[row["precision"]], BYTES_PER_ELEMENT[kv_precision(row["precision"])]
    return inputs.model(row["model_id"]), hw, spec, limits, int(row["gpus"]), w, kv


class _Inputs:
    """Model, hardware and workload inputs by id, each built once (many rows share a chip, model or workload)."""

    def __init__(self, tables: dict[str, pl.DataFrame], assumptions: Assumptions) -> None:
        self.tables, self.assumptions = tables, assumptions
        self._seen: dict[tuple, object] = {}

    def _once(self, key: tuple, build):
        if key not in self._seen:
            self._seen[key] = build()
        return self._seen[key]

    def workload(self, workload_id: str):
        def build():
            try:
                return wl.lookup(self.tables["workloads"], workload_id, self.assumptions)
            except ValueError:
                return None

        return self._once(("workload", workload_id), build)

    def hardware(self, accelerator_id: str, precision: str):
        def build():
            rows = self.tables["accelerators"].filter(pl.col("accelerator_id") == accelerator_id)
            return hardware_arrays(rows, precision, strict=False)

        return self._once(("hardware", accelerator_id, precision), build)

    def model(self, model_id: str):
        def build():
            return model_arrays(self.tables["llm_models"].filter(pl.col("model_id") == model_id))

        return self._once(("model", model_id), build)


def queries(rows: pl.DataFrame, tables: dict[str, pl.DataFrame], assumptions: Assumptions) -> list[tuple | None]:
    """The engine inputs of every row (model, hardware, workload, limits, gpus, bytes/weight, bytes/KV element)."""
    inputs = _Inputs(tables, assumptions)
    return [_row_query(row, inputs, assumptions) for row in rows.iter_rows(named=True)]


def predict(prepared: list[tuple | None], eff: Efficiency, maturity: np.ndarray, assumptions: Assumptions) -> list:
    """Best point (dict or None) per prepared row with the row's maturity factor."""
    out: list[dict | None] = []
    for query, m in zip(prepared, maturity):
        if query is None:
            out.append(None)
            continue
        model, hw, spec, limits, gpus, w, kv = query
        out.append(best_point(model, hw, spec, limits, gpus, w, kv, eff, assumptions, float(m)))
    return out


def _throughputs(points: list) -> np.ndarray:
    return np.array([p["tokens_per_s_per_accelerator"] if p else np.nan for p in points])


def fit_maturity(rows: pl.DataFrame, tables, eff: Efficiency, assumptions: Assumptions) -> dict[str, dict]:
    """Factor per maturity key (and per vendor, pooled) fitted on the fit split: {key: {factor, rows, source}}."""
    from scipy.optimize import minimize_scalar  # imported here: scipy costs ~0.6 s at CLI start-up

    fit = rows.filter(pl.col("split") == "fit")
    measured = fit["tokens_per_s_per_accelerator"].to_numpy()
    bounds = (assumptions.maturity_bounds_low, assumptions.maturity_bounds_high)
    prepared = queries(fit, tables, assumptions)

    def fitted(mask: np.ndarray) -> float:
        subset = [q for q, keep in zip(prepared, mask) if keep]

        def loss(m: float) -> float:
            predicted = _throughputs(predict(subset, eff, np.full(len(subset), m), assumptions))
            errors = np.where(np.isfinite(predicted), np.log(predicted / measured[mask]), 3.0)
            return float(np.sum(errors**2))

        return float(minimize_scalar(loss, bounds=bounds, method="bounded", options={"xatol": 1e-3}).x)

    factors: dict[str, dict] = {}
    known = np.array([q is not None for q in prepared])
    rounds = fit["round_number"].fill_null(-1.0).to_numpy()
    for column in ("vendor", "maturity_key"):
        for key in sorted(set(fit[column])):
            mask = _latest_round_rows((fit[column] == key).to_numpy() & known, rounds, assumptions.maturity_min_rows)
            if mask.any():
                factor = fitted(mask)
                factors[key] = {
                    "factor": factor,
                    "at_bound": bool(np.isclose(bounds, factor, rtol=2e-3).any()),  # the data pushed it to a limit
                    "rows": int(mask.sum()),
                    "rounds": ", ".join(f"v{r:.1f}" for r in sorted(set(rounds[mask]))),
                    "engines": _engines(fit, mask),
                }
    return factors


def _latest_round_rows(mask: np.ndarray, rounds: np.ndarray, min_rows: int) -> np.ndarray:
    """The key's rows of its latest round with at least ``min_rows`` rows, else all its rows if that many, else none.

    Software improves between rounds (TensorRT-LLM on H100 Llama-2-70B Offline: 2,726 tokens/s
    per GPU in v4.0, 3,913 in v5.0), so the factor describes the newest software the fit holds.
    """
    for latest in sorted(set(rounds[mask]), reverse=True):
        chosen = mask & (rounds == latest)
        if chosen.sum() >= min_rows:
            return chosen
    return mask if mask.sum() >= min_rows else np.zeros_like(mask)


def _engines(frame: pl.DataFrame, mask: np.ndarray) -> str:
    return ", ".join(sorted({e or "unstated" for e in frame.filter(pl.Series(mask))["engine"]}))


def maturity_of(rows: pl.DataFrame, factors: dict[str, dict]) -> tuple[np.ndarray, list[str]]:
    """Factor per row and where it came from: its key, its vendor's pooled factor, or none (1)."""
    values, sources = [], []
    for key, vendor in zip(rows["maturity_key"], rows["vendor"]):
        chosen = key if key in factors else vendor if vendor in factors else None
        values.append(factors[chosen]["factor"] if chosen else 1.0)
        sources.append(chosen or "none (1.0)")
    return np.array(values), sources


def maturity_for(factors: dict[str, dict], vendor: str, precision: str) -> tuple[float, str]:
    """(factor, where it came from) for one vendor and weight precision (see :func:`maturity_of`)."""
    values, sources = maturity_of(
        pl.DataFrame({"maturity_key": [f"{vendor}/{precision}"], "vendor": [vendor]}), factors
    )
    return float(values[0]), sources[0]


def validation_table(tables, eff: Efficiency, factors: dict[str, dict], assumptions: Assumptions) -> pl.DataFrame:
    """Predicted vs measured tokens/s per accelerator for every row, with split, maturity and error."""
    rows = benchmark_rows(tables, assumptions)
    maturity, sources = maturity_of(rows, factors)
    prepared = queries(rows, tables, assumptions)
    points = predict(prepared, eff, maturity, assumptions)
    predicted = _throughputs(points)
    measured = rows["tokens_per_s_per_accelerator"].to_numpy()
    return pl.DataFrame(
        {
            "result_id": rows["result_id"],
            "benchmark": rows["benchmark"],
            "round": rows["round"].fill_null(""),
            "scenario": rows["scenario"],
            "vendor": rows["vendor"],
            "accelerator_id": rows["accelerator_id"],
            "model_id": rows["model_id"],
            "workload_id": rows["workload_id"],
            "gpus": rows["gpus"],
            "precision": rows["precision"],
            "engine": rows["engine"].fill_null(""),
            "split": rows["split"],
            "maturity": maturity,
            "maturity_from": sources,
            "measured_tokens_per_s_per_accelerator": measured,
            "predicted_tokens_per_s_per_accelerator": predicted,
            "error": predicted / measured - 1.0,
            "bound": [_why_none(p, q) for p, q in zip(points, prepared)],
        }
    )


def _why_none(point: dict | None, query: tuple | None) -> str:
    if query is None:
        return "workload states no token lengths"
    return point["bound"] if point else "no feasible point (memory or latency limits)"


def summary(table: pl.DataFrame, by: str) -> pl.DataFrame:
    """Rows, median and max |error| per value of ``by`` (split, scenario, vendor, round)."""
    scored = table.filter(pl.col("error").is_not_nan() & pl.col("error").is_not_null())
    return (
        scored.group_by(by)
        .agg(
            pl.len().alias("rows"),
            pl.col("error").abs().median().alias("median_abs_error"),
            pl.col("error").abs().max().alias("max_abs_error"),
        )
        .sort(by)
    )


# The accelerators of issue 12's test (8-GPU systems, GB200 as a 4-GPU tray).
HEADLINE_ACCELERATORS = (
    "nvidia_h100_sxm",
    "nvidia_h200",
    "nvidia_b200",
    "nvidia_gb200",
    "amd_mi300x",
    "amd_mi325x",
    "amd_mi355x",
)


def headline(
    table: pl.DataFrame,
    workload_id: str = "mlperf-llama2-70b",
    round_name: str = "v5.1",
    accelerators: tuple[str, ...] = HEADLINE_ACCELERATORS,
) -> dict:
    """The issue's test: Offline per-accelerator throughput on ``workload_id``, one row per accelerator.

    Uses the ``round_name`` row of each accelerator, or its earliest later round where the
    accelerator has none (MI355X: v6.0; v5.1 has no closed-division MI355X row); 8-GPU (or
    GB200 4-GPU tray) systems are preferred over larger ones.
    """
    rows = table.filter(
        (pl.col("workload_id") == workload_id)
        & (pl.col("scenario") == "offline")
        & (pl.col("split") == "validate")
        & pl.col("error").is_not_nan()
        & pl.col("accelerator_id").is_in(list(accelerators))
    )
    rows = rows.with_columns(pl.col("gpus").gt(8).alias("large"), (pl.col("round") != round_name).alias("later"))
    rows = rows.sort("accelerator_id", "later", "large", "round").unique(
        "accelerator_id", keep="first", maintain_order=True
    )
    measured = rows["measured_tokens_per_s_per_accelerator"].to_numpy()
    predicted = rows["predicted_tokens_per_s_per_accelerator"].to_numpy()
    # Rank correlation (average ranks for ties) from polars: scipy.stats would cost ~1 s to import.
    ranks = rows.select(
        pl.corr("measured_tokens_per_s_per_accelerator", "predicted_tokens_per_s_per_accelerator", method="spearman")
    )
    return {
        "rows": rows.drop("large", "later"),
        "median_abs_error": float(np.median(np.abs(predicted / measured - 1.0))),
        "spearman": float(ranks.item()),
    }


def calibrate_system(tables: dict[str, pl.DataFrame], eff: Efficiency, assumptions: Assumptions) -> dict:
    """The system-level record: maturity factors (fit split) and the validation table (every row)."""
    rows = benchmark_rows(tables, assumptions)
    factors = fit_maturity(rows, tables, eff, assumptions)
    table = validation_table(tables, eff, factors, assumptions)
    return {
        "method": "scipy.optimize.minimize_scalar (bounded) on sum log(predicted/measured)^2 per maturity key",
        "split": f"fit: MLPerf rounds <= v{assumptions.fit_rounds_through:.1f}; validate: later rounds and InferenceX",
        "maturity": factors,
        "validation": table.with_columns(pl.col(pl.Float64).fill_nan(None)).to_dicts(),
    }
