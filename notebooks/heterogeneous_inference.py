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
# # Heterogeneous inference: where SRAM chips win, and what attention-FFN disaggregation buys
#
# Two of the seed posts argue that inference splits into three stages with different needs
# (prefill, decode attention, decode FFN), that SRAM-only chips (Groq LPU / NVIDIA LPX,
# Cerebras WSE-3) suit only decode FFN, and that NVIDIA's Rubin + LPX split (attention on HBM
# GPUs, FFN on LPUs) moves the throughput/interactivity frontier. This report turns those
# arguments into a model (`hbmcycle.hetero`, built on the inference model of `hbmcycle.inference`)
# and checks every figure against it. Specs, prices and power come from the project tables;
# where a table lacks a figure the report says so and uses a stated proxy (named in the chip table
# at the end) or leaves the check open. Assumptions live in `hetero/assumptions.yaml`.

# %% tags=["parameters"]
# Model served (id or name in llm_models) and the context each sequence holds (tokens).
model = "llama-3.3-70b"
context = 8192
# Tokens generated per request: sets how much prefill each option must also pay for.
output_tokens = 1024
# Number formats of weights and KV cache.
weights = "fp8"
kv = "fp8"
# Serving-stack overheads: "calibrated" (fitted on measurements) or "lean" (an assumed optimised stack, a sensitivity).
stack = "calibrated"
# Draft model for speculative decoding.
draft_model = "llama-3.1-8b"
# One-way GPU <-> LPU hop latency (microseconds), the main assumption of the AFD model.
hop_latency_us = 5.0
# Per-user speeds (tokens/s) at which costs are compared.
speed_levels = [50, 100, 200, 400, 1000]

# %%
from dataclasses import replace

import altair as alt
import numpy as np
import polars as pl

from hbmcycle import assumptions as assumption_files
from hbmcycle import charts
from hbmcycle.claims import registry
from hbmcycle.claims import table as claims_table
from hbmcycle.data import db
from hbmcycle.hetero import claims_chart, economics, speculative, stages, steps
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.scenario import Choice, calibrated_efficiency, load_scenario, read_tables
from hbmcycle.inference.hardware import hardware_arrays
from hbmcycle.inference.step_time import decode_step
from hbmcycle.prices import api_check, basis

charts.setup()
tables = read_tables()
assumptions = dis.Assumptions(hop_latency_s=hop_latency_us * 1e-6)
choice = Choice(model=model, context=context, output_tokens=output_tokens, weights=weights, kv=kv, stack=stack)
s = load_scenario(choice, tables, assumptions)
draft = load_scenario(replace(choice, model=draft_model), tables, assumptions)
points, skipped = dis.all_points(s)
claims_frame, claims_flips = registry.hetero_claims(tables, db.read_table("seed_claims"), choice, assumptions)
_, provenance = calibrated_efficiency()
label = pl.col("option").replace_strict({**dis.OPTION_LABELS, "gpu_baseline": "GPU only, previous generation"})
points = points.with_columns(option_label=label)
print(
    f"{s.model.model_id[0]}, context {context:,}, {weights} weights / {kv} KV, {stack} stack; "
    f"GPU {s.gpu.accelerator_id}, SRAM chip {s.lpu.accelerator_id}, wafer {s.wafer.accelerator_id}, "
    f"baseline {s.baseline_gpu.accelerator_id}. Efficiencies: {provenance}."
)
for message in skipped:
    print("not modelled:", message)

# %% tags=["summary"]
# The summary the report opens with (the renderer moves this cell to the top).
from hbmcycle.reports.summary import from_verdicts, overall, tally
from hbmcycle.reports.summary import summary as executive_summary

executive_summary(
    "Where do SRAM chips (Groq/LPX, Cerebras) win in LLM inference, and what does attention-FFN disaggregation buy?",
    f"Overall verdict on the seed's claims: {overall(claims_frame['verdict'])}. Of {claims_frame.height} claims, "
    f"{tally(claims_frame['verdict'])} ({s.model.model_id[0]}, context {context:,}).",
    from_verdicts(claims_frame, "The seed posts' claims"),
)

