"""The memory supply cycle: DRAM cycle history, HBM demand and a Monte Carlo scenario engine.

Modules: `history` (turning points and growth rates of observed series), `demand`
(HBM bit demand from accelerator shipments), `scenarios` (named parameter sets in
`scenarios.yaml`, validated), `simulate` (the vectorized cobweb / system-dynamics
model), `backtest` (the model run against observed DRAM cycles) and `cli`.
"""
