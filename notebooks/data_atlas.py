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
# # Data atlas: AI accelerator memory
#
# What the database holds about accelerator memory: capacity against bandwidth for every
# accelerator, memory per accelerator over time, and where each number comes from.
# Every value is read from `data/processed/hbmcycle.duckdb` (built from `data/raw` by
# `make data`); every chart names its source table, and the table of sources at the end
# resolves each row's source id to its URL.

# %% tags=["parameters"]
# Accelerators shipping in or after this year (roadmap parts have a planned year).
min_year = 2020
# Statuses to include: any of shipping, announced, roadmap.
statuses = ["shipping", "announced", "roadmap"]
# Vendors to include (empty list = all).
vendors = []
# Which points get a product label: "flagships" (each vendor's largest size x bandwidth), "all" or "none".
label_points = "flagships"
# Relative reversal that confirms a DRAM revenue peak or trough (0.15 = 15 %).
min_swing = 0.15

# %%
import math

import altair as alt
import polars as pl

from hbmcycle import charts
from hbmcycle.cycle import backtest, demand
from hbmcycle.cycle.history import turning_points
from hbmcycle.data import db

charts.setup()
acc = db.read_table("accelerator_metrics").filter((pl.col("ship_year") >= min_year) & pl.col("status").is_in(statuses))
if vendors:
    acc = acc.filter(pl.col("vendor").is_in(vendors))
with_memory = acc.filter(pl.col("memory_gib").is_not_null() & pl.col("memory_bw_tb_s").is_not_null())
print(
    f"{acc.height} accelerators selected ({with_memory.height} with both capacity and bandwidth), "
    f"ship years {acc['ship_year'].min()}–{acc['ship_year'].max()}, vendors: {', '.join(sorted(acc['vendor'].unique()))}"
)

# %% [markdown]
# ## Capacity against bandwidth
#
# Each point is one accelerator package (per GPU for superchips). Both axes are logarithmic.
# SRAM-only chips (Groq, Cerebras) sit far left: little capacity, very high bandwidth.
# The dashed lines are iso-curves of the seed thesis's figure of merit, HBM size × bandwidth.

# %%
colour = alt.Color("vendor:N", scale=charts.vendor_scale(with_memory["vendor"]), title="Vendor")
base = alt.Chart(with_memory).encode(
    x=alt.X("memory_gib:Q", scale=alt.Scale(type="log", padding=8), title="Fast memory per accelerator (GiB, log)"),
    y=alt.Y("memory_bw_tb_s:Q", scale=alt.Scale(type="log", padding=8), title="Memory bandwidth (TB/s, log)"),
)
points = base.mark_point(filled=True, size=70).encode(
    color=colour,
    shape=alt.Shape("status:N", title="Status"),
    tooltip=["product", "vendor", "memory_type", "memory_gib", "memory_bw_tb_s", "ship_year", "source"],
)
layers = [points]
# Short labels ("Rubin GPU (VR200 package) ..." -> "Rubin GPU"); all labels overlap in the
# dense 50-300 GB region, so by default only each vendor's flagship is named.
labelled = with_memory.with_columns(pl.col("product").str.split(" (").list.first().alias("label"))
if label_points == "flagships":
    labelled = labelled.filter(
        pl.col("hbm_size_x_bw_gib_tb_s") == pl.col("hbm_size_x_bw_gib_tb_s").max().over("vendor")
    )
# Iso-lines of size x bandwidth (GiB x TB/s), one per decade, clipped to the plotted area.
gb_lo, gb_hi = with_memory["memory_gib"].min(), with_memory["memory_gib"].max()
bw_lo, bw_hi = with_memory["memory_bw_tb_s"].min(), with_memory["memory_bw_tb_s"].max()
product = with_memory["hbm_size_x_bw_gib_tb_s"]
decades = [10**k for k in range(math.floor(math.log10(product.min())), math.ceil(math.log10(product.max())) + 1)]
segments = []
for k in decades:
    x_from, x_to = max(gb_lo, k / bw_hi), min(gb_hi, k / bw_lo)
    if x_from < x_to:
        segments += [(f"{k:,.0f} GiB·TB/s", x_from, k / x_from), (f"{k:,.0f} GiB·TB/s", x_to, k / x_to)]
