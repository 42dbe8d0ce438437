"""Malformed-input tests for the dataset tables of issue 3, and their cross-table checks.

Each case copies the real sidecars into a throwaway project, writes a few valid
hand-made rows (plus the tables they reference), breaks one thing and asserts that
`load_all` reports it at the right file, line and column. Rows are dicts of the cells
that matter; every other column is left empty (unknown), which the schema allows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hbmcycle.data.schema import load_meta
from hbmcycle.data.validate import load_all

from conftest import RAW

SRC = "https://example.org/source"
PROVENANCE = {"source": SRC, "as_of": "2024-01-02", "confidence": "high"}

ACCELERATORS = [
    {
        "accelerator_id": "nvidia_h100_sxm",
        "vendor": "NVIDIA",
        "product": "H100 SXM",
        "status": "shipping",
        "memory_type": "HBM3",
        "memory_gib": "80",
        "memory_bw_tb_s": "3.35",
        "hbm_stacks": "5",
    },
    {
        "accelerator_id": "nvidia_h200",
        "vendor": "NVIDIA",
        "product": "H200",
        "status": "shipping",
        "memory_type": "HBM3E",
        "memory_gib": "141",
        "memory_bw_tb_s": "4.8",
        "hbm_stacks": "6",
    },
    {
        "accelerator_id": "amd_mi300x",
        "vendor": "AMD",
        "product": "MI300X",
        "status": "shipping",
        "memory_type": "HBM3",
        "memory_gib": "192",
        "memory_bw_tb_s": "5.3",
        "hbm_stacks": "8",
    },
]
HBM_GENERATIONS = [
    {
        "generation": "HBM3",
        "interface_width_bits": "1024",
        "pin_rate_gbps_min": "4.8",
        "pin_rate_gbps_shipping_max": "6.4",
        "stack_heights": "4;8;12",
        "status": "standard",
    },
    {
        "generation": "HBM3E",
        "interface_width_bits": "1024",
        "pin_rate_gbps_min": "6.4",
        "pin_rate_gbps_shipping_max": "9.8",
        "stack_heights": "8;12;16",
        "status": "standard",
    },
    {
        "generation": "HBM4",
        "jedec_standard": "JESD270-4",
        "jedec_date": "2025-04-16",
        "interface_width_bits": "2048",
        "pin_rate_gbps_min": "6.4",
        "pin_rate_gbps_shipping_max": "11.7",
        "stack_heights": "4;8;12;16",
        "status": "standard",
    },
]
LLM_MODELS = [
    {
        "model_id": "llama-2-70b",
        "name": "Llama 2 70B",
        "developer": "Meta",
        "total_params_b": "70",
        "layers": "80",
        "hidden_size": "8192",
        "attention_heads": "64",
        "kv_heads": "8",
        "head_dim": "128",
        "attention_type": "GQA",
        "native_weight_precision": "fp16",
    },
    {
        "model_id": "deepseek-v3",
        "name": "DeepSeek-V3",
        "developer": "DeepSeek",
        "total_params_b": "671",
        "active_params_b": "37",
        "attention_type": "MLA",
        "kv_lora_rank": "512",
        "experts": "256",
        "experts_per_token": "8",
        "native_weight_precision": "fp8",
    },
]

WORKLOADS = [
    {
        "workload_id": "mlperf-llama2-70b",
        "benchmark": "mlperf_inference",
        "model_id": "llama-2-70b",
        "dataset": "OpenOrca",
        "samples": "24576",
        "input_tokens_max": "1024",
        "output_tokens_mean": "294.45",
        "server_ttft_p99_ms": "2000",
        "server_tpot_p99_ms": "200",
    },
    {
        "workload_id": "chat",
        "benchmark": "trace",
        "dataset": "conversation trace",
        "input_tokens_mean": "12035",
        "output_tokens_mean": "343",
        "prefix_cache_hit_rate": "0.37",
    },
]

# Valid rows per table under test; every table's cases break one of these.
VALID: dict[str, list[dict]] = {
    "systems": [
        {
            "system_id": "nvidia_hgx_h100_8gpu",
            "vendor": "NVIDIA",
            "name": "HGX H100",
            "accelerator_id": "nvidia_h100_sxm",
            "accelerator_count": "8",
            "total_fast_memory_gib": "640",
            "aggregate_memory_bw_tb_s": "26.8",
            "status": "shipping",
            "announce_date": "2022-03-22",
            "ship_year": "2022",
        },
        {
            "system_id": "amd_mi300x_platform",
            "vendor": "AMD",
            "name": "MI300X Platform",
            "accelerator_id": "amd_mi300x",
            "accelerator_count": "8",
            "total_fast_memory_gib": "1536",
            "status": "shipping",
            "rack_power_kw": "10",
        },
    ],
    "hbm_generations": HBM_GENERATIONS,
    "hbm_products": [
        {
            "product_id": "skhynix_hbm3_8h_16gb",
            "vendor": "sk_hynix",
            "generation": "HBM3",
            "product_name": "HBM3 16GB",
            "stack_height": "8",
            "capacity_gib": "16",
            "pin_rate_gbps": "6.4",
            "bw_per_stack_gb_s": "819",
            "die_density_gbit": "16",
            "milestone": "mass_production",
            "milestone_date": "2022-06-09",
        },
        {
            "product_id": "micron_hbm4_12h_36gb",
            "vendor": "micron",
            "generation": "HBM4",
            "product_name": "HBM4 36GB",
            "stack_height": "12",
            "capacity_gib": "36",
            "pin_rate_gbps": "11",
            "bw_per_stack_gb_s": "2816",
            "die_density_gbit": "24",
            "milestone": "sampling",
            "milestone_date": "2025-06-10",
        },
    ],
    "pc_dram": [
        {"year": "2023", "device": "notebook", "avg_dram_gb": "10.5", "mainstream_ddr_generation": "DDR5"},
        {"year": "2024", "device": "notebook", "avg_dram_gb": "11.8", "mainstream_data_rate_mt_s": "5600"},
        {"year": "2024", "device": "smartphone", "avg_dram_gb": "7.4"},
    ],
    "ddr_generations": [
        {
            "generation": "DDR4",
            "jedec_standard": "JESD79-4",
            "jedec_date": "2012-09-25",
            "data_rate_mt_s_min": "1600",
            "data_rate_mt_s_max": "3200",
            "first_mass_production_year": "2014",
        },
        {
            "generation": "DDR5",
            "jedec_standard": "JESD79-5",
            "jedec_date": "2020-07-14",
            "data_rate_mt_s_min": "4800",
            "data_rate_mt_s_max": "8800",
            "first_mass_production_year": "2021",
        },
    ],
    "dram_market": [
        {
            "period": "2022",
            "year": "2022",
            "company": "industry",
            "dram_revenue_usd_b": "80.0",
            "hbm_share_of_dram_revenue": "0.026",
            "is_forecast": "false",
            "kind": "actual",
        },
        {
            "period": "2023",
            "year": "2023",
            "company": "industry",
            "dram_revenue_usd_b": "51.8",
            "is_forecast": "false",
            "kind": "actual",
        },
        {
            "period": "2023Q1",
            "year": "2023",
            "quarter": "1",
            "company": "industry",
            "dram_revenue_usd_b": "9.663",
            "is_forecast": "false",
            "kind": "actual",
        },
        {
            "period": "2023",
            "year": "2023",
            "company": "micron",
            "capex_usd_b": "7.0",
            "is_forecast": "false",
            "kind": "actual",
        },
    ],
    "hbm_vendors": [
        {
            "period": "2025Q3",
            "year": "2025",
            "quarter": "3",
            "vendor": "sk_hynix",
            "kind": "actual",
            "share_basis": "revenue",
            "market_share": "0.57",
        },
        {
            "period": "2026",
            "year": "2026",
            "vendor": "industry",
            "kind": "forecast",
            "share_basis": "none",
            "hbm_bit_shipments_bn_gbit": "30",
        },
    ],
    "hbm_tsv_capacity": [
        {"period": "2023", "year": "2023", "vendor": "samsung", "kind": "actual", "tsv_k_wpm": "45"},
        {
            "period": "2024",
            "year": "2024",
            "vendor": "sk_hynix",
            "kind": "forecast",
            "tsv_k_wpm_low": "120",
            "tsv_k_wpm_high": "125",
        },
    ],
    "hbm_wafer_trade": [
        {
            "estimate_id": "counterpoint_2025_hbm3e_ratio",
            "generation": "HBM3E",
            "kind": "estimate",
            "wafer_trade_ratio_low": "3",
            "wafer_trade_ratio_high": "3",
        },
        {
            "estimate_id": "trendforce_2024_hbm3e_vs_ddr5",
            "generation": "HBM3E",
            "kind": "estimate",
            "die_density_gbit": "24",
            "die_size_premium_pct_low": "35",
            "die_size_premium_pct_high": "45",
        },
    ],
    "hbm_prices": [
        {
            "period": "2025Q2",
            "year": "2025",
            "quarter": "2",
            "product": "hbm3e",
            "metric": "premium_vs_ddr5_x",
            "kind": "estimate",
            "value_low": "4",
        },
        {
            "period": "2026Q1",
            "year": "2026",
            "quarter": "1",
            "product": "conventional_dram",
            "metric": "contract_price_change_qoq_pct",
            "kind": "forecast",
            "value_low": "90",
            "value_high": "95",
        },
    ],
    "dram_prices": [
        {
            "date": "2024-01-31",
            "product": "ddr4_8gb",
            "price_type": "contract",
            "price_usd": "1.5",
            "price_usd_per_gb": "1.5",
        },
        {
            "date": "2024-01-31",
            "product": "ddr4_8gb",
            "price_type": "spot",
            "price_usd": "1.6",
            "price_usd_per_gb": "1.6",
        },
    ],
    "accelerator_shipments": [
        {
            "year": "2023",
            "vendor": "nvidia",
            "product_family": "datacenter_gpu_total",
            "units_k": "3760",
            "is_forecast": "false",
        },
        {
            "year": "2024",
            "vendor": "amd",
            "product_family": "mi300",
            "accelerator_id": "amd_mi300x",
            "units_k": "400",
            "hbm_gib_per_unit": "192",
            "is_forecast": "false",
        },
    ],
    "rental_prices": [
        {
            "date": "2023-07-26",
            "provider": "AWS",
            "accelerator_id": "nvidia_h100_sxm",
            "usd_per_gpu_hour": "12.29",
            "terms": "on_demand",
            "price_basis": "on_demand_list",
            "gpus_per_instance": "8",
        },
        {
            "date": "2024-06-01",
            "provider": "Lambda",
            "accelerator_id": "nvidia_h200",
            "usd_per_gpu_hour": "3.29",
            "terms": "reserved_1y",
            "price_basis": "reserved_list",
        },
    ],
    "llm_models": LLM_MODELS,
    "workloads": WORKLOADS,
    "inference_benchmarks": [
        {
            "result_id": "mlpi_v40_x_h100x8_llama2_offline",
            "kind": "measured",
            "benchmark": "mlperf_inference",
            "round": "v4.0",
            "model_id": "llama-2-70b",
            "submitter": "NVIDIA",
            "system_name": "DGX H100",
            "accelerator_id": "nvidia_h100_sxm",
            "accelerator_count": "8",
            "scenario": "offline",
            "precision": "fp8",
            "tokens_per_s": "21805.8",
            "tokens_per_s_per_accelerator": "2725.72",
            "engine": "TensorRT-LLM",
            "workload_id": "mlperf-llama2-70b",
            "output_tokens_mean": "294.45",
        },
        {
            "result_id": "claim_h200_vs_h100",
            "kind": "claimed",
            "benchmark": "vendor_claim",
            "submitter": "NVIDIA",
            "system_name": "HGX H200",
            "accelerator_id": "nvidia_h200",
            "scenario": "claim",
            "claimed_speedup_x": "1.9",
            "baseline_accelerator_id": "nvidia_h100_sxm",
        },
    ],
    "api_prices": [
        {
            "date": "2026-07-24",
            "provider": "Groq",
            "provider_model": "llama-3.3-70b-versatile",
            "model_id": "llama-2-70b",
            "input_usd_per_mtok": "0.59",
            "output_usd_per_mtok": "0.79",
        },
        {
            "date": "2026-07-24",
            "provider": "DeepInfra",
            "provider_model": "deepseek-ai/DeepSeek-V3",
            "model_id": "deepseek-v3",
            "input_usd_per_mtok": "0.38",
            "output_usd_per_mtok": "0.89",
            "output_tokens_per_s": "30",
            "speed_basis": "tracker_measured",
        },
    ],
    "tco_inputs": [
        {
            "input_id": "electricity_us_industrial_2023",
            "item": "electricity_price",
            "subject": "US industrial average",
            "value": "0.0806",
            "unit": "USD per kWh",
            "kind": "actual",
            "period": "2023",
        },
        {
            "input_id": "cs3_price_claim",
            "item": "system_capex",
            "subject": "cerebras_cs3",
            "value": "2300000",
            "unit": "USD per system",
            "kind": "claim",
        },
    ],
    "seed_claims": [
        {
            "claim_id": "cs3_price",
            "post": "gtc2026_review",
            "quote": "一台CS-3系统价格230万美元",
            "claimed_value": "2300000",
            "claimed_unit": "USD per CS-3 system",
            "topic": "cerebras_cost",
            "evidence_tables": "tco_inputs;systems",
        },
        {
            "claim_id": "throughput_eq_size_x_bw",
            "post": "hbm_thesis",
            "quote": "token throughput = HBM size x HBM BW",
            "topic": "token_economics",
        },
    ],
}
# Tables each table needs beside it so that its foreign keys and cross-checks run.
REFERENCED = {
    "systems": {"accelerators": ACCELERATORS},
    "hbm_products": {"hbm_generations": HBM_GENERATIONS},
    "hbm_wafer_trade": {"hbm_generations": HBM_GENERATIONS},
    "accelerator_shipments": {"accelerators": ACCELERATORS},
    "rental_prices": {"accelerators": ACCELERATORS},
    "inference_benchmarks": {"accelerators": ACCELERATORS, "llm_models": LLM_MODELS, "workloads": WORKLOADS},
    "workloads": {"llm_models": LLM_MODELS},
    "api_prices": {"llm_models": LLM_MODELS},
}


def csv_text(table: str, rows: list[dict]) -> str:
    """Rows as CSV in the sidecar's column order, provenance filled in unless given."""
    columns = load_meta(RAW / f"{table}.yaml").column_names
    unknown = {k for row in rows for k in row} - set(columns)
    assert not unknown, f"fixture uses columns {unknown} that {table}.yaml lacks"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([{**PROVENANCE, **row}.get(c, "") for c in columns])
    return out.getvalue()


