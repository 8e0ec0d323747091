"""Scores of predictions (NumPy and SciPy only): regression, sites, intervals, map reliability.

Two "R²" are reported and never confused: :func:`r2` is the coefficient of determination ``1 − SS_res / SS_tot``
(negative for a model worse than the mean), :func:`pearson_r2` the squared Pearson correlation — the reference
study's "R²" (``linregress(...).rvalue**2``), which ignores bias and scale.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["r2", "pearson_r2", "mae", "spearman", "scalar_metrics", "conformal_halfwidth", "coverage",
           "site_metrics", "reliability", "terciles"]


def _clean(y, p):
    y, p = np.asarray(y, float), np.asarray(p, float)
    ok = np.isfinite(y) & np.isfinite(p)
    return y[ok], p[ok]


def _num(x):
    return None if x is None or not math.isfinite(float(x)) else float(x)


def r2(y, p) -> float:
    """Coefficient of determination.

    >>> r2([1, 2, 3], [1, 2, 3]), r2([1, 2, 3], [2, 2, 2])
    (1.0, 0.0)
    """
    y, p = _clean(y, p)
    if len(y) < 2:
        return math.nan
    tot = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - p) ** 2).sum()) / tot if tot > 0 else math.nan


def pearson_r2(y, p) -> float:
    """Squared Pearson correlation (the reference study's "R²").

    >>> round(pearson_r2([1, 2, 3], [10, 20, 30]), 6)
    1.0
    """
    y, p = _clean(y, p)
    if len(y) < 3 or np.ptp(y) == 0 or np.ptp(p) == 0:
        return math.nan
    return float(np.corrcoef(y, p)[0, 1] ** 2)


def mae(y, p) -> float:
    y, p = _clean(y, p)
    return float(np.abs(y - p).mean()) if len(y) else math.nan


def spearman(y, p) -> float:
    from scipy.stats import spearmanr

    y, p = _clean(y, p)
    if len(y) < 3 or np.ptp(y) == 0 or np.ptp(p) == 0:
        return math.nan
    return float(spearmanr(y, p)[0])


def terciles(v) -> np.ndarray:
    """Tercile (0, 1, 2) of each value of ``v`` (NaN → -1), boundaries at its 1/3 and 2/3 quantiles."""
    v = np.asarray(v, float)
    out = np.full(len(v), -1)
    ok = np.isfinite(v)
    if ok.sum() >= 3:
        a, b = np.quantile(v[ok], [1 / 3, 2 / 3])
        out[ok] = np.where(v[ok] <= a, 0, np.where(v[ok] <= b, 1, 2))
    return out


def scalar_metrics(y, p, variance=None) -> dict:
    """R², Pearson r², MAE, Spearman and n; with ``variance`` (s² per sample) the same by s² tercile."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    out = {"n": int((np.isfinite(y) & np.isfinite(p)).sum()), "r2": _num(r2(y, p)),
           "pearson_r2": _num(pearson_r2(y, p)), "mae": _num(mae(y, p)), "spearman": _num(spearman(y, p))}
    if variance is not None:
        t = terciles(variance)
        v = np.asarray(variance, float)
        out["by_tercile"] = []
        for k in range(3):
            s = t == k
            out["by_tercile"].append({
                "tercile": k, "s2_range": [_num(v[s].min()), _num(v[s].max())] if s.any() else None,
                "n": int(s.sum()), "r2": _num(r2(y[s], p[s])), "pearson_r2": _num(pearson_r2(y[s], p[s])),
                "mae": _num(mae(y[s], p[s]))})
    return out


def conformal_halfwidth(residuals, level: float = 0.9) -> tuple:
    """Split-conformal half-width of a ``level`` interval from calibration residuals ``|y − ŷ|``.

    The ``⌈(n + 1)·level⌉``-th smallest residual: with exchangeable samples the interval ``ŷ ± q`` covers a new
    label with probability ≥ ``level``. Returns ``(q, exact)``; with too few residuals (``⌈(n + 1)·level⌉ > n``)
    ``q`` is the largest residual and ``exact`` is False.

    >>> conformal_halfwidth(np.arange(1, 20), 0.9)
    (18.0, True)
    >>> conformal_halfwidth([0.5, 1.0], 0.9)
    (1.0, False)
    """
    r = np.sort(np.abs(np.asarray(residuals, float)[np.isfinite(residuals)]))
    if not len(r):
        return math.nan, False
    k = math.ceil((len(r) + 1) * level)
    return (float(r[k - 1]), True) if k <= len(r) else (float(r[-1]), False)


def coverage(y, low, high, level: float = 0.9) -> dict:
    """Observed coverage of intervals, its 95 % Clopper–Pearson interval, and whether that contains ``level``."""
    from scipy.stats import beta

    y, low, high = (np.asarray(a, float) for a in (y, low, high))
    ok = np.isfinite(y) & np.isfinite(low) & np.isfinite(high)
    n = int(ok.sum())
    if not n:
        return {"n": 0, "coverage": None, "ci95": None, "calibrated": None, "level": level}
    k = int(((y[ok] >= low[ok]) & (y[ok] <= high[ok])).sum())
    lo = 0.0 if k == 0 else float(beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))
    return {"n": n, "covered": k, "coverage": k / n, "ci95": [lo, hi], "calibrated": bool(lo <= level <= hi),
            "level": level, "mean_width": float((high[ok] - low[ok]).mean())}


def site_metrics(dist, dist_nearest=None, mass5=None) -> dict:
    """Median distance (Å), fraction within 5 and 10 Å; to the nearest crack bond and the map's mass within 5 Å
    when given."""
    d = np.asarray(dist, float)
    d = d[np.isfinite(d)]
    out = {"n": int(len(d)), "median": _num(np.median(d)) if len(d) else None,
           "within_5A": _num((d <= 5).mean()) if len(d) else None,
           "within_10A": _num((d <= 10).mean()) if len(d) else None}
    if dist_nearest is not None:
        dn = np.asarray(dist_nearest, float)
        dn = dn[np.isfinite(dn)]
        out["nearest_bond"] = {"median": _num(np.median(dn)) if len(dn) else None,
                               "within_5A": _num((dn <= 5).mean()) if len(dn) else None,
                               "within_10A": _num((dn <= 10).mean()) if len(dn) else None}
    if mass5 is not None:
        m = np.asarray(mass5, float)
        m = m[np.isfinite(m)]
        out["mass_within_5A"] = _num(m.mean()) if len(m) else None
    return out


def reliability(confidence, hit, bins: int = 5) -> list:
    """Reliability curve: samples binned by predicted probability (``confidence``), mean confidence against the
    observed frequency of ``hit`` in each bin."""
    c, h = np.asarray(confidence, float), np.asarray(hit, float)
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (c >= a) & ((c < b) if b < 1 else (c <= b))
        if sel.any():
            out.append({"bin": [float(a), float(b)], "n": int(sel.sum()), "confidence": float(c[sel].mean()),
                        "frequency": float(h[sel].mean())})
    return out
