import numpy as np
import polars as pl
import pytest

from hbmcycle.cycle import demand as d

ACC = pl.DataFrame(
    {
        "accelerator_id": ["a_hbm", "b_gddr"],
        "memory_type": ["HBM3E", "GDDR7"],
        "memory_gib": [100.0, 32.0],
        "ship_year": [2024, 2024],
    }
)


def ship(rows):
    cols = ["year", "vendor", "product_family", "accelerator_id", "units_k", "hbm_gib_per_unit", "is_forecast"]
    return pl.DataFrame(
        rows,
        schema=dict(zip(cols, [pl.Int64, pl.String, pl.String, pl.String, pl.Float64, pl.Float64, pl.Boolean])),
        orient="row",
    )


def test_counted_and_scaled_demand():
    s = ship(
        [
            (2024, "v", "v_total", None, 1000.0, None, False),
            (2024, "v", "fam1", "a_hbm", 300.0, None, False),  # content from accelerators: 100 GB
            (2024, "v", "fam2", None, 200.0, 50.0, False),  # content on the row
            (2024, "v", "fam3", "b_gddr", 100.0, None, False),  # not HBM: no content
            (2024, "tsmc", "cowos_total", None, None, None, False),  # capacity row: ignored
        ]
    )
    out = d.hbm_bit_demand(d.shipment_content(s, ACC)).row(0, named=True)
    counted_gib = 300e3 * 100 + 200e3 * 50
    eb_per_gib = 1.073741824e-9  # 2^30 bytes in decimal exabytes
    assert out["hbm_demand_eb_counted"] == pytest.approx(counted_gib * eb_per_gib)
    assert out["units_k_counted"] == 500
    assert out["coverage"] == pytest.approx(0.5)
    assert out["hbm_demand_eb_scaled"] == pytest.approx(counted_gib * eb_per_gib / 0.5)
    assert out["avg_hbm_gib_per_unit"] == pytest.approx(counted_gib / 500e3)


def test_demand_by_generation_labels_unknown():
    s = ship([(2024, "v", "fam1", "a_hbm", 10.0, None, False), (2024, "v", "fam2", None, 10.0, 50.0, False)])
    g = d.demand_by_generation(d.shipment_content(s, ACC))
    assert dict(zip(g["memory_type"], g["hbm_demand_eb"])) == pytest.approx(
        {"HBM3E": 1.073741824e-3, "unknown": 5.36870912e-4}
    )


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
