"""The statistics of the physical reading (NumPy and SciPy): rank correlations against a null of shifted maps, the
ring sizes that attract attribution, and where the attribution maximum lies.

Null distribution (:func:`shifts`)
    A heatmap moved by a random whole-pixel periodic shift keeps its own spatial autocorrelation (blob sizes,
    smoothness) but loses its registration with the structure. Every sample of a split gets ``n`` such shifts
    (draw 0 is the map itself); per-ring and per-atom attributions are recomputed for each (:func:`ring_values`,
    :func:`atom_values`), and each statistic is computed for every draw. The p-value is two-sided:
    ``(1 + #{draws with |stat| ≥ |observed|}) / (1 + n)``.

Statistic
    The mean over samples of the per-sample Spearman ρ (attribution maps differ in scale from one glass to the
    next; ranks within a glass do not).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["shifts", "ring_values", "atom_values", "spearman_rows", "partial_rows", "p_value", "summarise",
           "size_table",
           "random_median_distances"]


def shifts(rng: np.random.Generator, shape, n: int) -> np.ndarray:
    """``(n + 1, 2)`` int pixel shifts (rows, cols): the first is (0, 0), the others uniform over the map."""
    s = np.stack([rng.integers(0, shape[0], n), rng.integers(0, shape[1], n)], axis=1)
    return np.vstack([[0, 0], s]).astype(int)


def _rolled(heat, draws):
    flat = np.asarray(heat, float)
    return np.stack([np.roll(flat, tuple(d), axis=(0, 1)).ravel() for d in draws])


def ring_values(heat, draws, ring_idx, ring_of, areas) -> np.ndarray:
    """``(D, R)`` mean attribution per Å² of each ring for each shifted map; ``ring_idx``/``ring_of`` are the
    rings' pixels (flat index) and their ring ids, concatenated.

    >>> heat = np.zeros((2, 2)); heat[0, 0] = 4.0
    >>> ring_values(heat, [[0, 0], [1, 1]], np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]), np.array([2.0, 2.0]))
    array([[2., 0.],
           [0., 2.]])
    """
    rolled = _rolled(heat, draws)
    n = len(areas)
    sums = np.stack([np.bincount(ring_of, weights=row[ring_idx], minlength=n) for row in rolled])
    return sums / np.asarray(areas, float)


def atom_values(heat, draws, owners, cell_areas) -> np.ndarray:
    """``(D, N)`` mean attribution per Å² of each atom's Voronoi cell for each shifted map."""
    rolled = _rolled(heat, draws)
    ok = owners >= 0
    n = len(cell_areas)
    sums = np.stack([np.bincount(owners[ok], weights=row[ok], minlength=n) for row in rolled])
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / np.asarray(cell_areas, float)


def spearman_rows(values, x) -> np.ndarray:
    """Spearman ρ of each row of ``values`` (D, M) with ``x`` (M,), over the finite entries of ``x``; NaN where
    either side is constant.

    >>> spearman_rows(np.array([[1.0, 2, 3, 4], [4, 3, 2, 1], [1, 1, 1, 1]]), np.array([10.0, 20, 30, np.nan]))
    array([ 1., -1., nan])
    """
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    v = np.asarray(values, float)[:, ok]
    if ok.sum() < 3:
        return np.full(len(v), np.nan)
    rx = rankdata(x[ok])
    rv = rankdata(v, axis=1)
    rx, rv = rx - rx.mean(), rv - rv.mean(axis=1, keepdims=True)
    den = np.sqrt((rx ** 2).sum() * (rv ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (rv @ rx) / den
    out[den == 0] = np.nan
    return out


def partial_rows(values, x, z) -> np.ndarray:
    """Partial Spearman ρ of each row of ``values`` with ``x`` given ``z`` (a control, e.g. the input image read
    as a map): ``(ρ_vx − ρ_vz ρ_xz) / √((1 − ρ_vz²)(1 − ρ_xz²))`` over the entries where ``x`` and ``z`` are
    finite.

    >>> z = np.arange(6.0); x = z + np.array([0, 3, 0, 3, 0, 3.0])   # x = z + a pattern of its own
    >>> np.round(partial_rows(np.array([x, z]), x, z), 3).tolist()   # v = z: nothing is left once z is fixed
    [1.0, nan]
    """
    x, z = np.asarray(x, float), np.asarray(z, float)
    ok = np.isfinite(x) & np.isfinite(z)
    v = np.asarray(values, float)[:, ok]
    rvx, rvz = spearman_rows(v, x[ok]), spearman_rows(v, z[ok])
    rxz = spearman_rows(x[ok][None], z[ok])[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.sqrt(np.clip((1 - rvz ** 2) * (1 - rxz ** 2), 0, None))
        out = (rvx - rvz * rxz) / den
    out[~(den > 1e-12)] = np.nan
    return out


def p_value(observed: float, null) -> float:
    """Two-sided p of ``observed`` against the ``null`` draws (see the module docstring).

    >>> p_value(0.5, [0.1, -0.2, 0.6, 0.0])
    0.4
    """
    null = np.asarray(null, float)
    null = null[np.isfinite(null)]
    return float((1 + np.sum(np.abs(null) >= abs(observed))) / (1 + len(null)))


def summarise(per_sample) -> dict:
    """``per_sample`` (S, D) ρ of each sample for each draw → the observed mean ρ, its null and p-value."""
    a = np.asarray(per_sample, float)
    with np.errstate(invalid="ignore"):
        stat = np.nanmean(a, axis=0) if np.isfinite(a).any() else np.full(a.shape[1], np.nan)
    obs, null = float(stat[0]), stat[1:]
    finite = null[np.isfinite(null)]
    return {"rho": obs if np.isfinite(obs) else None, "n_samples": int(np.isfinite(a[:, 0]).sum()),
            "null_mean": float(finite.mean()) if len(finite) else None,
            "null_95": [float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))] if len(finite)
            else None, "p": p_value(obs, finite) if np.isfinite(obs) and len(finite) else None,
            "n_null": int(len(finite))}


def size_table(rel_sums: dict, counts: dict) -> list:
    """Rows per ring size: the mean relative density (a ring's density over its glass's mean ring density), and
    its null mean and 95 % band, from ``rel_sums[n]`` (D,) summed over the rings of size ``n`` and ``counts[n]``."""
    rows = []
    for n in sorted(rel_sums):
        v = np.asarray(rel_sums[n], float) / max(counts[n], 1)
        null = v[1:]
        rows.append({"size": int(n), "n_rings": int(counts[n]), "relative_density": float(v[0]),
                     "null_mean": float(null.mean()) if len(null) else None,
                     "null_95": [float(np.percentile(null, 2.5)), float(np.percentile(null, 97.5))]
                     if len(null) else None,
                     "p": p_value(v[0] - null.mean(), null - null.mean()) if len(null) else None})
    return rows


def random_median_distances(rng, cells, truths, reps: int = 1000) -> np.ndarray:
    """``(reps,)`` median over samples of the periodic distance from a uniform random point of each cell to its
    true site (``cells`` (S, 2), ``truths`` (S, 2)): the chance level of a site prediction."""
    cells, truths = np.asarray(cells, float), np.asarray(truths, float)
    pts = rng.uniform(0, 1, (reps, len(cells), 2)) * cells
    d = pts - truths
    d -= cells * np.round(d / cells)
    return np.median(np.hypot(d[..., 0], d[..., 1]), axis=1)
