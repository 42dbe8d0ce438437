"""Speculative decoding: a small draft model proposes ``gamma`` tokens, the target verifies them in one pass.

With a per-token acceptance rate ``alpha`` (i.i.d., Leviathan et al. 2023) the tokens produced
per verification, counting the target's own correction or bonus token, are

    E[tokens] = (1 - alpha^(gamma + 1)) / (1 - alpha)         (= gamma + 1 at alpha = 1)

One cycle costs ``gamma`` draft steps plus one verification pass, so against plain decoding
(one target step per token)

    speed-up = E[tokens] * t_target / (gamma * t_draft + t_verify)

``t_verify`` reads the target's weights once (the experts ``B (gamma + 1)`` tokens touch) and each
sequence's KV cache once, and does ``gamma + 1`` tokens of FLOPs per sequence. Where the draft
runs on other chips than the target (an SRAM draft, GPU verification) the draft still sits on
the critical path of each cycle; only its duration changes.
"""

from __future__ import annotations

import numpy as np

from hbmcycle.inference.architecture import ModelArrays
from hbmcycle.inference.hardware import HardwareArrays
from hbmcycle.inference.step_time import Efficiency, decode_step


def expected_tokens(alpha, gamma) -> np.ndarray:
    """Expected tokens per verification: ``(1 - alpha^(gamma+1)) / (1 - alpha)``, ``gamma + 1`` at alpha = 1.

    Raises ValueError for alpha outside [0, 1] or negative gamma.
    """
    alpha = np.asarray(alpha, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    if np.any((alpha < 0) | (alpha > 1)):
        raise ValueError("acceptance rate alpha must lie in [0, 1]")
    if np.any(gamma < 0):
        raise ValueError("draft length gamma must be >= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = (1.0 - alpha ** (gamma + 1.0)) / (1.0 - alpha)
    return np.where(alpha == 1.0, gamma + 1.0, partial)


def speedup(alpha, gamma, draft_s, target_s, verify_s) -> np.ndarray:
    """Speed-up of per-user decoding: ``E[tokens] * t_target / (gamma * t_draft + t_verify)``."""
    gamma = np.asarray(gamma, dtype=float)
    return (
        expected_tokens(alpha, gamma)
        * np.asarray(target_s, dtype=float)
        / (gamma * np.asarray(draft_s, dtype=float) + np.asarray(verify_s, dtype=float))
    )


def verify_seconds(
    model: ModelArrays,
    hw: HardwareArrays,
    batch,
    context,
    gamma,
    group_size,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
) -> np.ndarray:
    """One verification pass of ``gamma + 1`` tokens for each of ``batch`` sequences (s).

    Memory: the weights that ``batch (gamma + 1)`` tokens touch plus one read of each KV cache;
    compute, communication and per-sequence overheads: ``batch (gamma + 1)`` tokens.
    """
    batch = np.asarray(batch, dtype=float)
    tokens = batch * (np.asarray(gamma, dtype=float) + 1.0)
    per_sequence = decode_step(model, hw, batch, context, group_size, weight_bytes, kv_bytes, eff)
    per_token = decode_step(model, hw, tokens, context, group_size, weight_bytes, kv_bytes, eff)
    extra_weights = (
        (model.weight_params_read(tokens) - model.weight_params_read(batch))
        * weight_bytes
        / (eff.bandwidth * np.asarray(group_size, dtype=float) * hw.bandwidth_bytes_s)
    )
    memory = per_sequence.memory_s + extra_weights
    fixed = per_token.step_s - np.maximum(per_token.memory_s, per_token.compute_s)  # comm + overheads
    return np.maximum(memory, per_token.compute_s) + fixed


def draft_step_seconds(
    draft: ModelArrays,
    hw: HardwareArrays,
    batch,
    context,
    group_size,
    weight_bytes: float,
    kv_bytes: float,
    eff: Efficiency,
) -> np.ndarray:
    """One decode step of the draft model on ``group_size`` chips of ``hw`` (s); NaN where it does not fit."""
    step = decode_step(draft, hw, batch, context, group_size, weight_bytes, kv_bytes, eff)
    return np.where(np.asarray(batch, dtype=float) <= step.max_batch, step.step_s, np.nan)
