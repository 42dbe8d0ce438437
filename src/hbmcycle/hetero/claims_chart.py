"""NVIDIA's GTC 2026 chart claims for Rubin + LPX (35x at 400 tokens/s, 1,000+ tokens/s), judged in scope.

The chart is for a trillion-parameter MoE at long context in FP4 on NVL72 racks. Both sides
are modelled at that scope on the rack-scale serving model (``hetero/assumptions.yaml``
``in_scope_*``): Rubin + LPX as attention-FFN disaggregation (:mod:`hbmcycle.hetero.rack_afd`:
a Rubin NVL72 decode pool, the experts on LPX, a GPU prefill pool), the GPU-only racks
(Blackwell GB200 NVL72 as the chart names, GB300 the alternative, Rubin NVL72 for reference)
as the best of colocated and prefill-decode disaggregated serving (:mod:`hbmcycle.hetero.rack` on
:func:`hbmcycle.inference.rack.rack_grid`, the thesis rack matrix's search).
The same calibrated engine constants serve every side; the lean stack is a sensitivity.

* 35x: tokens/s per MW at >= 400 tokens/s per user (the speed the chart quotes), AFD over the
  Blackwell rack, graded with ``ratio_within`` (:func:`grade_35x`).
* 1,000+: the AFD peak per-user speed and the requests in flight it keeps at >= 1,000 tokens/s,
  against ``useful_batch`` (:func:`grade_1000`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from hbmcycle import verdicts as v
from hbmcycle.claims.flips import choice_flip, numeric_flip, would_change
from hbmcycle.claims.seed import judged
from hbmcycle.hetero import rack as gpu_rack
from hbmcycle.hetero import rack_afd
from hbmcycle.hetero.steps import STACKS, Assumptions
from hbmcycle.inference import workloads as wl
from hbmcycle.inference.assumptions import load as serving_assumptions
from hbmcycle.scalars import number

BASELINES: tuple[str, ...] = ("nvidia_gb200", "nvidia_gb300")
HOP_GRID_US = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0)
CONTEXT_GRID = np.geomspace(4096, 131072, 6)
POWER_FACTOR_GRID = np.geomspace(0.1, 10.0, 9)
ALL_TO_ALL_GRID_US = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
REFINE = 4  # bisection steps between grid values: a flip point to 1/16 of its grid interval (keeps the report fast)


def grade_35x(afd_per_mw: float, baseline_per_mw: float, stated: float, within: float) -> str:
    """AFD over baseline tokens/s per MW at the speed: within ``within`` x of ``stated`` holds (``verdicts.by_ratio``).

    AFD with no point at the speed does not hold; a baseline with none while AFD has one
    partly holds (the direction holds, the size is unbounded); NaN cannot be checked.
    """
    if not (math.isfinite(afd_per_mw) and math.isfinite(baseline_per_mw)):
        return v.UNCHECKABLE
    if afd_per_mw <= 0.0:
        return v.FAILS
    if baseline_per_mw <= 0.0:
        return v.PARTLY
    return v.by_ratio(afd_per_mw / baseline_per_mw, stated, within)


def grade_1000(peak_speed: float, requests: float, speed: float, useful: float) -> str:
    """Peak >= ``speed`` with >= ``useful`` requests in flight there holds; the peak alone partly; else does not hold."""
    if not (math.isfinite(peak_speed) and math.isfinite(requests)):
        return v.UNCHECKABLE
    if peak_speed < speed:
        return v.FAILS
    return v.HOLDS if requests >= useful else v.PARTLY


@dataclass
class ChartModel:
    """The chart's systems at one scope, with each (context, stack, hop, baseline) evaluated once."""

    tables: object
    cfg: dict
    hop: Assumptions
    gpu: str  # the AFD system's GPU (Rubin)
    lpu: str
    _afd: dict = field(default_factory=dict)
    _gpu: dict = field(default_factory=dict)
    _racks: dict = field(default_factory=dict)  # accelerator id -> rack as first read; (id, stack) -> on that stack
    _afd_system: rack_afd.AfdSystem | None = None  # the LPU side, read once

    def rack(self, accelerator_id: str, context: float, stack: str) -> gpu_rack.Rack:
        """The rack at another context (read from the tables once per accelerator, then once per stack)."""
        if (accelerator_id, stack) not in self._racks:
            if accelerator_id not in self._racks:
                self._racks[accelerator_id] = gpu_rack.rack(self.tables, accelerator_id, self.cfg, context, stack)
            self._racks[accelerator_id, stack] = self._racks[accelerator_id].on_stack(stack)
        return replace(self._racks[accelerator_id, stack], spec=wl.custom(context, self.cfg["in_scope_output_tokens"]))

    def afd(self, context: float, stack: str, hop_us: float) -> pl.DataFrame:
        key = (context, stack, hop_us)
        if key not in self._afd:
            if self._afd_system is None:
                self._afd_system = rack_afd.afd_system(
                    self.tables, self.gpu, self.lpu, self.cfg, context, stack, self.hop
                )
            hop = replace(self.hop, hop_latency_s=hop_us * 1e-6)
            system = replace(self._afd_system, gpu=self.rack(self.gpu, context, stack), hop=hop)
            self._afd[key] = (system, rack_afd.afd_points(system))
        return self._afd[key][1]

    def afd_points(self, context: float, stack: str, hop_us: float, power_factor: float = 1.0) -> pl.DataFrame:
        """AFD points with the LPU power scaled by ``power_factor`` (a sensitivity: the LP30's power is a proxy)."""
        points = self.afd(context, stack, hop_us)
        if power_factor == 1.0:
            return points
        system = self._afd[(context, stack, hop_us)][0]
        power = pl.col("power_kw") + pl.col("lpus") * system.lpu_kw * (power_factor - 1.0)
        return points.with_columns(power_kw=power).with_columns(
            tokens_per_s_per_mw=pl.col("tokens_per_s") / pl.col("power_kw") * 1e3
        )

    def _gpu_rack(self, accelerator_id: str, context: float, stack: str, all_to_all_us: float | None):
        """The rack (``all_to_all_us`` overriding its all-to-all latency) and its {speed: (per MW, how)} cache."""
        r = self.rack(accelerator_id, context, stack)
        if all_to_all_us is not None:
            r = r.with_stack(assumptions=replace(r.assumed, all_to_all_latency_s=all_to_all_us * 1e-6))
        return r, self._gpu.setdefault((accelerator_id, float(context), stack, r.assumed.all_to_all_latency_s), {})

    def gpu_only(
        self, accelerator_id: str, context: float, stack: str, speeds, all_to_all_us: float | None = None
    ) -> list[tuple[float, str]]:
        """Best GPU-only (tokens/s per MW, how) at each speed; ``all_to_all_us`` overrides the racks' all-to-all latency.

        The speeds not evaluated yet for this rack, context and stack are evaluated in one
        :func:`hbmcycle.inference.rack.rack_grid` call.
        """
        r, done = self._gpu_rack(accelerator_id, context, stack, all_to_all_us)
        missing = [speed for speed in dict.fromkeys(map(float, speeds)) if speed not in done]
        if missing:
            done.update(zip(missing, gpu_rack.best_per_mw(r, missing), strict=True))
        return [done[float(speed)] for speed in speeds]

    def prefetch_contexts(self, accelerator_id: str, contexts, stack: str, speed: float, all_to_all_us=None) -> None:
        """Evaluate :meth:`gpu_only` at one speed for many contexts in one rack search (a flip search's grid)."""
        r, _ = self._gpu_rack(accelerator_id, contexts[0], stack, all_to_all_us)
        points = gpu_rack.best_points_at_contexts(r, speed, contexts)
        for context, point in zip(contexts, points, strict=True):
            _, done = self._gpu_rack(accelerator_id, context, stack, all_to_all_us)
            done[float(speed)] = gpu_rack.per_mw(r, speed, point)

    def ratio_verdict(self, speed, stated, context, stack, hop_us, power_factor, baseline, all_to_all_us=None) -> str:
        afd, _ = rack_afd.best_per_mw(self.afd_points(context, stack, hop_us, power_factor), speed)
        ((base, _),) = self.gpu_only(baseline, context, stack, [speed], all_to_all_us)
        return grade_35x(afd, base, stated, self.cfg["ratio_within"])

    def peak(self, context: float, stack: str, hop_us: float, speed: float) -> tuple[float, float]:
        """(AFD peak tokens/s per user, most sequences in flight at >= ``speed``)."""
        points = self.afd(context, stack, hop_us)
        if not points.height:
            return 0.0, 0.0
        fast = points.filter(pl.col("per_user_tokens_per_s") >= speed)
        return number(points["per_user_tokens_per_s"].max()), number(fast["sequences"].max()) if fast.height else 0.0


