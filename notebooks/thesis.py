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
# # Does token throughput scale as HBM size × HBM bandwidth?
#
# A widely shared argument says: throughput = batch × per-request speed; the batch is bounded by
# HBM capacity (every request's KV cache must sit in HBM) and speed by HBM bandwidth; therefore
# **token throughput = HBM size × HBM bandwidth**, and NVIDIA's throughput from A100 to Rubin Ultra
# tracks size × bandwidth. This report tests that claim against MLPerf measurements, vendor claims
# and the project's calibrated inference model. Every number below is computed from
# `data/processed/hbmcycle.duckdb` and the model (`hbmcycle.thesis`, `hbmcycle.stats`).

# %% tags=["parameters"]
# Model served (llm_models.model_id), context per request (tokens), weight and KV-cache precision.
model_id = "llama-3.1-70b"
context = 8192
weights = "fp8"
kv = "fp8"
# Per-user speed targets (output tokens/s per request) besides the largest batch.
interactivity = [10, 25, 50]
# The seed chart's generations (accelerators.accelerator_id, in order) and the anchor of vendor ratios.
accelerators = [
    "nvidia_a100_80gb_sxm",
    "nvidia_h100_sxm",
    "nvidia_h200",
    "nvidia_b200",
    "nvidia_gb200",
    "nvidia_gb300",
    "nvidia_rubin",
    "nvidia_rubin_ultra",
]
anchor = "nvidia_h100_sxm"
# Accelerator whose local elasticities the sensitivity section reports.
reference_accelerator = "nvidia_b200"
# MLPerf benchmark used for the measured series.
measured_family = "llama2-70b"
measured_scenario = "offline"
# Confidence level of the intervals.
level = 0.90

# %%
import altair as alt
import polars as pl
from IPython.display import Markdown, display

from hbmcycle import charts, thesis
from hbmcycle.claims import registry
from hbmcycle.claims import table as claims_table
from hbmcycle.data import db
from hbmcycle.inference import constants
from hbmcycle.inference.operating import REGIMES
from hbmcycle.reports.tables import mapping
from hbmcycle.thesis import racks as thesis_racks
from hbmcycle.thesis import settings as thesis_settings
from hbmcycle.thesis.workloads import elasticity_span

charts.setup()
tables = db.read_tables(registry.THESIS_CLAIM_TABLES)
engine = constants.current()
eff, calibration_note = engine.efficiency, engine.label
config = thesis.Config(
    model_id=model_id,
    context=float(context),
    weights=weights,
    kv=kv,
    interactivity=tuple(float(s) for s in interactivity),
    generations=tuple(accelerators),
    anchor=anchor,
    reference_accelerator=reference_accelerator,
    measured_family=measured_family,
    measured_scenario=measured_scenario,
    level=level,
)
result = thesis.analyse(tables, config, eff, engine.maturity)
claims_frame, claims_flips = registry.thesis_claims(result, tables)
print(f"Engine constants: {calibration_note}")

# %% tags=["summary"]
# The summary the report opens with (the renderer moves this cell to the top): the seed post's claims.
from hbmcycle.reports.summary import from_verdicts, overall, tally
from hbmcycle.reports.summary import summary as executive_summary

executive_summary(
    "Does LLM token throughput scale as HBM size × HBM bandwidth?",
    f"Overall the post's claims {overall(claims_frame['verdict'])}: of {claims_frame.height} claims, "
    f"{tally(claims_frame['verdict'])}.",
    from_verdicts(claims_frame, "The seed post's claims"),
)

# %% [markdown]
# ## The seed post's claims
#
# Every claim of the hbm_thesis post (table `seed_claims`), with the verdict, the scope it was
# tested at, the evidence (measured and modelled marked apart: a verdict on the law rests on
# MLPerf measurements, the engine's regressions are shown beside it), the threshold and what
# would change it. `hbmcycle claims --post hbm_thesis` prints the same list.

# %%
print(claims_table.summary(claims_frame))
claims_table.display(claims_frame, claims_flips)

