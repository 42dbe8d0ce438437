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
# # The memory supply cycle: is HBM a commodity that will bust like DRAM?
#
# DRAM has boomed and bust every few years: demand grows 20 %+ a year, prices soar,
# everyone builds fabs, the fabs arrive together, prices collapse. The seed question:
# HBM shares DRAM's commodity traits, but every accelerator generation also needs more
# HBM per chip, a pull on bits that does not depend on how many accelerators ship.
# This report (1) measures the DRAM cycles in the data, (2) compares memory per device
# for PCs and accelerators, (3) shows HBM's weight in DRAM, (4) back-tests a supply-cycle
# model against the DRAM cycles and (5) runs named scenarios for HBM. Every number below
# is computed from `data/processed/hbmcycle.duckdb` or the scenario file
# (`src/hbmcycle/cycle/scenarios.yaml`); the conclusion at the end is generated from them.

# %% tags=["parameters"]
# Named scenarios to simulate (see scenarios.yaml).
scenario_names = ["base", "bull", "bear", "ai_capex_pause", "hbm4e_yield_slip"]
# Parameter overrides applied to every scenario, e.g. {"lead_time_max_quarters": 10}.
overrides = {}
# Monte Carlo paths per scenario and horizon in quarters (5-10 years).
paths = 20_000
horizon_quarters = 40
# Random seed: same seed, same report.
seed = 0
# Relative reversal that confirms a cycle peak or trough (0.15 = 15 %).
min_swing = 0.15
# Back-test: simulated years, paths per grid point, and the grid searched.
backtest_years = 30
backtest_paths = 200
backtest_grid = {"capacity_response": [0.1, 0.3, 1.0], "elasticity": [0.3, 0.5], "expectation_smoothing": [0.05, 0.3]}
# The seed's reference growth of bit demand in up-cycles, percent per year.
reference_growth_pct = 20.0

# %%
import altair as alt
import numpy as np
import polars as pl

from hbmcycle import charts
from hbmcycle.cycle import TABLES, backtest, demand, history, scenarios
from hbmcycle.cycle import simulate as sim
from hbmcycle.data import db

charts.setup()
t = db.read_tables(TABLES, missing_ok=True)
market = t["dram_market"]
revenue = backtest.annual_industry_revenue(market)
gaps = backtest.missing_years(revenue["year"])
print(
    f"DRAM industry revenue: {revenue.height} years, {revenue['year'].min()}-{revenue['year'].max()}; "
    f"years without a value: {', '.join(map(str, gaps)) or 'none'}"
)

# %% [markdown]
# ## 1. DRAM cycles in the revenue history
#
# Peaks and troughs are confirmed by a reversal of at least `min_swing` (zigzag rule), so
# a missing year can hide a turn: the gaps are listed above. Forecast rows are drawn hollow.

# %%
turns = history.turning_points(revenue["year"].to_numpy(), revenue["dram_revenue_usd_b"].to_numpy(), min_swing)
phase_table = history.phases(turns)
observed = history.cycle_summary(turns)
line = (
    alt.Chart(revenue)
    .mark_line(color="#555")
    .encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("dram_revenue_usd_b:Q", title="DRAM revenue (USD bn)"),
    )
)
dots = (
    alt.Chart(revenue)
    .mark_point(color="#555")
    .encode(
        x="year:Q",
        y="dram_revenue_usd_b:Q",
        fill=alt.condition("datum.is_forecast", alt.value("white"), alt.value("#555")),
        tooltip=["year", "dram_revenue_usd_b", "is_forecast"],
    )
)
turn_marks = (
    alt.Chart(turns)
    .mark_point(size=140, filled=True)
    .encode(
        x="year:Q",
        y="value:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["peak", "trough"], range=["#d62728", "#1f77b4"]), title=None),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=["peak", "trough"], range=["triangle-up", "triangle-down"])),
        tooltip=["year", "value", "kind"],
    )
)
charts.titled(
    line + dots + turn_marks, "DRAM industry revenue with cycle peaks and troughs", "dram_market (industry, annual)"
)

