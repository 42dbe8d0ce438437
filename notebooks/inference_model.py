# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Inference performance model: frontiers, regimes and how far to trust them
#
# How fast can an accelerator serve a large language model, and what does the answer cost?
# `hbmcycle.inference` computes, from the datasheet (memory capacity and bandwidth, dense
# FLOPS, scale-up link) and the model's architecture (parameters, KV cache per token, experts),
# the time of one decode step for a batch of sequences: the bytes it must stream (weights once,
# for mixture-of-experts the experts the batch actually touches, plus every sequence's KV cache)
# against the FLOPs it must do, with achievable fractions and overheads **fitted on published
# measurements**. This report shows the throughput/latency frontier of several accelerators,
# which resource bounds decode where, what serving costs per million tokens, and the model's
# error on the measurements, including those held out of the fit.

# %% tags=["parameters"]
# Tokens in each sequence's KV cache while decoding.
context = 4096
# A dense and a mixture-of-experts model (llm_models ids).
dense_model = "llama-3.3-70b"
moe_model = "deepseek-v3"
# Accelerators compared (accelerators ids).
accelerators = [
    "nvidia_h100_sxm",
    "nvidia_h200",
    "nvidia_b200",
    "nvidia_gb200",
    "amd_mi300x",
    "amd_mi355x",
    "google_tpu_v7",
]
# Weight and KV-cache precision (bf16, fp8, fp4 / bf16, fp8).
weights = "fp8"
kv = "fp8"
# Accelerator for the regime map, and the interactive speed the economics table asks for (tokens/s per user).
regime_accelerator = "nvidia_h200"
min_per_user_tokens_per_s = 50.0
# Rental terms for $ per million tokens (on_demand, reserved_1y, reserved_3y, spot, market_index).
rental_terms = "on_demand"

# %%
import altair as alt
import numpy as np
import polars as pl

from hbmcycle import charts
from hbmcycle.data import db
from hbmcycle.inference import calibration, constants, economics
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.frontier import default_group_sizes, evaluate_grid, frontier_table, throughput_at_speed
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.inference.step_time import BOUNDS, max_batch

charts.setup()
accel_table = db.read_table("accelerators")
model_table = db.read_table("llm_models")
engine = constants.current()
record, eff = engine.record, engine.efficiency
w_bytes, kv_bytes = BYTES_PER_ELEMENT[weights], BYTES_PER_ELEMENT[kv]
chosen = accel_table.filter(pl.col("accelerator_id").is_in(accelerators))
missing = sorted(set(accelerators) - set(chosen["accelerator_id"]))
hw_all = hardware_arrays(chosen, weights, strict=False)
models = model_table.filter(pl.col("model_id").is_in([dense_model, moe_model]))
arrays = model_arrays(models)
dense_index = int(np.flatnonzero(arrays.model_id == dense_model)[0])
print(f"engine constants: {engine.label} ({record['method']})")
print(
    "fitted: "
    + ", ".join(f"{k} = {record['parameters'][k]:.3g}" for k in record["fitted"])
    + (f"; at a bound: {', '.join(record['at_bounds'])}" if record["at_bounds"] else "")
)
if missing:
    print(f"not in the accelerators table: {', '.join(missing)}")

# %% [markdown]
# ## The frontier: throughput per accelerator against speed per user
#
# Each line is one accelerator; each point a serving configuration (batch size, and the number
# of accelerators the model is sharded over, up to the scale-up domain) that no other
# configuration beats on both axes. Left: slow per user, cheap per token (big batches); right:
# fast per user, few tokens per accelerator. A model that does not fit any group of an
# accelerator in its domain has no line (DeepSeek-V3 in fp8 needs about 700 GB).

