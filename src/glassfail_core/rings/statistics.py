"""Statistics of a ring set: p(n), ⟨n⟩, μ2, the Aboav–Weaire law (the one fit of α in glassfail) and Lemaître's
law, with :class:`RingStats` and its human :meth:`RingStats.summary`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import InputError
from .ringset import RingSet

__all__ = ["RingStats", "ring_statistics", "AboavWeaire", "aboav_weaire", "aboav_weaire_fit", "lemaitre_mu2",
           "lemaitre_fit"]


def _num(x):
    """``None`` for an undefined (NaN or infinite) float, else ``x`` (JSON-ready)."""
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


@dataclass(frozen=True)
class RingStats:
    """Ring statistics of one network (returned by :func:`ring_statistics`).

    Attributes
    ----------
    counts : dict int → int
        Closed rings per size (in Si).
    mean : float
        ⟨n⟩ (6 for any periodic 3-coordinated network, by Euler's theorem).
    mu2 : float
        ⟨n²⟩ − ⟨n⟩² (the "disorder" of the ring-size distribution).
    alpha : float
        Aboav–Weaire parameter: ``6 − slope`` of a fit of ``n·m(n)`` against ``n``, weighted by the number of
        n-rings, where ``m(n)`` is the mean size of the neighbours of n-rings (only rings whose neighbours are all
        closed rings enter). NaN with fewer than two ring sizes.
    n_rings, open_rings : int
        Closed rings counted; open rings (cut by an edge, a crack or a hole) found but not counted.
    euler : int
        ``V − E + F`` (0 on an intact torus, 2 for one connected piece in the plane).
    p6 : float
        Fraction of 6-rings.
    mu2_lemaitre : float
        μ2 predicted by Lemaître's law from p6 (see :func:`lemaitre_mu2`); NaN without rings.
    m : dict int → float
        ``m(n)`` used by the Aboav–Weaire fit.
    aw_intercept : float
        Intercept of the same fit (Aboav–Weaire law: ``6α + μ2``).
    """

    counts: Mapping[int, int]
    mean: float
    mu2: float
    alpha: float
    n_rings: int
    open_rings: int
    euler: int
    p6: float = math.nan
    mu2_lemaitre: float = math.nan
    m: Mapping[int, float] = field(default_factory=dict)
    aw_intercept: float = math.nan

    @property
    def p(self) -> dict:
        """p(n): fraction of closed rings of each size."""
        return {k: v / self.n_rings for k, v in self.counts.items()} if self.n_rings else {}

    def summary(self) -> str:
        """Two lines for people: rings counted (and open), ⟨n⟩ and μ2, then p(n) of every size present.

        Examples
        --------
        >>> from glassfail_core.generation import honeycomb
        >>> from glassfail_core.rings import find_rings
        >>> print(ring_statistics(find_rings(honeycomb(4, 4))).summary())
        16 rings (+0 open)   <n> = 6.000   μ2 = 0.000
        p(n)  6: 1.000
        """
        n = max(int(self.n_rings), 1)
        parts = [f"{k}: {v / n:.3f}" for k, v in sorted(self.counts.items())]
        return (
            f"{self.n_rings} rings (+{self.open_rings} open)   <n> = {self.mean:.3f}   μ2 = {self.mu2:.3f}\n"
            "p(n)  " + "   ".join(parts)
        )

    def to_dict(self) -> dict:
        """JSON-ready: string keys for sizes, ``None`` for undefined (NaN) numbers."""
        return {
            "counts": {str(k): int(v) for k, v in sorted(self.counts.items())},
            "mean": _num(self.mean),
            "mu2": _num(self.mu2),
            "alpha": _num(self.alpha),
            "n_rings": int(self.n_rings),
            "open_rings": int(self.open_rings),
            "euler": int(self.euler),
            "p6": _num(self.p6),
            "mu2_lemaitre": _num(self.mu2_lemaitre),
            "m": {str(k): _num(v) for k, v in sorted(self.m.items())},
            "aw_intercept": _num(self.aw_intercept),
        }


def ring_statistics(ringset: RingSet) -> RingStats:
    """p(n), ⟨n⟩, μ2, Aboav–Weaire α, Lemaître's law and the Euler check of a :class:`RingSet`.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.rings import find_rings
    >>> st = ring_statistics(find_rings(honeycomb(4, 4)))
    >>> st.counts, st.mean, st.mu2, st.euler
    ({6: 16}, 6.0, 0.0, 0)
    """
    if not isinstance(ringset, RingSet):
        raise InputError(f"ring_statistics needs a RingSet (from find_rings), got {type(ringset).__name__}")
    sizes = ringset.sizes
    n = len(sizes)
    if n == 0:
        return RingStats(counts={}, mean=math.nan, mu2=math.nan, alpha=math.nan, n_rings=0,
                         open_rings=ringset.n_open, euler=ringset.euler)
    vals, cnt = np.unique(sizes, return_counts=True)
    counts = {int(k): int(c) for k, c in zip(vals, cnt)}
    mean = float(sizes.mean())
    mu2 = float((sizes.astype(float) ** 2).mean() - mean ** 2)
    mu2 = max(mu2, 0.0)
    p6 = counts.get(6, 0) / n
    aw = aboav_weaire(sizes, *_interior_neighbor_sizes(ringset))
    return RingStats(counts=counts, mean=mean, mu2=mu2, alpha=aw.alpha, n_rings=n, open_rings=ringset.n_open,
                     euler=ringset.euler, p6=p6, mu2_lemaitre=lemaitre_mu2(p6) if p6 > 0 else math.nan,
                     m=aw.m, aw_intercept=aw.intercept)


def _interior_neighbor_sizes(rs: RingSet):
    """``(neighbour sizes, owner)`` in the flat form of :func:`aboav_weaire`: one entry per (ring, neighbouring
    ring) pair, for the interior rings only (a ring touching a boundary face has an incomplete neighbour list)."""
    if len(rs.neighbors) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    interior = rs.interior if len(rs.interior) == rs.n_rings else np.ones(rs.n_rings, bool)
    a, b = rs.neighbors[:, 0], rs.neighbors[:, 1]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    keep = interior[src]
    return rs.sizes[dst[keep]], src[keep]


@dataclass(frozen=True)
class AboavWeaire:
    """The Aboav–Weaire fit of a ring network (returned by :func:`aboav_weaire`).

    Attributes
    ----------
    alpha : float
        ``6 − slope`` of the fit; NaN with fewer than two ring sizes (or no neighbours).
    intercept : float
        Intercept of the fit (the law gives ``6α + μ2``); NaN like ``alpha``.
    m : dict int → float
        ``m(n)``: mean over the n-rings of the mean size of their neighbours.
    """

    alpha: float
    intercept: float
    m: Mapping[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: string keys for sizes, ``None`` for undefined (NaN) numbers."""
        return {"alpha": _num(self.alpha), "intercept": _num(self.intercept),
                "m": {str(k): _num(v) for k, v in sorted(self.m.items())}}


def aboav_weaire(sizes, neighbor_sizes, owner=None) -> AboavWeaire:
    """Aboav–Weaire fit: the line through ``n·m(n)`` against ``n``, least squares weighted by the number of
    n-rings, where ``m(n)`` is the mean over n-rings of each ring's mean neighbour size; ``α = 6 − slope``
    (the law: ``n·m(n) = (6 − α)·n + 6α + μ2``).

    Parameters
    ----------
    sizes : (N,) ints
        Ring sizes.
    neighbor_sizes : list of N sequences, or (K,) ints with ``owner``
        The sizes of each ring's neighbours. Rings without neighbours are left out of the fit.
    owner : (K,) ints, optional
        Flat form (no Python loop over rings): ``neighbor_sizes[k]`` is the size of a neighbour of ring
        ``owner[k]``.

    Returns
    -------
    AboavWeaire

    Examples
    --------
    >>> fit = aboav_weaire([5, 7, 6, 6], [[7, 6, 6], [5, 6, 6], [5, 7, 6], [5, 7, 6]])
    >>> round(fit.alpha, 4), {n: round(v, 4) for n, v in fit.m.items()}
    (2.0, {5: 6.3333, 6: 6.0, 7: 5.6667})
    """
    sizes = np.asarray(sizes)
    if owner is None:
        counts = [len(x) for x in neighbor_sizes]
        if len(counts) != len(sizes):
            raise InputError(f"neighbor_sizes must hold one sequence per ring: {len(sizes)} rings, "
                             f"{len(counts)} sequences")
        owner = np.repeat(np.arange(len(sizes)), counts)
        flat = np.concatenate([np.asarray(x, float).ravel() for x in neighbor_sizes]) if sum(counts) else None
    else:
        owner = np.asarray(owner, dtype=np.int64).ravel()
        flat = np.asarray(neighbor_sizes).ravel()
        if flat.shape != owner.shape:
            raise InputError(f"neighbor_sizes and owner must have the same length, got {len(flat)} and {len(owner)}")
    if len(owner) == 0:
        return AboavWeaire(math.nan, math.nan, {})
    # Per ring: mean size of its neighbours; then m(n) = mean over n-rings of ring means.
    n_nb = np.bincount(owner, minlength=len(sizes))
    sum_nb = np.bincount(owner, weights=flat, minlength=len(sizes))
    has = n_nb > 0
    ring_m = sum_nb[has] / n_nb[has]
    ring_n = sizes[has]
    sizes_u, inv, cnt = np.unique(ring_n, return_inverse=True, return_counts=True)
    m_n = np.bincount(inv, weights=ring_m) / cnt
    m = {int(k): float(v) for k, v in zip(sizes_u, m_n)}
    if len(sizes_u) < 2:
        return AboavWeaire(math.nan, math.nan, m)
    x = sizes_u.astype(float)
    y = x * m_n
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(cnt))
    return AboavWeaire(float(6.0 - slope), float(intercept), m)