# %%
display(Markdown(thesis.headline(result)))

# %% [markdown]
# ## Sub-claims and verdicts
#
# Each verdict is computed in `hbmcycle.thesis.subclaims` with the thresholds of
# `thesis/assumptions.yaml`, printed below with the basis of each.

# %%
charts.html_table(result.verdicts)

# %%
charts.html_table(pl.DataFrame([{**r, "value": str(r["value"])} for r in thesis_settings.thresholds_table()]))

# %% [markdown]
# ## 1. The seed's chart, reproduced
#
# Per-GPU HBM size × bandwidth against three throughput series, all relative to the anchor
# accelerator (= 1) so they share one log axis. Provenance differs and matters:
#
# * **vendor claim** — NVIDIA ratios chained from the anchor (`inference_benchmarks`, kind = claimed,
#   only claims about throughput or throughput at a latency target; per-MW, cost and peak-FLOPS
#   claims excluded). Different models, precisions and operating points per link.
# * **measured** — the best MLPerf per-accelerator result for one benchmark; mixes FP8 (Hopper) and
#   FP4 (Blackwell) submissions.
# * **modelled** — the calibrated engine for the chosen model and context, best group size, at the
#   largest batch and at each per-user speed target.

# %%
series = result.seed_series
throughput_columns = ["claimed_headline", "measured"] + [c for c in series.columns if c.startswith("modelled: ")]
anchor_row = series.filter(pl.col("accelerator_id") == anchor)
long = []
for column in ["size_x_bw", *throughput_columns]:
    base = anchor_row[column][0] if anchor_row.height else None
    if base is None or base != base:
        continue
    label = {
        "size_x_bw": "HBM size × bandwidth",
        "claimed_headline": "vendor claim (chained)",
        "measured": f"MLPerf {measured_family} {measured_scenario} (measured)",
    }.get(column, column)
    long.append(
        series.select(
            "generation",
            pl.col("product").str.split(" (").list.first().str.split(",").list.first(),
            pl.lit(label).alias("series"),
            (pl.col(column) / base).alias("relative"),
        )
    )
seed_long = pl.concat(long).drop_nulls("relative").filter(pl.col("relative") > 0)
seed_chart = (
    alt.Chart(seed_long)
    .mark_line(point=True)
    .encode(
        x=alt.X("product:N", sort=alt.SortField("generation"), title="Generation (per-GPU package)"),
        y=alt.Y("relative:Q", scale=alt.Scale(type="log"), title=f"Relative to {anchor} (log; = 1 at the anchor)"),
        color=alt.Color("series:N", title="Series"),
        strokeDash=alt.condition(alt.datum.series == "HBM size × bandwidth", alt.value([6, 3]), alt.value([1, 0])),
        tooltip=["product", "series", alt.Tooltip("relative:Q", format=".2f")],
    )
    .properties(width=520)
)
charts.titled(
    seed_chart,
    "HBM size × bandwidth vs token throughput, NVIDIA generations",
    "accelerators (memory_gib × memory_bw_tb_s, GB·TB/s); inference_benchmarks (claims, MLPerf); "
    f"inference model ({model_id}, {context:,} tokens, {weights}/{kv})",
)

# %%
charts.html_table(result.growth)

# %% [markdown]
# The growth table compares each series' growth per generation step with size × bandwidth's over the
# *same* generations; `elasticity_vs_size_x_bw` below 1 means size × bandwidth grew faster. Vendor
# claims fold in FP4, NVLink-72 scale-out and software; measured and modelled series do not.

# %%
for r in result.growth.drop_nulls("size_x_bw_grows_faster").iter_rows(named=True):
    print(
        f"{r['series']}: throughput x{r['throughput_growth_per_gen']:.2f}/generation, "
        f"{'slower' if r['size_x_bw_grows_faster'] else 'faster'} than size x bandwidth "
        f"(x{r['size_x_bw_growth_per_gen']:.2f})"
    )