iso = pl.DataFrame(segments, schema=["size_x_bw", "memory_gib", "memory_bw_tb_s"], orient="row")
iso_lines = (
    alt.Chart(iso)
    .mark_line(strokeDash=[4, 4], color="#bbb")
    .encode(x="memory_gib:Q", y="memory_bw_tb_s:Q", detail="size_x_bw:N")
)
# Each iso-line names its value at its upper-left end.
iso_ends = iso.group_by("size_x_bw", maintain_order=True).agg(pl.all().sort_by("memory_gib").first())
iso_labels = (
    alt.Chart(iso_ends)
    .mark_text(align="left", dx=3, dy=-5, fontSize=9, color="#888")
    .encode(x="memory_gib:Q", y="memory_bw_tb_s:Q", text="size_x_bw:N")
)
if label_points != "none" and labelled.height:
    placed = charts.place_labels(
        labelled,
        "memory_gib",
        "memory_bw_tb_s",
        "label",
        width=680,
        height=460,
        avoid=iso_ends.rename({"size_x_bw": "label"}),
        domain=(gb_lo, gb_hi, bw_lo, bw_hi),
    )
    layers += charts.label_layers(placed, "memory_gib:Q", "memory_bw_tb_s:Q", "label", color=colour)
layers[0] = layers[0].interactive()  # zoom and pan (scales are shared by every layer)
chart = alt.layer(iso_lines, iso_labels, *layers).properties(width=680, height=460)
charts.titled(
    chart,
    "Memory capacity vs bandwidth per accelerator",
    "hbmcycle table `accelerators` (vendor datasheets; per-row sources below)",
)

# %% [markdown]
# ## Memory per accelerator by ship year
#
# The largest and the typical package each year. Capacity per accelerator has grown far
# faster than DRAM per PC; the memory-cycle report puts the two side by side.

# %%
by_year = with_memory.filter(pl.col("memory_type").str.starts_with("HBM"))
trend = (
    alt.Chart(by_year)
    .mark_point(filled=True, size=60)
    .encode(
        x=alt.X("ship_year:O", title="Ship year (planned, for roadmap parts)"),
        y=alt.Y("memory_gib:Q", scale=alt.Scale(type="log"), title="HBM per accelerator (GiB, log)"),
        color=colour,
        tooltip=["product", "memory_gib", "memory_type", "hbm_stacks"],
    )
)
yearly_max = by_year.group_by("ship_year").agg(pl.col("memory_gib").max().alias("max_gb")).sort("ship_year")
frontier = alt.Chart(yearly_max).mark_line(color="#444").encode(x="ship_year:O", y="max_gb:Q")
charts.titled(
    alt.layer(frontier, trend).properties(width=620, height=360),
    "HBM capacity per accelerator by ship year (line: largest that year)",
    "hbmcycle table `accelerators`",
)

# %%
growth = demand.hbm_content_growth(db.read_table("accelerators"))
print(
    f"HBM per accelerator grew {growth['cagr']:.0%} a year over {growth['first_year']}-{growth['last_year']} "
    f"({growth['method']}; the memory_cycle report uses the same figure)."
)

# %% [markdown]
# ## HBM bandwidth per stack, by generation
#
# Bars: the fastest shipping stack of each generation, pin rate × interface width / 8
# (`hbm_generations`; HBM4 doubles the interface to 2048 bits). Points: vendors' products
# and announcements (`hbm_products`), including samples and roadmap parts.

