"""Running every part of the thesis analysis on loaded tables (pure: no I/O)."""

from __future__ import annotations

import polars as pl

from hbmcycle.claims.seed import seeds
from hbmcycle.inference.operating import modelled_throughput
from hbmcycle.inference.step_time import Efficiency
from hbmcycle.scalars import number
from hbmcycle.thesis.claims import classify_claims
from hbmcycle.thesis.closed_form import closed_form_check
from hbmcycle.thesis.config import Analysis, Config
from hbmcycle.thesis.evidence import elasticity_sets, growth_table, natural_experiments, seed_series
from hbmcycle.thesis.experiments import regime_map, seed_example, seed_example_check, sensitivity, software_gains
from hbmcycle.thesis.measured import best_measured, measured_results
from hbmcycle.thesis.seed_verdicts import seed_verdicts
from hbmcycle.thesis.settings import MATRIX_CONTEXTS, MATRIX_MODELS, MATRIX_PRECISIONS
from hbmcycle.thesis.subclaims import verdicts
from hbmcycle.thesis.workloads import elasticity_span, workload_matrix

# The tables the analysis reads (load them with hbmcycle.data.db.read_tables).
TABLES = ("accelerators", "llm_models", "inference_benchmarks", "systems", "decode_measurements", "seed_claims")


def analyse(tables: dict[str, pl.DataFrame], config: Config, eff: Efficiency) -> Analysis:
    """Run every analysis of the report on loaded tables (pure: no I/O)."""
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
    analysis.claims = seed_verdicts(analysis, seeds(tables["seed_claims"]), analysis.workloads, span_text)
    return analysis
