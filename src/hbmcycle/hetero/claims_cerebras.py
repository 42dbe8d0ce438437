"""Verdicts on the Cerebras claims: CS-3 price and rent, wafers per deployment, the KV wall, cost and speed vs H100.

Prices come from one stated basis (:mod:`hbmcycle.prices.basis`); estimates of the CS-3 price
are the ``tco_inputs`` rows (claims under test never count as evidence). A verdict that rests
only on low-confidence estimates is capped at "partly holds".
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import judged
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.inference.architecture import model_arrays
from hbmcycle.inference.precision import BYTES_PER_ELEMENT
from hbmcycle.prices import basis


def capped(verdict: str, confidences) -> str:
    """A verdict resting only on low-confidence figures cannot fully hold: ``holds`` becomes ``partly holds``."""
    return v.PARTLY if verdict == v.HOLDS and all(c == "low" for c in confidences) else verdict


def price_estimates(tco_inputs: pl.DataFrame, system_id: str) -> pl.DataFrame:
    """Published estimates of a system's price (``kind`` actual or estimate; the seed's own claim excluded)."""
    return tco_inputs.filter(
        (pl.col("item") == "system_capex") & (pl.col("subject") == system_id) & (pl.col("kind") != "claim")
    )


def within(value: float, low: float, high: float | None, tolerance: float) -> bool:
    """Whether ``value`` lies in [low, high] widened by ``tolerance`` (relative) on each side."""
    high = low if high is None else high
    return low * (1 - tolerance) <= value <= high * (1 + tolerance)


def cs3_price_claims(c, tables) -> tuple[list, list]:
    """$2.3M per CS-3 (two quotes) and the 45-chip, $100M system, against the estimates in tco_inputs."""
    cfg, seeds = c.cfg, c.seeds
    system_id = _wafer_system(tables, c.s.wafer.accelerator_id)
    estimates = price_estimates(tables.tco_inputs, system_id)
    out, flips = [], []
    for claim_id in ("cs3_price", "cerebras_price_per_chip"):
        seed = seeds[claim_id]

        def judge(tol, seed=seed):
            hits = [within(seed.value, r["value"], r["value_high"], tol) for r in estimates.iter_rows(named=True)]
            share = sum(hits) / len(hits) if hits else float("nan")
            return capped(v.by_share(share, 2 / 3, 1 / 3), estimates["confidence"])

        detail = ", ".join(
            f"{r['input_id']} ${r['value'] / 1e6:.2f}M"
            + (f"-{r['value_high'] / 1e6:.2f}M" if r["value_high"] else "")
            + f" ({r['confidence']})"
            for r in estimates.iter_rows(named=True)
        )
        rows = [
            numeric_flip(claim_id, "price tolerance", "fraction", judge, cfg["price_tolerance"], np.linspace(0, 1, 21))
        ]
        out.append(
            judged(
                seed,
                verdict=judge(cfg["price_tolerance"]),
                scope=f"one {system_id}, list or transaction price",
                evidence=f"${seed.value / 1e6:.2f}M vs {estimates.height} estimates: {detail or 'none'}",
                evidence_kind="data",
                threshold=f"within +-{cfg['price_tolerance']:.0%} of >= 2/3 of the estimates "
                "holds, of < 1/3 does not; only low-confidence estimates cap it at partly",
                sources=";".join(estimates["source"].to_list()) or "tco_inputs",
                would_change=would_change(rows, "a sourced list or transaction price"),
            )
        )
        flips += rows
    seed = seeds["cerebras_system_price"]
    chips = seeds["cerebras_chips_per_system"].value
    implied = chips * seeds["cs3_price"].value
    arithmetic = within(seed.value, implied, None, cfg["price_tolerance"])
    price_verdict = out[0].verdict
    verdict = v.by_flags([arithmetic, price_verdict == v.HOLDS]) if price_verdict != v.UNCHECKABLE else v.UNCHECKABLE
    out.append(
        judged(
            seed,
            verdict=verdict,
            scope=f"{chips:g} x {system_id}",
            evidence=f"{chips:g} x ${seeds['cs3_price'].value / 1e6:.2f}M = ${implied / 1e6:.1f}M vs stated "
            f"${seed.value / 1e6:.0f}M; the per-system price is '{price_verdict}' (cs3_price)",
            evidence_kind="arithmetic",
            threshold="the product within the price tolerance, and the per-system price holding",
            sources="seed_claims; tco_inputs",
            would_change="a sourced CS-3 price",
        )
    )
    return out, flips


def _wafer_system(tables, wafer_id: str) -> str:
    systems = tables.systems.filter(pl.col("accelerator_id") == wafer_id)
    return systems["system_id"][0] if systems.height else wafer_id


def wafers_claim(c, tables) -> tuple[list, list]:
    """45 wafers per deployment: how many wafers each model's weights need (16-bit and 8-bit)."""
    seed, cfg = c.seeds["cerebras_chips_per_system"], c.cfg
    models = model_arrays(tables.llm_models)
    capacity = c.s.wafer.hw.memory_bytes[0]
    needed = {
        (mid, label): float(dis.chips_to_hold(p * b, capacity, c.s.assumptions.sram_reserve_fraction))
        for mid, p in zip(models.model_id, models.total_params)
        for label, b in (("bf16", 2.0), ("fp8", 1.0))
    }
    hits = [
        f"{mid} {label} {n:g}"
        for (mid, label), n in needed.items()
        if within(n, seed.value, None, cfg["value_tolerance"])
    ]
    return [
        judged(
            seed,
            verdict=v.by_flags([bool(hits)]),
            scope=f"weights of each llm_models model on {c.s.wafer.accelerator_id}, the served model not named",
            evidence="wafers to hold the weights within tolerance of "
            f"{seed.value:g}: {', '.join(hits) or 'none'} (of {len(needed)} model x precision cases)",
            evidence_kind="arithmetic",
            threshold=f"some model needs {seed.value:g} wafers +-{cfg['value_tolerance']:.0%}",
            sources="llm_models; accelerators",
            would_change="the served model named in the post",
        )
    ], []


