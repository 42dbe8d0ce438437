"""Pareto frontier of throughput per accelerator vs tokens/s per user.

A serving configuration is a (batch B, group size G) pair; bigger batches raise throughput
and lower per-user speed. The frontier keeps the configurations no other configuration beats
on both axes. Grids are evaluated with numpy broadcasting on 5-D arrays whose axes are
(accelerator, model, context, batch, group size).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.hardware import HardwareArrays, usable_group
from hbmcycle.inference.step_time import BOUNDS, CAPACITY, Efficiency, decode_step

ACCELERATOR_AXIS, MODEL_AXIS, CONTEXT_AXIS, BATCH_AXIS, GROUP_AXIS = range(5)


def default_batches(largest: int = 8192, points: int = 64) -> np.ndarray:
    """Geometric batch sweep 1 ... ``largest`` (unique integers)."""
    return np.unique(np.round(np.geomspace(1, largest, points)))


def default_group_sizes(domain_size: float, largest: int = 72) -> np.ndarray:
    """Powers of two up to the scale-up domain (and the domain itself, e.g. 72 for NVL72)."""
    domain = int(domain_size) if np.isfinite(domain_size) and domain_size >= 1 else 1
    limit = min(domain, largest)
    sizes = {2**i for i in range(int(np.log2(limit)) + 1)}
    if domain <= largest:
        sizes.add(domain)
    return np.array(sorted(sizes), dtype=float)


class Grid(NamedTuple):
    """Arrays of shape (accelerators, models, contexts, batches, group sizes); max_batch has batches = 1."""

    step_s: np.ndarray
    per_user_tokens_per_s: np.ndarray
    tokens_per_s_per_accelerator: np.ndarray
    bound: np.ndarray  # index into BOUNDS
    max_batch: np.ndarray
    feasible: np.ndarray  # fits memory, the group fits the scale-up domain, the chip has the figures
    on_frontier: np.ndarray  # Pareto-optimal within each (accelerator, model, context)


def evaluate_grid(
    model: ModelArrays,
    hw: HardwareArrays,
    contexts,
    batches,
    group_sizes,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
    chunk_points: int = 2**17,
) -> Grid:
    """Decode step, feasibility and frontier membership for every grid point.

    Works through the accelerators in chunks of about ``chunk_points`` points so that the
    temporaries stay small and cached (about 20 % faster on the benchmark grid than one
    whole-grid expression, whose every operation allocates fresh memory), and peak memory
    stays bounded by the outputs.
    """
    shape5 = lambda values, axis: np.asarray(values, dtype=float).reshape([-1 if a == axis else 1 for a in range(5)])
    contexts5, batches5, groups5 = (
        shape5(contexts, CONTEXT_AXIS),
        shape5(batches, BATCH_AXIS),
        shape5(group_sizes, GROUP_AXIS),
    )
    model5 = model.along(MODEL_AXIS, 5)
    shape = (len(hw), len(model), contexts5.size, batches5.size, groups5.size)
    out = Grid(
        step_s=np.empty(shape),
        per_user_tokens_per_s=np.empty(shape),
        tokens_per_s_per_accelerator=np.empty(shape),
        bound=np.empty(shape, dtype=np.int8),
        max_batch=np.empty(shape[:3] + (1,) + shape[4:]),
        feasible=np.empty(shape, dtype=bool),
        on_frontier=np.empty(shape, dtype=bool),
    )
    per_accelerator = int(np.prod(shape[1:]))
    step_size = max(1, chunk_points // per_accelerator)
    for first in range(0, len(hw), step_size):
        rows = slice(first, min(first + step_size, len(hw)))
        hw5 = hw.take(np.arange(len(hw))[rows]).along(ACCELERATOR_AXIS, 5)
        step = decode_step(model5, hw5, batches5, contexts5, groups5, weight_bytes, kv_bytes, eff)
        usable = usable_group(hw5, groups5) & np.isfinite(model5.active_params)
        feasible = (step.bound != CAPACITY) & usable
        out.step_s[rows] = step.step_s
        out.per_user_tokens_per_s[rows] = step.per_user_tokens_per_s
        out.tokens_per_s_per_accelerator[rows] = step.tokens_per_s_per_accelerator
        out.bound[rows] = step.bound
        out.max_batch[rows] = step.max_batch
        out.feasible[rows] = feasible
        out.on_frontier[rows] = pareto_mask(step.per_user_tokens_per_s, step.tokens_per_s_per_accelerator, feasible)
    return out


def pareto_mask(per_user: np.ndarray, throughput: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """True where a feasible point is not dominated within its (accelerator, model, context) cell.

    The last two axes (batch, group size) are the candidates. Sort candidates by per-user
    speed (descending, ties by throughput descending); a point is on the frontier when its
    throughput beats every faster point's: a running maximum, no pairwise comparison. Rows
    whose speeds tie (rare outside constructed inputs) are re-sorted on both keys.
    """
    n = per_user.shape[-2] * per_user.shape[-1]
    # infeasible points: +inf sorts last (NaN would take numpy's slow sort path), -inf rate never wins
    speed = np.where(feasible, -per_user, np.inf).reshape(-1, n)
    rate = np.where(feasible, throughput, -np.inf).reshape(-1, n)
    order = np.argsort(speed, axis=-1)
    # gather through flat indices: much faster than take_along_axis's broadcast fancy indexing
    flat = order + np.arange(0, speed.size, n)[:, None]
    sorted_speed = speed.ravel()[flat]
    tied = ((sorted_speed[:, 1:] == sorted_speed[:, :-1]) & (sorted_speed[:, 1:] < np.inf)).any(axis=-1)
    if tied.any():
        flat[tied] = np.lexsort((-rate[tied], speed[tied]), axis=-1) + np.flatnonzero(tied)[:, None] * n
    sorted_rate = rate.ravel()[flat]
    best_before = np.empty_like(sorted_rate)
    best_before[:, 0] = -np.inf
    np.maximum.accumulate(sorted_rate[:, :-1], axis=-1, out=best_before[:, 1:])
    mask = np.empty(rate.size, dtype=bool)
    mask[flat] = sorted_rate > best_before
    return mask.reshape(per_user.shape)


def frontier_table(
    model: ModelArrays,
    hw: HardwareArrays,
    context: float,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
    batches=None,
    group_sizes=None,
) -> pl.DataFrame:
    """Frontier for one accelerator and one model at one context, fastest per-user speed first."""
    batches = default_batches() if batches is None else np.asarray(batches, dtype=float)
    groups = (
        default_group_sizes(hw.scaleup_domain_size[0]) if group_sizes is None else np.asarray(group_sizes, dtype=float)
    )
    grid = evaluate_grid(model, hw, [context], batches, groups, weight_bytes, kv_bytes, eff)
    cell = (0, 0, 0)
    b_index, g_index = np.nonzero(grid.on_frontier[cell])
    pick = lambda a: a[cell][b_index, g_index]
    per_accelerator = pick(grid.tokens_per_s_per_accelerator)
    table = pl.DataFrame(
        {
            "group_size": groups[g_index].astype(int),
            "batch": batches[b_index].astype(int),
            "step_ms": pick(grid.step_s) * 1e3,
            "per_user_tokens_per_s": pick(grid.per_user_tokens_per_s),
            "tokens_per_s_per_accelerator": per_accelerator,
            "tokens_per_s": per_accelerator * groups[g_index],
            "bound": [BOUNDS[i] for i in pick(grid.bound)],
        }
    )
    return table.sort("per_user_tokens_per_s", descending=True)


def throughput_at_speed(frontier: pl.DataFrame, min_per_user_tokens_per_s: float) -> pl.DataFrame:
    """The frontier point with the most throughput per accelerator among those at least this fast per user.

    Empty frame when no configuration reaches the speed.
    """
    fast_enough = frontier.filter(pl.col("per_user_tokens_per_s") >= min_per_user_tokens_per_s)
    return fast_enough.sort("tokens_per_s_per_accelerator", descending=True).head(1)
