"""Accelerator quantities the performance model needs, in SI units, one array entry per accelerator."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from hbmcycle.inference.precision import PEAK_TFLOPS_COLUMN, WEIGHT_PRECISIONS, check_precision


class UnsupportedError(ValueError):
    """The accelerator lacks a figure the request needs (a precision, a bandwidth, a link)."""


@dataclass(frozen=True)
class HardwareArrays:
    """Per-accelerator figures: bytes, bytes/s, FLOP/s (dense, at the chosen math precision)."""

    accelerator_id: np.ndarray
    product: np.ndarray
    memory_bytes: np.ndarray
    bandwidth_bytes_s: np.ndarray
    peak_flops_s: np.ndarray
    link_bytes_s: np.ndarray  # scale-up bandwidth per direction (NaN if unknown)
    scaleup_domain_size: np.ndarray  # NaN if unknown
    tdp_w: np.ndarray  # NaN if unknown

    def __len__(self) -> int:
        return len(self.accelerator_id)

    def take(self, index) -> HardwareArrays:
        index = np.atleast_1d(index)
        return HardwareArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def along(self, axis: int, ndim: int) -> HardwareArrays:
        """Reshape every field so that accelerators lie on ``axis`` of an ``ndim``-dim grid."""
        shape = [1] * ndim
        shape[axis] = len(self)
        return HardwareArrays(**{f.name: getattr(self, f.name).reshape(shape) for f in fields(self)})


def _floats(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame.get_column(column).cast(pl.Float64).to_numpy().astype(float)


def hardware_arrays(accelerators: pl.DataFrame, precision: str, strict: bool = True) -> HardwareArrays:
    """Build :class:`HardwareArrays` from ``accelerators`` rows for math at ``precision``.

    Units: memory_gib (2^30 B: HBM capacities are binary), memory_bw_tb_s (1e12 B/s), *_dense_tflops (1e12 FLOP/s),
    scaleup_bw_gb_s (1e9 B/s, quoted bidirectional, so halved for one direction).

    With ``strict`` a missing capacity, bandwidth or peak for ``precision`` raises
    :class:`UnsupportedError` (e.g. "precision fp4 not supported by H100 SXM"); otherwise the
    figure becomes NaN and every prediction for that accelerator comes out infeasible.
    """
    precision = check_precision(precision, WEIGHT_PRECISIONS, "weights")
    peak_column = PEAK_TFLOPS_COLUMN[precision]
    if strict:
        for row in accelerators.iter_rows(named=True):
            name = row["product"] or row["accelerator_id"]
            if row[peak_column] is None:
                raise UnsupportedError(
                    f"precision {precision} not supported by {name} (no {peak_column} in accelerators)"
                )
            for column in ("memory_gib", "memory_bw_tb_s"):
                if row[column] is None:
                    raise UnsupportedError(f"{name}: accelerators lacks {column}")
    return HardwareArrays(
        accelerator_id=accelerators.get_column("accelerator_id").to_numpy().astype(str),
        product=accelerators.get_column("product").fill_null("").to_numpy().astype(str),
        memory_bytes=_floats(accelerators, "memory_gib") * 2.0**30,
        bandwidth_bytes_s=_floats(accelerators, "memory_bw_tb_s") * 1e12,
        peak_flops_s=_floats(accelerators, peak_column) * 1e12,
        link_bytes_s=_floats(accelerators, "scaleup_bw_gb_s") * 1e9 / 2.0,
        scaleup_domain_size=_floats(accelerators, "scaleup_domain_size"),
        tdp_w=_floats(accelerators, "tdp_w"),
    )


def usable_group(hw: HardwareArrays, group_size) -> np.ndarray:
    """Whether a group of ``group_size`` accelerators can serve: the one feasibility rule of every engine query.

    A single accelerator needs its bandwidth and peak FLOP/s; a group of G > 1 also needs G
    within the scale-up domain and a known link bandwidth (else its communication is unknown).
    """
    group_size = np.asarray(group_size, dtype=float)
    figures = np.isfinite(hw.peak_flops_s) & np.isfinite(hw.bandwidth_bytes_s) & np.isfinite(hw.memory_bytes)
    in_domain = (group_size <= hw.scaleup_domain_size) & np.isfinite(hw.link_bytes_s)
    return figures & ((group_size == 1.0) | in_domain)