def rent_claims(c, tables) -> tuple[list, list]:
    """$41.96/h per CS-3 against its TCO; ~10x a B200's rent on each price basis."""
    first, first_flips = _implied_rental_claim(c, tables)
    second, second_flips = _rent_ratio_claim(c, tables)
    return [first, second], first_flips + second_flips


def _implied_rental_claim(c, tables):
    cfg, seed = c.cfg, c.seeds["cs3_implied_rental"]
    prices, wafer = tables.prices, c.s.wafer.accelerator_id
    cost = lambda years: basis.tco(prices["tco_inputs"], prices["systems"], wafer, years)
    judge = lambda years: v.by_flags([within(seed.value, cost(years).usd_per_hour, None, cfg["price_tolerance"])])
    years = basis.settings()["amortisation_years"]
    own = cost(years)
    rows = [numeric_flip(seed.claim_id, "amortisation period", "years", judge, years, np.linspace(2, 8, 25))]
    return judged(
        seed,
        verdict=capped(judge(years), ["low"]) if own.known else v.UNCHECKABLE,
        scope=f"one CS-3, cost of owning it ({years:g}-year amortisation)",
        evidence=f"${seed.value:.2f}/h stated vs TCO {own.label if own.known else own.detail}",
        evidence_kind="data",
        threshold=f"within +-{cfg['price_tolerance']:.0%} of the TCO; capped at partly "
        "(CS-3 price estimates are low confidence)",
        sources=own.sources or "tco_inputs",
        would_change=would_change(rows),
    ), rows


def _rent_ratio_claim(c, tables):
    cfg, seed = c.cfg, c.seeds["cs3_vs_b200_rental"]
    rent = c.seeds["cs3_implied_rental"].value
    gpu = cfg["rent_comparison_gpu"]
    by_basis = {b: basis.price(tables.prices, gpu, b) for b in basis.BASES}
    verdicts = {
        b: v.by_ratio(rent / p.usd_per_hour, seed.value, cfg["ratio_within"]) if p.known else v.UNCHECKABLE
        for b, p in by_basis.items()
    }
    chosen = basis.first_available(tables.prices, gpu)
    flips = [choice_flip(seed.claim_id, "price basis", verdicts, chosen.basis)] if chosen.known else []
    evidence = "; ".join(
        f"{b}: {p.label} -> x{rent / p.usd_per_hour:.1f}" if p.known else f"{b}: {p.detail}"
        for b, p in by_basis.items()
    )
    return judged(
        seed,
        verdict=verdicts.get(chosen.basis, v.UNCHECKABLE),
        scope=f"${rent:.2f}/h vs one {gpu} GPU-hour, {chosen.basis} basis",
        evidence=evidence,
        evidence_kind="data",
        threshold=f"the ratio within x{cfg['ratio_within']:g} of {seed.value:g}",
        sources="rental_prices; tco_inputs",
        would_change=would_change(flips),
    ), flips


