"""Prices on one stated basis: accelerator-hours (market index, on-demand list, TCO) and API $/Mtok cross-checks.

Modules: ``basis`` (an accelerator-hour price per basis, with its date and sources; the TCO
formula), ``api_check`` (modelled $/Mtok beside ``api_prices`` for the same open model).
Assumptions (amortisation years, the basis order, the speed level of the cross-check) are in
``prices/assumptions.yaml``.
"""
