"""Seed claims judged at rack scale (modelled): the Rubin NVL72 example, and the law's rack-scale evidence.

The Rubin example ("at an average token speed of 100 tokens/s, processing 1,920 simultaneous
requests") is a statement about one rack: the requests in flight the rack serving model
(:mod:`hbmcycle.thesis.racks`) reaches on the Rubin NVL72 with every user at >= the claimed
speed decide it, on a stated reference workload (the post names no model), with every other
model x precision x workload of the rack matrix as the sensitivity table. The size x bandwidth
law stays judged on measurements (:mod:`hbmcycle.thesis.seed_verdicts`); its rack-scale
elasticities are modelled evidence shown beside them, and the sensitivity table says what the
verdict would be if it rested on the engine instead, per model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import Flip, choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import Seed, judged
from hbmcycle.scalars import number
from hbmcycle.thesis.settings import ELASTICITY_NEAR, SHARE_FAILS, SHARE_HOLDS


def grade_requests(requests: float, claimed: float, partly_fraction: float) -> str:
    """Requests in flight at the claimed speed vs the claimed requests: all holds, >= a fraction partly."""
    if not (math.isfinite(requests) and math.isfinite(claimed)):
        return v.UNCHECKABLE
    return v.HOLDS if requests >= claimed else (v.PARTLY if requests >= partly_fraction * claimed else v.FAILS)


def grade_product_law(e_capacity: np.ndarray, e_bandwidth: np.ndarray) -> str:
    """The product law on modelled points: the share with both elasticities within ELASTICITY_NEAR of 1."""
    e_capacity, e_bandwidth = np.asarray(e_capacity, dtype=float), np.asarray(e_bandwidth, dtype=float)
    known = np.isfinite(e_capacity) & np.isfinite(e_bandwidth)
    if not known.any():
        return v.UNCHECKABLE
    near = (np.abs(e_capacity - 1) <= ELASTICITY_NEAR) & (np.abs(e_bandwidth - 1) <= ELASTICITY_NEAR)
    return v.by_share(float(near[known].mean()), SHARE_HOLDS, SHARE_FAILS)


@dataclass(frozen=True)
class RackLaw:
    """The law's rack-scale modelled evidence: text for the evidence and scope, and its sensitivity row."""

    evidence: str
    scope: str
    flip: Callable[[str], Flip]  # measured verdict -> the "evidence basis" row


def _floor_text(points: pl.DataFrame, floor: float, pays_at: float) -> str:
    pays = points.filter(pl.col("e_capacity") >= pays_at)
    where = pays.group_by("model_id", "workload_id").len().sort(["len", "model_id", "workload_id"], descending=True)
    listed = ", ".join(f"{r['model_id']} {r['workload_id']} ({r['len']})" for r in where.head(5).iter_rows(named=True))
    cap = [number(f(points["e_capacity"])) for f in (pl.Series.min, pl.Series.max, pl.Series.median)]
    bw = [number(f(points["e_bandwidth"])) for f in (pl.Series.min, pl.Series.max, pl.Series.median)]
    return (
        f"at >= {floor:g} tokens/s/user ({points.height} points): capacity elasticity {cap[0]:.2f} to "
        f"{cap[1]:.2f} (median {cap[2]:.2f}), bandwidth {bw[0]:.2f} to {bw[1]:.2f} (median {bw[2]:.2f}); "
        f"capacity pays (>= {pays_at:g}) at {pays.height}: {listed or 'none'}"
    )


def rack_law(matrix: pl.DataFrame, pays_at: float) -> RackLaw:
    """Summarise the rack matrix for the law claim: elasticity ranges per floor, where capacity pays, the law's fit."""
    known = matrix.drop_nulls(["e_capacity", "e_bandwidth"])
    if known.is_empty():
        return RackLaw("MODELLED at rack scale: no rack point reaches a floor", "", lambda m: _basis(m, {}))
    floors = known["speed_floor_tokens_per_s"].unique().sort()
    per_floor = [_floor_text(known.filter(pl.col("speed_floor_tokens_per_s") == f), f, pays_at) for f in floors]
    evidence = (
        "MODELLED at rack scale (engine output, not measured; rack x model x precision x workload points; the "
        "product law predicts 1 and 1): " + "; ".join(per_floor)
    )
    unique = lambda col: ", ".join(known[col].unique(maintain_order=True))
    scope = (
        f"modelled: racks {unique('system')}; workloads {unique('workload_id')}; models {unique('model_id')} in "
        f"{unique('weights')}; colocated chunked prefill or disaggregated prefill, expert parallelism within the "
        "scale-up domain"
    )
    per_model = {
        f"modelled racks, {m}": grade_product_law(g["e_capacity"].to_numpy(), g["e_bandwidth"].to_numpy())
        for (m,), g in known.group_by("model_id", maintain_order=True)
    }
    return RackLaw(evidence, scope, lambda measured: _basis(measured, per_model))