def speed_curves(model: ChartModel, levels, context: float, stack: str, hop_us: float) -> pl.DataFrame:
    """Best tokens/s per MW at >= each per-user speed level, for AFD and every GPU-only rack.

    Columns: system, level (tokens/s per user), tokens_per_s_per_mw (the best among points at
    least that fast); a system with no point at a level has no row there.
    """
    points = model.afd_points(context, stack, hop_us)
    rows = [{"system": "Rubin + LPX (AFD)", "level": float(level),
             "tokens_per_s_per_mw": rack_afd.best_per_mw(points, level)[0]} for level in levels]  # fmt: skip
    for gpu in (*BASELINES, model.gpu):
        for level, (per_mw, _) in zip(levels, model.gpu_only(gpu, context, stack, levels), strict=True):
            rows.append({"system": f"{gpu} NVL72", "level": float(level), "tokens_per_s_per_mw": per_mw})
    return pl.DataFrame(rows).filter(pl.col("tokens_per_s_per_mw") > 0)


def _scope(cfg: dict, context: float, hop_us: float, lpu_basis: str) -> str:
    return (
        f"{cfg['in_scope_model']} in {cfg['in_scope_weights']}, {context:,.0f}-token prompts, "
        f"{cfg['in_scope_output_tokens']:,.0f} output tokens; rack-scale serving model, calibrated stack; "
        f"Rubin + LPX = attention-FFN disaggregation (Rubin NVL72 decode pool, experts on LP30, GPU prefill pool, "
        f"hop {hop_us:g} us assumed); GPU-only racks best of colocated and prefill-decode disaggregated; "
        f"LPU power: {lpu_basis}"
    )