def kv_wall_claim(c, tables) -> tuple[list, list]:
    """One or two users at 1-2M tokens fill a wafer with KV cache: only in scope for models that run such contexts."""
    seed, cfg, s = c.seeds["long_context_kv_fills_wafer"], c.cfg, c.s
    contexts = np.array(cfg["long_contexts"])
    models = tables.llm_models
    arrays = model_arrays(models)
    kv = arrays.kv_bytes_per_sequence(contexts[:, None], s.kv_bytes)
    users = np.floor(s.wafer.hw.memory_bytes[0] * (1 - s.assumptions.sram_reserve_fraction) / kv)
    runs = models["max_context"].fill_null(0).to_numpy() >= contexts.min()
    detail = ", ".join(f"{m} {int(a)}/{int(b)}" for m, a, b in zip(arrays.model_id, users[0], users[1]))
    fits = users[:, runs]
    if not runs.any():
        verdict = v.OUT_OF_SCOPE
        scope = f"no llm_models model runs {contexts.min():,.0f} tokens (largest max_context {models['max_context'].max():,})"
    else:
        verdict = v.by_share(float(np.mean(fits <= seed.high)), 1.0, 0.5)
        scope = f"models whose max_context reaches {contexts.min():,.0f} tokens"
    return [
        judged(
            seed,
            verdict=verdict,
            scope=scope,
            evidence=f"users whose KV cache ({_kv(s)}) fits one "
            f"{s.wafer.accelerator_id} at {'/'.join(f'{x:,.0f}' for x in contexts)} tokens, architectures stretched "
            f"past their context limit: {detail}",
            evidence_kind="arithmetic",
            threshold=f"at most {seed.high:g} users per wafer for every model that runs the context",
            sources="llm_models; accelerators",
            would_change="a model in llm_models with a 1M-token context",
        )
    ], []


def _kv(s) -> str:
    names = {b: name for name, b in BYTES_PER_ELEMENT.items()}
    return names.get(s.kv_bytes, f"{s.kv_bytes:g} B")


def cost_speed_claim(c, tables, h100) -> tuple[list, list]:
    """A dozen-odd times H100's cost for a dozen-odd times its speed: hourly price ratio and peak per-user speed ratio."""
    seed, cfg = c.seeds["cerebras_vs_h100_cost_speed"], c.cfg
    wafer = c.s.wafer.accelerator_id
    cost = basis.first_available(tables.prices, wafer), basis.first_available(tables.prices, h100.gpu.accelerator_id)
    cerebras = c.points.filter(pl.col("option") == "sram_only_cerebras")
    gpu = dis.option_points("gpu_only", h100)
    speed = (
        cerebras["per_user_tokens_per_s"].max() / gpu["per_user_tokens_per_s"].max() if cerebras.height else math.nan
    )
    cost_ratio = cost[0].usd_per_hour / cost[1].usd_per_hour
    band = lambda x: within(x, seed.value, seed.high, cfg["value_tolerance"])
    verdict = v.by_flags([band(cost_ratio), band(speed)]) if math.isfinite(cost_ratio * speed) else v.UNCHECKABLE
    return [
        judged(
            seed,
            verdict=verdict,
            scope=f"one {wafer} vs one {h100.gpu.accelerator_id}; {c.where}",
            evidence=f"cost per hour x{cost_ratio:.1f} ({cost[0].label} vs {cost[1].label}); peak per-user speed "
            f"x{speed:.1f} (modelled, Cerebras with its published 16-bit compute limit)",
            evidence_kind="modelled",
            threshold=f"both ratios in {seed.value:g}-{seed.high:g} +-{cfg['value_tolerance']:.0%}",
            sources="rental_prices; tco_inputs; accelerators; llm_models",
            would_change="another price basis or a per-system (8-GPU) cost basis",
        )
    ], []