# %% [markdown]
# ## 2. First principles: closed forms, checked against the engine
#
# Decode is a loop over steps. With $W$ the weight bytes read per step, $kv = L\,k$ the KV bytes of
# one sequence at context $L$, $C' = C(1-r)$ usable capacity, $W_{tot}$ all weight bytes,
# efficiencies $\eta$ and fixed overheads $t_0$ (per step and layer) and $t_s$ (per sequence):
#
# * step time, memory-bound: $t(B) = \frac{W}{\eta_w BW} + t_0 + B\left(\frac{kv}{\eta_{kv} BW} + t_s\right)$;
#   compute-bound: $t(B) = t_0 + B\left(\frac{F}{\eta_c P} + t_s\right)$,
#   with $F = 2N_{active} + a_{attn} L$ FLOPs per sequence;
# * largest batch: $B^* = (C' - W_{tot}) / kv$;
# * **at the largest batch**: $T^* = B^*/t(B^*)$;
#   ideal ($\eta = 1$, no overheads, dense): $T^* = BW\,(C' - W_{tot}) / (kv\,C')$ —
#   *linear in bandwidth, in capacity only through $1 - W_{tot}/C'$*, capacity elasticity $W_{tot}/(C' - W_{tot})$;
# * **at per-user speed $s$**:
#   $B(s) = \min\left(\frac{1/s - W/(\eta_w BW) - t_0}{kv/(\eta_{kv}BW) + t_s},\
#   \frac{1/s - t_0}{F/(\eta_c P) + t_s},\ B^*\right)$,
#   $T = B(s)/t(B(s))$; ideal: $T(s) = (BW - s\,W)/kv$ —
#   *no capacity at all unless $B^*$ binds, bandwidth elasticity above 1*;
# * compute takes over when $B\,F/(\eta_c P)$ exceeds the memory time.
#
# The chart compares the closed form (continuous batch, one accelerator) with the engine's integer
# batch on one accelerator; the ideal form shows how much the calibrated efficiencies and overheads take away.

# %%
check = result.closed_check.drop_nulls("engine")
check_long = pl.concat(
    [
        check.select(
            "accelerator_id",
            "target",
            "engine",
            pl.col("closed_form").alias("value"),
            pl.lit("closed form").alias("form"),
        ),
        check.select(
            "accelerator_id",
            "target",
            "engine",
            pl.col("ideal").alias("value"),
            pl.lit("ideal (η=1, no overheads)").alias("form"),
        ),
    ]
).drop_nulls("value")
points = (
    alt.Chart(check_long)
    .mark_point(filled=True, size=60)
    .encode(
        x=alt.X("engine:Q", scale=alt.Scale(type="log"), title="Engine throughput (tokens/s per GPU, log)"),
        y=alt.Y("value:Q", scale=alt.Scale(type="log"), title="Closed form (tokens/s per GPU, log)"),
        color=alt.Color("form:N", title="Form"),
        shape=alt.Shape("target:N", title="Operating point"),
        tooltip=[
            "accelerator_id",
            "target",
            "form",
            alt.Tooltip("engine:Q", format=",.0f"),
            alt.Tooltip("value:Q", format=",.0f"),
        ],
    )
)
lo, hi = check_long["value"].min(), check_long["value"].max()
diagonal = (
    alt.Chart(pl.DataFrame({"engine": [lo, hi], "value": [lo, hi]}))
    .mark_line(color="#999", strokeDash=[4, 4])
    .encode(x="engine:Q", y="value:Q")
)
worst = check.filter(pl.col("closed_vs_engine").is_not_null())
print(
    f"Closed form vs engine: median |difference| {worst['closed_vs_engine'].abs().median():.2%}, "
    f"max {worst['closed_vs_engine'].abs().max():.1%} (the max is where B* is a handful of sequences and the engine floors it); "
    f"regimes agree at {(worst['engine_regime'] == worst['closed_regime']).mean():.0%} of points"
)
charts.titled(
    points + diagonal,
    "Closed forms vs the inference engine (one GPU)",
    f"inference model, calibrated on decode_measurements; accelerators; {model_id}, {context:,} tokens",
)