# %%
growth = (
    market.filter((pl.col("company") == "industry") & pl.col("quarter").is_null())
    .select("year", "bit_demand_growth_pct")
    .drop_nulls()
)
phase_growth = history.phase_mean(phase_table, growth["year"].to_numpy(), growth["bit_demand_growth_pct"].to_numpy())
charts.html_table(phase_growth.rename({"mean_value": "mean_bit_demand_growth_pct", "n_years": "growth_years_in_data"}))

# %%
up = phase_growth.filter((pl.col("phase") == "up") & pl.col("mean_value").is_not_null())
down = phase_growth.filter((pl.col("phase") == "down") & pl.col("mean_value").is_not_null())
print(
    f"{turns.height} turns; mean cycle length {observed['period_years']:.1f} years; median peak-to-trough "
    f"{observed['drawdown']:+.0%}, median trough-to-peak {observed['upswing']:+.0%}."
)
print(
    f"Bit-demand growth is in the data for {growth.height} years; {up.height} up-phases and {down.height} "
    f"down-phases have at least one. Up-phase mean: "
    f"{', '.join(f'{a}-{b}: {v:.0f}%' for a, b, v in up.select('start_year', 'end_year', 'mean_value').iter_rows())}"
    f" (reference {reference_growth_pct:.0f}%)."
)

# %% [markdown]
# ## 2. Memory per device: PCs against accelerators
#
# Average DRAM per PC, phone and server (pc_dram) and HBM per accelerator package by ship
# year (largest and median over HBM products in the accelerators table). Log axis:
# equal slopes mean equal growth rates.

# %%
per_device = demand.memory_per_device(t["pc_dram"], t["accelerators"])
rates = demand.growth_rates(per_device)
charts.titled(
    alt.Chart(per_device)
    .mark_line(point=True)
    .encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("gb:Q", scale=alt.Scale(type="log"), title="GB per device (log)"),
        color=alt.Color("series:N", title=None),
        tooltip=["series", "year", "gb"],
    ),
    "Memory per device: average PC/phone/server DRAM vs HBM per accelerator",
    "pc_dram; accelerators",
)

# %%
charts.html_table(rates.with_columns(pl.col("cagr").round(3)))

# %%
pc = t["pc_dram"].filter(pl.col("device") == "pc").sort("year")
if pc.height >= 2:
    # the latest year against the year closest to a decade before it
    last = pc.row(-1, named=True)
    first = pc.sort((pl.col("year") - (last["year"] - 10)).abs()).row(0, named=True)
    pc_claim = (
        f"PC DRAM: {first['avg_dram_gb']:g} GB in {first['year']} -> {last['avg_dram_gb']:g} GB in "
        f"{last['year']} (x{last['avg_dram_gb'] / first['avg_dram_gb']:.1f} over {last['year'] - first['year']} "
        "years; the seed says ~7-8 GB -> ~23 GB in a decade)."
    )
else:
    pc_claim = "PC DRAM: fewer than two years in pc_dram, so the seed's decade claim cannot be checked."
print(pc_claim)

ddr = t["ddr_generations"].filter(pl.col("generation").str.starts_with("DDR")).sort("first_mass_production_year")
last_actual_year = int(revenue.filter(~pl.col("is_forecast"))["year"].max())
hbm_gen = t["hbm_generations"].filter(pl.col("first_mass_production_year") <= last_actual_year)
hbm_gen = hbm_gen.sort("first_mass_production_year")
ddr_gap = float(np.diff(ddr["first_mass_production_year"].to_numpy()).mean())
hbm_gap = float(np.diff(hbm_gen["first_mass_production_year"].to_numpy()).mean())
ddr_years = dict(zip(ddr["generation"], ddr["first_mass_production_year"]))
cadence_text = (
    f"Generation cadence (first mass production): DDR every {ddr_gap:.1f} years "
    f"({' -> '.join(f'{g} {y}' for g, y in ddr_years.items())}); HBM every {hbm_gap:.1f} years "
    f"({' -> '.join(f'{g} {y}' for g, y in hbm_gen.select('generation', 'first_mass_production_year').iter_rows())})."
)
if {"DDR3", "DDR5"} <= ddr_years.keys():
    cadence_text += f" DDR3 to DDR5 took {ddr_years['DDR5'] - ddr_years['DDR3']} years (the seed says 15)."
