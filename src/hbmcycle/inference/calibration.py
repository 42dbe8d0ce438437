"""Fitting the model's efficiencies and overheads on published measurements, and validating it.

Inputs are data (the ``decode_measurements`` table), so rows from a GPU harness join the fit
without code changes. Rows are split deterministically (a hash of ``measurement_id``) into a
fit set and a held-out set; the fit minimises the squared log error ``log(predicted /
measured)`` over the fit set with ``scipy.optimize.least_squares``; the validation table
reports every row with its error and which set it was in.

What each metric is compared with:

* ``throughput``: :func:`~hbmcycle.inference.step_time.offline_throughput` at the stated
  batch, or, where the engine chose it (empty ``batch_size``), at
  ``min(largest batch that fits, engine_batch_cap)``;
* ``per_user``: ``1 / t_step`` at the mean context ``input + output / 2``;
* ``ttft``: :func:`~hbmcycle.inference.step_time.prefill_seconds` of one prompt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from hbmcycle import assumptions as house
from hbmcycle.inference import assumptions
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.hardware import HardwareArrays, hardware_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT, WEIGHT_PRECISIONS
from hbmcycle.inference.step_time import (
    BOUNDS,
    FITTED_PARAMETERS,
    Efficiency,
    decode_step,
    max_batch,
    offline_throughput,
    prefill_seconds,
)

SETTINGS_FILE = Path(__file__).with_name("calibration.yaml")
_SETTINGS = house.values(SETTINGS_FILE)
# Rows whose batch the engine chose run at min(largest batch that fits, the engine's cap).
DEFAULT_ENGINE_BATCH_CAP = assumptions.load().engine_batch_cap
DEFAULT_HOLDOUT_FRACTION = _SETTINGS["holdout_fraction"]
CAVEAT_ABS_ERROR = _SETTINGS["caveat_abs_error"]  # rows missed by more than this get a written reason

# Fit in units of order one (fractions, ms, us) for a well-conditioned problem.
_SCALE = {
    "bandwidth": 1.0,
    "kv_bandwidth": 1.0,
    "compute": 1.0,
    "prefill_compute": 1.0,
    "step_overhead_s": 1e-3,
    "layer_overhead_s": 1e-6,
    "sequence_overhead_s": 1e-6,
    "allreduce_latency_s": 1e-6,
}
# Bounds (calibration.yaml, with their basis) keep the fit physical where the data cannot separate
# two effects: a slow memory system and a fixed overhead both lengthen a large-batch step.
_BOUNDS = {name: tuple(_SETTINGS[f"{name.removesuffix('_s')}_bounds"]) for name in _SCALE}


def is_held_out(measurement_id: str, fraction: float = DEFAULT_HOLDOUT_FRACTION) -> bool:
    """Deterministic split: the first 8 hex digits of md5(id) as a fraction of 2^32, below ``fraction``."""
    digest = hashlib.md5(measurement_id.encode()).hexdigest()
    return int(digest[:8], 16) / 2**32 < fraction


class Inputs:
    """Measurement rows aligned with the model and accelerator arrays they need."""

    def __init__(self, measurements: pl.DataFrame, llm_models: pl.DataFrame, accelerators: pl.DataFrame):
        unknown_models = set(measurements["model_id"]) - set(llm_models["model_id"])
        unknown_accels = set(measurements["accelerator_id"]) - set(accelerators["accelerator_id"])
        if unknown_models or unknown_accels:
            raise ValueError(
                "decode_measurements refers to rows missing from the tables: "
                f"models {sorted(unknown_models)}, accelerators {sorted(unknown_accels)}"
            )
        self.rows = measurements
        model_index = {m: i for i, m in enumerate(llm_models["model_id"])}
        accel_index = {a: i for i, a in enumerate(accelerators["accelerator_id"])}
        self.model = model_arrays(llm_models).take([model_index[m] for m in measurements["model_id"]])
        by_precision = {p: hardware_arrays(accelerators, p, strict=False) for p in WEIGHT_PRECISIONS}
        rows = np.array([accel_index[a] for a in measurements["accelerator_id"]])
        precision = measurements["weights_precision"].to_numpy().astype(str)
        base = by_precision["bf16"].take(rows)
        peak = np.select(
            [precision == p for p in WEIGHT_PRECISIONS],
            [by_precision[p].peak_flops_s[rows] for p in WEIGHT_PRECISIONS],
            np.nan,
        )
        self.hw = HardwareArrays(**{**base.__dict__, "peak_flops_s": peak})
        self.weight_bytes = np.array([BYTES_PER_ELEMENT[p] for p in precision])
        self.kv_bytes = np.array([BYTES_PER_ELEMENT[p] for p in measurements["kv_precision"]])
        self.group = measurements["accelerator_count"].cast(pl.Float64).to_numpy()
        self.input = measurements["input_tokens"].cast(pl.Float64).to_numpy()
        self.output = measurements["output_tokens"].cast(pl.Float64).to_numpy()
        self.stated_batch = measurements["batch_size"].cast(pl.Float64).to_numpy()
        self.metric = measurements["metric"].to_numpy().astype(str)
        measured_tps = measurements["tokens_per_s"].cast(pl.Float64).to_numpy()
        measured_ttft = measurements["ttft_ms"].cast(pl.Float64).to_numpy()
        self.measured = np.where(self.metric == "ttft", measured_ttft, measured_tps)

    def batch(self, eff: Efficiency, engine_batch_cap: float) -> np.ndarray:
        """Stated batch, else the largest that fits the whole sequence, capped by the engine."""
        fits = max_batch(
            self.model,
            self.hw,
            self.input + self.output,
            self.group,
            self.weight_bytes,
            self.kv_bytes,
            eff.reserve_fraction,
        )
        chosen = np.minimum(fits, engine_batch_cap)
        return np.where(np.isnan(self.stated_batch), np.where(chosen >= 1, chosen, np.nan), self.stated_batch)

    def predict(
        self, eff: Efficiency, engine_batch_cap: float = DEFAULT_ENGINE_BATCH_CAP
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(predicted value in the row's unit, batch used, active decode bound index) per row."""
        batch = self.batch(eff, engine_batch_cap)
        args = (self.weight_bytes, self.kv_bytes, eff)
        mean_context = self.input + self.output / 2.0
        step = decode_step(self.model, self.hw, batch, mean_context, self.group, *args)
        throughput = offline_throughput(self.model, self.hw, self.input, self.output, batch, self.group, *args)
        ttft_ms = prefill_seconds(self.model, self.hw, self.input, 1.0, self.group, *args) * 1e3
        predicted = np.select(
            [self.metric == "throughput", self.metric == "per_user", self.metric == "ttft"],
            [throughput, step.per_user_tokens_per_s, ttft_ms],
            np.nan,
        )
        return predicted, batch, np.asarray(step.bound)


