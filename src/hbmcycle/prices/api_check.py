"""Modelled $/Mtok set beside what API providers charge for the same open model (``api_prices``).

API prices are list prices per million output tokens with the provider's margin, utilisation and
input-token pricing folded in; the model's figure is the cheapest configuration at a per-user
speed, charging prefill chips but not margin. The ratio ``modelled / api`` says how far apart
they are; it checks orders of magnitude, it does not calibrate anything.
"""

from __future__ import annotations

import polars as pl

from hbmcycle.prices.basis import number

# Which api_prices providers correspond to which serving option of hbmcycle.hetero.
SRAM_PROVIDERS = {"sram_only_groq": ("Groq",), "sram_only_cerebras": ("Cerebras",)}


def provider_groups(gpu_cloud_providers) -> dict[str, tuple[str, ...]]:
    """Serving option -> the providers whose prices it is compared with."""
    return {"gpu_only": tuple(gpu_cloud_providers), **SRAM_PROVIDERS}


def api_output_prices(api_prices: pl.DataFrame, model_id: str, providers) -> pl.DataFrame:
    """The model's output-token prices from ``providers`` (one row per provider offer)."""
    return api_prices.filter((pl.col("model_id") == model_id) & pl.col("provider").is_in(list(providers))).select(
        "provider", "provider_model", "output_usd_per_mtok", "input_usd_per_mtok", "date", "source"
    )


def cross_check(modelled: pl.DataFrame, api_prices: pl.DataFrame, model_id: str, gpu_cloud_providers) -> pl.DataFrame:
    """One row per serving option: modelled $/Mtok (``modelled``: option, usd_per_mtok) vs the median API price.

    Columns: option, providers, api_offers, api_output_usd_per_mtok_median (and min/max), modelled_usd_per_mtok,
    modelled_over_api.
    """
    rows = []
    for option, providers in provider_groups(gpu_cloud_providers).items():
        offers = api_output_prices(api_prices, model_id, providers)
        here = modelled.filter(pl.col("option") == option)
        model_value = number(here["usd_per_mtok"].min())
        prices = offers["output_usd_per_mtok"]
        median = number(prices.median())
        rows.append(
            {
                "option": option,
                "providers": ", ".join(sorted(set(offers["provider"]))) or "none for this model",
                "api_offers": offers.height,
                "api_output_usd_per_mtok_median": median,
                "api_output_usd_per_mtok_min": number(prices.min()),
                "api_output_usd_per_mtok_max": number(prices.max()),
                "modelled_usd_per_mtok": model_value,
                "modelled_over_api": model_value / median if offers.height else float("nan"),
            }
        )
    return pl.DataFrame(rows)
