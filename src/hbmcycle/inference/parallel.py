"""Communication inside a tensor/expert-parallel group on one scale-up domain (NVLink, ICI, xGMI).

Weights and KV cache are sharded evenly over the ``G`` accelerators of the group, so each
accelerator reads 1/G of the bytes and does 1/G of the FLOPs. The price is communication:
Megatron-style tensor parallelism all-reduces the ``tokens x hidden`` activation twice per
layer (after attention and after the FFN). Expert parallelism (dispatch + combine all-to-all)
moves at most the same volume, so the same term is used for MoE models as an upper bound.
"""

from __future__ import annotations

import numpy as np

ALLREDUCES_PER_LAYER = 2
# Group sizes swept by every analysis: powers of two and NVL72's 72 (a domain caps them).
STANDARD_GROUP_SIZES: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 72)


def allreduce_seconds(message_bytes, group_size, link_bytes_s, latency_s: float) -> np.ndarray:
    """Ring all-reduce of ``message_bytes`` over ``group_size`` accelerators, in seconds.

    ``t = latency + 2 (G - 1) / G * message_bytes / link_bytes_s``, with ``link_bytes_s`` the
    per-direction scale-up bandwidth of one accelerator (B/s) and ``latency`` the fixed cost of
    one collective (s, calibrated). A group of one communicates nothing (t = 0).
    """
    group_size = np.asarray(group_size, dtype=float)
    transfer = 2.0 * (group_size - 1.0) / group_size * np.asarray(message_bytes, dtype=float) / link_bytes_s
    return np.where(group_size > 1.0, latency_s + transfer, 0.0)


def tensor_parallel_seconds(
    tokens, hidden_size, layers, group_size, link_bytes_s, latency_s: float, activation_bytes: float
) -> np.ndarray:
    """Communication time of one forward pass over ``tokens`` tokens (s).

    ``layers * 2 * allreduce(tokens * hidden_size * activation_bytes)``.
    """
    message = np.asarray(tokens, dtype=float) * hidden_size * activation_bytes
    return layers * ALLREDUCES_PER_LAYER * allreduce_seconds(message, group_size, link_bytes_s, latency_s)