# %% [markdown]
# ## The seed posts' claims
#
# Every claim of the heterogeneous_inference and gtc2026_review posts (table `seed_claims`), with
# the verdict, the scope it was tested at, the evidence (measured / modelled / data / arithmetic),
# the threshold and what would change it: each key input searched for the value at which the
# verdict flips (hop latency, serving stack, price basis, amortisation, acceptance rate, context,
# batch). NVIDIA's chart claims were made for a trillion-parameter MoE at long context in FP4 on
# NVL72 racks, and are judged there with the rack-scale serving model (`hbmcycle serve`): the
# GPU-only Blackwell claim directly, the Rubin + LPX claims (35x at 400 tokens/s, 1,000+ tokens/s)
# with attention-FFN disaggregation onto LPX in that model (section 3, "NVIDIA's chart at its own scope").
# `hbmcycle claims --post heterogeneous_inference --json` prints the same records.

# %%
print(claims_table.summary(claims_frame))
claims_table.display(claims_frame, claims_flips)

# %%
charts.html_table(claims_flips)

# %% [markdown]
# ## 1. The three stages against each chip's ridge point
#
# Arithmetic intensity (FLOP per byte moved) of each stage, per layer, against batch size. A
# stage whose intensity is below a chip's ridge point (peak FLOP/s over memory bandwidth,
# dashed) is bandwidth-bound there. Decode FFN's intensity is 2 FLOP per weight byte per
# sequence, so it rises with batch; decode attention stays low because every sequence reads its
# own KV cache; prefill sits orders of magnitude higher. SRAM chips' ridge points are low: an
# LPU becomes compute-bound at a few sequences, which is the compute density it traded for bandwidth.

# %%
batches = np.unique(np.round(np.geomspace(1, 2048, 40)))
attn = stages.decode_attention_work(s.sp, s.model, batches, context, s.weight_bytes, s.kv_bytes)
ffn = stages.decode_ffn_work(s.sp, s.model, batches, s.weight_bytes)
pre = stages.prefill_work(s.model, context, 1.0, s.weight_bytes, s.kv_bytes)
intensity = pl.concat(
    [
        pl.DataFrame({"batch": batches, "flop_per_byte": np.ravel(attn.intensity), "stage": "decode attention"}),
        pl.DataFrame({"batch": batches, "flop_per_byte": np.ravel(ffn.intensity), "stage": "decode FFN"}),
        pl.DataFrame(
            {
                "batch": batches,
                "flop_per_byte": np.full(batches.size, float(np.ravel(pre.intensity)[0])),
                "stage": f"prefill ({context:,}-token prompt)",
            }
        ),
    ]
)
ridge_ids = [s.gpu.accelerator_id, s.baseline_gpu.accelerator_id, s.lpu.accelerator_id, "nvidia_h100_sxm"]
ridge_hw = hardware_arrays(tables.accelerators.filter(pl.col("accelerator_id").is_in(ridge_ids)), weights, strict=False)
ridges = (
    pl.DataFrame({"chip": ridge_hw.accelerator_id, "ridge": stages.ridge_point(ridge_hw)}).drop_nans().sort("ridge")
)
ridges = ridges.with_columns(label_batch=pl.Series([2.0 ** (3 * i) for i in range(ridges.height)]))  # stagger labels
lines = (
    alt.Chart(intensity)
    .mark_line()
    .encode(
        x=alt.X("batch:Q", scale=alt.Scale(type="log"), title="sequences in the batch"),
        y=alt.Y("flop_per_byte:Q", scale=alt.Scale(type="log"), title="arithmetic intensity (FLOP/byte)"),
        color=alt.Color("stage:N", title="stage"),
    )
)
rules = alt.Chart(ridges).mark_rule(strokeDash=[4, 4], color="#555").encode(y="ridge:Q")
rule_text = (
    alt.Chart(ridges)
    .mark_text(align="left", dx=2, dy=-6, color="#555")
    .encode(y="ridge:Q", x="label_batch:Q", text=alt.Text("chip:N"))
)
charts.titled(
    lines + rules + rule_text,
    f"Stage intensity vs ridge points ({s.model.model_id[0]}, context {context:,}, {weights})",
    "hbmcycle.hetero.stages on llm_models; ridge = dense peak / bandwidth from accelerators",
)