# %%
frames = []
for m in range(len(arrays)):
    for a in range(len(hw_all)):
        if not np.isfinite(hw_all.peak_flops_s[a]):
            print(f"{hw_all.product[a]}: no dense {weights} figure, left out")
            continue
        table = frontier_table(arrays.take(m), hw_all.take(a), context, w_bytes, kv_bytes, eff)
        if table.is_empty():
            print(f"{arrays.model_id[m]} does not fit {hw_all.product[a]} at context {context}")
            continue
        frames.append(
            table.with_columns(
                model=pl.lit(arrays.model_id[m]),
                accelerator=pl.lit(hw_all.product[a]),
                vendor=pl.lit(chosen["vendor"][a]),
            )
        )
frontier = pl.concat(frames)
line = (
    alt.Chart(frontier)
    .mark_line(point=True)
    .encode(
        x=alt.X("per_user_tokens_per_s:Q", scale=alt.Scale(type="log"), title="Tokens/s per user (log)"),
        y=alt.Y("tokens_per_s_per_accelerator:Q", scale=alt.Scale(type="log"), title="Tokens/s per accelerator (log)"),
        color=alt.Color("accelerator:N", title="Accelerator"),
        tooltip=[
            "accelerator",
            "model",
            "group_size",
            "batch",
            "step_ms",
            "per_user_tokens_per_s",
            "tokens_per_s_per_accelerator",
            "bound",
        ],
    )
    .properties(width=420, height=320)
)
charts.titled(
    line.facet(column=alt.Column("model:N", title=None)),
    f"Decode frontier at {context:,} tokens of context ({weights} weights, {kv} KV cache)",
    "hbmcycle.inference on tables accelerators, llm_models; constants fitted on decode_measurements",
)

# %% [markdown]
# ## Which resource bounds decode: the regime map
#
# For one accelerator type, each cell is a (batch, context) pair on the smallest group of
# accelerators that holds the model's weights: grey cells do not fit in memory (capacity), blue
# cells are limited by memory bandwidth, orange by compute. Dense decode stays bandwidth-bound
# until batches of hundreds; long contexts move the memory wall (capacity) to small batches,
# because every sequence carries its KV cache. MLA's small cache keeps DeepSeek-V3's wall far out.

# %%
regime_hw = hardware_arrays(accel_table.filter(pl.col("accelerator_id") == regime_accelerator), weights)
batches = np.unique(np.round(2 ** np.arange(0, 12.5, 0.5)))
contexts = np.unique(np.round(2 ** np.arange(7, 17.5, 0.5)))
cells = []
for m in range(len(arrays)):
    groups = default_group_sizes(regime_hw.scaleup_domain_size[0])
    fits = max_batch(arrays.take(m), regime_hw, contexts[0], groups, w_bytes, kv_bytes, eff.reserve_fraction)
    if not (fits >= 1).any():
        print(f"{arrays.model_id[m]} does not fit one scale-up domain of {regime_hw.product[0]}")
        continue
    group = groups[np.argmax(fits >= 1)]
    grid = evaluate_grid(arrays.take(m), regime_hw, contexts, batches, [group], w_bytes, kv_bytes, eff)
    c_index, b_index = np.meshgrid(np.arange(len(contexts)), np.arange(len(batches)), indexing="ij")
    cells.append(
        pl.DataFrame(
            {
                "model": f"{arrays.model_id[m]} on {int(group)} accelerator{'s' if group > 1 else ''}",
                "context": contexts[c_index.ravel()],
                "batch": batches[b_index.ravel()],
                "bound": [BOUNDS[i] for i in grid.bound[0, 0, :, :, 0].ravel()],
            }
        )
    )
regimes = pl.concat(cells)
heat = (
    alt.Chart(regimes)
    .mark_rect()
    .encode(
        x=alt.X("batch:O", title="Batch (sequences)", axis=alt.Axis(values=[1, 4, 16, 64, 256, 1024, 4096])),
        y=alt.Y(
            "context:O",
            title="Context (tokens)",
            sort="descending",
            axis=alt.Axis(values=[128, 512, 2048, 8192, 32768, 131072]),
        ),
        color=alt.Color(
            "bound:N",
            scale=alt.Scale(domain=list(BOUNDS), range=["#bbbbbb", "#4c78a8", "#f58518"]),
            title="Active bound",
        ),
        tooltip=["model", "batch", "context", "bound"],
    )
    .properties(width=360, height=300)
)
charts.titled(
    heat.facet(column=alt.Column("model:N", title=None)),
    f"Regime map on {regime_hw.product[0]} ({weights} weights, {kv} KV cache)",
    "hbmcycle.inference on tables accelerators, llm_models",
)

