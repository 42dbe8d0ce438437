"""Every seed claim in one list: each judged by the analysis that can judge it, the rest said to be unjudged and why.

:func:`judge` runs the thesis (per-GPU engine, MLPerf evidence, workload matrix), the
heterogeneous-inference model (the default scenario on the calibrated stack; NVIDIA's chart
claims at their own scope on the rack-scale serving model, :mod:`hbmcycle.hetero.claims_chart`) and
the table checks of :mod:`hbmcycle.claims.facts`, and returns one ClaimVerdict per
``seed_claims`` row with the sensitivity rows (flip points) behind each ``would_change``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims import HETERO_POSTS, POSTS, facts
from hbmcycle.claims.flips import Flip, to_frame
from hbmcycle.claims.seed import Seed, judged, seeds
from hbmcycle.data import db
from hbmcycle.hetero import claims as hc
from hbmcycle.hetero import claims_cerebras as cc
from hbmcycle.hetero import disaggregation as dis
from hbmcycle.hetero.claims_chart import chart_claims
from hbmcycle.hetero.claims_rack import blackwell_claims
from hbmcycle.hetero.claims_speculative import speculative_claims
from hbmcycle.hetero.scenario import TABLES as HETERO_TABLES
from hbmcycle.hetero.scenario import Choice, Tables, load_scenario
from hbmcycle.hetero.steps import settings as hetero_settings
from hbmcycle.inference import constants
from hbmcycle.thesis import TABLES as THESIS_TABLES
from hbmcycle.thesis import Config, analyse
from hbmcycle.verdicts import ClaimVerdict
from hbmcycle.verdicts import to_frame as verdict_frame

# What thesis_claims reads: the thesis analysis's tables and those of the table checks.
THESIS_CLAIM_TABLES: tuple[str, ...] = tuple(dict.fromkeys((*THESIS_TABLES, *facts.FACT_TABLES)))


@dataclass(frozen=True)
class Judgement:
    claims: pl.DataFrame  # one row per seed claim (ClaimVerdict fields)
    flips: pl.DataFrame  # the sensitivity rows (Flip fields)
    constants: str  # the engine constants used


def hetero_context(
    tables: Tables, choice: Choice, seed_rows: dict[str, Seed], assumptions: dis.Assumptions
) -> tuple[hc.Context, dis.Scenario]:
    """The hetero judges' context for a choice (its points, the calibrated twin) and the draft scenario."""
    s = load_scenario(choice, tables, assumptions)
    calibrated = (
        s if choice.stack == "calibrated" else load_scenario(replace(choice, stack="calibrated"), tables, assumptions)
    )
    points, _ = dis.all_points(s)
    draft = load_scenario(replace(choice, model=hetero_settings()["draft_model"]), tables, assumptions)
    return hc.Context(s=s, points=points, seeds=seed_rows, cfg=hetero_settings(), calibrated=calibrated), draft


def judge_hetero(
    tables: Tables,
    seed_rows: dict[str, Seed],
    choice: Choice | None = None,
    assumptions: dis.Assumptions | None = None,
) -> tuple[list[ClaimVerdict], list[Flip]]:
    """Every hetero verdict (stages, SRAM, split, AFD, chart claims, Cerebras, speculative) with its flips."""
    choice = choice or Choice()
    assumptions = assumptions or dis.Assumptions()
    c, draft = hetero_context(tables, choice, seed_rows, assumptions)
    h100 = load_scenario(replace(choice, gpu=hetero_settings()["cost_speed_gpu"]), tables, assumptions)
    judges: list[Callable[[], tuple[list, list]]] = [
        lambda: hc.stage_claims(c),
        lambda: hc.sram_claims(c),
        lambda: hc.split_claims(c),
        lambda: hc.afd_claims(c),
        lambda: hc.lpx_static_claim(c),
        lambda: hc.kv_size_claim(c),
        lambda: speculative_claims(c, draft),
        lambda: chart_claims(c, tables),
        lambda: blackwell_claims(c, tables),
        lambda: cc.cs3_price_claims(c, tables),
        lambda: cc.wafers_claim(c, tables),
        lambda: cc.rent_claims(c, tables),
        lambda: cc.kv_wall_claim(c, tables),
        lambda: cc.cost_speed_claim(c, tables, h100),
    ]
    verdicts, flips = [], []
    for run in judges:
        found, rows = run()
        verdicts += found
        flips += rows
    return verdicts, flips


def unjudged(seed: Seed) -> ClaimVerdict:
    """A seed claim no analysis judges: "cannot be checked", naming what is missing."""
    tables = seed.evidence_tables.replace(";", ", ") or "none"
    return judged(
        seed,
        verdict=v.UNCHECKABLE,
        scope=seed.scope,
        evidence=f"no table or model here holds a figure that decides it (evidence tables named: {tables}); "
        f"seed_claims notes: {seed.notes}",
        evidence_kind="data",
        threshold="",
        sources=seed.source,
        would_change="a table or analysis holding the fact",
    )


def assemble(seed_rows: dict[str, Seed], found, posts, flips=()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per seed claim of ``posts``: its verdict from ``found`` (ClaimVerdicts) or :func:`unjudged`; and the flips."""
    by_id = {c.claim_id: c for c in found}
    claims = [by_id.get(cid) or unjudged(seed) for cid, seed in seed_rows.items() if seed.post in posts]
    ids = {c.claim_id for c in claims}
    return verdict_frame(claims), to_frame([f for f in flips if f.claim_id in ids])


def thesis_claims(analysis, tables: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hbm_thesis post's claims from a thesis analysis (the report's own parameters) and the table checks."""
    rows = seeds(tables["seed_claims"])
    found = [*analysis.claims, *facts.all_facts(rows, tables, analysis.config.generations)]
    return assemble(rows, found, ("hbm_thesis",), analysis.claim_flips)


def hetero_claims(
    tables: Tables, seed_claims: pl.DataFrame, choice: Choice | None = None, assumptions: dis.Assumptions | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The two heterogeneous-inference posts' claims at a choice of model, context, chips and stack."""
    rows = seeds(seed_claims)
    found, flips = judge_hetero(tables, rows, choice, assumptions)
    spec_tables = {"accelerators": tables.accelerators, "systems": tables.systems}
    return assemble(rows, [*found, *facts.spec_claims(rows, spec_tables)], HETERO_POSTS, flips)


def judge(post: str | None = None) -> Judgement:
    """Every seed claim (of one post, or all) with its verdict and sensitivity rows, at the default parameters."""
    engine = constants.current()
    names = tuple(dict.fromkeys((*THESIS_CLAIM_TABLES, *HETERO_TABLES)))
    t = db.read_tables(names)
    wanted = POSTS if post is None else (post,)
    frames, flip_frames = [], []
    if "hbm_thesis" in wanted:
        claims, flips = thesis_claims(analyse(t, Config(), engine.efficiency, engine.maturity), t)
        frames.append(claims)
        flip_frames.append(flips)
    if set(wanted) & set(HETERO_POSTS):
        claims, flips = hetero_claims(Tables(**{f: t[f] for f in HETERO_TABLES}), t["seed_claims"])
        frames.append(claims.filter(pl.col("post").is_in(list(wanted))))
        flip_frames.append(flips)
    claims = pl.concat(frames)
    flips = pl.concat(flip_frames).filter(pl.col("claim_id").is_in(claims["claim_id"].to_list()))
    return Judgement(claims=claims, flips=flips, constants=engine.label)