# %% [markdown]
# ## 3. Elasticities
#
# Log-log regressions of throughput per accelerator on HBM size and bandwidth, jointly and as the
# product; the thesis predicts 1 and 1 (joint) and 1 (product). Intervals: Student-t from OLS
# standard errors, a pairs bootstrap (percentiles, 2,000 resamples) and the leave-one-out range. The
# samples are small (5 NVIDIA generations with measurements), size and bandwidth are strongly
# collinear (correlation and condition number in the table), so wide intervals are the honest answer.
# The MLPerf regression carries a 0/1 control for FP4 submissions.

# %%
joint = result.elasticities.filter(
    pl.col("form").is_in(["joint", "product"]) & pl.col("term").is_in(["size", "bandwidth", "size_x_bandwidth"])
)
joint = joint.with_columns((pl.col("form") + ": " + pl.col("term")).alias("coefficient"))
base = alt.Chart(joint).encode(
    y=alt.Y("dataset:N", title=None, sort=None),
    yOffset=alt.YOffset("coefficient:N"),
    color=alt.Color("coefficient:N", title="Coefficient"),
)
t_bars = base.mark_rule(strokeWidth=2).encode(
    x=alt.X(
        "t_low:Q", title="Elasticity (Δ ln throughput / Δ ln regressor)", scale=alt.Scale(domain=[-2, 4], clamp=True)
    ),
    x2="t_high:Q",
)
boot = base.mark_tick(thickness=2, size=8).encode(x=alt.X("boot_low:Q"))
boot_high = base.mark_tick(thickness=2, size=8).encode(x=alt.X("boot_high:Q"))
estimate = base.mark_point(filled=True, size=50).encode(
    x="estimate:Q",
    tooltip=[
        "dataset",
        "coefficient",
        alt.Tooltip("estimate:Q", format=".2f"),
        alt.Tooltip("t_low:Q", format=".2f"),
        alt.Tooltip("t_high:Q", format=".2f"),
        alt.Tooltip("boot_low:Q", format=".2f"),
        alt.Tooltip("boot_high:Q", format=".2f"),
        "n",
    ],
)
rules = alt.Chart(pl.DataFrame({"x": [0.0, 1.0]})).mark_rule(color="#666", strokeDash=[4, 4]).encode(x="x:Q")
charts.titled(
    (t_bars + boot + boot_high + estimate + rules).properties(height=520),
    f"Elasticity estimates with {int(level * 100)}% t-intervals (bars) and bootstrap intervals (ticks)",
    "accelerators; inference_benchmarks (MLPerf, claims); inference model. Dashed: 0 and 1 (thesis)",
)

# %%
charts.html_table(
    result.elasticities.select(
        "dataset",
        "form",
        "term",
        "estimate",
        "se",
        "t_low",
        "t_high",
        "boot_low",
        "boot_high",
        "loo_min",
        "loo_max",
        "n",
        "r2",
        "log_correlation",
        "vif",
        "condition_number",
    ).with_columns(pl.col(pl.Float64).round(3))
)

# %% [markdown]
# ## 4. Natural experiments
#
# Pairs that differ mainly in memory (capacity and bandwidth ratios below). The thesis predicts the
# product ratio, a bandwidth law the bandwidth ratio. A measured ratio counts as a natural experiment
# only between results of the same MLPerf round on parts of the same power (`power_tolerance` in
# `thesis/assumptions.yaml`); the others, and ratios chained through a third accelerator's results,
# are shown as *confounded* with the reason, and no verdict uses them.

