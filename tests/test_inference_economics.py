import datetime as dt

import numpy as np
import polars as pl
import pytest

from hbmcycle.inference.economics import (
    rental_price,
    system_power_kw,
    tokens_per_s_per_megawatt,
    total_tokens_per_s,
    usd_per_million_tokens,
)


def test_seed_arithmetic_rubin_nvl72():
    # 1,920 concurrent requests at 100 tokens/s each on a ~120 kW rack
    tokens = total_tokens_per_s(1920, 100)
    assert tokens == 192_000
    assert tokens_per_s_per_megawatt(tokens, 120) == pytest.approx(1.6e6)


def test_usd_per_million_tokens():
    # $2/h at 1,000 tokens/s = 3.6M tokens per hour -> $0.556 per million
    assert usd_per_million_tokens(2.0, 1000.0) == pytest.approx(2.0 / 3.6)


def test_power_prefers_rack_figure():
    power, basis = system_power_kw(np.array([120.0, np.nan]), np.array([72, 8]), np.array([1200.0, 700.0]))
    np.testing.assert_allclose(power, [120.0, 5.6])
    assert list(basis) == ["rack_power_kw", "accelerator_tdp_only"]


def test_rental_price_median_of_latest_year():
    prices = pl.DataFrame(
        {
            "date": [
                dt.date(2024, 1, 1),
                dt.date(2025, 3, 1),
                dt.date(2025, 6, 1),
                dt.date(2025, 9, 1),
                dt.date(2025, 9, 1),
            ],
            "accelerator_id": ["h100"] * 5,
            "usd_per_gpu_hour": [8.0, 3.0, 2.0, 4.0, 1.0],
            "terms": ["on_demand", "on_demand", "on_demand", "on_demand", "spot"],
        }
    )
    result = rental_price(prices)
    assert result.row(0, named=True) == {
        "accelerator_id": "h100",
        "usd_per_gpu_hour": 3.0,
        "price_year": 2025,
        "price_rows": 3,
    }