print(cadence_text)

# %% [markdown]
# ## 3. HBM's weight in DRAM
#
# Share of DRAM revenue, bits and wafers (industry rows of dram_market; later years are
# forecasts). Because an HBM bit needs several times the wafer area of a DDR5 bit (the
# trade ratio), HBM's wafer share runs well ahead of its bit share; the last column is the
# DRAM bit output the wafer base loses to that, relative to making only DDR5.

# %%
share = market.filter((pl.col("company") == "industry") & pl.col("quarter").is_null()).select(
    "year", "is_forecast", "hbm_share_of_dram_revenue", "hbm_bit_share", "hbm_wafer_share", "hbm_ddr5_wafer_trade_ratio"
)
share_long = share.unpivot(
    index=["year", "is_forecast"],
    on=["hbm_share_of_dram_revenue", "hbm_bit_share", "hbm_wafer_share"],
    variable_name="measure",
    value_name="share",
).drop_nulls("share")
charts.titled(
    alt.Chart(share_long)
    .mark_line(point=True)
    .encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="HBM share of DRAM"),
        color=alt.Color("measure:N", title=None),
        strokeDash=alt.StrokeDash("is_forecast:N", title="forecast"),
        tooltip=["year", "measure", "share", "is_forecast"],
    ),
    "HBM's share of DRAM revenue, bits and wafers",
    "dram_market (industry)",
)

# %%
trade = share.drop_nulls(["hbm_wafer_share", "hbm_ddr5_wafer_trade_ratio"]).with_columns(
    implied_wafer_share_from_bits=pl.when(pl.col("hbm_bit_share").is_not_null()).then(
        pl.struct("hbm_bit_share", "hbm_ddr5_wafer_trade_ratio").map_elements(
            lambda r: float(demand.hbm_wafer_share(r["hbm_bit_share"], r["hbm_ddr5_wafer_trade_ratio"])),
            return_dtype=pl.Float64,
        )
    ),
    bit_output_vs_all_ddr5=pl.struct("hbm_wafer_share", "hbm_ddr5_wafer_trade_ratio").map_elements(
        lambda r: float(demand.effective_bit_capacity(r["hbm_wafer_share"], r["hbm_ddr5_wafer_trade_ratio"])),
        return_dtype=pl.Float64,
    ),
)
charts.html_table(trade.drop("hbm_share_of_dram_revenue"))

# %% [markdown]
# HBM bit demand implied by the shipment estimates (units x HBM per unit; `scaled` assumes
# units without a content figure carry the average of those with one):

# %%
content = demand.shipment_content(t["accelerator_shipments"], t["accelerators"])
hbm_demand = demand.hbm_bit_demand(content)
charts.html_table(hbm_demand)

# %% [markdown]
# ## 4. Back-test: does the model make DRAM-like cycles?
#
# The model (see `hbmcycle.cycle.simulate`) is run as commodity DRAM (the `backtest`
# parameter set, with bit-demand growth set to the mean observed in dram_market) for
# `backtest_years` years per path. Its annual revenue index goes through the same zigzag
# rule as the observed revenue. A grid search picks the capacity response, elasticity
# and expectation speed that bring cycle length and amplitude closest to history.

# %%
mean_growth = growth["bit_demand_growth_pct"].mean()
bt_params = scenarios.resolve("backtest", {"content_growth": mean_growth / 100} if mean_growth is not None else {})
grid = backtest.fit(observed, bt_params, backtest_grid, years=backtest_years, paths=backtest_paths, seed=seed)
best = grid.row(0, named=True)
fitted = bt_params.replace(**{k: best[k] for k in backtest_grid})
comparison = backtest.compare(
    observed, backtest.simulated_stats(fitted, years=backtest_years, paths=4 * backtest_paths, seed=seed + 1)
)
charts.html_table(grid.head(8))

