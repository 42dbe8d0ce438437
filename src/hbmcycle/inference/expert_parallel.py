"""Mixture-of-experts serving on a scale-up group: expert parallelism with attention data parallelism.

On a group of ``G`` accelerators a MoE model places its routed experts across the devices
(expert parallelism, EP) and runs attention data-parallel (each device attends for its own
``n / G`` tokens), as wide-EP deployments on NVL72 do (DeepSeek-V3 serving, SGLang, TensorRT-LLM).
Per MoE layer each device sends its tokens' hidden states to the ``k`` chosen experts and
gets the results back: an all-to-all dispatch and an all-to-all combine, each moving

    (n / G) k hidden b_act (G - 1) / G   bytes per device    (a 1/G share of the targets is local)

so one forward pass communicates ``layers x 2 x (latency + bytes / link)`` seconds, with the
link bandwidth per direction. Routing is never perfectly even: the step waits for the
busiest device, which holds ``imbalance`` times the mean expert load, so the expert share of
weight reads and FLOPs is scaled by it. Dense models (no experts) and groups of one use the
tensor-parallel path of :mod:`hbmcycle.inference.parallel` instead. Attention weights are
counted once for memory (their replication under data parallelism is not), which flatters
the largest concurrency of a MoE model a little.
"""

from __future__ import annotations

import numpy as np

from hbmcycle.inference.architecture import ModelArrays


def all_to_all_seconds(tokens, model: ModelArrays, group, link_bytes_s, latency_s: float, activation_bytes: float):
    """Dispatch plus combine over every layer for ``tokens`` tokens of the whole group (s); 0 for G = 1."""
    group = np.asarray(group, dtype=float)
    per_device = np.asarray(tokens, dtype=float) / group * model.experts_per_token * model.hidden_size
    volume = per_device * activation_bytes * (group - 1.0) / group
    return np.where(group > 1.0, model.layers * 2.0 * (latency_s + volume / link_bytes_s), 0.0)


def expert_share(model: ModelArrays, tokens) -> tuple[np.ndarray, np.ndarray]:
    """(routed-expert parameters read, routed-expert parameters multiplied per token) for ``tokens`` tokens.

    Read: expected distinct experts x one expert's parameters; multiplied: k experts per token.
    """
    read = model.weight_params_read(tokens) - (model.always_active_params - model.input_embedding_params)
    return read, model.experts_per_token * model.expert_params