# %%
pair_specs = tables["accelerators"].select("accelerator_id", "memory_gib", "memory_bw_tb_s", "tdp_w")
for base_id, other_id in config.pairs:
    a_row = pair_specs.filter(pl.col("accelerator_id") == base_id)
    b_row = pair_specs.filter(pl.col("accelerator_id") == other_id)
    if a_row.height and b_row.height:
        print(
            f"{base_id} -> {other_id}: capacity x{b_row['memory_gib'][0] / a_row['memory_gib'][0]:.2f}, "
            f"bandwidth x{b_row['memory_bw_tb_s'][0] / a_row['memory_bw_tb_s'][0]:.2f}, "
            f"TDP {a_row['tdp_w'][0]} W -> {b_row['tdp_w'][0]} W"
        )
kinds = result.natural.group_by("kind").len().sort("kind")
print("ratios by kind:", ", ".join(f"{r['kind']} {r['len']}" for r in kinds.iter_rows(named=True)))

# %%
natural = result.natural
nat_chart = (
    alt.Chart(natural)
    .mark_point(filled=True, size=80)
    .encode(
        x=alt.X("ratio:Q", scale=alt.Scale(type="log"), title="Throughput ratio, newer / older part (log)"),
        y=alt.Y("pair:N", title=None),
        color=alt.Color("kind:N", title="Source"),
        shape=alt.Shape("kind:N"),
        tooltip=["pair", "kind", "label", alt.Tooltip("ratio:Q", format=".2f")],
    )
)
one = alt.Chart(pl.DataFrame({"x": [1.0]})).mark_rule(color="#999").encode(x="x:Q")
charts.titled(
    (nat_chart + one).properties(height=260),
    "Natural experiments: predicted vs observed ratios",
    "accelerators (laws); inference model; inference_benchmarks (MLPerf results, vendor claims)",
)

# %%
charts.html_table(natural.with_columns(pl.col("ratio").round(3)))

# %% [markdown]
# ## 5. Regime map
#
# Which constraint stops throughput, over context length and per-user speed: *capacity × bandwidth*
# (largest batch, memory-bound step: the only place where both memory dimensions enter), *capacity ×
# compute*, *bandwidth* (speed target binds, memory-bound: a bandwidth law), *compute*, or infeasible.

# %%
regime = result.regime_map.with_columns(pl.col("product").str.split(" (").list.first().alias("accelerator"))
regime_chart = (
    alt.Chart(regime)
    .mark_rect()
    .encode(
        x=alt.X("context:O", title="Context per request (tokens)"),
        y=alt.Y("per_user_target:O", sort="descending", title="Per-user speed target (tokens/s)"),
        color=alt.Color(
            "regime:N",
            scale=alt.Scale(domain=list(REGIMES), range=["#6a3d9a", "#b15928", "#1f78b4", "#e31a1c", "#dddddd"]),
            title="Regime",
        ),
        tooltip=[
            "accelerator",
            "context",
            "per_user_target",
            "regime",
            alt.Tooltip("throughput_per_accelerator:Q", format=",.0f"),
        ],
    )
    .properties(width=220, height=220)
    .facet(column=alt.Column("accelerator:N", title=None))
)
charts.titled(
    regime_chart,
    f"Regime map: {model_id}, {weights} weights / {kv} KV, best group size",
    "inference model (calibrated engine); accelerators",
)

# %% [markdown]
# ## 6. Sensitivity
#
# Local elasticities of the engine's throughput at the reference accelerator (capacity or bandwidth
# scaled by ±10 %, everything else fixed) as context, precision, model (dense vs MoE), attention (MLA
# vs a GQA-8 cache for the same model) and parallel group size change.