def _efficiency(vector: np.ndarray, base: Efficiency) -> Efficiency:
    return replace(base, **{name: value * _SCALE[name] for name, value in zip(FITTED_PARAMETERS, vector)})


def fit(
    inputs: Inputs,
    fit_rows: np.ndarray,
    start: Efficiency = Efficiency(),
    engine_batch_cap: float = DEFAULT_ENGINE_BATCH_CAP,
) -> Efficiency:
    """Least-squares fit of the calibrated parameters on the rows selected by the boolean ``fit_rows``."""
    measured = inputs.measured[fit_rows]

    def residuals(vector: np.ndarray) -> np.ndarray:
        predicted = inputs.predict(_efficiency(vector, start), engine_batch_cap)[0][fit_rows]
        return np.where(np.isfinite(predicted), np.log(predicted / measured), 10.0)

    x0 = np.array([getattr(start, name) / _SCALE[name] for name in FITTED_PARAMETERS])
    lower, upper = (np.array([_BOUNDS[name][i] for name in FITTED_PARAMETERS]) for i in (0, 1))
    from scipy.optimize import least_squares  # imported here: scipy costs ~0.6 s at CLI start-up

    result = least_squares(residuals, np.clip(x0, lower, upper), bounds=(lower, upper), method="trf")
    return _efficiency(result.x, start)


def parameters_at_bounds(eff: Efficiency) -> list[str]:
    """Fitted parameters that ended on a bound: the data pushed them there, so read them with care."""
    at = []
    for name in FITTED_PARAMETERS:
        value = getattr(eff, name) / _SCALE[name]
        low, high = _BOUNDS[name]
        if np.isclose(value, low, rtol=1e-4, atol=1e-6) or np.isclose(value, high, rtol=1e-4, atol=1e-6):
            at.append(name)
    return at


