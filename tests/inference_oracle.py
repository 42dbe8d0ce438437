"""An independent oracle for the calibration tests: the engine's published equations, one scalar point at a time.

The calibration fit must not be tested on measurements made by the same ``predict`` it
fits with (a fit of a function to its own output proves nothing about the function). This
module recomputes the toy measurements in plain Python from the equations in the
``step_time`` module docstring and hand-derived toy constants, for the dense GQA toy model
(``inference_toys.models()`` row ``toy-dense``: 10 B parameters, 10 layers, hidden 4096,
32 heads, 8 KV heads of 128, no vocabulary recorded, so no embedding lookup is excluded).
"""

from __future__ import annotations

import math

import polars as pl

from inference_toys import TRUE

GIB = 2.0**30
PARAMS = 10e9
LAYERS = 10
HIDDEN = 4096
KV_ELEMENTS_PER_TOKEN = LAYERS * 2 * 8 * 128  # K and V, 8 KV heads of 128 per layer
ATTENTION_FLOPS_PER_CONTEXT_TOKEN = 4 * LAYERS * 32 * 128  # QK^T and AV, 2 FLOPs per MAC, 32 query heads
BYTES = {"bf16": 2.0, "fp8": 1.0}
# id: (memory GiB, bandwidth B/s, peak FLOP/s by precision, link B/s per direction)
CHIPS = {
    "toy_chip": (100.0, 1.0e12, {"bf16": 100e12, "fp8": 200e12}, 400e9 / 2),
    "toy_chip_fast": (100.0, 2.0e12, {"bf16": 100e12, "fp8": 200e12}, 400e9 / 2),
}
ENGINE_BATCH_CAP = 2048  # calibration.DEFAULT_ENGINE_BATCH_CAP, restated as the rows' assumption


def _comm(tokens: float, group: int, link: float, eff) -> float:
    if group == 1:
        return 0.0
    message = tokens * HIDDEN * eff.activation_bytes
    return LAYERS * 2 * (eff.allreduce_latency_s + 2 * (group - 1) / group * message / link)


def decode_step(chip: str, group: int, precision: str, kv: str, batch: float, context: float, eff) -> float:
    """Seconds per decode step: max(memory, compute) + communication + overheads."""
    _, bandwidth, peak, link = CHIPS[chip]
    memory = (
        PARAMS * BYTES[precision] / eff.bandwidth
        + batch * context * KV_ELEMENTS_PER_TOKEN * BYTES[kv] / eff.kv_bandwidth
    ) / (group * bandwidth)
    flops = batch * (2 * PARAMS + ATTENTION_FLOPS_PER_CONTEXT_TOKEN * context)
    compute = flops / (group * peak[precision] * eff.compute)
    overhead = eff.step_overhead_s + LAYERS * eff.layer_overhead_s + batch * eff.sequence_overhead_s
    return max(memory, compute) + _comm(batch, group, link, eff) + overhead


def prefill(chip: str, group: int, precision: str, kv: str, prompt: float, batch: float, eff) -> float:
    """Seconds to prefill ``batch`` prompts: weights read once, KV written once, causal attention L^2 / 2."""
    _, bandwidth, peak, link = CHIPS[chip]
    tokens = batch * prompt
    moved = PARAMS * BYTES[precision] + tokens * KV_ELEMENTS_PER_TOKEN * BYTES[kv]
    flops = 2 * PARAMS * tokens + ATTENTION_FLOPS_PER_CONTEXT_TOKEN * batch * prompt**2 / 2
    memory = moved / (group * bandwidth * eff.bandwidth)
    compute = flops / (group * peak[precision] * eff.prefill_compute)
    return max(memory, compute) + _comm(tokens, group, link, eff) + eff.step_overhead_s + LAYERS * eff.layer_overhead_s


def largest_batch(chip: str, group: int, precision: str, kv: str, context: float, eff) -> float:
    free = group * CHIPS[chip][0] * GIB * (1 - eff.reserve_fraction) - PARAMS * BYTES[precision]
    return math.floor(free / (context * KV_ELEMENTS_PER_TOKEN * BYTES[kv]))


def measure(row: dict, eff) -> float:
    """The figure a benchmark of ``row`` would report if the engine's equations were the truth."""
    args = (row["accelerator_id"], row["accelerator_count"], row["weights_precision"], row["kv_precision"])
    i, o = float(row["input_tokens"]), float(row["output_tokens"])
    if row["metric"] == "ttft":
        return prefill(*args, i, 1.0, eff) * 1e3
    batch = row["batch_size"]
    if batch is None:
        batch = min(largest_batch(*args, i + o, eff), ENGINE_BATCH_CAP)
    step = decode_step(*args, batch, i + o / 2, eff)
    if row["metric"] == "per_user":
        return 1.0 / step
    return batch * o / (o * step + prefill(*args, i, batch, eff))


def oracle_measurements(eff=TRUE) -> pl.DataFrame:
    """Decode-measurement rows for the dense toy model, their values computed by this oracle."""
    rows = []
    for chip, gpus, w, kv in [
        ("toy_chip", 1, "bf16", "bf16"),
        ("toy_chip_fast", 2, "fp8", "fp8"),
        ("toy_chip", 4, "fp8", "bf16"),
    ]:
        for batch, i, o, metric in [
            (1, 128, 128, "per_user"),
            (8, 1000, 200, "per_user"),
            (64, 2000, 500, "throughput"),
            (None, 128, 1024, "throughput"),
            (None, 4000, 200, "throughput"),
            (1, 512, 1, "ttft"),
            (1, 8000, 1, "ttft"),
        ]:
            row = dict(measurement_id=f"{chip}_{gpus}_{w}_{metric}_{batch}_{i}_{o}", accelerator_id=chip,
                       accelerator_count=gpus, model_id="toy-dense", weights_precision=w, kv_precision=kv,
                       batch_size=batch, input_tokens=i, output_tokens=o, metric=metric)  # fmt: skip
            value = measure(row, eff)
            rows.append(row | {"tokens_per_s": value, "ttft_ms": value})
    return pl.DataFrame(rows, schema_overrides={"batch_size": pl.Int64})