# %%
charts.html_table(
    stages.stage_table(
        s.sp, s.model, steps.settings()["stage_batch"], context, context, s.weight_bytes, s.kv_bytes
    ).with_columns(pl.exclude("stage").round(3))
)

# %% [markdown]
# ## 2. Attention's share of decode time grows with context and batch
#
# The seed puts attention at ~40 % and FFN at ~60 % of decode time (FFN above 60 % at short
# context). On one GPU's roofline (calibrated bandwidth and compute efficiencies, no fixed
# overheads) FFN's share is the weights' fixed cost against the KV cache, which grows with
# batch x context. The seed's split holds only in a band of batch x context (shaded).

# %%
contexts = np.unique(np.round(np.geomspace(512, 262144, 30)))
split_rows = []
for b in (1, 8, 32, 128, 512):
    a_s, f_s = stages.decode_split(
        s.sp, s.model, s.gpu.hw, float(b), contexts, 1.0, s.weight_bytes, s.kv_bytes, s.gpu_eff
    )
    split_rows.append(pl.DataFrame({"context": contexts, "ffn_share": np.ravel(f_s / (a_s + f_s)), "batch": str(b)}))
split = pl.concat(split_rows)
seed_share = float(
    db.read_table("seed_claims").filter(pl.col("claim_id") == "attn_ffn_split_40_60")["claimed_value"][0]
)
band_lo, band_hi = seed_share - steps.settings()["ffn_share_band"], seed_share + steps.settings()["ffn_share_band"]
band = (
    alt.Chart(pl.DataFrame({"lo": [band_lo], "hi": [band_hi]}))
    .mark_rect(opacity=0.12, color="#76b900")
    .encode(y="lo:Q", y2="hi:Q")
)
split_lines = (
    alt.Chart(split)
    .mark_line()
    .encode(
        x=alt.X("context:Q", scale=alt.Scale(type="log"), title="context (tokens)"),
        y=alt.Y(
            "ffn_share:Q", axis=alt.Axis(format="%"), title="FFN share of decode time", scale=alt.Scale(domain=[0, 1])
        ),
        color=alt.Color("batch:N", sort=["1", "8", "32", "128", "512"], title="batch"),
    )
)
charts.titled(
    band + split_lines,
    f"FFN share of decode time on {s.gpu.accelerator_id} (band: {band_lo:.0%}-{band_hi:.0%}, the seed's share +- the tolerance)",
    "hbmcycle.hetero.stages.decode_split; llm_models, accelerators, calibration.json",
)

# %% [markdown]
# ## 3. The frontier: throughput per MW against per-user speed
#
# Every feasible configuration (batch, chips, micro-batches) of each option; lines join each
# option's Pareto-optimal points; filled points are optimal across all options. Throughput
# counts the chips for prefill too (`output_tokens` per request). Power for chips without a
# published figure is a proxy range (mid shown; the chip table at the end names the rule per chip).
# Options whose chips lack a published peak have no compute bound; they are drawn dashed as upper
# bounds (the line below lists them).

# %%
unbounded = sorted(points.filter(~pl.col("compute_modelled"))["option"].unique().to_list())
print("options without a compute bound:", ", ".join(unbounded) or "none (every chip has a published peak)")

# %%
front = dis.overall_pareto(dis.frontier(points)).with_columns(option_label=label)
front = front.with_columns(
    model_scope=pl.when(pl.col("compute_modelled"))
    .then(pl.lit("modelled"))
    .otherwise(pl.lit("upper bound: no compute figure"))
)
frontier_lines = (
    alt.Chart(front)
    .mark_line(point=False)
    .encode(
        x=alt.X("per_user_tokens_per_s:Q", scale=alt.Scale(type="log"), title="tokens/s per user"),
        y=alt.Y("tokens_per_s_per_mw:Q", scale=alt.Scale(type="log"), title="output tokens/s per MW"),
        color=alt.Color("option_label:N", title="option"),
        strokeDash=alt.StrokeDash("model_scope:N", title="points"),
        order="per_user_tokens_per_s:Q",
    )
)
optimal = (
    alt.Chart(front.filter(pl.col("overall_optimal")))
    .mark_circle(size=40)
    .encode(
        x="per_user_tokens_per_s:Q",
        y="tokens_per_s_per_mw:Q",
        color="option_label:N",
        tooltip=[
            "option_label",
            "batch",
            "gpus",
            "lpus",
            "wafers",
            "microbatches",
            alt.Tooltip("per_user_tokens_per_s:Q", format=",.0f"),
            alt.Tooltip("tokens_per_s_per_mw:Q", format=",.0f"),
        ],
    )
)
charts.titled(
    frontier_lines + optimal,
    f"Throughput vs interactivity by option ({s.model.model_id[0]}, context {context:,})",
    "hbmcycle.hetero.disaggregation on accelerators, systems, rental_prices, llm_models",
)