def aboav_weaire_fit(sizes, neighbor_sizes) -> float:
    """Aboav–Weaire α alone: :func:`aboav_weaire` ``(sizes, neighbor_sizes).alpha`` (used to check the incremental
    α of :class:`~glassfail_core.generation.dual.DualLattice`).

    Examples
    --------
    >>> round(aboav_weaire_fit([5, 7, 6, 6], [[7, 6, 6], [5, 6, 6], [5, 7, 6], [5, 7, 6]]), 4)
    2.0
    """
    return aboav_weaire(sizes, neighbor_sizes).alpha


def lemaitre_mu2(p6):
    """μ2 predicted by Lemaître's law from the fraction of 6-rings.

    ``μ2 = 1 / (2π p6²)`` for ``p6 < 0.66`` (disordered networks) and ``μ2 = 1 − p6`` above (near-crystalline
    networks whose defects are 5/7 pairs).

    Examples
    --------
    >>> round(lemaitre_mu2(0.5), 4), round(lemaitre_mu2(0.8), 4)
    (0.6366, 0.2)
    """
    p6 = np.asarray(p6, dtype=float)
    if np.any((p6 <= 0) | (p6 > 1)):
        raise InputError("p6 must be in (0, 1]")
    out = np.where(p6 < 0.66, 1.0 / (2 * np.pi * p6 ** 2), 1.0 - p6)
    return float(out) if out.ndim == 0 else out


