import polars as pl
import pytest

from hbmcycle.hetero import economics


def tables():
    accelerators = pl.DataFrame({"accelerator_id": ["gpu_a", "gpu_b", "sram_c"], "tdp_w": [1000.0, 1500.0, None]})
    systems = pl.DataFrame(
        {"system_id": ["rack_a"], "accelerator_id": ["gpu_a"], "accelerator_count": [10], "rack_power_kw": [15.0]}
    )
    return accelerators, systems


def test_power_rules():
    accelerators, systems = tables()
    econ = economics.EconomicsAssumptions(
        reference_system="rack_a", power_proxies={"sram_c": "gpu_b"}, unknown_power_factor=2.0
    )
    assert economics.chip_power_kw("gpu_a", accelerators, systems, econ)[:2] == (1.5, 1.5)
    low, high, _ = economics.chip_power_kw("gpu_b", accelerators, systems, econ)
    assert (low, high) == pytest.approx((1.5, 1.5 * 1.5))  # rack / TDP of rack_a = 15 / (10 x 1) = 1.5
    low, high, basis = economics.chip_power_kw("sram_c", accelerators, systems, econ)
    assert (low, high) == pytest.approx((1.5, 4.5)) and "proxy gpu_b" in basis


def test_missing_power_without_proxy_raises():
    accelerators, systems = tables()
    econ = economics.EconomicsAssumptions(reference_system="rack_a", power_proxies={})
    with pytest.raises(ValueError, match="sram_c"):
        economics.chip_power_kw("sram_c", accelerators, systems, econ)


def test_price_takes_the_first_basis_with_a_figure_else_the_power_proxy():
    rental = pl.DataFrame(
        {
            "date": ["2025-01-01", "2025-06-01"],
            "provider": ["cloud", "index"],
            "accelerator_id": ["gpu_a", "gpu_a"],
            "usd_per_gpu_hour": [3.0, 2.0],
            "price_basis": ["on_demand_list", "market_index"],
            "source": ["s1", "s2"],
        }
    )
    empty_tco = pl.DataFrame(
        schema={
            "input_id": pl.Utf8,
            "item": pl.Utf8,
            "subject": pl.Utf8,
            "value": pl.Float64,
            "value_high": pl.Float64,
            "kind": pl.Utf8,
            "as_of": pl.Utf8,
        }
    )
    _, systems = tables()
    price_tables = {"rental_prices": rental, "tco_inputs": empty_tco, "systems": systems}
    low, high, basis = economics.chip_price_usd_per_hour("gpu_a", price_tables, (1.0, 2.0), 5.0)
    assert (low, high) == (2.0, 2.0) and "market_index" in basis  # the index comes before the list price
    low, high, basis = economics.chip_price_usd_per_hour("sram_c", price_tables, (1.0, 2.0), 5.0)
    assert (low, high) == (5.0, 10.0) and basis.startswith("proxy")  # 5 $/kW-h x 1-2 kW


def test_users_per_chip_hand_computed():
    # 44 GB, 10 % reserve, 10 GB of weights: 29.6 GB free; 10 GB per user -> 2 users
    assert economics.users_per_chip(10e9, 44e9, 10e9, 0.1) == 2
    assert economics.users_per_chip(100e9, 44e9, 0.0, 0.1) == 0


def test_at_interactivity_picks_cheapest_fast_enough_point():
    points = pl.DataFrame(
        {
            "option": ["a", "a", "a"],
            "per_user_tokens_per_s": [50.0, 120.0, 500.0],
            "usd_per_mtok": [1.0, 2.0, 9.0],
            "usd_per_mtok_low": [1.0, 2.0, 9.0],
            "usd_per_mtok_high": [1.0, 2.0, 9.0],
            "tokens_per_s_per_mw": [3.0, 2.0, 1.0],
            "tokens_per_s_per_mw_low": [3.0, 2.0, 1.0],
            "tokens_per_s_per_mw_high": [3.0, 2.0, 1.0],
            "batch": [64.0, 8.0, 1.0],
            "chips": [1.0, 1.0, 1.0],
        }
    )
    table = economics.at_interactivity(points, [100.0, 400.0, 1000.0])
    assert table["usd_per_mtok"].to_list() == [2.0, 9.0]
