"""The memory supply cycle: DRAM cycle history, HBM demand and a Monte Carlo scenario engine.

Modules: `history` (turning points and growth rates of observed series), `demand`
(HBM bit demand from accelerator shipments), `scenarios` (named parameter sets in
`scenarios.yaml`, validated), `simulate` (the vectorized cobweb / system-dynamics
model), `backtest` (the model run against observed DRAM cycles) and `cli`.
"""

# The tables the cycle analysis reads (hbmcycle.data.db.read_tables(TABLES, missing_ok=True)).
TABLES = (
    "dram_market",
    "dram_prices",
    "accelerator_shipments",
    "accelerators",
    "hbm_generations",
    "hbm_products",
    "pc_dram",
    "ddr_generations",
)