# %% [markdown]
# ## Serving economics per system
#
# For each system in the `systems` table whose accelerator is compared above, the best
# configuration that still gives every user at least the requested speed: throughput of the
# whole system, tokens per second per megawatt (rack power where the table states it, else the
# accelerators' TDP alone, which flatters the result) and rental cost per million output tokens
# (median of the latest year's rental prices for that accelerator; empty where none is recorded).
# Each system serves the dense model in replicas of the group size shown.

# %%
systems = db.read_table("systems").filter(pl.col("accelerator_id").is_in(list(hw_all.accelerator_id)))
prices = economics.rental_price(db.read_table("rental_prices"), rental_terms)
rows = []
for system in systems.iter_rows(named=True):
    a = int(np.flatnonzero(hw_all.accelerator_id == system["accelerator_id"])[0])
    if not np.isfinite(hw_all.peak_flops_s[a]):
        continue
    table = frontier_table(arrays.take(dense_index), hw_all.take(a), context, w_bytes, kv_bytes, eff)
    best = throughput_at_speed(table, min_per_user_tokens_per_s)
    if best.is_empty():
        continue
    rows.append(
        {
            "system": system["name"],
            "accelerator_id": system["accelerator_id"],
            "accelerators": system["accelerator_count"],
            "rack_power_kw": system["rack_power_kw"],
            "tdp_w": hw_all.tdp_w[a],
            **best.row(0, named=True),
        }
    )