# %%
charts.html_table(comparison)

# %%
cmp_long = comparison.with_columns(
    pl.when(pl.col("metric") == "period_years")
    .then(pl.lit("cycle length (years)"))
    .when(pl.col("metric") == "drawdown")
    .then(pl.lit("peak to trough"))
    .otherwise(pl.lit("trough to peak"))
    .alias("label")
)
band = (
    alt.Chart(cmp_long)
    .mark_rule(strokeWidth=6, opacity=0.35)
    .encode(y=alt.Y("label:N", title=None), x=alt.X("model_p10:Q", title="value"), x2="model_p90:Q")
)
med = alt.Chart(cmp_long).mark_tick(thickness=3, size=18).encode(y="label:N", x="model_median:Q")
obs = (
    alt.Chart(cmp_long)
    .mark_point(shape="diamond", size=120, filled=True, color="#d62728")
    .encode(y="label:N", x="observed:Q", tooltip=["metric", "observed", "model_median", "model_p10", "model_p90"])
)
charts.titled(
    (band + med + obs).resolve_scale(x="shared"),
    "Back-test: observed DRAM cycles (red) vs model 10-90 % range and median",
    "dram_market; model with the best grid point",
)

# %% [markdown]
# ## 5. HBM scenarios
#
# Each named scenario is run with the same seed. Fan charts show the median (line) and the
# 25-75 % and 5-95 % bands across paths of the supply/demand balance (supply capacity
# over demand at the normal price, minus one), the price index (1 = normal margin) and
# utilisation. The scenario parameters and their basis are in `scenarios.yaml`.

# %%
results = {
    name: sim.simulate(scenarios.resolve(name, overrides), paths=paths, quarters=horizon_quarters, seed=seed)
    for name in scenario_names
}
fans = pl.concat(
    [
        sim.fan(r, v).with_columns(scenario=pl.lit(n))
        for n, r in results.items()
        for v in ("balance", "price", "utilisation")
    ]
)
gluts = pl.concat([sim.glut_probability_by_year(r).with_columns(scenario=pl.lit(n)) for n, r in results.items()])


def fan_chart(variable: str, title: str, fmt: str):
    data = fans.filter(pl.col("variable") == variable)
    x = alt.X("time:Q", axis=alt.Axis(format="d"), title=None)
    outer = (
        alt.Chart()
        .mark_area(opacity=0.2)
        .encode(x=x, y=alt.Y("q05:Q", axis=alt.Axis(format=fmt), title=title), y2="q95:Q")
    )
    inner = alt.Chart().mark_area(opacity=0.35).encode(x=x, y="q25:Q", y2="q75:Q")
    median = alt.Chart().mark_line(color="black").encode(x=x, y="q50:Q")
    return (
        alt.layer(outer, inner, median, data=data)
        .properties(width=250, height=170)
        .facet(facet=alt.Facet("scenario:N", sort=scenario_names, title=None), columns=3)
    )


charts.titled(
    fan_chart("balance", "supply / demand - 1", "%"), "Supply-demand balance by scenario", "model; scenarios.yaml"
)

# %%
charts.titled(fan_chart("price", "price index", ".1f"), "Price index by scenario", "model; scenarios.yaml")

# %%
charts.titled(fan_chart("utilisation", "utilisation", "%"), "Capacity utilisation by scenario", "model; scenarios.yaml")

# %%
charts.titled(
    alt.Chart(gluts)
    .mark_line(point=True)
    .encode(
        x=alt.X("year:O", title=None),
        y=alt.Y("glut_probability:Q", axis=alt.Axis(format="%"), title="P(glut in the year)"),
        color=alt.Color("scenario:N", sort=scenario_names),
        tooltip=["scenario", "year", "glut_probability", "shortage_probability"],
    ),
    f"Probability of an oversupply (glut) by year ({paths:,} paths per scenario)",
    "model; scenarios.yaml",
)

