"""Target ring-size statistics for the bond-switching generator, and the checks that they can be reached.

A periodic network of 3-coordinated Si has a mean ring size of exactly 6 (Euler's theorem on the torus), so the
target distribution over the allowed ring sizes ``min_ring … max_ring`` must have mean 6 and the requested variance
``s²``. We start from the discretised gamma distribution of the reference study (mean 6, variance ``s²``, binned on
``[n − ½, n + ½)``) and tilt it, ``p(n) ∝ g(n)·exp(λ₁(n − 6) + λ₂(n − 6)²)``, so that its mean is exactly 6 and its
variance exactly ``s²`` (the distribution closest to the binned gamma, in relative entropy, with those two
moments). The tilt exists exactly when ``0 < s² < (6 − min_ring)·(max_ring − 6)``: the variance of a distribution
on ``[min_ring, max_ring]`` with mean 6 is largest when all its weight sits on the two ends.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

__all__ = ["MIN_RING", "target_distribution", "max_variance", "check_targets", "achievable_variances"]

#: Smallest ring allowed (a 4-ring: two edge-sharing SiO4 tetrahedra; 3-rings are not seen in 2D silica).
MIN_RING = 4
#: Largest allowed upper bound on ring sizes (the reference study allowed 4 … 19).
MAX_RING_LIMIT = 19


def max_variance(max_ring: int, min_ring: int = MIN_RING) -> float:
    """Supremum of the ring-size variance with mean 6 and sizes in ``[min_ring, max_ring]`` (not attained).

    Examples
    --------
    >>> max_variance(10)
    8.0
    """
    return float((6 - min_ring) * (max_ring - 6))


def achievable_variances(n_rings: int, upto: float) -> np.ndarray:
    """The ring-size variances a periodic network of ``n_rings`` rings can have, up to ``upto``.

    With ``q = n − 6`` summing to zero, ``Σ q²`` is even, and a single bond switch in the crystal already gives
    ``Σ q² = 4``; so the variances are ``0, 4/N, 6/N, 8/N, …``.

    Examples
    --------
    >>> achievable_variances(100, 0.1).tolist()
    [0.0, 0.04, 0.06, 0.08, 0.1]
    """
    k = np.arange(4, int(math.floor(upto * n_rings)) + 1, 2)
    return np.concatenate([[0.0], k / n_rings])


def check_targets(variance, alpha, max_ring, n_rings=None, *, tolerance=0.05) -> None:
    """Raise :class:`InputError` (naming the parameter) when the targets cannot be reached.

    Parameters
    ----------
    variance : float
        Target ring-size variance ``s²`` (≥ 0).
    alpha : float
        Target Aboav–Weaire parameter (finite).
    max_ring : int
        Largest ring allowed, ``7 … 19``.
    n_rings : int, optional
        Number of rings of the network; when given, ``variance`` must lie within ``tolerance`` of a variance such a
        network can have.
    tolerance : float
        Allowed distance between target and achieved variance.
    """
    if isinstance(max_ring, bool) or int(max_ring) != max_ring or not 7 <= max_ring <= MAX_RING_LIMIT:
        raise InputError(f"max_ring must be an integer from 7 to {MAX_RING_LIMIT}, got {max_ring!r}")
    try:
        variance = float(variance)
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise InputError(f"variance and alpha must be numbers, got {variance!r} and {alpha!r}") from None
    if not math.isfinite(variance) or variance < 0:
        raise InputError(f"variance must be a finite number ≥ 0, got {variance!r}")
    if not math.isfinite(alpha):
        raise InputError(f"alpha must be a finite number, got {alpha!r}")
    top = max_variance(int(max_ring))
    if variance >= top:
        raise InputError(
            f"variance {variance:g} is unreachable with ring sizes {MIN_RING}..{int(max_ring)}: with mean ring size 6 "
            f"the variance stays below {top:g}; raise max_ring or lower the variance"
        )
    if n_rings is not None and variance > 0:
        ok = achievable_variances(int(n_rings), variance + tolerance + 1e-12)
        if np.min(np.abs(ok - variance)) > tolerance:
            raise InputError(
                f"variance {variance:g} cannot be matched within {tolerance:g} by a network of {n_rings} rings "
                f"(the smallest non-zero variance is {4 / n_rings:.4g}); use more rings or variance 0"
            )


def _binned_gamma(sizes: np.ndarray, variance: float) -> np.ndarray:
    from scipy.stats import gamma

    shape = 36.0 / variance
    scale = variance / 6.0
    w = gamma.cdf(sizes + 0.5, shape, scale=scale) - gamma.cdf(sizes - 0.5, shape, scale=scale)
    # Far tails underflow to zero: give every allowed size a tiny weight so the tilt can still reach it.
    return np.maximum(w, 1e-300)


def target_distribution(variance: float, max_ring: int = 10, *, min_ring: int = MIN_RING) -> tuple[np.ndarray, np.ndarray]:
    """Target ring-size distribution with mean exactly 6 and variance exactly ``variance``.

    Parameters
    ----------
    variance : float
        ``s²`` with ``0 ≤ s² < (6 − min_ring)(max_ring − 6)``; 0 gives the crystal (all 6).
    max_ring, min_ring : int
        Allowed ring sizes.

    Returns
    -------
    sizes : (K,) int array
        ``min_ring … max_ring``.
    p : (K,) float array
        Probabilities summing to 1.

    Examples
    --------
    >>> n, p = target_distribution(1.0, 10)
    >>> round(float((n * p).sum()), 12), round(float(((n - 6) ** 2 * p).sum()), 12)
    (6.0, 1.0)
    """
    check_targets(variance, 0.0, max_ring)
    sizes = np.arange(min_ring, int(max_ring) + 1)
    if variance == 0:
        return sizes, (sizes == 6).astype(float)
    logw = np.log(_binned_gamma(sizes.astype(float), float(variance)))
    f = np.stack([sizes - 6.0, (sizes - 6.0) ** 2], axis=1)
    target = np.array([0.0, float(variance)])
    lam = np.zeros(2)

    def dual(lam):
        z = logw + f @ lam
        zmax = z.max()
        p = np.exp(z - zmax)
        s = p.sum()
        p /= s
        return zmax + math.log(s) - lam @ target, p

    val, p = dual(lam)
    for _ in range(200):
        mean = p @ f
        grad = mean - target
        if np.abs(grad).max() < 1e-13:
            break
        cov = (f - mean).T @ ((f - mean) * p[:, None]) + 1e-15 * np.eye(2)
        step = np.linalg.solve(cov, grad)
        t = 1.0
        while t > 1e-12:  # backtracking on the convex dual ...
            new_val, new_p = dual(lam - t * step)
            if new_val <= val - 1e-4 * t * (grad @ step):
                break
            # ... whose value stops changing in floating point near the optimum (|Δ| below round-off of the
            # value): there the moments themselves must get closer to the target.
            if np.abs(new_p @ f - target).max() < 0.5 * np.abs(grad).max():
                break
            t *= 0.5
        lam = lam - t * step
        val, p = new_val, new_p
    mean = p @ f
    if np.abs(mean - target).max() > 1e-9:  # pragma: no cover - guarded by check_targets
        raise InputError(f"no ring-size distribution on {min_ring}..{max_ring} has mean 6 and variance {variance:g}")
    return sizes, p
