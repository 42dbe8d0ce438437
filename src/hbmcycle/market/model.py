"""The bottom-up HBM market, one year at a time, vectorised over parameter draws.

Units: bits in decimal exabytes (EB = 1e18 B); capacities in k wafers per month; prices as
indices (2024 = 1). Per year y and draw i (all parameters in parameters.yaml):

    demand       D(y) = (1 + uncounted_demand) * sum_f units_f(y) * GiB_f(y) * 2^30 / 1e18
        units_f(y) = units_f(base) (1 + g_f)^(y - base),  g_f = gpu_unit_growth or asic_unit_growth
        GiB_f(y)   = GiB_f(base) (1 + content_growth)^(y - base)
        (years before base use history_unit_growth and history_content_growth, fixed by data,
        so every scenario shares the same past)
        ASIC families known only by wafers: units = wafers x asic_packages_per_wafer
    DDR5 price   P_d(y) = mean over the year's quarters of a contract index: flat through 3Q25
                 (no 2025 figures before 4Q25 in the data), x(1 + ddr5_change_4q25) in 4Q25,
                 x(1 + ddr5_change_1q26) in 1Q26, x(1 + ddr5_change_2q26) in 2Q26, then
                 (1 + ddr5_change_after) per year
    HBM price    P_h(2024) = 1, P_h(2025) = 1 + hbm_contract_change_2025 (agreed in 2024);
                 later years are annual contracts set on the year before:
                 P_h(y) = P_h(y-1) (1 + clip((D/S)(y-1)^(1/elasticity) - 1, -limit, +limit))
    premium      M(y) = hbm_premium_2024 P_h(y) / P_d(y)             [HBM $/bit over DDR5 $/bit]
    wafer signal W(y) = (M(y) / trade_ratio(y)) / hbm_breakeven_revenue_ratio
                 (HBM revenue per wafer over DDR5 revenue per wafer, relative to break-even)
    switching    s(y) = W(y)^switch_elasticity: wafer starts = c + (1 - c) min(1, s) of capacity
                 (c = contracted_share, committed by annual contracts), and TSV
                 additions after a vendor's last figure grow
                 tsv_capacity_growth x min(s(y-1), capacity_response_cap)
    supply       S(y) = sum_v 12 C_v(y) capacity_run_rate starts(y) f_v(y) bits_per_HBM_wafer(y)
        bits_per_HBM_wafer = ddr5_gbit_per_wafer (1 + bit_density_growth)^(y-2025)
                             / (trade_ratio (1 + trade_ratio_growth)^max(y-2025, 0))
        f_v = 1, except Samsung from 2024: samsung_output_factor rising linearly to 1 over
              samsung_catchup_years after 2025 (HBM3E qualification delays)
    balance      B(y) = S(y) / D(y) - 1   (> +glut_threshold: glut; < -glut_threshold: shortage)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import polars as pl

from hbmcycle.market.inputs import VENDORS

YEARS = np.arange(2023, 2031)
EB_PER_GIB = 2**30 / 1e18
EB_PER_GBIT = 1e9 / 8 / 1e18
# product family -> (group whose unit growth applies, whether the data give wafers instead of units)
FAMILIES = {
    "nvidia": ("gpu", False),
    "amd": ("gpu", False),
    "google_tpu": ("asic", True),
    "aws_trainium": ("asic", True),
    "huawei": ("asic", False),
    "other_asic": ("asic", False),
}


@dataclasses.dataclass(frozen=True)
class MarketRun:
    """Every output is an array of shape (years, draws); per-family and per-vendor ones are dicts."""

    years: np.ndarray
    demand_by_family: dict[str, np.ndarray]
    counted_demand_eb: np.ndarray
    demand_eb: np.ndarray
    supply_by_vendor: dict[str, np.ndarray]
    supply_eb: np.ndarray
    tsv_k_wpm: dict[str, np.ndarray]
    hbm_wafer_share_of_dram: np.ndarray
    wafer_starts_fraction: np.ndarray
    hbm_price_index: np.ndarray
    ddr5_price_index: np.ndarray
    premium_vs_ddr5: np.ndarray
    wafer_signal: np.ndarray
    glut_threshold: np.ndarray

    @property
    def balance(self) -> np.ndarray:
        return self.supply_eb / self.demand_eb - 1.0

    def vendor_share(self, vendor: str) -> np.ndarray:
        return self.supply_by_vendor[vendor] / self.supply_eb


def family_demand_eb(p: Mapping[str, np.ndarray], years: np.ndarray = YEARS) -> dict[str, np.ndarray]:
    """HBM bits each family consumes per year (EB), shape (years, draws)."""
    dt = (years - np.asarray(p["base_year"]).flat[0])[:, None]
    ahead, back = np.maximum(dt, 0), np.minimum(dt, 0)
    content = (1.0 + p["content_growth"]) ** ahead * (1.0 + p["history_content_growth"]) ** back
    out = {}
    for family, (group, by_wafer) in FAMILIES.items():
        base = p[f"{family}_wafers_k"] * p["asic_packages_per_wafer"] if by_wafer else p[f"{family}_units_k"]
        units = base * (1.0 + p[f"{group}_unit_growth"]) ** ahead * (1.0 + p["history_unit_growth"]) ** back
        out[family] = units * 1e3 * p[f"{family}_gib_per_unit"] * content * EB_PER_GIB
    return out


def ddr5_price_index(p: Mapping[str, np.ndarray], years: np.ndarray = YEARS) -> np.ndarray:
    """Annual mean of the quarterly DDR5 contract index (2024 = 1), shape (years, draws)."""
    quarters = np.arange(4 * years[0], 4 * (years[-1] + 1)) / 4.0  # decimal year of each quarter
    n = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
    after = (1.0 + p["ddr5_change_after"]) ** 0.25
    level = np.ones(n)
    index = np.empty((quarters.size, *n))
    for i, q in enumerate(quarters):
        if q == 2025.75:
            level = level * (1.0 + p["ddr5_change_4q25"])
        elif q == 2026.0:
            level = level * (1.0 + p["ddr5_change_1q26"])
        elif q == 2026.25:
            level = level * (1.0 + p["ddr5_change_2q26"])
        elif q > 2026.25:
            level = level * after
        index[i] = level
    return index.reshape(years.size, 4, *n).mean(axis=1)


def _vendor_capacity_table(capacity: pl.DataFrame, p: Mapping[str, np.ndarray]) -> dict[tuple[str, int], np.ndarray]:
    known = {
        (v, int(y)): np.asarray(c, dtype=float)
        for y, v, c in capacity.select("year", "vendor", "tsv_k_wpm").iter_rows()
    }
    known.setdefault(("micron", 2025), np.asarray(p["micron_tsv_k_wpm_2025"], dtype=float))
    return known


def _output_factor(vendor: str, year: int, p: Mapping[str, np.ndarray]) -> np.ndarray:
    if vendor != "samsung" or year < 2024:
        return np.asarray(1.0)
    f0 = p["samsung_output_factor"]
    return f0 + (1.0 - f0) * np.clip((year - 2025) / p["samsung_catchup_years"], 0.0, 1.0)


def run(p_in: Mapping[str, np.ndarray | float], capacity: pl.DataFrame, dram_wafers_2024_k: float) -> MarketRun:
    """The model of the module docstring. `capacity`: `inputs.vendor_tsv_capacity`;
    `dram_wafers_2024_k`: `inputs.dram_wafer_capacity_2024`."""
    p = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in p_in.items()}
    shape = (YEARS.size, *np.broadcast_shapes(*(np.shape(v) for v in p.values())))
    families = family_demand_eb(p)
    counted: np.ndarray = np.add.reduce(list(families.values()))
    demand: np.ndarray = counted * (1.0 + p["uncounted_demand"])
    p_ddr5 = ddr5_price_index(p)
    known = _vendor_capacity_table(capacity, p)
    out = {k: np.zeros(shape) for k in ("supply", "p_hbm", "premium", "signal", "starts", "share")}
    caps = {v: np.zeros(shape) for v in VENDORS}
    bits = {v: np.zeros(shape) for v in VENDORS}
    prev_cap = {v: np.zeros(shape[1:]) for v in VENDORS}
    hbm_price, prev_switch = np.ones(shape[1:]), np.ones(shape[1:])
    for i, y in enumerate(YEARS):
        if y == 2025:
            hbm_price = hbm_price * (1.0 + p["hbm_contract_change_2025"])
        elif y > 2025:
            tight = (demand[i - 1] / out["supply"][i - 1]) ** (1.0 / p["contract_price_elasticity"]) - 1.0
            hbm_price = hbm_price * (1.0 + np.clip(tight, -p["contract_change_limit"], p["contract_change_limit"]))
        trade = p["trade_ratio"] * (1.0 + p["trade_ratio_growth"]) ** max(int(y) - 2025, 0)  # 3 since Dec 2023
        premium = p["hbm_premium_2024"] * hbm_price / p_ddr5[i]
        signal = premium / trade / p["hbm_breakeven_revenue_ratio"]
        switch = signal ** p["switch_elasticity"]
        starts = p["contracted_share"] + (1.0 - p["contracted_share"]) * np.minimum(1.0, switch)
        gbit_per_wafer = p["ddr5_gbit_per_wafer"] * (1.0 + p["bit_density_growth"]) ** (y - 2025) / trade
        for v in VENDORS:
            grown = prev_cap[v] * (1.0 + p["tsv_capacity_growth"] * np.minimum(prev_switch, p["capacity_response_cap"]))
            caps[v][i] = known.get((v, int(y)), grown)
            wafers_k = 12.0 * caps[v][i] * p["capacity_run_rate"] * starts * _output_factor(v, int(y), p)
            bits[v][i] = wafers_k * 1e3 * gbit_per_wafer * EB_PER_GBIT
            prev_cap[v] = caps[v][i]
        out["supply"][i] = sum(bits[v][i] for v in VENDORS)
        out["p_hbm"][i], out["premium"][i], out["signal"][i], out["starts"][i] = hbm_price, premium, signal, starts
        out["share"][i] = sum(caps[v][i] for v in VENDORS) / (
            dram_wafers_2024_k * (1 + p["dram_wafer_growth"]) ** (y - 2024)
        )
        prev_switch = switch
    return MarketRun(
        years=YEARS,
        demand_by_family=families,
        counted_demand_eb=counted,
        demand_eb=demand,
        supply_by_vendor=bits,
        supply_eb=out["supply"],
        tsv_k_wpm=caps,
        hbm_wafer_share_of_dram=out["share"],
        wafer_starts_fraction=out["starts"],
        hbm_price_index=out["p_hbm"],
        ddr5_price_index=p_ddr5,
        premium_vs_ddr5=out["premium"],
        wafer_signal=out["signal"],
        glut_threshold=np.broadcast_to(p["glut_threshold"], shape[1:]),
    )