# %%
gens = db.read_table("hbm_generations").with_columns(
    (pl.col("pin_rate_gbps_shipping_max") * pl.col("interface_width_bits") / 8).alias("shipping_bw_gb_s")
)
generation_order = gens["generation"].to_list()
products = db.read_table("hbm_products").filter(pl.col("bw_per_stack_gb_s").is_not_null())
x_gen = alt.X("generation:N", sort=generation_order, title="HBM generation")
bars = (
    alt.Chart(gens.filter(pl.col("shipping_bw_gb_s").is_not_null()))
    .mark_bar(color="#cfd8e3")
    .encode(
        x=x_gen,
        y=alt.Y("shipping_bw_gb_s:Q", title="Bandwidth per stack (GB/s)"),
        tooltip=[
            "generation",
            "pin_rate_gbps_shipping_max",
            "interface_width_bits",
            "shipping_bw_gb_s",
            "jedec_standard",
        ],
    )
)
product_points = (
    alt.Chart(products)
    .mark_point(filled=True, size=60)
    .encode(
        x=x_gen,
        y="bw_per_stack_gb_s:Q",
        xOffset="vendor:N",
        color=alt.Color("vendor:N", title="Vendor"),
        shape=alt.Shape("milestone:N", title="Milestone"),
        tooltip=[
            "product_name",
            "vendor",
            "milestone",
            "milestone_date",
            "pin_rate_gbps",
            "bw_per_stack_gb_s",
            "capacity_gib",
        ],
    )
)
charts.titled(
    alt.layer(bars, product_points).properties(width=560, height=340),
    "HBM bandwidth per stack by generation (bar: fastest shipping; points: vendor products)",
    "hbmcycle tables `hbm_generations` (JEDEC, vendors) and `hbm_products` (vendor releases)",
)

# %% [markdown]
# ## HBM per accelerator vs DRAM per PC
#
# The largest HBM capacity per accelerator by ship year (the accelerators selected above)
# against the average DRAM per PC and per smartphone shipped (`pc_dram`; the PC figures are
# notebooks, as the sources report them). Logarithmic axis: the gap is orders of magnitude.

# %%
device_dram = db.read_table("pc_dram").select(
    pl.col("year"),
    pl.col("avg_dram_gb").alias("gb"),
    pl.concat_str(pl.lit("average DRAM per "), pl.col("device")).alias("series"),
)
hbm_max = yearly_max.select(
    pl.col("ship_year").alias("year"),
    pl.col("max_gb").alias("gb"),
    pl.lit("largest HBM per accelerator").alias("series"),
)
memory_per_device = pl.concat([hbm_max, device_dram]).sort("series", "year")
per_device = (
    alt.Chart(memory_per_device)
    .mark_line(point=True)
    .encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title="Year"),
        y=alt.Y("gb:Q", scale=alt.Scale(type="log"), title="GB per device (log)"),
        color=alt.Color("series:N", title=None),
        tooltip=["series", "year", "gb"],
    )
)
charts.titled(
    per_device.properties(width=620, height=360),
    "Memory per device: accelerator HBM vs PC and phone DRAM",
    "hbmcycle tables `accelerators` (datasheets) and `pc_dram` (DRAMeXchange/TrendForce, IHS, Counterpoint)",
)

# %%
ratio = memory_per_device.pivot(on="series", index="year", values="gb").drop_nulls().sort("year")
if ratio.height:
    last = ratio.row(-1, named=True)
    print(
        f"{last['year']}: largest accelerator carries {last['largest HBM per accelerator']:g} GB of HBM, "
        f"{last['largest HBM per accelerator'] / last['average DRAM per notebook']:.0f}× the average notebook's "
        f"{last['average DRAM per notebook']:g} GB of DRAM."
    )

# %% [markdown]
# ## DRAM revenue and its cycles
#
# Annual DRAM industry revenue (current USD; market-research tallies, see `source` per row).
# Peaks and troughs are confirmed turns of at least `min_swing` (a zigzag rule from
# `hbmcycle.cycle.history`); the last extreme of the series is unconfirmed and not marked.
# Forecast rows (2001, known only from a mid-year forecast; years ahead) and years without a
# sourced figure are left out, not interpolated: the line bridges them.

