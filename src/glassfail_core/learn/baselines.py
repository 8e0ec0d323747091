"""Baselines the network must beat, on the same split and in the same report.

Scalars (fitted on the training split, predicted on the evaluated one):

``mean``       the mean of the training labels;
``linear_s2``  a straight line in the ring-size variance s² alone (the bar the issue sets: s² alone correlates with
               ε_max and σ_max);
``ridge``      ridge regression (cross-validated penalty, standardised features) on the descriptors below;
``gbr``        gradient-boosted trees on the same descriptors.

Descriptors of a glass (:func:`descriptors`): p(n) for n = 4…10, μ2 (s²), α, counts of 4-, 5- and 8-rings, per-atom
energy statistics (mean, standard deviation and maximum over Si, and over O) and the largest Si–O bond strain
``max |d − 1.65 Å| / 1.65 Å``.

Sites (:func:`site_baselines`): a uniformly random point of the cell (seeded by the sample), the atom with the
highest potential energy, the centroid of the smallest ring (ties: the smallest area), and a linear-response
indicator (:func:`linear_response_site`): the midpoint of the Si–O bond that stretches most, relative to its length,
when the glass is strained affinely by 0.5 % along x and relaxed at fixed cell (one relaxation per sample).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["descriptors", "ring_descriptors", "FEATURES", "fit_scalar_baselines", "site_baselines", "SITE_BASELINES",
           "linear_response_site"]

FEATURES = tuple([f"p{n}" for n in range(4, 11)] + ["mu2", "alpha", "n4", "n5", "n8", "e_si_mean", "e_si_std",
                                                     "e_si_max", "e_o_mean", "e_o_std", "e_o_max", "max_bond_strain"])
SITE_BASELINES = ("random", "highest_energy_atom", "smallest_ring", "linear_response")
#: Affine strain along x of the linear-response indicator.
LINEAR_RESPONSE_STRAIN = 0.005
SIO_BOND = 1.65


def _rings(glass):
    from ..rings import find_rings, ring_statistics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rs = find_rings(glass)
        except Exception:  # noqa: BLE001 - a network the ring analysis refuses has no ring descriptors
            return None, None
    return rs, ring_statistics(rs)


def ring_descriptors(glass) -> dict:
    """p(n) for n = 4…10, μ2, α and the counts of 4-, 5- and 8-rings (NaN when the rings cannot be analysed)."""
    out = dict.fromkeys(FEATURES[:12], np.nan)
    rs, st = _rings(glass)
    if st is not None and st.n_rings:
        for n in range(4, 11):
            out[f"p{n}"] = st.counts.get(n, 0) / st.n_rings
        out.update(mu2=st.mu2, alpha=st.alpha, n4=st.counts.get(4, 0), n5=st.counts.get(5, 0),
                   n8=st.counts.get(8, 0))
    return out


def descriptors(glass) -> dict:
    """The descriptor vector of one glass, as ``{name: value}`` (NaN where undefined)."""
    from ..physics.reference import per_atom_energy

    out = dict.fromkeys(FEATURES, np.nan)
    out.update(ring_descriptors(glass))
    e = per_atom_energy(glass)
    for sp, mask in (("si", glass.si_mask), ("o", glass.o_mask)):
        if mask.any():
            out.update({f"e_{sp}_mean": e[mask].mean(), f"e_{sp}_std": e[mask].std(), f"e_{sp}_max": e[mask].max()})
    if len(glass.bonds):
        d = np.linalg.norm(glass.bond_vectors(), axis=1)
        out["max_bond_strain"] = float(np.abs(d - SIO_BOND).max() / SIO_BOND)
    return {k: float(v) for k, v in out.items()}


def _matrix(descs) -> np.ndarray:
    x = np.array([[d[k] for k in FEATURES] for d in descs], dtype=float)
    col_mean = np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0) if len(x) else np.zeros(len(FEATURES))
    col_mean = np.where(np.isfinite(col_mean), col_mean, 0.0)
    return np.where(np.isfinite(x), x, col_mean)


def fit_scalar_baselines(train_desc, train_y, eval_desc, *, seed: int = 0) -> dict:
    """Predictions of every scalar baseline on ``eval_desc``: ``{name: (n_eval,) array}``.

    ``train_y`` may hold NaN (missing labels), left out of the fits.
    """
    y = np.asarray(train_y, float)
    ok = np.isfinite(y)
    xt, xe = _matrix(train_desc), _matrix(eval_desc)
    n_eval = len(xe)
    out = {"mean": np.full(n_eval, float(y[ok].mean()) if ok.any() else np.nan)}
    if ok.sum() < 3:
        return out
    xt, y = xt[ok], y[ok]
    s2 = FEATURES.index("mu2")
    slope, icpt = np.polyfit(xt[:, s2], y, 1) if np.ptp(xt[:, s2]) > 0 else (0.0, float(y.mean()))
    out["linear_s2"] = slope * xe[:, s2] + icpt
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    out["ridge"] = ridge.fit(xt, y).predict(xe)
    gbr = GradientBoostingRegressor(n_estimators=200, max_depth=2, learning_rate=0.05, subsample=0.8,
                                    random_state=seed)
    out["gbr"] = gbr.fit(xt, y).predict(xe)
    return out


def site_baselines(glass, *, seed: int = 0) -> dict:
    """``{name: (x, y)}`` predicted sites of one glass (see the module docstring)."""
    from ..physics.reference import per_atom_energy

    rng = np.random.default_rng([seed, len(glass)])
    lo = np.zeros(2) if all(glass.pbc) else glass.positions.min(axis=0)
    hi = np.asarray(glass.cell, float) if all(glass.pbc) else glass.positions.max(axis=0)
    out = {"random": tuple(float(v) for v in lo + rng.uniform(0, 1, 2) * (hi - lo))}
    e = per_atom_energy(glass)
    out["highest_energy_atom"] = tuple(float(v) for v in glass.positions[int(np.argmax(e))])
    rs, _ = _rings(glass)
    if rs is not None and rs.n_rings:
        order = np.lexsort((rs.areas, rs.sizes))
        out["smallest_ring"] = tuple(float(v) for v in rs.centroids[order[0]])
    else:
        out["smallest_ring"] = (np.nan, np.nan)
    out["linear_response"] = linear_response_site(glass)
    return out


def linear_response_site(glass, *, strain: float = LINEAR_RESPONSE_STRAIN, fmax: float = 1e-4) -> tuple:
    """Midpoint ``(x, y)`` of the Si–O bond whose length grows most (relative) when ``glass`` is stretched
    affinely by ``strain`` along x and its positions relaxed at that cell (NaN when the glass has no bond or is
    not periodic along x, where an affine stretch has no cell to hold it)."""
    from ..physics.relax import affine_response

    bonds = glass.bonds
    if not len(bonds) or not glass.pbc[0]:
        return (np.nan, np.nan)
    d0 = np.linalg.norm(glass.bond_vectors(bonds), axis=1)
    relaxed = affine_response(glass, strain, fmax=fmax)[1]
    d1 = np.linalg.norm(relaxed.bond_vectors(bonds), axis=1)
    k = int(np.argmax((d1 - d0) / d0))
    mid = glass.positions[bonds[k, 0]] + 0.5 * glass.bond_vectors(bonds[k:k + 1])[0]
    return tuple(float(v) for v in mid)
