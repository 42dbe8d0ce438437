"""The HBM market bottom-up: demand by product family, supply by vendor, a price layer with wafer
switching between HBM and DDR5, the balance, and its reconciliation with published figures.

Modules: `params` (parameters.yaml, scenarios.yaml), `inputs` (values read from the tables),
`model` (the yearly model, vectorised over parameter draws), `balance` (tables, fans and
glut/shortage probabilities), `reconcile` (model beside published figures), `sensitivity`
(which inputs flip the answer) and `cli` (`hbmcycle hbm balance`).
"""

# The tables the market model reads (hbmcycle.data.db.read_tables).
TABLES = ("hbm_tsv_capacity", "hbm_vendors", "hbm_prices", "accelerator_shipments", "dram_market")
