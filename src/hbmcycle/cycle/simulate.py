"""Vectorized Monte Carlo of the HBM (or DRAM) supply cycle: N paths x Q quarters.

The model is a cobweb with a capacity pipeline (system dynamics), in index units
(demand, capacity and price are 1 at the start of a balanced market). Per path i and
quarter t:

    demand at the normal price   D[t+1] = D[t] * exp(g_i(t)/4 + sigma_q * e)
        g_i(t) = log(1 + shipment growth_i(t)) + log(1 + content growth)    [1/yr]
        shipment growth_i(t) = pause_shipment_growth inside a capex pause, else
        shipment_growth + demand_growth_sd * z_i
    good bits per wafer          B[t] = exp(tech * t) * (1 - dip_i * exp(-phase(t) / ramp))
        tech = (log(1 + bit_growth) - log(1 + trade_ratio_growth)) / 4     [1/quarter]
        phase(t) = quarters since the latest HBM generation switch
    supply capacity (bits)       S[t] = s0_i * K[t] * B[t],  s0_i set so S[0] = D[0] (1 + initial_balance)
    price index                  P[t] = clip((D[t] / S[t]) ** (1 / elasticity), price_floor, price_cap)
        (bits sold at P: D P^-elasticity; at the floor producers idle capacity instead)
    utilisation                  U[t] = min(1, D[t] P[t]^-elasticity / S[t])
    expected demand growth       G[t] = G[t-1] + alpha (log D[t] - log D[t-1] - G[t-1])
    capacity orders              O[t] = K[t] exp((G[t] - tech) L_i) max(0, exp(G[t] - tech) - 1 + d + kappa_i (P[t] - 1))
    capacity                     K[t+1] = K[t] (1 - d) + O[t - L_i]
        d: retirement per quarter; L_i: lead time drawn per path in [min, max] quarters.
        Planners size orders for the capacity they expect to need when the order arrives
        (growth extrapolated over their lead time) and add kappa (P - 1) when prices are
        above or below normal, without counting what is already in the pipeline: that
        omission and the lead time are what make the cycle.

Revenue index R = P * U * K: price per bit scales with the unit cost per good bit, which
falls as B rises, so price x bits sold is proportional to P x utilisation x wafers.
Balance = S / D - 1; a quarter is a glut when balance >= glut_excess.
Uncertain per path: shipment growth, capex pause (yes/no), capacity response kappa
(lognormal), lead time (uniform integer), yield dip (normal, clipped).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
from tqdm import tqdm

from hbmcycle.cycle.scenarios import CycleParams

VARIABLES = ("demand", "supply", "price", "utilisation", "revenue")
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    """Outputs of `simulate`. Each variable is a float32 array of shape (quarters, paths)."""

    params: CycleParams
    time: np.ndarray  # (Q,) decimal year at the start of each quarter
    demand: np.ndarray
    supply: np.ndarray
    price: np.ndarray
    utilisation: np.ndarray
    revenue: np.ndarray
    lead_time: np.ndarray  # (N,) quarters, per path

    @property
    def paths(self) -> int:
        return self.demand.shape[1]

    @property
    def quarters(self) -> int:
        return self.demand.shape[0]

    @property
    def balance(self) -> np.ndarray:
        """Supply capacity / demand at the normal price - 1 (positive = oversupply)."""
        return self.supply / self.demand - 1.0

    def get(self, variable: str) -> np.ndarray:
        if variable == "balance":
            return self.balance
        if variable not in VARIABLES:
            raise KeyError(f"unknown variable {variable!r}; choose from {VARIABLES + ('balance',)}")
        return getattr(self, variable)


def simulate(
    params: CycleParams,
    paths: int = 10_000,
    quarters: int = 40,
    seed: int | np.random.SeedSequence | None = 0,
    progress: bool | None = None,
) -> SimulationResult:
    """Run the model (see module docstring) for `paths` Monte Carlo paths over `quarters`.

    seed: numpy Generator seed; the same seed and parameters give identical results.
    progress: show a tqdm bar over quarters; None = only for runs of more than 5 million points.
    """
    if paths < 1 or quarters < 1:
        raise ValueError("paths and quarters must be at least 1")
    p = params
    n, rng = paths, np.random.default_rng(seed)

    ship, paused, kappa, lead, dip = _draw_paths(p, n, rng)

    growth_q, pause_growth_q, tech_q, retire_q = _quarterly_rates(p, ship)
    pause_end = p.pause_start_quarter + p.pause_quarters
    inv_eps = 1.0 / p.elasticity

    t_idx = np.arange(quarters)
    phase = np.mod(t_idx - p.first_transition_quarter, p.generation_cadence_quarters)
    recovery = np.exp(-phase / p.yield_ramp_quarters)  # (Q,) share of the dip still unrecovered

    log_d = np.zeros(n)
    capacity = np.ones(n)
    expected = growth_q.copy()
    s0 = (1.0 + p.initial_balance) / (1.0 - dip * recovery[0])

    arrivals = _initial_pipeline(lead, expected, tech_q, retire_q, quarters)
    cols = np.arange(n)

    out = {v: np.empty((quarters, n), dtype=np.float32) for v in VARIABLES}
    show = progress if progress is not None else n * quarters > 5_000_000
    for t in tqdm(range(quarters), disable=not show, desc="quarters", leave=False):
        demand = np.exp(log_d)
        supply = s0 * capacity * np.exp(tech_q * t) * (1.0 - dip * recovery[t])
        ratio = demand / supply
        price = np.clip(ratio**inv_eps, p.price_floor, p.price_cap)
        util = np.minimum(1.0, ratio * price**-p.elasticity)
        for variable, value in zip(VARIABLES, (demand, supply, price, util, price * util * capacity)):
            out[variable][t] = value

        planned = capacity * np.exp((expected - tech_q) * lead)
        order = planned * np.maximum(np.expm1(expected - tech_q) + retire_q + kappa * (price - 1.0), 0.0)
        arrivals.ravel()[(t + lead) * n + cols] += order
        capacity = capacity * (1.0 - retire_q) + arrivals[t]

        in_pause = paused & (p.pause_start_quarter <= t < pause_end)
        step = np.where(in_pause, pause_growth_q, growth_q)
        if p.demand_noise_sd > 0:
            step = step + p.demand_noise_sd * rng.standard_normal(n)
        log_d += step
        expected += p.expectation_smoothing * (step - expected)

    time = p.start_year + t_idx / 4.0
    return SimulationResult(params=p, time=time, lead_time=lead, **out)


def _quarterly_rates(p: CycleParams, ship: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Quarterly log rates: demand growth per path (normal, and in a pause), net bit growth of
    technology, and capacity retirement (a fraction per quarter)."""
    content_q = np.log1p(p.content_growth) / 4
    growth_q = np.log1p(ship) / 4 + content_q
    pause_growth_q = float(np.log1p(max(p.pause_shipment_growth, -0.95)) / 4 + content_q)
    tech_q = float((np.log1p(p.bit_growth_per_year) - np.log1p(p.trade_ratio_growth_per_year)) / 4)
    retire_q = 1.0 - (1.0 - p.depreciation_per_year) ** 0.25
    return growth_q, pause_growth_q, tech_q, retire_q