def _common_flips(claim_id, judge, base: dict) -> list:
    """Hop latency on both stacks, the stack itself and the context: the inputs both chart claims turn on."""
    stacks = {stack: judge(stack=stack) for stack in STACKS}
    hop = lambda stack: lambda h: judge(hop_us=h, stack=stack)
    return [
        numeric_flip(claim_id, "hop latency (one way)", "us", hop(base["stack"]), base["hop_us"], HOP_GRID_US, REFINE),
        choice_flip(claim_id, "serving stack", stacks, base["stack"]),
        numeric_flip(claim_id, "hop latency (one way), lean stack", "us", hop("lean"), base["hop_us"], HOP_GRID_US,
                     REFINE),
        numeric_flip(claim_id, "context", "tokens", lambda L: judge(context=L), base["context"], CONTEXT_GRID, refine=3),
    ]  # fmt: skip


def _35x_flips(claim_id, model: ChartModel, base: dict, speed: float, stated: float) -> list:
    judge = lambda **over: model.ratio_verdict(speed, stated, **{**base, **over})
    model.prefetch_contexts(
        base["baseline"], [*CONTEXT_GRID, base["context"]], base["stack"], speed, base["all_to_all_us"]
    )
    baselines = {b: judge(baseline=b) for b in BASELINES}
    return [
        *_common_flips(claim_id, judge, base),
        numeric_flip(claim_id, "LPU power (x the proxy's mid)", "", lambda f: judge(power_factor=f), 1.0,
                     POWER_FACTOR_GRID, REFINE),
        choice_flip(claim_id, "Blackwell baseline", baselines, base["baseline"]),
        # the GPU-only racks' expert-parallel all-to-all latency caps their speed as the hop caps AFD's
        numeric_flip(claim_id, "all-to-all latency of the GPU-only racks, lean stack", "us",
                     lambda t: judge(all_to_all_us=t, stack="lean"), base["all_to_all_us"], ALL_TO_ALL_GRID_US,
                     REFINE),
    ]  # fmt: skip


def _1000_flips(claim_id, model: ChartModel, base: dict, speed: float, useful: float) -> list:
    def judge(context=base["context"], stack=base["stack"], hop_us=base["hop_us"]):
        return grade_1000(*model.peak(context, stack, hop_us, speed), speed, useful)

    return _common_flips(claim_id, judge, base)


