"""Running every part of the thesis analysis on loaded tables (pure: no I/O)."""

from __future__ import annotations

import functools

import polars as pl

from hbmcycle.claims.seed import seeds
from hbmcycle.inference.assumptions import load as serving_assumptions
from hbmcycle.inference.operating import modelled_throughput
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.scalars import number
from hbmcycle.thesis.claims import classify_claims
from hbmcycle.thesis.closed_form import closed_form_check
from hbmcycle.thesis.config import Analysis, Config
from hbmcycle.thesis.evidence import elasticity_sets, growth_table, natural_experiments, seed_series
from hbmcycle.thesis.experiments import regime_map, seed_example, seed_example_check, sensitivity, software_gains
from hbmcycle.thesis.measured import best_measured, measured_results
from hbmcycle.thesis.rack_verdicts import RubinInputs
from hbmcycle.thesis.racks import RackInputs, rack_matrix
from hbmcycle.thesis.seed_verdicts import seed_verdicts
from hbmcycle.thesis.settings import (
    EXAMPLE_ACCELERATOR,
    MATRIX_CONTEXTS,
    MATRIX_MODELS,
    MATRIX_PRECISIONS,
    RACK_LOW_SPEED_FLOOR,
    RACK_PARTLY_FRACTION,
    RACK_REFERENCE,
    RACK_SYSTEMS,
    RACK_WORKLOADS,
)
from hbmcycle.thesis.subclaims import verdicts
from hbmcycle.thesis.workloads import elasticity_span, workload_matrix

# The tables the analysis reads (load them with hbmcycle.data.db.read_tables).
TABLES = (
    "accelerators",
    "llm_models",
    "inference_benchmarks",
    "systems",
    "decode_measurements",
    "seed_claims",
    "workloads",
)


def rack_run(analysis: Analysis, inputs: RackInputs) -> RubinInputs:
    """Fill ``analysis.racks`` (the rack matrix at the low floor and the seed's speed) and return the Rubin inputs."""
    speed = float(analysis.seed_example["per_user_tok_s"])
    floors = (RACK_LOW_SPEED_FLOOR, speed)
    matrix = (RACK_SYSTEMS, MATRIX_MODELS, MATRIX_PRECISIONS, RACK_WORKLOADS)
    analysis.racks, analysis.rack_skips = rack_matrix(inputs, *matrix, floors)
    rubin = analysis.racks.filter(
        (pl.col("accelerator_id") == EXAMPLE_ACCELERATOR) & (pl.col("speed_floor_tokens_per_s") == speed)
    )
    model, weights, workload = RACK_REFERENCE
    systems = rubin["system_id"].unique(maintain_order=True).to_list()[:1]

    @functools.cache  # both Rubin claims search the same floors
    def requests_at(floor: float) -> float:
        rows, _ = rack_matrix(inputs, systems, [model], [weights], [workload], [floor])
        return float(rows["requests_in_flight"][0]) if rows.height else float("nan")

    return RubinInputs(rubin, RACK_REFERENCE, RACK_PARTLY_FRACTION, requests_at)


def analyse(tables: dict[str, pl.DataFrame], config: Config, eff: Efficiency, maturity: dict[str, dict]) -> Analysis:
    """Run every analysis of the report on loaded tables (pure: no I/O).

    ``eff`` and ``maturity``: the fitted engine constants (``EngineConstants.efficiency`` and
    ``.maturity``: software maturity per vendor and precision, which the rack serving model uses).
    """
    accelerators, models, benchmarks = tables["accelerators"], tables["llm_models"], tables["inference_benchmarks"]
    claims = classify_claims(benchmarks)
    measured = measured_results(benchmarks)
    best = best_measured(measured, config.measured_family, config.measured_scenario)
    usable = accelerators.filter(pl.col("memory_gib").is_not_null() & pl.col("memory_bw_tb_s").is_not_null())
    modelled = modelled_throughput(usable, models, config.workload(), config.targets, eff)
    series = seed_series(accelerators, claims, best, modelled, config)
    analysis = Analysis(
        config=config,
        seed_series=series,
        growth=growth_table(series),
        modelled=modelled,
        closed_check=closed_form_check(
            accelerators.filter(pl.col("accelerator_id").is_in(list(config.generations))),
            models,
            config.workload(),
            config.targets,
            eff,
        ),
        elasticities=elasticity_sets(accelerators, series, best, modelled, config.generations, config.level),
        natural=natural_experiments(accelerators, claims, measured, modelled, config.pairs),
        sensitivity=sensitivity(accelerators, models, config, eff),
        regime_map=regime_map(accelerators, models, config, eff),
        software=software_gains(benchmarks, claims),
        seed_example=seed_example_check(
            accelerators, tables["systems"], models, config, eff, seed_example(tables["seed_claims"])
        ),
    )
    analysis.verdicts = verdicts(analysis)
    analysis.workloads = workload_matrix(
        usable,
        models,
        eff,
        config.reference_accelerator,
        MATRIX_MODELS,
        MATRIX_PRECISIONS,
        MATRIX_CONTEXTS,
        config.targets,
    )
    span = elasticity_span(analysis.workloads)
    span_text = (
        f"capacity elasticity {number(span['e_size_min'].min()):.2f} to {number(span['e_size_max'].max()):.2f} over "
        f"{', '.join(span['model_id'])} at {config.reference_accelerator}"
        if span.height
        else "empty"
    )
    rubin = rack_run(analysis, RackInputs(tables, eff, maturity, serving_assumptions()))
    analysis.claims, analysis.claim_flips = seed_verdicts(
        analysis, seeds(tables["seed_claims"]), analysis.workloads, span_text, rubin
    )
    return analysis
