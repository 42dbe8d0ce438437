"""Price basis and API cross-check on toy tables with hand-computed answers."""

from __future__ import annotations

import math

import polars as pl
import pytest

from hbmcycle.prices import api_check, basis

SETTINGS = {
    "basis_order": ("market_index", "tco", "on_demand_list"),
    "amortisation_years": 5.0,
    "utilisation": 1.0,
    "hours_per_month": 730.0,
}


@pytest.fixture(autouse=True)
def fixed_settings(monkeypatch):
    monkeypatch.setattr(basis, "settings", lambda: SETTINGS)


def rental():
    return pl.DataFrame(
        {
            "date": ["2024-01-01", "2025-03-01", "2025-09-01", "2025-02-01", "2025-05-01", "2025-08-01"],
            "provider": ["a", "b", "c", "idx", "idx", "d"],
            "accelerator_id": ["gpu", "gpu", "gpu", "gpu", "gpu", "other"],
            "usd_per_gpu_hour": [9.0, 6.0, 4.0, 3.0, 2.5, 7.0],
            "price_basis": ["on_demand_list"] * 3 + ["market_index"] * 2 + ["on_demand_list"],
            "source": ["s1", "s2", "s3", "i1", "i2", "s4"],
        }
    )


def tco_inputs():
    rows = [
        ("cap_a", "system_capex", "rack", 8_000_000.0, None, "estimate", "2025-01-01"),
        ("cap_claim", "system_capex", "rack", 99_000_000.0, None, "claim", "2025-01-01"),
        ("power", "electricity_price", "us", 0.1, None, "actual", "2024-01-01"),
        ("colo", "colocation_price", "us", 146.0, None, "actual", "2024-06-01"),
        ("pue", "pue", "world", 1.5, None, "actual", "2023-01-01"),
    ]
    names = ["input_id", "item", "subject", "value", "value_high", "kind", "as_of"]
    return pl.DataFrame(rows, schema=names, orient="row")


def systems():
    return pl.DataFrame(
        {"system_id": ["rack"], "accelerator_id": ["gpu"], "accelerator_count": [8], "rack_power_kw": [80.0]}
    )


def tables():
    return {"rental_prices": rental(), "tco_inputs": tco_inputs(), "systems": systems()}


def test_market_index_is_the_latest_index_row():
    price = basis.market_index(rental(), "gpu")
    assert (price.usd_per_hour, price.as_of, price.sources) == (2.5, "2025-05-01", "i2")


def test_market_index_takes_the_median_of_a_range_published_on_one_date():
    low_high = pl.DataFrame(
        {
            "date": ["2025-05-01", "2025-07-01", "2025-07-01"],
            "provider": ["old", "idx low", "idx high"],
            "accelerator_id": ["gpu"] * 3,
            "usd_per_gpu_hour": [1.0, 5.0, 7.0],
            "price_basis": ["market_index"] * 3,
            "source": ["o", "i", "i"],
        }
    )
    price = basis.market_index(low_high, "gpu")
    assert (price.usd_per_hour, price.as_of, price.sources) == (6.0, "2025-07-01", "i")


def test_on_demand_list_is_the_median_of_the_latest_year():
    price = basis.on_demand_list(rental(), "gpu")
    assert price.usd_per_hour == 5.0  # median of 6 and 4 (2025); 2024's 9 is older
    assert "list price" in price.label


def test_tco_hand_computed():
    # capex 8M / 8 GPUs = 1M over 5 y: 1e6 / 43,800 h = 22.831 $/h; power 80 kW / 8 = 10 kW:
    # energy 10 x 1.5 x 0.1 = 1.5 $/h; hosting 10 x 146 / 730 = 2.0 $/h; the claim row never counts
    price = basis.tco(tco_inputs(), systems(), "gpu")
    assert price.usd_per_hour == pytest.approx(1e6 / 43_800 + 1.5 + 2.0)
    assert "cap_claim" not in price.sources and "cap_a" in price.sources


def test_tco_needs_capex_and_power():
    assert not basis.tco(tco_inputs(), systems(), "other").known
    no_power = systems().with_columns(rack_power_kw=pl.lit(None, dtype=pl.Float64))
    assert basis.tco(tco_inputs(), no_power, "gpu").detail == "no rack power in systems"


def test_first_available_follows_the_order():
    assert basis.first_available(tables(), "gpu").basis == "market_index"
    assert basis.first_available(tables(), "gpu", ("tco", "market_index")).basis == "tco"
    other = basis.first_available(tables(), "other")  # no index, no capex: the list price
    assert (other.basis, other.usd_per_hour) == ("on_demand_list", 7.0)
    missing = basis.first_available(tables(), "nothing")
    assert not missing.known and "market_index" in missing.detail


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError, match="valid: market_index"):
        basis.price(tables(), "gpu", "spot")


def test_api_cross_check_ratio():
    api = pl.DataFrame(
        {
            "provider": ["Groq", "CloudA", "CloudB", "CloudA"],
            "provider_model": ["m", "m", "m", "other-model"],
            "model_id": ["m1", "m1", "m1", "m2"],
            "output_usd_per_mtok": [0.8, 0.4, 0.6, 9.0],
            "input_usd_per_mtok": [0.5, 0.2, 0.3, 1.0],
            "date": ["2026-07-24"] * 4,
            "source": ["x"] * 4,
        }
    )
    modelled = pl.DataFrame({"option": ["gpu_only", "gpu_only", "sram_only_groq"], "usd_per_mtok": [0.1, 0.3, 1.6]})
    out = {
        r["option"]: r for r in api_check.cross_check(modelled, api, "m1", ["CloudA", "CloudB"]).iter_rows(named=True)
    }
    assert out["gpu_only"]["api_output_usd_per_mtok_median"] == pytest.approx(0.5)
    assert out["gpu_only"]["modelled_over_api"] == pytest.approx(0.1 / 0.5)  # the cheapest modelled point
    assert out["sram_only_groq"]["modelled_over_api"] == pytest.approx(2.0)
    assert out["sram_only_cerebras"]["api_offers"] == 0 and math.isnan(out["sram_only_cerebras"]["modelled_over_api"])