# %%
where = (
    front.filter(pl.col("overall_optimal"))
    .group_by("option_label")
    .agg(
        pl.col("per_user_tokens_per_s").min().round(0).alias("optimal from tok/s/user"),
        pl.col("per_user_tokens_per_s").max().round(0).alias("optimal to tok/s/user"),
    )
    .sort("optimal from tok/s/user")
)
charts.html_table(where)

# %% [markdown]
# ### How the AFD result depends on the hop
#
# Each layer costs a round trip between the pools, so the hop latency caps AFD's per-user speed
# at about `1 / (layers x (2 hop + fixed per-layer costs))`. The chart reruns the AFD option
# over hop latencies and compares its peak speed with the GPU-only option's.

# %%
hop_rows = []
for hop in (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0):
    scenario_hop = replace(s, assumptions=replace(assumptions, hop_latency_s=hop * 1e-6))
    afd_points = dis.option_points("gpu_lpx_afd", scenario_hop)
    hop_rows.append({"hop_us": hop, "option": "GPU + LPX (AFD)", "peak": afd_points["per_user_tokens_per_s"].max()})
gpu_peak = points.filter(pl.col("option") == "gpu_only")["per_user_tokens_per_s"].max()
hops = pl.DataFrame(hop_rows)
hop_chart = (
    alt.Chart(hops)
    .mark_line(point=True)
    .encode(
        x=alt.X("hop_us:Q", title="one-way GPU<->LPU hop latency (us)"),
        y=alt.Y("peak:Q", title="peak tokens/s per user"),
    )
)
gpu_rule = (
    alt.Chart(pl.DataFrame({"peak": [gpu_peak], "label": ["GPU only"]})).mark_rule(color="#76b900").encode(y="peak:Q")
)
charts.titled(
    hop_chart + gpu_rule,
    "AFD peak per-user speed vs hop latency (line: GPU only)",
    "hbmcycle.hetero.disaggregation; hop latency is an assumption",
)

# %% [markdown]
# ### NVIDIA's chart at its own scope: Rubin + LPX against NVL72 racks
#
# The chart claims (35x tokens/s per MW at 400 tokens/s per user, 1,000+ tokens/s) were made for
# a trillion-parameter MoE at long context in FP4. Here every system serves that workload
# (`in_scope_*` in `hetero/assumptions.yaml`) on the rack-scale serving model: Rubin + LPX as
# attention-FFN disaggregation (a Rubin NVL72 decode pool with the KV cache, the routed experts on
# LP30 chips, a Rubin prefill pool; `hbmcycle.hetero.rack_afd`), the GPU-only NVL72 racks as the
# best of colocated and prefill-decode disaggregated serving with expert parallelism
# (`hbmcycle.inference.rack`, the search of the thesis report's rack matrix). Each point is
# the most tokens/s per MW among configurations at least that fast per user (prefill GPUs and LPUs
# counted); a missing point: the system cannot reach that speed. The LPU's power is a proxy (no LP30
# or LPX figure is published), so the 35x verdict carries an LPU-power sensitivity.

