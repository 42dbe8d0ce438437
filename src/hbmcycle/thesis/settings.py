"""The thesis analysis's fixed choices: the seed's line-up, the pairs compared and the verdict thresholds."""

from __future__ import annotations

# The seed's NVIDIA line-up, one accelerator id per generation (B300/GB300 share memory per GPU;
# GB300 is the NVL72 part the claims refer to).
SEED_GENERATIONS: tuple[str, ...] = (
    "nvidia_a100_80gb_sxm",
    "nvidia_h100_sxm",
    "nvidia_h200",
    "nvidia_b200",
    "nvidia_gb200",
    "nvidia_gb300",
    "nvidia_rubin",
    "nvidia_rubin_ultra",
)
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("nvidia_h100_sxm", "nvidia_h200"),
    ("nvidia_b200", "nvidia_b300"),
    ("nvidia_gb200", "nvidia_gb300"),
    ("amd_mi300x", "amd_mi325x"),
)

# ---- verdict thresholds (stated here, applied in code) ----
SHARE_HOLDS = 2 / 3  # a bottleneck claim holds where it binds at >= 2/3 of operating points
SHARE_FAILS = 1 / 3  # ... and does not hold below 1/3
ELASTICITY_NEAR = 0.25  # an elasticity "equals" a value when within +-0.25
MIN_POINTS = 5  # fewer points than this: a regression cannot check a claim
SOFTWARE_GAIN = 1.10  # a same-hardware speed-up of 10 %+ counts as a software gain
# The seed's rack power vs the systems table: within this relative tolerance the per-MW figure stands.
RACK_POWER_TOLERANCE = 0.15
SEED_EXAMPLE = {"requests": 1920, "per_user_tok_s": 100.0, "rack_kw": 120.0, "tok_s_per_mw": 1.6e6}