def evidence_35x(model: ChartModel, base: dict, speed: float) -> str:
    """Tokens/s per MW of every system at the speed, and the ratios."""
    points = model.afd_points(base["context"], base["stack"], base["hop_us"])
    afd, how = rack_afd.best_per_mw(points, speed)
    parts, rates = [f"tokens/s per MW at >= {speed:g} tokens/s/user: Rubin + LPX (AFD) {afd:,.0f} ({how})"], {}
    for gpu in (*BASELINES, model.gpu):
        ((rates[gpu], how),) = model.gpu_only(gpu, base["context"], base["stack"], [speed], base["all_to_all_us"])
        parts.append(f"{gpu} NVL72 {rates[gpu]:,.0f} ({how})")
    if afd <= 0.0:
        return "; ".join(parts)
    ratios = ", ".join(
        f"x{afd / rate:.1f} over {gpu}" if rate > 0 else f"{gpu}: no point" for gpu, rate in rates.items()
    )
    return "; ".join(parts) + f"; AFD {ratios}"


def chart_claims(c, tables) -> tuple[list, list]:
    """One verdict per chart claim (35x at 400 tokens/s, 1,000+ tokens/s) at the chart's scope, with flip rows."""
    cfg, seeds = c.cfg, c.seeds
    model = ChartModel(tables, cfg, c.s.assumptions, c.s.gpu.accelerator_id, c.s.lpu.accelerator_id)
    hop_us = c.s.assumptions.hop_latency_s * 1e6
    base = {"context": cfg["in_scope_context"], "stack": "calibrated", "hop_us": hop_us, "power_factor": 1.0,
            "baseline": cfg["baseline_gpu"], "all_to_all_us": serving_assumptions().all_to_all_latency_s * 1e6}  # fmt: skip
    speed = seeds["blackwell_400_500_small_batch"].value  # the 35x is stated "at 400 tokens/s"
    fast, useful = seeds["rubin_lpx_peak_1000"].value, cfg["useful_batch"]
    scope = _scope(cfg, base["context"], hop_us, f"proxy, {c.s.lpu.basis}")
    flips = {"35x": _35x_flips("rubin_lpx_35x_at_400", model, base, speed, seeds["rubin_lpx_35x_at_400"].value)}
    flips["1000"] = _1000_flips("rubin_lpx_peak_1000", model, base, fast, useful)
    peak, requests = model.peak(base["context"], base["stack"], hop_us, fast)
    stated = seeds["rubin_lpx_35x_at_400"].value
    verdicts = {"35x": model.ratio_verdict(speed, stated, **base), "1000": grade_1000(peak, requests, fast, useful)}
    lean = {**base, "stack": "lean"}  # the sensitivity's figures beside the verdict's
    lean_peak, lean_requests = model.peak(lean["context"], "lean", hop_us, fast)
    peak_text = "AFD peak {:,.0f} tokens/s/user, {:,.0f} requests in flight at >= {:,.0f} tokens/s/user"
    evidence = {
        "35x": f"calibrated stack: {evidence_35x(model, base, speed)} | lean stack: {evidence_35x(model, lean, speed)}",
        "1000": f"calibrated stack: {peak_text.format(peak, requests, fast)} | "
        f"lean stack: {peak_text.format(lean_peak, lean_requests, fast)}",
    }
    thresholds = {
        "35x": f"AFD / {cfg['baseline_gpu']} NVL72 tokens/s per MW within x{cfg['ratio_within']:g} of the stated ratio "
        "holds, above 1 partly; AFD not reaching the speed does not hold",
        "1000": f"peak >= {fast:,.0f} tokens/s/user with >= {useful:g} requests in flight there holds "
        "(useful_batch), the peak alone partly",
    }
    out, rows = [], []
    for claim_id, key in CHART_CLAIMS.items():
        claim_flips = [replace(f, claim_id=claim_id) for f in flips[key]]
        out.append(
            judged(
                seeds[claim_id],
                verdict=verdicts[key],
                scope=scope,
                evidence=evidence[key],
                evidence_kind="modelled",
                threshold=thresholds[key],
                sources="inference_benchmarks:claim_nvidia_vera_rubin_lpx_vs_blackwell_throughput_per_mw; "
                "accelerators; systems; llm_models; engine constants (calibration and software maturity)",
                would_change=would_change(claim_flips),
            )
        )
        rows += claim_flips
    return out, rows


CHART_CLAIMS = {
    "rubin_lpx_35x_at_400": "35x",
    "rubin_lpx_35x_at_400_zh": "35x",
    "rubin_lpx_peak_1000": "1000",
    "rubin_lpx_peak_1000_zh": "1000",
}