def validation_table(
    inputs: Inputs, eff: Efficiency, held_out: np.ndarray, engine_batch_cap: float = DEFAULT_ENGINE_BATCH_CAP
) -> pl.DataFrame:
    """Predicted vs measured for every row: error = predicted / measured - 1, split, and a caveat."""
    predicted, batch, bound = inputs.predict(eff, engine_batch_cap)
    rows = inputs.rows
    error = predicted / inputs.measured - 1.0
    return pl.DataFrame(
        {
            "measurement_id": rows["measurement_id"],
            "accelerator_id": rows["accelerator_id"],
            "model_id": rows["model_id"],
            "gpus": rows["accelerator_count"],
            "metric": rows["metric"],
            "input_tokens": rows["input_tokens"],
            "output_tokens": rows["output_tokens"],
            "batch": batch,
            "unit": np.where(inputs.metric == "ttft", "ms", "tokens/s"),
            "measured": inputs.measured,
            "predicted": predicted,
            "error": error,
            "split": np.where(held_out, "held_out", "fit"),
            "decode_bound": [BOUNDS[int(b)] if np.isfinite(b) else "" for b in np.broadcast_to(bound, predicted.shape)],
            "caveat": [_caveat(inputs, i, e) for i, e in enumerate(error)],
        }
    )


def _caveat(inputs: Inputs, i: int, error: float) -> str:
    """Why a row may be off: the known gaps between this model and the engine run."""
    reasons = []
    if not np.isfinite(error):
        return "model does not fit the group's memory at this precision"
    if inputs.metric[i] == "throughput" and np.isnan(inputs.stated_batch[i]):
        reasons.append("batch chosen by the engine (assumed largest that fits, capped)")
    if inputs.metric[i] == "throughput" and inputs.input[i] >= 4 * inputs.output[i]:
        reasons.append("prefill-dominated (input >> output): scheduling of prefill chunks not modelled")
    if inputs.model.experts[i] > 0 and inputs.group[i] > 1:
        reasons.append("MoE on a parallel group: expert load imbalance and all-to-all modelled as all-reduce")
    if inputs.metric[i] == "ttft":
        reasons.append("prefill of one prompt: one compute efficiency for every chip, engine and prompt length")
    return "; ".join(reasons) if abs(error) > CAVEAT_ABS_ERROR else ""


def summary(table: pl.DataFrame) -> pl.DataFrame:
    """Rows, median and max |error| per split (fit, held_out) and overall."""
    scored = table.filter(pl.col("error").is_finite()).with_columns(pl.col("error").abs().alias("abs_error"))
    per_split = scored.group_by("split").agg(
        pl.len().alias("rows"),
        pl.col("abs_error").median().alias("median_abs_error"),
        pl.col("abs_error").max().alias("max_abs_error"),
    )
    overall = scored.select(
        pl.lit("all").alias("split"),
        pl.len().alias("rows"),
        pl.col("abs_error").median().alias("median_abs_error"),
        pl.col("abs_error").max().alias("max_abs_error"),
    )
    return pl.concat([per_split.sort("split"), overall], how="vertical_relaxed")


def calibrate(
    measurements: pl.DataFrame,
    llm_models: pl.DataFrame,
    accelerators: pl.DataFrame,
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION,
    engine_batch_cap: float = DEFAULT_ENGINE_BATCH_CAP,
) -> dict:
    """Fit on the non-held-out rows and return the calibration record (JSON-serialisable)."""
    inputs = Inputs(measurements, llm_models, accelerators)
    held_out = np.array([is_held_out(m, holdout_fraction) for m in measurements["measurement_id"]])
    eff = fit(inputs, ~held_out, engine_batch_cap=engine_batch_cap)
    table = validation_table(inputs, eff, held_out, engine_batch_cap)
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": "scipy.optimize.least_squares on log(predicted/measured), fit rows only",
        "parameters": eff.as_dict(),
        "fitted": list(FITTED_PARAMETERS),
        "bounds": {name: [low * _SCALE[name], high * _SCALE[name]] for name, (low, high) in _BOUNDS.items()},
        "at_bounds": parameters_at_bounds(eff),
        "engine_batch_cap": engine_batch_cap,
        "holdout_fraction": holdout_fraction,
        "summary": summary(table).to_dicts(),
        "validation": table.to_dicts(),
    }


def settings() -> dict:
    """What, besides the data, decides the fit: a saved fit is stale when any of it changes."""
    return {
        "fitted": list(FITTED_PARAMETERS),
        "bounds": _BOUNDS,
        "scale": _SCALE,
        "start": Efficiency().as_dict(),
        "holdout_fraction": DEFAULT_HOLDOUT_FRACTION,
        "engine_batch_cap": DEFAULT_ENGINE_BATCH_CAP,
    }
