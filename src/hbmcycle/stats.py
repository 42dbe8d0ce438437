"""Log-log elasticity regressions for small samples, with honest intervals.

The thesis under test says token throughput ``T`` scales as HBM size ``S`` times bandwidth
``BW``. In logs that is a linear model, and its coefficients are elasticities
(percent change in ``T`` per percent change in the regressor):

    joint form:    ln T = a + e_S ln S + e_BW ln BW + u        (thesis: e_S = e_BW = 1)
    product form:  ln T = a + e ln(S * BW) + u                  (thesis: e = 1)
    bandwidth law: ln T = a + e_BW ln BW + u                    (e_S = 0)

The data sets are small (5 to 15 points), so every estimate comes with three intervals:

* t-interval: OLS standard error times the Student-t quantile with ``n - p`` degrees of
  freedom (valid if residuals are roughly normal and independent);
* pairs bootstrap: percentile interval over resamples of whole rows (no normality
  assumption, but unstable below ~8 points; resamples with a rank-deficient design are
  dropped and counted);
* leave-one-out: the range of estimates with each point removed in turn (shows whether one
  product drives the fit).

Size and bandwidth rise together across accelerator generations, so the joint form is
ill-conditioned; :func:`collinearity` reports the correlation of the logs, variance
inflation factors and the condition number of the design.

Inputs are refused with ValueError when they cannot support the fit: NaNs, non-positive
values (no logarithm), fewer points than parameters + 1, or a regressor without variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

DEFAULT_LEVEL = 0.90
DEFAULT_BOOTSTRAP = 2000


@dataclass(frozen=True)
class Fit:
    """OLS fit of ``y`` on ``X`` (intercept first). Arrays are per term, in ``terms`` order."""

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    t_low: np.ndarray
    t_high: np.ndarray
    n: int
    dof: int
    r2: float
    residual_sd: float
    level: float


def _as_float(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if np.isnan(array).any():
        raise ValueError(f"{name}: {int(np.isnan(array).sum())} NaN value(s); drop or fill them before fitting")
    return array


def log_positive(values, name: str) -> np.ndarray:
    """Natural log of ``values``, refusing NaN, zero and negative entries (ValueError names them)."""
    array = _as_float(values, name)
    bad = array <= 0
    if bad.any():
        raise ValueError(
            f"{name}: log needs positive values; got {array[bad][:5].tolist()} at positions "
            f"{np.flatnonzero(bad)[:5].tolist()}"
        )
    return np.log(array)


def _check_design(y: np.ndarray, regressors: dict[str, np.ndarray]) -> None:
    n, p = len(y), len(regressors) + 1
    for name, column in regressors.items():
        if len(column) != n:
            raise ValueError(f"{name} has {len(column)} values but the response has {n}")
    if n < p + 1:
        raise ValueError(
            f"{n} points for {p} parameters (intercept + {', '.join(regressors)}): "
            f"need at least {p + 1} to estimate a standard error"
        )
    for name, column in regressors.items():
        if np.ptp(column) == 0:
            raise ValueError(
                f"{name} has zero variance (all values equal {column[0]:g}); its elasticity is not identified"
            )


def ols(y, regressors: dict[str, np.ndarray], level: float = DEFAULT_LEVEL) -> Fit:
    """Ordinary least squares of ``y`` on an intercept and ``regressors`` (already in logs).

    ``coef = (X'X)^-1 X'y``; ``se = sqrt(diag((X'X)^-1) * s^2)`` with ``s^2 = RSS / (n - p)``;
    the interval is ``coef +- t_{(1+level)/2, n-p} * se``. Raises ValueError on NaNs, too few
    points, a constant regressor or an exactly collinear design.
    """
    y = _as_float(y, "response")
    columns = {name: _as_float(values, name) for name, values in regressors.items()}
    _check_design(y, columns)
    X = np.column_stack([np.ones(len(y)), *columns.values()])
    n, p = X.shape
    if np.linalg.matrix_rank(X) < p:
        raise ValueError(f"regressors {', '.join(columns)} are exactly collinear; fit them as a product instead")
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residuals = y - X @ coef
    dof = n - p
    rss = float(residuals @ residuals)
    sigma2 = rss / dof
    cov = np.linalg.inv(X.T @ X) * sigma2
    se = np.sqrt(np.diag(cov))
    from scipy import special  # the t quantile (scipy.stats costs ~1 s); imported on use: 0.5 s at import time

    t_crit = special.stdtrit(dof, 0.5 + level / 2.0)  # quantile of Student t with dof degrees of freedom
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - rss / tss if tss > 0 else 1.0
    return Fit(
        terms=("intercept", *columns),
        coef=coef,
        se=se,
        t_low=coef - t_crit * se,
        t_high=coef + t_crit * se,
        n=n,
        dof=dof,
        r2=r2,
        residual_sd=float(np.sqrt(sigma2)),
        level=level,
    )


def _coefficients(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """OLS coefficients of many regressions at once: y (r, n), X (r, n, p) -> (r, p).

    Solved through one batched SVD (what ``np.linalg.lstsq`` does per call); a regression
    whose design is rank-deficient (a degenerate resample) gets NaNs, with numpy's
    ``matrix_rank`` tolerance.
    """
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    tol = s.max(axis=-1, keepdims=True) * max(X.shape[-2:]) * np.finfo(float).eps
    full_rank = (s > tol).sum(axis=-1) == X.shape[-1]
    projected = np.einsum("rnk,rn->rk", u, y) / np.where(s > tol, s, np.inf)
    coefficients = np.einsum("rkp,rk->rp", vt, projected)
    coefficients[~full_rank] = np.nan
    return coefficients


def bootstrap(
    y,
    regressors: dict[str, np.ndarray],
    n_resamples: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs-bootstrap percentile interval per term: (low, high, resamples used).

    Rows are drawn with replacement; resamples whose design is rank-deficient (for example
    every row the same product) are dropped, and the count of those kept is returned.
    """
    y = _as_float(y, "response")
    columns = {name: _as_float(values, name) for name, values in regressors.items()}
    _check_design(y, columns)
    X = np.column_stack([np.ones(len(y)), *columns.values()])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(y), size=(n_resamples, len(y)))
    estimates = _coefficients(y[draws], X[draws])
    kept = estimates[~np.isnan(estimates).any(axis=1)]
    if len(kept) == 0:
        nan = np.full(X.shape[1], np.nan)
        return nan, nan, 0
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(kept, [tail, 100.0 - tail], axis=0)
    return low, high, len(kept)


def leave_one_out(y, regressors: dict[str, np.ndarray]) -> np.ndarray:
    """Coefficients refitted with each row left out: array (n, p), NaN rows where that fit is degenerate."""
    y = _as_float(y, "response")
    columns = {name: _as_float(values, name) for name, values in regressors.items()}
    _check_design(y, columns)
    X = np.column_stack([np.ones(len(y)), *columns.values()])
    keep = ~np.eye(len(y), dtype=bool)
    rows = np.nonzero(keep)[1].reshape(len(y), len(y) - 1)
    return _coefficients(y[rows], X[rows])


def collinearity(regressors: dict[str, np.ndarray]) -> dict[str, float]:
    """How well the data can separate the regressors (already in logs).

    * ``correlation``: Pearson r of the first two regressors;
    * ``vif_<name>``: variance inflation factor ``1 / (1 - R_j^2)`` with ``R_j^2`` from
      regressing regressor j on the others (10+ is the usual warning level);
    * ``condition_number``: ratio of largest to smallest singular value of the design
      (intercept included) after scaling each column to unit length (Belsley; 30+ = severe).
    """
    columns = {name: _as_float(values, name) for name, values in regressors.items()}
    if len(columns) < 2:
        raise ValueError("collinearity needs at least two regressors")
    n = len(next(iter(columns.values())))
    _check_design(np.zeros(n), columns)
    names = list(columns)
    out: dict[str, float] = {"correlation": float(np.corrcoef(columns[names[0]], columns[names[1]])[0, 1])}
    for name in names:
        others = {k: v for k, v in columns.items() if k != name}
        X = np.column_stack([np.ones(n), *others.values()])
        fitted = X @ np.linalg.lstsq(X, columns[name], rcond=None)[0]
        tss = float(((columns[name] - columns[name].mean()) ** 2).sum())
        r2 = 1.0 - float(((columns[name] - fitted) ** 2).sum()) / tss
        out[f"vif_{name}"] = float(np.inf) if r2 >= 1.0 else 1.0 / (1.0 - r2)
    design = np.column_stack([np.ones(n), *columns.values()])
    design = design / np.linalg.norm(design, axis=0)
    singular = np.linalg.svd(design, compute_uv=False)
    out["condition_number"] = float(singular[0] / singular[-1]) if singular[-1] > 0 else float(np.inf)
    return out


FORMS: tuple[str, ...] = ("joint", "product", "bandwidth_only")


def elasticity_regressors(size, bandwidth, form: str) -> dict[str, np.ndarray]:
    """Log regressors for a form: joint (ln S, ln BW), product (ln S*BW) or bandwidth_only (ln BW)."""
    log_size = log_positive(size, "size")
    log_bw = log_positive(bandwidth, "bandwidth")
    if form == "joint":
        return {"size": log_size, "bandwidth": log_bw}
    if form == "product":
        return {"size_x_bandwidth": log_size + log_bw}
    if form == "bandwidth_only":
        return {"bandwidth": log_bw}
    raise ValueError(f"unknown form {form!r}; valid: {', '.join(FORMS)}")


ELASTICITY_SCHEMA = {
    "form": pl.Utf8, "term": pl.Utf8, "estimate": pl.Float64, "se": pl.Float64, "t_low": pl.Float64,
    "t_high": pl.Float64, "boot_low": pl.Float64, "boot_high": pl.Float64, "boot_used": pl.Int64,
    "loo_min": pl.Float64, "loo_max": pl.Float64, "n": pl.Int64, "dof": pl.Int64, "r2": pl.Float64,
    "level": pl.Float64,
}  # fmt: skip


def elasticities(
    throughput,
    size,
    bandwidth,
    forms=FORMS,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    controls: dict[str, np.ndarray] | None = None,
) -> pl.DataFrame:
    """Elasticity table: one row per (form, term) with the estimate and its three intervals.

    ``controls`` are extra regressors entered as given (not logged) in every form, e.g. a 0/1
    indicator for FP4 results; their rows are reported too.

    Columns: form, term, estimate, se, t_low, t_high, boot_low, boot_high, boot_used,
    loo_min, loo_max, n, dof, r2, level. Forms whose fit is impossible for these data (too
    few points for the parameters) are skipped, so a tiny sample still gets the product form.
    """
    y = log_positive(throughput, "throughput")
    _check_regressors(y, {**elasticity_regressors(size, bandwidth, "joint"), **(controls or {})})
    rows = []
    for form in forms:
        regressors = {**elasticity_regressors(size, bandwidth, form), **(controls or {})}
        if len(y) >= len(regressors) + 2:
            rows += _form_rows(form, y, regressors, level, n_resamples, seed)
    if not rows:
        raise ValueError(
            f"{len(y)} points are too few for any of the forms {', '.join(forms)} (each needs parameters + 1 points)"
        )
    return pl.DataFrame(rows, schema=ELASTICITY_SCHEMA)


def _check_regressors(y: np.ndarray, regressors: dict) -> None:
    """Refuse bad data outright (NaN, non-positive, wrong length, constant): only a form with more
    parameters than the points allow is skipped, and if none fits that is an error too."""
    for name, column in regressors.items():
        column = _as_float(column, name)
        if len(column) != len(y):
            raise ValueError(f"{name} has {len(column)} values but the response has {len(y)}")
        if np.ptp(column) == 0:
            raise ValueError(
                f"{name} has zero variance (all values equal {column[0]:g}); its elasticity is not identified"
            )


def _form_rows(form: str, y: np.ndarray, regressors: dict, level: float, n_resamples: int, seed: int) -> list[dict]:
    """One form's rows: OLS estimate with t, bootstrap and leave-one-out intervals per term."""
    fit = ols(y, regressors, level)
    boot_low, boot_high, used = bootstrap(y, regressors, n_resamples, level, seed)
    loo = leave_one_out(y, regressors)
    rows = []
    for j, term in enumerate(fit.terms):
        if term == "intercept":
            continue
        column = loo[:, j][np.isfinite(loo[:, j])]
        rows.append({
            "form": form, "term": term, "estimate": fit.coef[j], "se": fit.se[j], "t_low": fit.t_low[j],
            "t_high": fit.t_high[j], "boot_low": boot_low[j], "boot_high": boot_high[j], "boot_used": used,
            "loo_min": column.min() if len(column) else np.nan, "loo_max": column.max() if len(column) else np.nan,
            "n": fit.n, "dof": fit.dof, "r2": fit.r2, "level": level,
        })  # fmt: skip
    return rows


def growth_per_step(values) -> float:
    """Average multiplicative growth per step of a positive series: ``exp(slope of ln v on 0..n-1)``."""
    logs = log_positive(values, "series")
    if len(logs) < 2:
        raise ValueError("growth needs at least two points")
    steps = np.arange(len(logs), dtype=float)
    return float(np.exp(np.polyfit(steps, logs, 1)[0]))