def write_tables(raw: Path, tables: dict[str, list[dict]]) -> None:
    for table, rows in tables.items():
        (raw / f"{table}.yaml").write_text((RAW / f"{table}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        (raw / f"{table}.csv").write_text(csv_text(table, rows), encoding="utf-8")


@dataclass
class Case:
    table: str
    name: str
    row: int  # index into VALID[table] (line = row + 2), or len(VALID[table]) to append `extra`
    column: str
    value: str | None = None  # replaces the cell; None with `extra` appends a row instead
    fragment: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.table}: {self.name}"

    def rows(self) -> list[dict]:
        rows = [dict(r) for r in VALID[self.table]]
        if self.extra:
            rows.append(self.extra)
        else:
            rows[self.row][self.column] = self.value
        return rows


def dup(table: str, index: int = 0) -> dict:
    return dict(VALID[table][index])


CASES = [
    # systems
    Case("systems", "unknown accelerator", 1, "accelerator_id", "amd_mi999x", "is not a accelerators.accelerator_id"),
    Case(
        "systems", "memory not count x member", 0, "total_fast_memory_gib", "800", "differs from 8 x 80 GiB = 640 GiB"
    ),
    Case("systems", "bandwidth not count x member", 0, "aggregate_memory_bw_tb_s", "40", "differs from 8 x 3.35 TB/s"),
    Case("systems", "zero accelerators", 1, "accelerator_count", "0", "below the minimum"),
    Case("systems", "kW with unit", 1, "rack_power_kw", "10 kW", "units belong in the column name"),
    # hbm_generations
    Case("hbm_generations", "unknown generation", 0, "generation", "HBM3X", "not an allowed value"),
    Case("hbm_generations", "width not an integer", 1, "interface_width_bits", "1024.5", "is not an integer"),
    Case("hbm_generations", "stack heights with commas", 2, "stack_heights", "4,8,12", "does not match the pattern"),
    Case("hbm_generations", "day-first date", 2, "jedec_date", "16-04-2025", "is not a date"),
    # hbm_products
    Case(
        "hbm_products",
        "generation missing from hbm_generations",
        0,
        "generation",
        "HBM2",
        "is not a hbm_generations.generation",
    ),
    Case(
        "hbm_products", "bandwidth not pin x width", 1, "bw_per_stack_gb_s", "1408", "differs from 11 Gb/s x 2048 bits"
    ),
    Case("hbm_products", "capacity not height x density", 0, "capacity_gib", "24", "differs from 8 dies x 16 Gb"),
    Case("hbm_products", "height the generation lacks", 0, "stack_height", "16", "is not a HBM3 stack height"),
    Case("hbm_products", "bad milestone", 1, "milestone", "shipping", "not an allowed value"),
    # pc_dram
    Case("pc_dram", "MB instead of GB", 0, "avg_dram_gb", "10500 MB", "units belong in the column name"),
    Case("pc_dram", "unknown device", 2, "device", "tablet", "not an allowed value"),
    Case("pc_dram", "duplicate year and device", 3, "year", extra=dup("pc_dram", 1), fragment="duplicate primary key"),
    Case("pc_dram", "year out of range", 1, "year", "1999", "below the minimum"),
    # ddr_generations
    Case("ddr_generations", "unknown generation", 0, "generation", "DDR4X", "not an allowed value"),
    Case("ddr_generations", "data rate in Gb/s", 1, "data_rate_mt_s_max", "8.8", "is not an integer"),
    Case("ddr_generations", "missing source", 1, "source", "", "required but empty"),
    # dram_market
    Case(
        "dram_market", "quarter disagrees with period", 2, "quarter", "2", "disagrees with period '2023Q1' (expected 1)"
    ),
    Case(
        "dram_market", "year disagrees with period", 2, "year", "2024", "disagrees with period '2023Q1' (expected 2023)"
    ),
    Case("dram_market", "annual row with a quarter", 1, "quarter", "4", "expected empty for an annual period"),
    Case("dram_market", "share as a percentage", 0, "hbm_share_of_dram_revenue", "2.6", "above the maximum 1"),
    Case("dram_market", "malformed period", 2, "period", "2023-Q1", "does not match the pattern"),
    Case("dram_market", "forecast flag not boolean", 3, "is_forecast", "yes", "is not a boolean"),
    Case("dram_market", "kind outside actual/forecast/estimate", 1, "kind", "projection", "not an allowed value"),
    Case("dram_market", "missing kind", 0, "kind", "", "required but empty"),
    # hbm_vendors
    Case("hbm_vendors", "share as a percentage", 0, "market_share", "57", "above the maximum 1"),
    Case(
        "hbm_vendors", "quarter disagrees with period", 0, "quarter", "2", "disagrees with period '2025Q3' (expected 3)"
    ),
    Case("hbm_vendors", "unknown share basis", 0, "share_basis", "units", "not an allowed value"),
    Case("hbm_vendors", "vendor spelled as a name", 1, "vendor", "SK Hynix", "not an allowed value"),
    # hbm_tsv_capacity
    Case("hbm_tsv_capacity", "capacity in wafers not thousands", 0, "tsv_k_wpm", "45,000", "is not a number"),
    Case(
        "hbm_tsv_capacity",
        "duplicate period/vendor/kind",
        2,
        "period",
        extra=dup("hbm_tsv_capacity", 0),
        fragment="duplicate primary key",
    ),
    Case("hbm_tsv_capacity", "share as a percentage", 1, "share_of_dram_wafers", "14", "above the maximum 1"),
    # hbm_wafer_trade
    Case(
        "hbm_wafer_trade",
        "generation missing from hbm_generations",
        0,
        "generation",
        "HBM9",
        "is not a hbm_generations.generation",
    ),
    Case("hbm_wafer_trade", "ratio written with an x", 0, "wafer_trade_ratio_low", "3x", "is not a number"),
    Case("hbm_wafer_trade", "density not an integer", 1, "die_density_gbit", "24.5", "is not an integer"),
    # hbm_prices
    Case("hbm_prices", "unknown metric", 0, "metric", "premium_pct", "not an allowed value"),
    Case("hbm_prices", "percent with a sign", 1, "value_low", "90%", "is not a number"),
    Case(
        "hbm_prices", "year disagrees with period", 1, "year", "2025", "disagrees with period '2026Q1' (expected 2026)"
    ),
    Case("hbm_prices", "forecast written as a kind the table lacks", 1, "kind", "projection", "not an allowed value"),
    # dram_prices
    Case("dram_prices", "unknown price type", 1, "price_type", "retail", "not an allowed value"),
    Case("dram_prices", "negative price", 0, "price_usd", "-1.5", "below the minimum"),
    Case("dram_prices", "formula cell", 0, "product", "=SUM(B2:B3)", "spreadsheet formula"),
    Case(
        "dram_prices",
        "duplicate date/product/type",
        2,
        "date",
        extra=dup("dram_prices", 0),
        fragment="duplicate primary key",
    ),
    # accelerator_shipments
    Case(
        "accelerator_shipments",
        "unknown accelerator",
        1,
        "accelerator_id",
        "amd_mi300z",
        "is not a accelerators.accelerator_id",
    ),
    Case(
        "accelerator_shipments",
        "HBM per unit disagrees with accelerator",
        1,
        "hbm_gib_per_unit",
        "256",
        "differs from accelerators.memory_gib 192 GiB",
    ),
    Case("accelerator_shipments", "units with thousands separator", 0, "units_k", "3,760", "is not a number"),
    Case("accelerator_shipments", "capitalised vendor", 0, "vendor", "NVIDIA", "does not match the pattern"),
    # rental_prices
    Case("rental_prices", "unknown terms", 0, "terms", "monthly", "not an allowed value"),
    Case("rental_prices", "price with dollar sign", 1, "usd_per_gpu_hour", "$3.29", "is not a number"),
    Case(
        "rental_prices",
        "accelerator outside the rental list",
        1,
        "accelerator_id",
        "nvidia_h800",
        "not an allowed value",
    ),
    Case("rental_prices", "missing price basis", 1, "price_basis", "", "required but empty"),
    Case("rental_prices", "unknown price basis", 0, "price_basis", "list", "not an allowed value"),
    Case("rental_prices", "future as_of", 0, "as_of", "2999-01-01", "in the future"),
    # llm_models
    Case("llm_models", "unknown attention type", 0, "attention_type", "GQA-8", "not an allowed value"),
    Case("llm_models", "layers not an integer", 0, "layers", "80.0", "is not an integer"),
    Case("llm_models", "missing precision", 1, "native_weight_precision", "", "required but empty"),
    Case("llm_models", "upper-case id", 1, "model_id", "DeepSeek-V3", "does not match the pattern"),
    # api_prices
    Case("api_prices", "unknown model", 0, "model_id", "llama-9-70b", "is not a llm_models.model_id"),
    Case("api_prices", "price per token not per million", 1, "output_usd_per_mtok", "8.9e-07 USD", "is not a number"),
    Case("api_prices", "negative price", 0, "input_usd_per_mtok", "-0.59", "below the minimum"),
    Case("api_prices", "unknown speed basis", 1, "speed_basis", "rumoured", "not an allowed value"),
    Case(
        "api_prices",
        "duplicate date/provider/endpoint",
        2,
        "date",
        extra=dup("api_prices", 0),
        fragment="duplicate primary key",
    ),
    # tco_inputs
    Case("tco_inputs", "cents instead of dollars unit", 0, "unit", "cents per kWh", "not an allowed value"),
    Case("tco_inputs", "unknown kind", 1, "kind", "rumour", "not an allowed value"),
    Case("tco_inputs", "missing value", 1, "value", "", "required but empty"),
    Case("tco_inputs", "price with thousands separator", 1, "value", "2,300,000", "is not a number"),
    # seed_claims
    Case("seed_claims", "unknown post", 1, "post", "hbm-thesis", "not an allowed value"),
    Case("seed_claims", "value with currency", 0, "claimed_value", "$2.3M", "is not a number"),
    Case(
        "seed_claims",
        "evidence tables with commas",
        0,
        "evidence_tables",
        "tco_inputs,systems",
        "does not match the pattern",
    ),
    Case("seed_claims", "missing quote", 1, "quote", "", "required but empty"),
    # inference_benchmarks
    Case(
        "inference_benchmarks",
        "unknown accelerator",
        0,
        "accelerator_id",
        "nvidia_h100_pcie9",
        "is not a accelerators.accelerator_id",
    ),
    Case(
        "inference_benchmarks",
        "unknown baseline",
        1,
        "baseline_accelerator_id",
        "nvidia_v100",
        "is not a accelerators.accelerator_id",
    ),
    Case("inference_benchmarks", "unknown model", 0, "model_id", "llama-9-70b", "is not a llm_models.model_id"),
    Case(
        "inference_benchmarks",
        "per-accelerator not total / count",
        0,
        "tokens_per_s_per_accelerator",
        "21805.8",
        "differs from tokens_per_s / accelerator_count",
    ),
    Case("inference_benchmarks", "kind neither measured nor claimed", 1, "kind", "rumoured", "not an allowed value"),
    Case("inference_benchmarks", "round without v", 0, "round", "4.0", "does not match the pattern"),
    Case(
        "inference_benchmarks",
        "unknown workload",
        0,
        "workload_id",
        "mlperf-llama2-7b",
        "is not a workloads.workload_id",
    ),
    # workloads
    Case("workloads", "hit rate as a percentage", 1, "prefix_cache_hit_rate", "37", "above the maximum"),
    Case("workloads", "unknown model", 0, "model_id", "llama-2-7b", "is not a llm_models.model_id"),
    Case("workloads", "benchmark not a suite", 1, "benchmark", "kimi", "not an allowed value"),
    Case("workloads", "samples not an integer", 0, "samples", "24576.5", "is not an integer"),
]


def test_every_table_has_three_cases():
    counts = {t: sum(c.table == t for c in CASES) for t in VALID}
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("table", sorted(VALID))
def test_fixture_is_valid(project, table):
    raw = project / "data" / "raw"
    write_tables(raw, {table: VALID[table], **REFERENCED.get(table, {})})
    tables, problems = load_all(raw)
    assert problems == []
    assert tables[table].frame.height == len(VALID[table])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_row_is_located(project, case):
    raw = project / "data" / "raw"
    write_tables(raw, {case.table: case.rows(), **REFERENCED.get(case.table, {})})
    _, problems = load_all(raw)
    line = case.row + 2
    matching = [
        p
        for p in problems
        if p.file.endswith(f"{case.table}.csv")
        and p.line == line
        and p.column.split(",")[0] == case.column
        and case.fragment in p.message
    ]
    assert matching, (
        f"no problem at {case.table}.csv:{line} {case.column!r} containing {case.fragment!r}; got:\n"
        + "\n".join(map(str, problems))
    )


def test_gap_in_a_contiguous_series_is_reported(project):
    """The shipped sidecar declares annual industry rows contiguous; 2020 then 2022 lacks 2021."""
    raw = project / "data" / "raw"
    rows = [dict(r) for r in VALID["dram_market"]]
    rows.insert(0, {"period": "2020", "year": "2020", "company": "industry", "is_forecast": "false", "kind": "actual"})
    write_tables(raw, {"dram_market": rows})
    _, problems = load_all(raw)
    gap = [p for p in problems if p.file.endswith("dram_market.csv") and p.line == 2 and p.column == "year"]
    assert gap and "lacks 2021" in gap[0].message, "\n".join(map(str, problems))


def test_contiguous_series_ignores_other_companies_and_quarters(project):
    raw = project / "data" / "raw"
    rows = [dict(r) for r in VALID["dram_market"]]
    rows.append({"period": "2019", "year": "2019", "company": "micron", "is_forecast": "false", "kind": "actual"})
    rows.append(
        {
            "period": "2020Q3",
            "year": "2020",
            "quarter": "3",
            "company": "industry",
            "is_forecast": "false",
            "kind": "actual",
        }
    )
    write_tables(raw, {"dram_market": rows})
    _, problems = load_all(raw)
    assert problems == []


def test_every_problem_in_a_table_is_reported_at_once(project):
    raw = project / "data" / "raw"
    rows = [dict(r) for r in VALID["systems"]]
    rows[0]["total_fast_memory_gib"] = "800"
    rows[1]["accelerator_id"] = "amd_mi999x"
    write_tables(raw, {"systems": rows, "accelerators": ACCELERATORS})
    _, problems = load_all(raw)
    assert {(p.line, p.column) for p in problems} >= {(2, "total_fast_memory_gib"), (3, "accelerator_id")}


def test_shipped_sidecars_declare_the_foreign_keys():
    declared = {
        t: {(fk.column, f"{fk.table}.{fk.target_column}") for fk in load_meta(RAW / f"{t}.yaml").foreign_keys}
        for t in ("systems", "hbm_products", "accelerator_shipments", "rental_prices", "inference_benchmarks")
    }
    assert ("accelerator_id", "accelerators.accelerator_id") in declared["systems"]
    assert ("generation", "hbm_generations.generation") in declared["hbm_products"]
    assert ("accelerator_id", "accelerators.accelerator_id") in declared["accelerator_shipments"]
    assert ("accelerator_id", "accelerators.accelerator_id") in declared["rental_prices"]
    assert {
        ("accelerator_id", "accelerators.accelerator_id"),
        ("model_id", "llm_models.model_id"),
        ("workload_id", "workloads.workload_id"),
    } <= declared["inference_benchmarks"]


def test_shipped_dram_market_declares_its_period_and_contiguity_checks():
    checks = load_meta(RAW / "dram_market.yaml").checks
    assert checks["period"] == {"column": "period", "year": "year", "quarter": "quarter"}
    assert {"column": "year", "where": {"company": "industry"}, "where_null": "quarter"} in checks["contiguous"]