# %%
sens = result.sensitivity.unpivot(
    index=["dimension", "variant", "target", "regime"],
    on=["e_size", "e_bw"],
    variable_name="elasticity",
    value_name="value",
).with_columns(pl.col("elasticity").replace({"e_size": "capacity", "e_bw": "bandwidth"}))
sens_chart = (
    alt.Chart(sens.drop_nulls("value"))
    .mark_point(filled=True, size=60)
    .encode(
        x=alt.X("variant:N", sort=None, title=None),
        y=alt.Y("value:Q", title="Local elasticity of throughput"),
        color=alt.Color("elasticity:N", title="With respect to"),
        shape=alt.Shape("target:N", title="Operating point"),
        tooltip=["dimension", "variant", "target", "regime", "elasticity", alt.Tooltip("value:Q", format=".2f")],
    )
    .properties(width=170, height=220)
    .facet(
        column=alt.Column("dimension:N", title=None, sort=["context", "precision", "model", "attention", "group size"])
    )
    .resolve_scale(x="independent")  # each panel shows only its own variants
)
charts.titled(
    sens_chart,
    f"Sensitivity of the elasticities at {reference_accelerator}",
    "inference model (calibrated engine); accelerators; llm_models",
)

# %% [markdown]
# ## 6b. The workload decides: elasticities over a workload matrix
#
# Local elasticities at the reference accelerator over dense and large-MoE models, FP8 and FP4
# weights and short to long contexts (`matrix_*` in `thesis/assumptions.yaml`), per GPU with
# tensor parallelism inside the scale-up domain. Section 6c repeats this per rack with the
# serving model (pooled memory, expert parallelism, disaggregated prefill).

# %%
matrix = result.workloads.drop_nulls(["e_size", "e_bw"]).with_columns(
    pl.concat_str(
        [pl.col("weights"), (pl.col("context") / 1024).cast(pl.Int64).cast(pl.Utf8) + "k"], separator=", "
    ).alias("workload")
)
matrix_chart = (
    alt.Chart(matrix.filter(pl.col("target") == "max batch"))
    .mark_point(filled=True, size=60)
    .encode(
        x=alt.X("workload:N", sort=None, title="weights, context"),
        y=alt.Y("e_size:Q", title="capacity elasticity at max batch"),
        color=alt.Color("model_id:N", title="model"),
        tooltip=[
            "model_id",
            "workload",
            "regime",
            alt.Tooltip("e_size:Q", format=".2f"),
            alt.Tooltip("e_bw:Q", format=".2f"),
        ],
    )
    .properties(width=520)
)
charts.titled(
    matrix_chart,
    f"Capacity elasticity by workload at {reference_accelerator} (modelled)",
    "inference model (calibrated engine); accelerators; llm_models",
)

# %%
charts.html_table(elasticity_span(result.workloads).with_columns(pl.col(pl.Float64).round(2)))

# %% [markdown]
# ## 6c. Per rack: the serving model on NVL72 racks and their peers
#
# Each rack of `rack_systems` (chips, count and power from `systems`) serves each model and
# precision of the matrix and each request shape of `rack_workloads` (`thesis/assumptions.yaml`)
# with the rack serving model (`hbmcycle.inference.rack`): continuous batching with chunked
# prefill or prefill-decode disaggregation, expert parallelism up to the NVLink domain, the
# calibrated constants and software maturity. The answer is the most output tokens/s of the
# rack with every user at or above a speed floor: the seed's own per-user speed and a
# throughput-oriented floor. The local elasticities scale the chip's HBM capacity or bandwidth
# by ±10 %; the product law predicts 1 and 1. All of it is modelled, none of it measured.

# %%
racks_frame = result.racks
display(
    Markdown(
        f"{racks_frame.drop_nulls('rack_tokens_per_s').height} of {racks_frame.height} rack × floor × model × "
        "precision × workload points reach their floor; what bounds the batch there:"
    )
)
display(charts.html_table(thesis_racks.bound_summary(racks_frame).with_columns(pl.col(pl.Float64).round(2))))
charts.html_table(result.rack_skips, caption="Racks or precisions the engine cannot serve, and why")

