"""The thesis analysis's parameters (the notebook's) and the bundle of its results."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from hbmcycle import stats
from hbmcycle.inference.operating import Workload
from hbmcycle.thesis.settings import DEFAULT_PAIRS, REFERENCE_ACCELERATOR, SEED_GENERATIONS


@dataclass(frozen=True)
class Config:
    """Notebook parameters (see notebooks/thesis.py)."""

    model_id: str = "llama-3.1-70b"
    context: float = 8192
    weights: str = "fp8"
    kv: str = "fp8"
    interactivity: tuple[float, ...] = (10.0, 25.0, 50.0)
    generations: tuple[str, ...] = SEED_GENERATIONS
    pairs: tuple[tuple[str, str], ...] = DEFAULT_PAIRS
    anchor: str = "nvidia_h100_sxm"
    measured_family: str = "llama2-70b"
    measured_scenario: str = "offline"
    reference_accelerator: str = REFERENCE_ACCELERATOR
    sensitivity_contexts: tuple[float, ...] = (1024, 4096, 8192, 32768, 131072)
    sensitivity_models: tuple[str, ...] = ("llama-3.1-70b", "deepseek-v3", "gpt-oss-120b")
    regime_accelerators: tuple[str, ...] = ("nvidia_h100_sxm", "nvidia_b200", "nvidia_rubin")
    regime_contexts: tuple[float, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)
    regime_speeds: tuple[float, ...] = (5, 10, 20, 50, 100, 200, 500, 1000)
    level: float = stats.DEFAULT_LEVEL

    def workload(self, **changes) -> Workload:
        base = Workload(model_id=self.model_id, context=self.context, weights=self.weights, kv=self.kv)
        return replace(base, **changes)

    @property
    def targets(self) -> list[float | None]:
        return [None, *self.interactivity]


@dataclass
class Analysis:
    config: Config
    seed_series: pl.DataFrame
    growth: pl.DataFrame
    modelled: pl.DataFrame
    closed_check: pl.DataFrame
    elasticities: pl.DataFrame
    natural: pl.DataFrame
    sensitivity: pl.DataFrame
    regime_map: pl.DataFrame
    software: pl.DataFrame
    seed_example: dict
    verdicts: pl.DataFrame = field(default_factory=pl.DataFrame)
    workloads: pl.DataFrame = field(default_factory=pl.DataFrame)  # the workload matrix (thesis.workloads)
    racks: pl.DataFrame = field(default_factory=pl.DataFrame)  # the rack matrix (thesis.racks)
    rack_skips: pl.DataFrame = field(default_factory=pl.DataFrame)  # racks or precisions the engine cannot serve
    claims: list = field(default_factory=list)  # ClaimVerdicts on seed claims (thesis.seed_verdicts)
    claim_flips: list = field(default_factory=list)  # their sensitivity rows (claims.flips.Flip)