# %%
chart_model = claims_chart.ChartModel(tables, steps.settings(), assumptions, s.gpu.accelerator_id, s.lpu.accelerator_id)
in_scope = steps.settings()
chart_levels = [25, 50, 100, 200, 300, 400, 600, 800, 1000, 1300]
curves = pl.concat(
    claims_chart.speed_curves(
        chart_model, chart_levels, in_scope["in_scope_context"], name, hop_latency_us
    ).with_columns(stack=pl.lit(name))
    for name in steps.STACKS
)
chart_lines = (
    alt.Chart(curves)
    .mark_line(point=True)
    .encode(
        x=alt.X("level:Q", scale=alt.Scale(type="log"), title="tokens/s per user (at least)"),
        y=alt.Y("tokens_per_s_per_mw:Q", scale=alt.Scale(type="log"), title="output tokens/s per MW"),
        color=alt.Color("system:N", title="system"),
        strokeDash=alt.StrokeDash("stack:N", title="serving stack"),
        tooltip=["system", "stack", "level", alt.Tooltip("tokens_per_s_per_mw:Q", format=",.0f")],
    )
)
chart_speeds = alt.Chart(pl.DataFrame({"speed": [400.0, 1000.0]})).mark_rule(strokeDash=[2, 2], color="#999")
charts.titled(
    chart_lines + chart_speeds.encode(x="speed:Q"),
    f"Throughput per MW vs per-user speed at the chart's scope ({in_scope['in_scope_model']}, "
    f"{in_scope['in_scope_weights']}, {in_scope['in_scope_context']:,.0f}-token prompts, hop {hop_latency_us:g} us)",
    "hbmcycle.hetero.rack_afd and hbmcycle.inference.rack on the serving model; accelerators, systems, llm_models, "
    "calibration.json; LPU power a proxy",
)

# %%
# tokens/s per MW at a few speeds (an empty cell: that system cannot reach the speed on that stack)
at_levels = curves.filter(pl.col("level").is_in([100.0, 200.0, 400.0, 1000.0])).pivot(
    on="system", index=["stack", "level"], values="tokens_per_s_per_mw"
)
chart_systems = [c for c in at_levels.columns if c not in ("stack", "level")]
charts.html_table(
    at_levels.with_columns(pl.col(chart_systems).round(0)).rename(
        {"level": "speed_floor_tokens_per_s"} | {c: f"{c} (tok/s per MW)" for c in chart_systems}
    )
)

# %%
chart_ids = list(claims_chart.CHART_CLAIMS)
charts.html_table(claims_flips.filter(pl.col("claim_id").is_in(chart_ids[::2])))

# %% [markdown]
# ## 4. Speculative decoding: an SRAM draft, GPU verification
#
# Expected tokens per verification `(1 - a^(g+1)) / (1 - a)`; speed-up = tokens x target step /
# (g draft steps + one verification). The draft model runs either on the target's GPUs
# (time-shared) or on enough SRAM chips to hold it. Batch 1, context as above.

# %%
g_gpu = float(
    dis.chips_to_hold(s.model.total_params[0] * s.weight_bytes, s.gpu.hw.memory_bytes[0], s.gpu_eff.reserve_fraction)
)
target = float(
    np.ravel(decode_step(s.model, s.gpu.hw, 1.0, context, g_gpu, s.weight_bytes, s.kv_bytes, s.gpu_eff).step_s)[0]
)
lpus = float(
    dis.chips_to_hold(
        draft.model.total_params[0] * s.weight_bytes + float(draft.model.kv_bytes_per_sequence(context, s.kv_bytes)[0]),
        s.lpu.hw.memory_bytes[0],
        assumptions.sram_reserve_fraction,
    )
)
sram_eff = replace(s.sram_eff, allreduce_latency_s=assumptions.sram_collective_latency_s)
draft_times = {
    f"draft on {g_gpu:g} {s.gpu.accelerator_id}": speculative.draft_step_seconds(
        draft.model, s.gpu.hw, 1.0, context, g_gpu, s.weight_bytes, s.kv_bytes, s.gpu_eff
    ),
    f"draft on {lpus:g} {s.lpu.accelerator_id}": speculative.draft_step_seconds(
        draft.model, s.lpu.hw, 1.0, context, lpus, s.weight_bytes, s.kv_bytes, sram_eff
    ),
}
alphas = np.linspace(0.0, 0.95, 39)
spec_rows = []
for gamma in (2, 4, 8):
    verify = speculative.verify_seconds(
        s.model, s.gpu.hw, 1.0, context, gamma, g_gpu, s.weight_bytes, s.kv_bytes, s.gpu_eff
    )
    for where_label, t_draft in draft_times.items():
        spec_rows.append(
            pl.DataFrame(
                {
                    "acceptance": alphas,
                    "speedup": np.ravel(speculative.speedup(alphas, gamma, t_draft, target, verify)),
                    "draft": where_label,
                    "gamma": f"gamma = {gamma}",
                }
            )
        )