def _draw_paths(p: CycleParams, n: int, rng: np.random.Generator):
    """Per-path draws, always in this order so a seed fixes every path: shipment growth, pause
    (yes/no), capacity response kappa, lead time (quarters), yield dip."""
    ship = np.maximum(p.shipment_growth + p.demand_growth_sd * rng.standard_normal(n), -0.95)
    paused = rng.random(n) < p.pause_probability
    kappa = p.capacity_response * np.exp(
        p.capacity_response_sd * rng.standard_normal(n) - 0.5 * p.capacity_response_sd**2
    )
    lead = rng.integers(p.lead_time_min_quarters, p.lead_time_max_quarters + 1, size=n)
    dip = np.clip(p.yield_dip + p.yield_dip_sd * rng.standard_normal(n), 0.0, 0.9)
    return ship, paused, kappa, lead, dip


def _initial_pipeline(lead, expected, tech_q: float, retire_q: float, quarters: int) -> np.ndarray:
    """The capacity pipeline (row t: what arrives at the end of quarter t), primed with the orders
    a steady market would have placed over each path's lead time."""
    max_lead = int(lead.max())
    arrivals = np.zeros((quarters + max_lead + 1, lead.size))
    steady_rate = np.maximum(np.expm1(expected - tech_q) + retire_q, 0.0)
    k = np.arange(max_lead)[:, None]
    arrivals[:max_lead] = np.where(k < lead, steady_rate * np.exp((expected - tech_q) * k), 0.0)
    return arrivals


def fan(result: SimulationResult, variable: str, quantiles: tuple[float, ...] = DEFAULT_QUANTILES) -> pl.DataFrame:
    """Quantiles across paths per quarter: columns time, variable, q05, q25, ... (long-friendly)."""
    values = result.get(variable)
    qs = np.quantile(values, quantiles, axis=1)
    return pl.DataFrame(
        {"time": result.time, "variable": variable} | {f"q{round(q * 100):02d}": qs[i] for i, q in enumerate(quantiles)}
    )


def glut_probability_by_year(result: SimulationResult) -> pl.DataFrame:
    """Per calendar year: share of paths with at least one glut quarter (balance >= glut_excess)
    and with at least one shortage quarter (balance <= -glut_excess)."""
    excess = result.params.glut_excess
    bal = result.balance
    years = np.floor(result.time + 1e-9).astype(int)
    rows = []
    for y in np.unique(years):
        b = bal[years == y]
        rows.append(
            (int(y), int(b.shape[0]), float((b >= excess).any(axis=0).mean()), float((b <= -excess).any(axis=0).mean()))
        )
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int64,
            "quarters": pl.Int64,
            "glut_probability": pl.Float64,
            "shortage_probability": pl.Float64,
        },
        orient="row",
    )


def summary(result: SimulationResult) -> dict:
    """A JSON-ready digest: parameters, glut/shortage probability by year, median end state."""
    end = {v: float(np.median(result.get(v)[-1])) for v in ("price", "utilisation", "balance")}
    return {
        "paths": result.paths,
        "quarters": result.quarters,
        "params": dataclasses.asdict(result.params),
        "by_year": glut_probability_by_year(result).to_dicts(),
        "median_at_end": end,
        "probability_any_glut": float((result.balance >= result.params.glut_excess).any(axis=0).mean()),
    }