# %% [markdown]
# ### Scenario parameters against the data
#
# Where the data can speak to a parameter, its data-implied value sits beside the base value.

# %%
acc_by_year = demand.accelerator_memory_by_year(t["accelerators"])
shipping = acc_by_year.filter(pl.col("year") <= last_actual_year)
content_cagr = history.loglinear_cagr(shipping["year"].to_numpy(), shipping["max_gb"].to_numpy())
density = t["hbm_generations"].drop_nulls(["die_density_gbit_max", "first_mass_production_year"])
density_cagr = history.loglinear_cagr(
    density["first_mass_production_year"].to_numpy(), density["die_density_gbit_max"].to_numpy()
)
ratio_values = market["hbm_ddr5_wafer_trade_ratio"].drop_nulls()
base = scenarios.resolve("base", overrides)
checks = pl.DataFrame(
    {
        "parameter": ["content_growth", "bit_growth_per_year", "generation_cadence_quarters", "trade ratio (level)"],
        "base_value": [base.content_growth, base.bit_growth_per_year, float(base.generation_cadence_quarters), None],
        "data_value": [
            content_cagr,
            density_cagr,
            4 * hbm_gap,
            float(ratio_values.median()) if ratio_values.len() else None,
        ],
        "data": [
            "log-linear CAGR of the largest HBM per accelerator by ship year (accelerators)",
            "log-linear CAGR of HBM die density by first mass-production year (hbm_generations); per die, not per wafer",
            "mean gap between HBM generations' first mass production, in quarters (hbm_generations)",
            "median hbm_ddr5_wafer_trade_ratio (dram_market); only its change enters the model",
        ],
    },
    schema_overrides={"base_value": pl.Float64},
)
charts.html_table(checks)

# %% [markdown]
# ## 6. What the data supports, and what it cannot decide

# %%
from IPython.display import Markdown

peak_glut = {
    n: gluts.filter(pl.col("scenario") == n).sort("glut_probability", descending=True).row(0, named=True)
    for n in scenario_names
}
len_row = comparison.filter(pl.col("metric") == "period_years").row(0, named=True)
dd_row = comparison.filter(pl.col("metric") == "drawdown").row(0, named=True)
inside = lambda r: r["model_p10"] <= r["observed"] <= r["model_p90"]
pc_rate = rates.filter(pl.col("series") == "average DRAM per pc")["cagr"]
lines = [
    f"- **DRAM is cyclical in this data.** {revenue['year'].min()}-{revenue['year'].max()} revenue shows "
    f"{turns.filter(pl.col('kind') == 'peak').height} confirmed peaks and {turns.filter(pl.col('kind') == 'trough').height} "
    f"troughs, a mean cycle of {observed['period_years']:.1f} years, a median bust of {observed['drawdown']:.0%} and a "
    f"median boom of {observed['upswing']:+.0%}"
    + (f" (years missing: {', '.join(map(str, gaps))}, so a turn may be misplaced by a year)." if gaps else "."),
    f"- **Up-cycles and 20 % demand growth.** Bit-demand growth is recorded for only {growth.height} years, so the "
    f"comparison with the seed's {reference_growth_pct:.0f}% rests on {up.height} up-phase(s) and {down.height} "
    f"down-phase(s) with data; in them growth averaged "
    f"{', '.join(f'{v:.0f}%' for v in up['mean_value']) or 'n/a'} (up) and "
    f"{', '.join(f'{v:.0f}%' for v in down['mean_value']) or 'n/a'} (down). "
    + (
        f"Every down-phase with data still had demand growth above {reference_growth_pct:.0f}%: fast demand growth "
        "did not protect DRAM from oversupply."
        if down.height and (down["mean_value"] > reference_growth_pct).all()
        else "The data do not show busts coinciding with demand growth above the reference in every case."
    ),
    f"- **Content per device.** Largest HBM per accelerator (ship years to the last actual year) grew "
    f"{content_cagr:.0%}/yr",
]
lines[-1] += (
    f" against {pc_rate[0]:.0%}/yr for average PC DRAM. {pc_claim} {cadence_text}"
    if pc_rate.len() and pc_rate[0] is not None
    else f". {pc_claim} {cadence_text}"
)
lines += [
    f"- **Back-test.** The best grid point ({', '.join(f'{k}={best[k]:g}' for k in backtest_grid)}) gives a median "
    f"cycle of {len_row['model_median']:.1f} years (observed {len_row['observed']:.1f}; "
    f"{'inside' if inside(len_row) else 'outside'} the model's 10-90 % range) and a median bust of "
    f"{dd_row['model_median']:.0%} (observed {dd_row['observed']:.0%}; {'inside' if inside(dd_row) else 'outside'}). "
    "The cobweb with a capacity lead time reproduces the rhythm of DRAM, which is what it is fitted to; it is not "
    "evidence that it forecasts turns.",
    "- **Scenarios.** Highest yearly glut probability: "
    + "; ".join(f"{n} {r['glut_probability']:.0%} in {r['year']}" for n, r in peak_glut.items())
    + ". "
    + (
        "In the model, content growth alone does not prevent a glut when shipments stall: capacity ordered for the "
        "old growth rate still arrives."
        if {"base", "ai_capex_pause"} <= peak_glut.keys()
        and peak_glut["ai_capex_pause"]["glut_probability"] > peak_glut["base"]["glut_probability"]
        else ""
    ),
    "- **What the data cannot decide.** (1) Whether HBM content keeps compounding: the accelerator roadmap rows "
    "are announcements, and shipment figures are analyst estimates (medium/low confidence) with few years. "
    "(2) HBM's price response: HBM is sold on annual contracts, and no HBM price series is in the data, so the "
    "elasticity and capacity response are borrowed from commodity DRAM via the back-test. (3) Lead times: the "
    "scenario values are assumptions anchored on public statements, not a measured table. (4) Whether long-term "
    "contracts and the packaging bottleneck damp the HBM cycle: the DRAM history cannot test that, because HBM "
    "did not exist in it. The scenarios show the consequences of each assumption, not which one is true.",
]
Markdown("\n".join(lines))