spec = pl.concat(spec_rows)
spec_chart = (
    alt.Chart(spec)
    .mark_line()
    .encode(
        x=alt.X("acceptance:Q", title="per-token acceptance rate"),
        y=alt.Y("speedup:Q", title="speed-up over plain decoding"),
        color=alt.Color("draft:N", title="where the draft runs"),
        strokeDash=alt.StrokeDash("gamma:N", title="draft length"),
    )
)
one = alt.Chart(pl.DataFrame({"y": [1.0]})).mark_rule(color="#999").encode(y="y:Q")
charts.titled(
    spec_chart + one,
    f"Speculative decoding: {draft.model.model_id[0]} drafting for {s.model.model_id[0]}",
    "hbmcycle.hetero.speculative on the inference model; llm_models, accelerators",
)

# %% [markdown]
# ## 5. Cost per million tokens by option and speed
#
# For each option and per-user speed level, the cheapest configuration at least that fast.
# Every chip is priced on one stated basis (the first of the market index, TCO from sourced inputs
# and the on-demand list price that has a figure; a power proxy where none has; the chip table at
# the end names each). Vertical lines span the price range. A missing point: the option cannot
# reach that speed.

# %%
costs = economics.at_interactivity(points, speed_levels).with_columns(
    option_label=label, level=pl.col("level").cast(pl.Int64).cast(pl.Utf8)
)
# points with low-high rules: a log axis cannot start bars at zero
mids = (
    alt.Chart()
    .mark_point(filled=True, size=70)
    .encode(
        x=alt.X("option_label:N", title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("usd_per_mtok:Q", scale=alt.Scale(type="log"), title="$ per million output tokens"),
        color=alt.Color("option_label:N", title="option"),
    )
)
errors = (
    alt.Chart()
    .mark_rule(strokeWidth=2)
    .encode(x="option_label:N", y="usd_per_mtok_low:Q", y2="usd_per_mtok_high:Q", color="option_label:N")
)
cost_chart = (
    alt.layer(errors, mids, data=costs)
    .properties(width=110)
    .facet(
        column=alt.Column("level:N", sort=[str(v) for v in speed_levels], title="at least this many tokens/s per user")
    )
)
charts.titled(
    cost_chart,
    f"$/Mtok by option ({s.model.model_id[0]}, context {context:,})",
    "rental_prices, systems, accelerators via hbmcycle.hetero.economics",
)

# %%
charts.html_table(
    costs.select(
        "level",
        "option_label",
        "per_user_tokens_per_s",
        "usd_per_mtok",
        "usd_per_mtok_low",
        "usd_per_mtok_high",
        "tokens_per_s_per_mw",
        "batch",
        "chips",
    ).with_columns(pl.col(pl.Float64).round(2))
)

# %% [markdown]
# ## 6. The capacity wall: users per chip against context
#
# How many users' KV caches fit per chip when the whole model lives in the chips' memory:
# solid, the model spread over the fewest whole systems that hold its weights (an LPX rack of
# 256 LP30s, CS-3 wafers, a Rubin NVL72), the rest of their memory holding KV cache, divided by
# the chips; dotted, one chip holding nothing but KV cache (the seed's example: one or two agent
# users at 1-2M tokens filling a wafer sits at the right edge). Fractions below one mean a user
# needs several chips' memory.

# %%
wall_contexts = np.unique(np.round(np.geomspace(1024, 2_097_152, 40)))
kv_user = s.model.kv_bytes_per_sequence(wall_contexts, s.kv_bytes)
weight_bytes_total = s.model.total_params[0] * s.weight_bytes
wall_rows = []
for c, reserve in (
    (s.wafer, assumptions.sram_reserve_fraction),
    (s.lpu, assumptions.sram_reserve_fraction),
    (s.gpu, s.gpu_eff.reserve_fraction),
):
    capacity = c.hw.memory_bytes[0]
    per_system = c.chips_per_rack if np.isfinite(c.chips_per_rack) else 1.0
    # whole systems: the fewest that hold the weights with room for at least one user at the shortest context
    systems_needed = float(dis.chips_to_hold(weight_bytes_total + kv_user[0], capacity * per_system, reserve))
    n = systems_needed * per_system
    per_chip = economics.users_per_chip(kv_user, n * capacity, weight_bytes_total, reserve) / n
    kv_only = economics.users_per_chip(kv_user, capacity, 0.0, reserve)
    name = f"{c.accelerator_id} ({n:g} chips)"
    wall_rows += [
        pl.DataFrame(
            {"context": wall_contexts, "users_per_chip": per_chip, "chip": name, "holds": "weights + KV, whole systems"}
        ),
        pl.DataFrame({"context": wall_contexts, "users_per_chip": kv_only, "chip": name, "holds": "one chip, KV only"}),
    ]
wall = pl.concat(wall_rows).filter(pl.col("users_per_chip") > 0)
wall_chart = (
    alt.Chart(wall)
    .mark_line(interpolate="step-after")
    .encode(
        x=alt.X(
            "context:Q",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format="~s", labelOverlap="greedy"),
            title="context per user (tokens)",
        ),
        y=alt.Y(
            "users_per_chip:Q",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format=",~g", labelOverlap="greedy"),
            title="users per chip",
        ),
        color=alt.Color("chip:N", title="chip (system size)"),
        strokeDash=alt.StrokeDash("holds:N", title="memory holds"),
    )
)
charts.titled(
    wall_chart,
    f"Users per chip vs context ({s.model.model_id[0]}, {kv} KV cache)",
    "hbmcycle.hetero.economics.users_per_chip; llm_models, accelerators, systems",
)