econ = pl.DataFrame(rows).join(prices, on="accelerator_id", how="left")
power_kw, basis = economics.system_power_kw(
    econ["rack_power_kw"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
    econ["accelerators"].to_numpy(),
    econ["tdp_w"].to_numpy(),
)
system_tokens = econ["tokens_per_s_per_accelerator"].to_numpy() * econ["accelerators"].to_numpy()
econ = econ.with_columns(
    pl.col("usd_per_gpu_hour").cast(pl.Float64),
    system_tokens_per_s=system_tokens,
    power_kw=power_kw,
    power_basis=basis,
    tokens_per_s_per_mw=economics.tokens_per_s_per_megawatt(system_tokens, power_kw),
    usd_per_mtok=economics.usd_per_million_tokens(
        econ["usd_per_gpu_hour"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
        econ["tokens_per_s_per_accelerator"].to_numpy(),
    ),
).with_columns(pl.col("usd_per_mtok").fill_nan(None))  # no rental price: leave the cell empty
charts.html_table(
    econ.select(
        "system",
        "accelerators",
        "group_size",
        "batch",
        pl.col("per_user_tokens_per_s").round(1),
        pl.col("system_tokens_per_s").round(0),
        pl.col("power_kw").round(1),
        "power_basis",
        pl.col("tokens_per_s_per_mw").round(0),
        pl.col("usd_per_gpu_hour").round(2),
        pl.col("usd_per_mtok").round(3),
    ).sort(["power_basis", "tokens_per_s_per_mw"], descending=[False, True]),
    caption="Ranked within each power basis only: TDP-only power flatters a system against rack power",
)

# %% [markdown]
# The bookkeeping behind these columns reproduces the seed's arithmetic (the seed's figures are
# rows of `seed_claims`): concurrent requests x tokens/s each, per megawatt of rack power.

# %%
seed = dict(db.read_table("seed_claims").select("claim_id", "claimed_value").iter_rows())
seed_tokens = economics.total_tokens_per_s(seed["rubin_example_batch"], seed["rubin_example_speed"])
seed_per_mw = economics.tokens_per_s_per_megawatt(seed_tokens, seed["rubin_nvl72_power_120kw"])
print(
    f"{seed['rubin_example_batch']:,.0f} requests x {seed['rubin_example_speed']:g} tokens/s = {seed_tokens:,.0f} tokens/s; "
    f"at {seed['rubin_nvl72_power_120kw']:g} kW {seed_per_mw:,.0f} tokens/s per MW (the seed states "
    f"{seed['rubin_tokens_per_mw']:,.0f})"
)

# %% [markdown]
# ## How far to trust it: predicted against measured
#
# Every row of `decode_measurements` predicted with the fitted constants. Points on the
# diagonal are exact; the dotted lines mark the caveat threshold (`calibration.CAVEAT_ABS_ERROR`).
# Held-out rows were not used in the fit, so
# their error is the honest estimate of the error on new configurations.

# %%
validation = pl.DataFrame(record["validation"], infer_schema_length=None)
summary = calibration.summary(validation)
low = float(min(validation["measured"].min(), validation["predicted"].min())) / 1.5
high = float(max(validation["measured"].max(), validation["predicted"].max())) * 1.5
band = 1.0 + calibration.CAVEAT_ABS_ERROR
diagonal = pl.DataFrame({"x": [low, high]}).with_columns(y=pl.col("x"), lo=pl.col("x") / band, hi=pl.col("x") * band)
log = alt.Scale(type="log", domain=[low, high])
points = (
    alt.Chart(validation)
    .mark_point(filled=True, size=60)
    .encode(
        x=alt.X("measured:Q", scale=log, title="Measured (tokens/s; ms for time to first token)"),
        y=alt.Y("predicted:Q", scale=log, title="Predicted (same unit)"),
        color=alt.Color("split:N", title="Row used in"),
        shape=alt.Shape("metric:N", title="Metric"),
        tooltip=["measurement_id", "metric", "measured", "predicted", alt.Tooltip("error:Q", format="+.0%"), "caveat"],
    )
)
ref = alt.Chart(diagonal)
lines = (
    ref.mark_line(color="black").encode(x="x:Q", y="y:Q")
    + ref.mark_line(color="grey", strokeDash=[2, 3]).encode(x="x:Q", y="lo:Q")
    + ref.mark_line(color="grey", strokeDash=[2, 3]).encode(x="x:Q", y="hi:Q")
)
charts.titled(
    (lines + points).properties(width=480, height=420),
    "Inference model: predicted vs measured",
    "table decode_measurements (TensorRT-LLM performance docs, NVIDIA NIM benchmarks, vLLM sweep)",
)

# %%
charts.html_table(summary, percent=("median_abs_error", "max_abs_error"))

# %% [markdown]
# Where the model is far off, and why (rows missed by more than `calibration.CAVEAT_ABS_ERROR`
# carry a caveat in the table below):
#
# * **Rows whose batch the engine chose** (TensorRT-LLM 1.0 maximum-load runs): the model
#   assumes the largest batch whose *whole* sequences fit, capped at the engine batch cap
#   (`engine_batch_cap` in `inference/assumptions.yaml`); engines that
#   admit requests by their current length run bigger batches, so short-output rows come out
#   low on Hopper.
# * **Precision and generation**: one set of efficiencies serves FP8 on Hopper and FP4 on
#   Blackwell; Blackwell FP4 rows are systematically over-predicted, i.e. the FP4 software
#   reached a smaller fraction of its datasheet peak than FP8 on Hopper did.
# * **Prefill-heavy rows** (input ≫ output): in-flight batching interleaves prefill chunks
#   with decode steps; the model charges prefill at a separate efficiency and ignores the
#   interference.
# * **MoE on 8 GPUs** (Qwen3-235B): expert load imbalance and all-to-all traffic are modelled as
#   uniform routing and an all-reduce.
# * **Old engines** (TensorRT-LLM 0.5/0.6, 2023): static batching and early FP8 kernels.

# %%
charts.html_table(
    validation.filter(pl.col("error").abs() > calibration.CAVEAT_ABS_ERROR)
    .select(
        "measurement_id",
        "split",
        "metric",
        pl.col("batch").round(0),
        pl.col("measured").round(1),
        pl.col("predicted").round(1),
        pl.col("error").round(3),
        "caveat",
    )
    .sort("error"),
    percent=("error",),
    caption="Rows with |error| > 25 %",
)

# %% tags=["summary"]
# The summary the report opens with (the renderer moves this cell to the top).
from hbmcycle.reports.summary import Finding
from hbmcycle.reports.summary import summary as executive_summary

held_out = summary.filter(pl.col("split") == "held_out")
POWER_BASES = {"rack_power_kw": "the stated rack power", "accelerator_tdp_only": "the accelerators' TDP only"}
findings = []
for basis, rows in econ.drop_nulls("tokens_per_s_per_mw").group_by("power_basis", maintain_order=True):
    best_row = rows.sort("tokens_per_s_per_mw", descending=True).row(0, named=True)
    findings.append(
        Finding(
            f"Among systems whose power is {POWER_BASES.get(basis[0], basis[0])}, {best_row['system']} serves the most "
            f"tokens per MW at "
            f">= {min_per_user_tokens_per_s:g} tok/s per user: {best_row['tokens_per_s_per_mw']:,.0f} tok/s/MW.",
            "Serving economics per system",
        )
    )
share = {b: regimes.filter(pl.col("bound") == b).height / regimes.height for b in BOUNDS}
fits = [b for b in BOUNDS if b != "capacity"]
dominant = max(fits, key=share.get)
findings.insert(
    0,
    Finding(
        f"On {regime_hw.product[0]}, decode is {dominant}-bound in {share[dominant]:.0%} of the batch × context grid, "
        + ", ".join(f"{b}-bound in {share[b]:.0%}" for b in fits if b != dominant)
        + f"; {share['capacity']:.0%} of the grid does not fit in memory.",
        "Which resource bounds decode: the regime map",
    ),
)
if held_out.height:
    findings.append(
        Finding(
            f"On held-out measurements the model's median error is {held_out['median_abs_error'][0]:.0%} "
            f"(max {held_out['max_abs_error'][0]:.0%}, {held_out['rows'][0]} rows).",
            "How far to trust it: predicted against measured",
        )
    )
executive_summary(
    "How fast does each system decode an LLM, what does a token cost, and how far can the model be trusted?",
    f"Where a batch fits, decode is mostly {dominant}-bound; the calibrated model tracks measurements to a median "
    f"{summary.filter(pl.col('split') == 'all')['median_abs_error'][0]:.0%} error ({engine.label}).",
    findings[:6],
)

# %% [markdown]
# ## From a decode step to a serving system: MLPerf and InferenceX
#
# `hbmcycle serve` puts continuous batching with chunked prefill on top of the step engine:
# each iteration decodes one token for every running sequence and prefills enough prompt
# tokens to keep them running; throughput, TTFT and TPOT follow for every group size and
# concurrency, and the best point that meets a scenario's latency limits is the answer
# (`hbmcycle.inference.serving`, `.system`). Software maturity is data: one factor per vendor
# and weight precision, fitted on MLPerf rounds up to v5.0 only. Every later round and the
# InferenceX points are predictions the fit never saw. The split, the factors and the rows
# behind each are printed below.

# %%
from hbmcycle.inference import system_validation
from hbmcycle.inference.system_report import system_table

system = system_table(engine)
print(engine.record["system"]["split"])
charts.html_table(
    pl.DataFrame(
        [{"key": key, **value} for key, value in engine.maturity.items()],
    ).with_columns(pl.col("factor").round(3))
)

# %%
scored = system.filter(pl.col("error").is_not_nan()).with_columns(
    pl.col("round").replace("", "InferenceX").alias("round"), pl.col("error").abs().alias("abs_error")
)
lo_s = float(scored["measured_tokens_per_s_per_accelerator"].min()) / 1.5
hi_s = float(scored["measured_tokens_per_s_per_accelerator"].max()) * 1.5
diag = pl.DataFrame({"x": [lo_s, hi_s]}).with_columns(y=pl.col("x"), lo=pl.col("x") / 1.25, hi=pl.col("x") * 1.25)
log_s = alt.Scale(type="log", domain=[lo_s, hi_s])
system_points = (
    alt.Chart(scored)
    .mark_point(filled=True, size=70)
    .encode(
        x=alt.X("measured_tokens_per_s_per_accelerator:Q", scale=log_s, title="Measured tokens/s per accelerator"),
        y=alt.Y("predicted_tokens_per_s_per_accelerator:Q", scale=log_s, title="Predicted tokens/s per accelerator"),
        color=alt.Color("vendor:N", scale=charts.vendor_scale(scored["vendor"].unique().to_list()), title="Vendor"),
        shape=alt.Shape("round:N", title="Round"),
        tooltip=["result_id", "scenario", "gpus", "precision", "split", alt.Tooltip("error:Q", format="+.0%"), "bound"],
    )
)
ref_s = alt.Chart(diag)
charts.titled(
    (
        ref_s.mark_line(color="black").encode(x="x:Q", y="y:Q")
        + ref_s.mark_line(color="grey", strokeDash=[2, 3]).encode(x="x:Q", y="lo:Q")
        + ref_s.mark_line(color="grey", strokeDash=[2, 3]).encode(x="x:Q", y="hi:Q")
        + system_points
    ).properties(width=480, height=420),
    "Serving model: predicted vs measured, MLPerf and InferenceX",
    "table inference_benchmarks (MLCommons MLPerf Inference v4.0-v6.0, SemiAnalysis InferenceX), workloads",
)

# %%
head = system_validation.headline(system)
print(
    f"MLPerf Llama-2-70B Offline, {head['rows'].height} accelerators (v5.1, MI355X v6.0; fit on <= v5.0): "
    f"median |error| {head['median_abs_error']:.1%}, Spearman {head['spearman']:.2f}"
)
charts.html_table(
    head["rows"].select(
        "result_id",
        "gpus",
        "precision",
        "maturity_from",
        pl.col("measured_tokens_per_s_per_accelerator").round(0),
        pl.col("predicted_tokens_per_s_per_accelerator").round(0),
        pl.col("error").round(3),
    )
)

# %%
charts.html_table(
    pl.concat(
        [
            system_validation.summary(system, by)
            .rename({by: "value"})
            .with_columns(by=pl.lit(by))
            .cast({"value": pl.Utf8})
            for by in ("split", "scenario", "vendor", "round")
        ]
    ).select("by", "value", "rows", pl.col("median_abs_error", "max_abs_error").round(3))
)

# %% [markdown]
# Where the system-level error is large, and why. The table after this list gives the median
# *signed* error (positive = over-predicted) per model and scenario, so the direction of each
# miss is read from the data, not from this text:
#
# * **Server and Interactive**: the model checks its p90 TTFT and TPOT (an M/D/1 queue of
#   prompt chunks, the mean iteration) against MLPerf's p99 limits, and it knows no
#   speculative decoding (allowed for DeepSeek-R1 Interactive in v6.0) or per-round tuning
#   of batch and pool sizes; errors go both ways.
# * **DeepSeek-R1 (rounds v5.1 and later only)**: no fit row exists for this model, and the
#   measured throughput per GPU on the same hardware rose a lot from v5.1 to v6.0 (compare the
#   B200 and GB200 rows of the two rounds), i.e. MoE/FP4 software matured faster than the
#   Llama FP4 rows the NVIDIA FP4 factor was fitted on. MoE routing, wide expert parallelism
#   and multi-token prediction are modelled to first order (uniform routing with a
#   load-imbalance factor, all-to-all at link bandwidth).
# * **Rows with no prediction**: the Llama-3.1-405B and Llama-3.1-8B workloads state no
#   input length in the sources read, so none of their rows is scored (last table).
# * **InferenceX**: three interpolated points only; the InferenceX repository holds
#   configurations, not measured curves, so no measured throughput-vs-interactivity curve is in
#   the table.
# * **MI355X** has no fitted factor of its own (no AMD FP4 row before v5.1): it uses AMD's
#   pooled factor.

# %%
charts.html_table(
    scored.group_by("model_id", "scenario")
    .agg(
        pl.len().alias("rows"),
        pl.col("error").median().round(3).alias("median_signed_error"),
        pl.col("abs_error").median().round(3).alias("median_abs_error"),
    )
    .sort("model_id", "scenario")
)

# %%
charts.html_table(
    scored.sort("abs_error", descending=True)
    .head(15)
    .select("result_id", "scenario", "split", pl.col("error").round(3), "bound", "maturity_from")
)

# %%
charts.html_table(
    system.filter(pl.col("error").is_nan())
    .group_by("bound")
    .agg(pl.len().alias("rows"), pl.col("workload_id").unique().sort().str.join(", ").alias("workloads"))
)

# %% [markdown]
# ## The serving frontier: throughput per accelerator against speed per user
#
# The most output tokens/s per accelerator at each per-user speed, for the dense model and the
# mixture-of-experts model on rack-scale systems (a whole scale-up domain, e.g. 72 GPUs of an
# NVL72), colocated (prefill chunks share iterations with decode) and disaggregated (separate
# prefill and decode pools, KV cache sent over the network, pool ratio optimised). MoE models
# on a group run expert parallelism with attention data parallelism (wide EP across the domain).

# %%
from hbmcycle.inference import assumptions as engine_assumptions
from hbmcycle.inference import workloads as serving_workloads
from hbmcycle.inference.serving_frontier import serving_frontier
from hbmcycle.inference.system_validation import maturity_for

frontier_systems = ["nvidia_h200", "nvidia_b200", "nvidia_gb200", "nvidia_gb300", "nvidia_rubin", "amd_mi355x"]
assumed = engine_assumptions.load()
frontier_workload = serving_workloads.lookup(db.read_table("workloads"), "inferencex-1k8k", assumed)
frames = []
for accelerator_id in frontier_systems:
    row = accel_table.filter(pl.col("accelerator_id") == accelerator_id)
    precision = "fp4" if row["fp4_dense_tflops"][0] is not None else "fp8"
    hw_one = hardware_arrays(row, precision, strict=False)
    gpus = int(row["scaleup_domain_size"][0] or 8)
    factor = maturity_for(engine.maturity, row["vendor"][0], precision)[0]
    for model_id in (dense_model, moe_model):
        one_model = model_arrays(model_table.filter(pl.col("model_id") == model_id))
        for disaggregated in (False, True):
            points = serving_frontier(
                one_model, hw_one, frontier_workload, gpus, BYTES_PER_ELEMENT[precision], BYTES_PER_ELEMENT["fp8"],
                eff, assumed, factor, disaggregated,
            )  # fmt: skip
            if points.height:
                frames.append(
                    points.with_columns(
                        accelerator_id=pl.lit(f"{accelerator_id} x{gpus} ({precision})"),
                        model_id=pl.lit(model_id),
                        serving=pl.lit("disaggregated" if disaggregated else "colocated"),
                    )
                )
serving = pl.concat(frames)
charts.titled(
    alt.Chart(serving)
    .mark_line(point=True)
    .encode(
        x=alt.X("per_user_tokens_per_s:Q", scale=alt.Scale(type="log"), title="Tokens/s per user"),
        y=alt.Y("tokens_per_s_per_accelerator:Q", scale=alt.Scale(type="log"), title="Output tokens/s per accelerator"),
        color=alt.Color("accelerator_id:N", title="System"),
        strokeDash=alt.StrokeDash("serving:N", title="Serving"),
        tooltip=["accelerator_id", "serving", "group_size", "concurrency", "ttft_ms", "bound"],
    )
    .properties(width=330, height=300)
    .facet(column=alt.Column("model_id:N", title=None)),
    f"Serving frontier on {frontier_workload.workload_id} "
    f"(ISL/OSL means {frontier_workload.input_tokens:g}/{frontier_workload.output_tokens:g})",
    "tables accelerators, llm_models, workloads; engine constants and maturity factors as above",
)