# %% tags=["summary"]
# The summary the report opens with (the renderer moves this cell to the top).
from hbmcycle.reports.summary import Finding
from hbmcycle.reports.summary import summary as executive_summary

glut_range = sorted(r["glut_probability"] for r in peak_glut.values())
executive_summary(
    "Will HBM follow DRAM's boom-bust cycles?",
    f"DRAM's history is cyclical; whether HBM follows cannot be decided from the data. The scenarios put the "
    f"highest yearly glut probability between {glut_range[0]:.0%} and {glut_range[-1]:.0%}.",
    [
        Finding(
            f"DRAM revenue {revenue['year'].min()}–{revenue['year'].max()}: "
            f"{turns.filter(pl.col('kind') == 'peak').height} confirmed peaks, a mean cycle of "
            f"{observed['period_years']:.1f} years and a median bust of {observed['drawdown']:.0%}.",
            "1. DRAM cycles in the revenue history",
        ),
        Finding(
            f"Largest HBM per accelerator grew {content_cagr:.0%} a year (ship years up to the last actual year).",
            "2. Memory per device: PCs against accelerators",
        ),
        Finding(
            f"The back-tested supply model gives a median cycle of {len_row['model_median']:.1f} years against "
            f"{len_row['observed']:.1f} observed ({'inside' if inside(len_row) else 'outside'} its 10–90 % range).",
            "4. Back-test: does the model make DRAM-like cycles?",
        ),
        Finding(
            "Highest yearly glut probability by scenario: "
            + "; ".join(f"{n} {r['glut_probability']:.0%} in {r['year']}" for n, r in peak_glut.items())
            + ".",
            "5. HBM scenarios",
        ),
        Finding(
            "HBM's price response, lead times and contract damping are assumptions borrowed from commodity DRAM, "
            "not measured: the data cannot say whether HBM busts like DRAM.",
            "6. What the data supports, and what it cannot decide",
            "cannot be checked",
        ),
    ],
)
