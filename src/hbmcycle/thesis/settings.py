"""The thesis analysis's fixed choices from ``thesis/assumptions.yaml``: line-up, pairs, thresholds, workload matrix."""

from __future__ import annotations

from pathlib import Path

from hbmcycle import assumptions

ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.yaml")
_VALUES = assumptions.values(ASSUMPTIONS_PATH)

SEED_GENERATIONS: tuple[str, ...] = _VALUES["generations"]
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = tuple((p.split(":")[0], p.split(":")[1]) for p in _VALUES["pairs"])
EXAMPLE_ACCELERATOR: str = _VALUES["example_accelerator"]
REFERENCE_ACCELERATOR: str = _VALUES["reference_accelerator"]
SHARE_HOLDS: float = _VALUES["share_holds"]
SHARE_FAILS: float = _VALUES["share_fails"]
ELASTICITY_NEAR: float = _VALUES["elasticity_near"]
MIN_POINTS: int = _VALUES["min_points"]
SOFTWARE_GAIN: float = _VALUES["software_gain"]
RACK_POWER_TOLERANCE: float = _VALUES["rack_power_tolerance"]
POWER_TOLERANCE: float = _VALUES["power_tolerance"]
MATRIX_MODELS: tuple[str, ...] = _VALUES["matrix_models"]
MATRIX_PRECISIONS: tuple[str, ...] = _VALUES["matrix_precisions"]
MATRIX_CONTEXTS: tuple[float, ...] = _VALUES["matrix_contexts"]

RACK_SYSTEMS: tuple[str, ...] = _VALUES["rack_systems"]
RACK_WORKLOADS: tuple[str, ...] = _VALUES["rack_workloads"]
RACK_REFERENCE: tuple[str, str, str] = (
    _VALUES["rack_reference_model"],
    _VALUES["rack_reference_weights"],
    _VALUES["rack_reference_workload"],
)
RACK_PARTLY_FRACTION: float = _VALUES["rack_partly_fraction"]
RACK_LOW_SPEED_FLOOR: float = _VALUES["rack_low_speed_floor"]

# The seed's Rubin NVL72 example, by seed_claims id: the claims under test, read from the table.
SEED_EXAMPLE_IDS = {
    "requests": "rubin_example_batch",
    "per_user_tok_s": "rubin_example_speed",
    "rack_kw": "rubin_nvl72_power_120kw",
    "tok_s_per_mw": "rubin_tokens_per_mw",
}


def thresholds_table() -> list[dict]:
    """The assumptions as rows (name, value, unit, range, basis) for the report."""
    return assumptions.table(ASSUMPTIONS_PATH)
