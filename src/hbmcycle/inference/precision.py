"""Number formats for weights, KV cache and tensor-core math.

Bytes per element are definitions of the formats, not measurements:

* ``bf16``: 16 bits = 2 bytes (fp16 has the same size and tensor-core rate; record it as bf16).
* ``fp8``: 8 bits = 1 byte (per-tensor or per-channel scales are negligible).
* ``fp4``: 4 bits plus one 8-bit block scale per 16 values (NVFP4) = 4.5 bits = 0.5625 bytes.
  MXFP4 (one scale per 32 values, 4.25 bits) differs by 6 %, below the model's error.

Decode and prefill math is assumed to run at the weights' precision (W8A8, W4A4), so the
peak rate is the accelerator's dense TFLOPS column for that precision.
"""

from __future__ import annotations

WEIGHT_PRECISIONS: tuple[str, ...] = ("bf16", "fp8", "fp4")
KV_PRECISIONS: tuple[str, ...] = ("bf16", "fp8")

BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 4.5 / 8}

# accelerators-table column holding the dense peak for math at each precision
PEAK_TFLOPS_COLUMN: dict[str, str] = {
    "bf16": "bf16_dense_tflops",
    "fp8": "fp8_dense_tflops",
    "fp4": "fp4_dense_tflops",
}


def check_precision(precision: str, allowed: tuple[str, ...], what: str) -> str:
    """Return ``precision`` lower-cased, or raise ValueError naming the valid choices."""
    normalized = precision.strip().lower()
    if normalized not in allowed:
        raise ValueError(f"unknown {what} precision {precision!r}; valid: {', '.join(allowed)}")
    return normalized
