"""The serving frontier: most output tokens/s per accelerator at each per-user speed, colocated or disaggregated.

For a ladder of per-user speed floors ``s`` (tokens/s per user, i.e. TPOT <= 1/s), the
frontier point is the best configuration (group size, concurrency, and for disaggregated
serving the pool ratio) whose users all decode at least that fast
(:func:`system.best_point`, :func:`disaggregation.best_disaggregated`). Floors no
configuration reaches are left out; duplicates (one point serving several floors) are dropped.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from hbmcycle.inference.disaggregation import best_disaggregated
from hbmcycle.inference.system import Limits, best_point


def speed_floors(lowest: float = 2.0, highest: float = 1000.0, points: int = 40) -> np.ndarray:
    """Geometric ladder of per-user speed floors (tokens/s per user)."""
    return np.geomspace(lowest, highest, points)


def serving_frontier(
    model, hw, spec, gpus, weight_bytes, kv_bytes, eff, assumptions, maturity=1.0, disaggregated=False, floors=None
) -> pl.DataFrame:
    """One row per distinct frontier point: per_user_tokens_per_s, tokens_per_s_per_accelerator, group_size, ..."""
    best = best_disaggregated if disaggregated else best_point
    rows = []
    for floor in speed_floors() if floors is None else floors:
        limits = Limits(min_per_user_tokens_per_s=float(floor))
        point = best(model, hw, spec, limits, gpus, weight_bytes, kv_bytes, eff, assumptions, maturity)
        if point is not None:
            rows.append(
                {
                    k: point[k]
                    for k in (
                        "per_user_tokens_per_s",
                        "tokens_per_s_per_accelerator",
                        "group_size",
                        "concurrency",
                        "ttft_ms",
                        "bound",
                    )
                }
            )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows).unique(["per_user_tokens_per_s", "tokens_per_s_per_accelerator"], maintain_order=True)