def _basis(measured: str, modelled: dict[str, str]) -> Flip:
    return choice_flip(
        "throughput_eq_size_x_bw", "evidence basis", {"measured (MLPerf)": measured, **modelled}, "measured (MLPerf)"
    )


def _reference_row(rubin: pl.DataFrame, reference: tuple[str, str, str]) -> dict | None:
    model_id, weights, workload_id = reference
    row = rubin.filter(
        (pl.col("model_id") == model_id) & (pl.col("weights") == weights) & (pl.col("workload_id") == workload_id)
    )
    return row.row(0, named=True) if row.height else None


@dataclass(frozen=True)
class RubinInputs:
    """The Rubin rack's rows of the rack matrix at the claimed speed, the reference workload, and a rerun."""

    rows: pl.DataFrame
    reference: tuple[str, str, str]  # model, weights, workload id
    partly_fraction: float
    requests_at: Callable[[float], float]  # speed floor -> requests in flight for the reference workload


def example_claims(rubin: RubinInputs, seeds: dict[str, Seed]) -> tuple[list, list[Flip]]:
    """rubin_example_batch and rubin_example_speed on the Rubin rack's rows of the rack matrix."""
    claimed, speed = seeds["rubin_example_batch"].value, seeds["rubin_example_speed"].value
    ref = _reference_row(rubin.rows, rubin.reference)
    requests = ref["requests_in_flight"] if ref else float("nan")
    grade = lambda r: grade_requests(r, claimed, rubin.partly_fraction)
    by_workload = {
        f"{r['model_id']} {r['weights']} {r['workload_id']}": grade(r["requests_in_flight"])
        for r in rubin.rows.iter_rows(named=True)
    }
    label = " ".join(rubin.reference)
    flips: list[Flip] = []
    for claim_id in ("rubin_example_batch", "rubin_example_speed"):
        if label in by_workload:
            flips.append(choice_flip(claim_id, "workload (model, weights, request shape)", by_workload, label))
        if ref:
            judge = lambda floor: grade(rubin.requests_at(floor))
            grid = np.geomspace(speed / 8, speed * 8, 7)
            flips.append(numeric_flip(claim_id, "per-user speed floor", "tokens/s", judge, speed, grid, refine=4))
    out = [
        judged(
            seeds[claim_id],
            verdict=grade(requests) if ref else v.UNCHECKABLE,
            scope=f"one {ref['system'] if ref else 'Rubin'} rack, reference workload {label} (the post names no "
            "model); rack serving model: colocated chunked prefill or disaggregated prefill, expert parallelism "
            "within the NVLink domain, calibrated constants",
            evidence=_example_evidence(rubin.rows, ref, requests, speed, label),
            evidence_kind="modelled",
            threshold=f">= {claimed:,.0f} requests at >= {speed:g} tokens/s/user holds, >= "
            f"{rubin.partly_fraction:.0%} of them partly",
            sources="systems; accelerators; llm_models; workloads; engine constants (calibration, software maturity)",
            would_change=would_change([f for f in flips if f.claim_id == claim_id]),
        )
        for claim_id in ("rubin_example_batch", "rubin_example_speed")
    ]
    return out, flips


def _example_evidence(rows: pl.DataFrame, ref: dict | None, requests: float, speed: float, label: str) -> str:
    if ref is None:
        return "the Rubin rack or the reference workload is missing from the rack matrix"
    spread = [number(f(rows["requests_in_flight"])) for f in (pl.Series.min, pl.Series.max, pl.Series.median)]
    how = (
        "no configuration reaches that speed"
        if ref["rack_tokens_per_s"] is None
        else f"{ref['mode']}, groups of {ref['group_size']:.0f}, {ref['per_user_tokens_per_s']:,.0f} tokens/s/user, "
        f"{ref['rack_tokens_per_s']:,.0f} tokens/s per rack"
    )
    return (
        f"MODELLED: {requests:,.0f} requests in flight at >= {speed:g} tokens/s/user on {ref['system']} for {label} "
        f"({how}); over all {rows.height} model x precision x workload rows {spread[0]:,.0f} to "
        f"{spread[1]:,.0f} (median {spread[2]:,.0f})"
    )
