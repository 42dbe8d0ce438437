import numpy as np
import polars as pl
import pytest

from hbmcycle.cycle import demand as d


def test_memory_per_device_and_growth():
    pc = pl.DataFrame({"year": [2014, 2024], "device": ["notebook", "notebook"], "avg_dram_gb": [8.0, 16.0]})
    acc = pl.DataFrame(
        {
            "accelerator_id": ["x", "y"],
            "memory_type": ["HBM2", "HBM3E"],
            "memory_gib": [40.0, 160.0],
            "ship_year": [2020, 2024],
        }
    )
    per = d.memory_per_device(pc, acc)
    rates = dict(zip(*d.growth_rates(per).select("series", "cagr")))
    assert rates["average DRAM per notebook"] == pytest.approx(2**0.1 - 1)
    assert rates["largest HBM per accelerator"] == pytest.approx(4**0.25 - 1)


def test_wafer_share_and_effective_capacity():
    # 5 % of bits at a 3:1 trade ratio: 0.15 / (0.15 + 0.95)
    assert d.hbm_wafer_share(0.05, 3.0) == pytest.approx(0.15 / 1.10)
    assert d.hbm_wafer_share(0.05, 1.0) == pytest.approx(0.05)
    assert d.effective_bit_capacity(0.3, 3.0) == pytest.approx(0.8)
    assert d.effective_bit_capacity(0.0, 3.0) == 1.0
    w = d.hbm_wafer_share(np.linspace(0, 1, 11), 3.0)
    assert np.all(np.diff(w) > 0) and w[0] == 0 and w[-1] == 1
    with pytest.raises(ValueError):
        d.hbm_wafer_share(1.5, 3.0)
    with pytest.raises(ValueError):
        d.effective_bit_capacity(0.5, 0.0)


def test_content_growth_uses_shipping_parts_only():
    acc = pl.DataFrame(
        {
            "accelerator_id": ["a", "b", "c", "d"],
            "memory_type": ["HBM2", "HBM3", "HBM3E", "HBM4"],
            "memory_gib": [50.0, 100.0, 200.0, 10_000.0],
            "ship_year": [2020, 2021, 2022, 2023],
            "status": ["shipping", "shipping", "shipping", "roadmap"],
        }
    )
    g = d.hbm_content_growth(acc)
    assert g["cagr"] == pytest.approx(1.0)  # doubling each year; the roadmap part is ignored
    assert (g["first_year"], g["last_year"]) == (2020, 2022)


def test_one_content_growth_figure_everywhere(use_shipped_db):
    """The scenario files state the measured figure (a data correction that moves it fails here)."""
    from hbmcycle.cycle import scenarios
    from hbmcycle.data import db
    from hbmcycle.market import params

    measured = d.hbm_content_growth(db.read_table("accelerators"))["cagr"]
    assert scenarios.defaults().content_growth == pytest.approx(measured, abs=0.005)
    assert params.resolve("base")["content_growth"] == pytest.approx(measured, abs=0.005)
    assert params.resolve("base")["history_content_growth"] == pytest.approx(measured, abs=0.005)