# %%
revenue = backtest.annual_industry_revenue(db.read_table("dram_market"))  # the one filter: forecasts excluded
turns = turning_points(revenue["year"].to_numpy(), revenue["dram_revenue_usd_b"].to_numpy(), min_swing)
revenue_line = (
    alt.Chart(revenue)
    .mark_line(point=True, color="#555")
    .encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), scale=alt.Scale(zero=False, nice=False), title="Year"),
        y=alt.Y("dram_revenue_usd_b:Q", title="DRAM revenue (USD billion)"),
        tooltip=["year", "dram_revenue_usd_b", "confidence", "source"],
    )
)
turn_marks = (
    alt.Chart(turns)
    .mark_point(size=160, filled=True)
    .encode(
        x="year:Q",
        y="value:Q",
        color=alt.Color(
            "kind:N", scale=alt.Scale(domain=["peak", "trough"], range=["#d62728", "#1f77b4"]), title="Turn"
        ),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=["peak", "trough"], range=["triangle-up", "triangle-down"])),
    )
)
turn_labels = alt.Chart(turns).mark_text(dy=-14, fontSize=10).encode(x="year:Q", y="value:Q", text="year:Q")
charts.titled(
    alt.layer(revenue_line, turn_marks, turn_labels).properties(width=680, height=360),
    f"DRAM industry revenue with cycle peaks and troughs (swing ≥ {min_swing:.0%})",
    "hbmcycle table `dram_market` (Gartner, IC Insights, iSuppli/IHS, TrendForce; per-row sources)",
)

# %%
charts.html_table(turns.rename({"value": "dram_revenue_usd_b"}))

# %% [markdown]
# ## The accelerators and their sources
#
# Memory figures per package; `confidence` is high for vendor datasheets, medium for press or
# analyst figures, low for estimates. Empty cells are unknown, never guessed.

# %%
cols = [
    "product",
    "vendor",
    "ship_year",
    "status",
    "memory_type",
    "memory_gib",
    "memory_bw_tb_s",
    "bf16_dense_tflops",
    "fp8_dense_tflops",
    "tdp_w",
    "confidence",
    "source",
]
charts.html_table(acc.sort(["vendor", "ship_year"]).select(cols), caption="Accelerators", collapse_after=15)

# %%
sources = db.query("SELECT id, producer, title, url, accessed, cited_by FROM sources ORDER BY cited_by, id")
charts.html_table(sources, link=("title", "url"), caption="Sources", collapse_after=10)

# %% tags=["summary"]
# The summary the report opens with (the renderer moves this cell to the top).
from hbmcycle.reports.summary import Finding
from hbmcycle.reports.summary import summary as executive_summary

hbm = with_memory.filter(pl.col("memory_type").str.starts_with("HBM"))
top = hbm.sort("memory_gib", descending=True).row(0, named=True) if hbm.height else None
troughs = turns.filter(pl.col("kind") == "trough")["year"].to_list()
findings = [
    Finding(
        f"{with_memory.height} of {acc.height} selected accelerators have both fast-memory capacity and bandwidth "
        "on record; the chart places each on the HBM size × bandwidth grid.",
        "Capacity against bandwidth",
    ),
    Finding(
        f"DRAM industry revenue troughs (reversals of at least {min_swing:.0%}, actuals only): "
        f"{', '.join(str(y) for y in troughs) or 'none'}.",
        "DRAM revenue and its cycles",
    ),
    Finding(
        f"{sources.height} distinct sources back the database, each listed with its URL.",
        "The accelerators and their sources",
    ),
]
if top:
    findings.insert(
        1,
        Finding(
            f"The most HBM on one accelerator: {top['memory_gib']:,.0f} GiB ({top['product'].split(' (')[0]}, "
            f"{top['status']}, {top['ship_year']}).",
            "Memory per accelerator by ship year",
        ),
    )
executive_summary(
    "What does the database hold about accelerator memory, and where does each number come from?",
    f"{acc.height} accelerators from {acc['vendor'].n_unique()} vendors, ship years {acc['ship_year'].min()}–"
    f"{acc['ship_year'].max()}; every value cites a source, and an empty cell means unknown, never a guess.",
    findings,
)