# %% [markdown]
# ## Assumptions and sources
#
# Chip power and prices, with the rule that produced each (tables first, stated proxies where
# the tables are empty); the assumptions file is printed at the end.

# %%
chips_table = pl.DataFrame(
    [
        {
            "role": role,
            "accelerator_id": c.accelerator_id,
            "power_kw_low": c.power_kw[0],
            "power_kw_high": c.power_kw[1],
            "usd_per_hour_low": c.usd_per_hour[0],
            "usd_per_hour_high": c.usd_per_hour[1],
            "chips_per_rack": c.chips_per_rack,
            "basis": c.basis,
        }
        for role, c in (("GPU", s.gpu), ("SRAM chip", s.lpu), ("wafer", s.wafer), ("baseline GPU", s.baseline_gpu))
    ]
).with_columns(pl.col(pl.Float64).round(2))
charts.html_table(chips_table)

# %% [markdown]
# ## Price basis and API cross-check
#
# Every basis for every chip of the comparison (market index, on-demand list, TCO; NaN where the
# tables lack a figure), then the modelled $/Mtok at the cross-check speed beside what API
# providers charge for the same open model (`api_prices`). API prices include margin and idle time;
# a modelled cost far below them is expected, far above them is a warning about the model or the basis.

# %%
ids = [
    s.gpu.accelerator_id,
    s.baseline_gpu.accelerator_id,
    s.lpu.accelerator_id,
    s.wafer.accelerator_id,
    "nvidia_h100_sxm",
]
charts.html_table(basis.price_table(tables.prices, ids).with_columns(pl.col("usd_per_hour").round(2)))

# %%
api_level = basis.settings()["api_speed_level"]
at_level = economics.at_interactivity(points, [api_level])
charts.html_table(
    api_check.cross_check(
        at_level, tables.api_prices, s.model.model_id[0], basis.settings()["gpu_cloud_providers"]
    ).with_columns(pl.col(pl.Float64).round(3))
)

# %%
charts.html_table(
    pl.DataFrame([{**r, "value": str(r["value"])} for r in assumption_files.table(steps.ASSUMPTIONS_PATH)])
)