# %%
rack_long = thesis_racks.elasticities_long(racks_frame)
rack_chart = (
    alt.Chart()
    .mark_point(filled=True, size=45, opacity=0.75)
    .encode(
        x=alt.X("workload_id:N", sort=list(thesis_settings.RACK_WORKLOADS), title=None),
        y=alt.Y("value:Q", title="Local elasticity of rack throughput", scale=alt.Scale(domain=[0, 3], clamp=True)),
        color=alt.Color("model_id:N", title="Model"),
        shape=alt.Shape("weights:N", title="Weights"),
        xOffset=alt.XOffset("model_id:N"),
        tooltip=[
            "system",
            "model_id",
            "weights",
            "workload_id",
            "speed_floor_tokens_per_s",
            "bound",
            "elasticity",
            alt.Tooltip("value:Q", format=".2f"),
        ],
    )
    .properties(width=330, height=200)
)
product_law = alt.Chart().mark_rule(color="#666", strokeDash=[4, 4]).encode(y=alt.datum(1.0))
charts.titled(
    alt.layer(rack_chart, product_law, data=rack_long)
    .facet(
        column=alt.Column("elasticity:N", title=None, sort=["capacity", "bandwidth"]),
        row=alt.Row("speed_floor_tokens_per_s:O", title="Speed floor (tokens/s/user)"),
    )
    .resolve_scale(x="independent"),
    "Rack elasticities of throughput to HBM capacity and bandwidth, per workload (modelled)",
    "systems; accelerators; llm_models; workloads; rack serving model (calibrated engine). Dashed: the product "
    "law's 1; values above 3 drawn at 3 (tooltip has the value)",
)

# %%
pays = thesis_racks.capacity_pays(racks_frame, thesis_settings.ELASTICITY_NEAR).sort(
    "speed_floor_tokens_per_s", "model_id", "workload_id"
)
display(Markdown("\n".join(f"- {line}" for line in thesis_racks.where_capacity_pays(pays))))
charts.html_table(
    pays.with_columns(pl.col(pl.Float64).round(2)),
    caption=f"Where capacity pays (capacity elasticity >= {thesis_settings.ELASTICITY_NEAR:g}), over racks and precisions",
)

# %% [markdown]
# Rack throughput per MW at the seed's per-user speed (output tokens/s per MW of rack power in
# `systems`; racks without a recorded power are left out, see the table above).

# %%
charts.html_table(
    thesis_racks.per_mw_table(racks_frame, float(result.seed_example["per_user_tok_s"])).with_columns(
        pl.col(pl.Float64).round(0)
    ),
    caption=f"Output tokens/s per MW at >= {result.seed_example['per_user_tok_s']:g} tokens/s per user (modelled)",
)

# %% [markdown]
# ## 7. The Rubin NVL72 example and software
#
# The seed's example (figures from `seed_claims`, printed below) checked for arithmetic, against the
# `systems` table and against the per-GPU engine at the chosen model and context (the claims table at
# the top judges it per rack, section 6c); then the same-hardware software gains in the data.

# %%
example = result.seed_example
display(mapping(example, key="quantity"))
charts.html_table(result.software, caption="Same-hardware comparisons")

# %%
# One dot per comparison: gains are ratios, so they are never stacked (1.05 and 1.10 are not 2.15).
software_dots = (
    alt.Chart(result.software)
    .mark_point(filled=True, size=70, opacity=0.8)
    .encode(
        x=alt.X("gain:Q", scale=alt.Scale(type="log"), title="Same-hardware throughput gain (×, log)"),
        y=alt.Y("evidence:N", title=None, axis=alt.Axis(labelLimit=480)),
        color=alt.Color("accelerator_id:N", title="Accelerator"),
        tooltip=["accelerator_id", "evidence", alt.Tooltip("gain:Q", format=".2f")],
    )
)
no_gain = alt.Chart(pl.DataFrame({"gain": [1.0]})).mark_rule(color="#999", strokeDash=[4, 3]).encode(x="gain:Q")
software_chart = alt.layer(no_gain, software_dots)
charts.titled(
    software_chart, "Software gains on fixed hardware", "inference_benchmarks (MLPerf rounds; vendor software claims)"
)

# %% [markdown]
# ## Modelled throughput per accelerator (all vendors)

# %%
charts.html_table(result.modelled.drop_nulls("throughput_per_accelerator").with_columns(pl.col(pl.Float64).round(2)))