def lemaitre_fit(p6, mu2) -> dict:
    """Fit ``μ2 = c / p6²`` (Lemaître's law, ``c = 1/2π``) over samples with ``0.34 ≤ p6 < 0.66``.

    Returns ``{"c": c, "c_lemaitre": 1/2π, "n": samples used, "rms": rms residual of μ2}``; ``c`` is NaN when no
    sample is in range.

    Examples
    --------
    >>> p6 = np.array([0.4, 0.5, 0.6]); fit = lemaitre_fit(p6, 1 / (2 * np.pi * p6 ** 2))
    >>> round(fit["c"], 6) == round(1 / (2 * np.pi), 6), fit["n"]
    (True, 3)
    """
    p6 = np.asarray(p6, dtype=float).ravel()
    mu2 = np.asarray(mu2, dtype=float).ravel()
    if p6.shape != mu2.shape:
        raise InputError(f"p6 and mu2 must have the same length, got {len(p6)} and {len(mu2)}")
    use = (p6 >= 0.34) & (p6 < 0.66) & np.isfinite(mu2)
    out = {"c": math.nan, "c_lemaitre": 1.0 / (2 * np.pi), "n": int(use.sum()), "rms": math.nan}
    if use.any():
        x = 1.0 / p6[use] ** 2
        c = float((x * mu2[use]).sum() / (x * x).sum())
        out["c"] = c
        out["rms"] = float(np.sqrt(np.mean((mu2[use] - c * x) ** 2)))
    return out
