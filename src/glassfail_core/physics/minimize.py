"""A small L-BFGS minimiser with a per-atom force criterion (``max_i |F_i| ≤ fmax``), robust at double precision.

OpenMM's ``LocalEnergyMinimizer`` stops on the RMS force and, on single-precision platforms, stalls at the
platform's noise floor; SciPy's L-BFGS-B stops on the largest gradient *component*. glassfail's criterion is the
largest per-atom force norm, the usual one in atomistic work, so the minimiser is written here: two-loop L-BFGS,
a step capped at ``max_step`` Å per atom, and a backtracking line search that, once energy differences reach
round-off (|ΔE| ≲ 1e-13 |E|), accepts steps on the directional derivative instead of the energy.

Optionally preconditioned: the initial inverse Hessian of the two-loop recursion is ``γ P⁻¹`` with ``P`` the Exp
preconditioner of Packwood et al. (J. Chem. Phys. 144, 164109, 2016), a bond-weighted graph Laplacian
(:func:`exp_preconditioner`), and ``γ = s·y / y·P⁻¹y`` from the latest correction pair. Measured on AQS tension of
a 1,440-atom glass (187 minimisations replayed from the same inputs, ``fmax = 1e-5``): 12,600 force evaluations
instead of 44,400; the line search accepts the full step ~97 % of the time either way, so the gain is in the
iterations. More memory (30 or 60 pairs instead of 12) saved only 6–10 %.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..errors import SimulationError

__all__ = ["lbfgs", "MinimizeResult", "exp_preconditioner"]


@dataclass(frozen=True)
class MinimizeResult:
    x: np.ndarray  # (N, 2) positions
    energy: float
    forces: np.ndarray  # (N, 2)
    fmax: float
    iterations: int
    evaluations: int
    converged: bool
    message: str = ""

    def to_dict(self) -> dict:
        """Plain JSON values (positions and forces as nested lists)."""
        return {"x": np.asarray(self.x).tolist(), "energy": float(self.energy),
                "forces": np.asarray(self.forces).tolist(), "fmax": float(self.fmax),
                "iterations": int(self.iterations), "evaluations": int(self.evaluations),
                "converged": bool(self.converged), "message": self.message}


def _fnorm(f):
    return float(np.sqrt(np.einsum("ij,ij->i", f, f)).max()) if len(f) else 0.0


def lbfgs(fun, x0, *, fmax=1e-6, max_iterations=20000, memory=12, max_step=0.2, should_stop=None, precond=None,
          precond_rebuild=0.5):
    """Minimise ``fun`` from ``x0`` until the largest per-atom force is at most ``fmax``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (energy, forces)`` with ``x`` and ``forces`` of shape ``(N, 2)``.
    x0 : (N, 2) array
    fmax : float
        Convergence: ``max_i |F_i| ≤ fmax``.
    max_iterations : int
    memory : int
        Number of L-BFGS correction pairs.
    max_step : float
        Largest displacement of any atom in one step (Å).
    precond : callable, optional
        ``precond(x) -> P`` with ``P.solve(v) = P⁻¹v`` on flat vectors (e.g. :func:`exp_preconditioner`); built
        at the start and again whenever an atom has moved more than ``precond_rebuild`` Å since.
    precond_rebuild : float
        Displacement (Å) after which the preconditioner is rebuilt.

    Returns
    -------
    MinimizeResult

    Examples
    --------
    >>> def harmonic(x):
    ...     return 0.5 * float((x ** 2).sum()), -x
    >>> r = lbfgs(harmonic, np.ones((3, 2)), fmax=1e-8)
    >>> r.converged, r.fmax < 1e-8
    (True, True)
    """
    x = np.array(x0, dtype=float)
    shape = x.shape
    P, P_at = None, None
    e, f = fun(x)
    nev = 1
    _check(e, f, 0)
    g = -f.ravel()
    S, Y, R = deque(maxlen=memory), deque(maxlen=memory), deque(maxlen=memory)
    it = 0
    message = "max iterations reached"
    converged = False
    stalls = 0
    while True:
        fm = _fnorm(f)
        if fm <= fmax:
            converged, message = True, "converged"
            break
        if it >= max_iterations:
            break
        if should_stop is not None and should_stop():
            message = "stopped"
            break
        it += 1
        if precond is not None and (P is None or _maxdisp(x, P_at) > precond_rebuild):
            P, P_at = precond(x), x.copy()
        # two-loop recursion
        q = g.copy()
        alphas = []
        for s, y, rho in zip(reversed(S), reversed(Y), reversed(R)):
            a = rho * s.dot(q)
            alphas.append(a)
            q -= a * y
        if P is not None:
            r = P.solve(q)
            if S:  # H0 = γ P⁻¹ with γ = s·y / y·P⁻¹y (fewer evaluations than s·Ps / s·y, measured)
                d = (S[-1].dot(Y[-1]) / Y[-1].dot(P.solve(Y[-1]))) * r
            else:
                rm = np.sqrt((r.reshape(shape) ** 2).sum(axis=1)).max()
                d = (min(0.01 * fm, max_step) / max(rm, 1e-300)) * r
        else:
            if S:
                gamma = S[-1].dot(Y[-1]) / Y[-1].dot(Y[-1])
            else:
                gamma = min(0.01, max_step / max(fm, 1e-300))
            d = gamma * q
        for (s, y, rho), a in zip(zip(S, Y, R), reversed(alphas)):
            b = rho * y.dot(d)
            d += s * (a - b)
        d = -d
        gd = g.dot(d)
        if not gd < 0:
            S.clear(), Y.clear(), R.clear()
            d = -min(0.01, max_step / fm) * g
            gd = g.dot(d)
        step = np.sqrt((d.reshape(shape) ** 2).sum(axis=1)).max()
        if step > max_step:
            d *= max_step / step
            gd = g.dot(d)
        alpha = 1.0
        noise = 1e-13 * max(1.0, abs(e))
        accepted = False
        for _ in range(30):
            xn = x + alpha * d.reshape(shape)
            en, fn = fun(xn)
            nev += 1
            _check(en, fn, it)
            gn = -fn.ravel()
            if en <= e + 1e-4 * alpha * gd:
                accepted = True
            elif abs(en - e) <= noise and abs(gn.dot(d)) <= abs(gd):
                accepted = True  # energy at round-off: accept on the directional derivative
            if accepted:
                break
            # quadratic interpolation of E along d, kept within [0.1, 0.5] of the current step
            denom = 2.0 * (en - e - gd * alpha)
            new = -gd * alpha * alpha / denom if denom > 0 else 0.5 * alpha
            alpha = min(0.5 * alpha, max(0.1 * alpha, new))
        if not accepted:
            if not S:
                message = "line search failed at the precision floor"
                break
            S.clear(), Y.clear(), R.clear()
            stalls += 1
            if stalls > 5:
                message = "line search failed repeatedly"
                break
            continue
        s = xn.ravel() - x.ravel()
        y = gn - g
        sy = s.dot(y)
        if sy > 1e-30:
            S.append(s), Y.append(y), R.append(1.0 / sy)
        x, e, f, g = xn, en, fn, gn
    return MinimizeResult(x, float(e), f, _fnorm(f), it, nev, converged, message)


def exp_preconditioner(n, i, j, r, *, r_nn, A=3.0, c_stab=0.1, diagonal=None):
    """The "Exp" preconditioner of Packwood et al. (J. Chem. Phys. 144, 164109, 2016) as a solver ``v -> P⁻¹v``.

    ``P`` is the graph Laplacian of the pairs ``(i, j)`` at distances ``r`` weighted by ``exp(−A (r / r_nn − 1))``,
    plus ``c_stab`` on the diagonal (and ``diagonal``, per atom, e.g. the links to held atoms), the same for x
    and y. Its scale does not matter to :func:`lbfgs` (which rescales ``P⁻¹`` by the measured curvature).

    Examples
    --------
    >>> P = exp_preconditioner(2, np.array([0]), np.array([1]), np.array([1.0]), r_nn=1.0)
    >>> np.round(P.solve(np.array([1.0, 0.0, -1.0, 0.0])), 4)   # P = [[1.1, -1], [-1, 1.1]] on x and on y
    array([ 0.4762,  0.    , -0.4762,  0.    ])
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import splu

    w = np.exp(-A * (np.asarray(r, float) / r_nn - 1.0))
    diag = np.full(n, float(c_stab)) + np.bincount(i, w, n) + np.bincount(j, w, n)
    if diagonal is not None:
        diag += diagonal
    k = np.arange(n)
    P = coo_matrix((np.concatenate([diag, -w, -w]), (np.concatenate([k, i, j]), np.concatenate([k, j, i]))),
                   shape=(n, n)).tocsc()
    return _Precond(P, splu(P), n)


class _Precond:
    """``P`` (sparse ``(n, n)``, the same on every coordinate) and its LU factors: ``solve(v) = P⁻¹v``,
    ``dot(v) = Pv`` for a flat ``v`` of ``n × k`` values."""

    def __init__(self, P, lu, n):
        self.P, self.lu, self.n = P, lu, n

    def solve(self, v):
        return self.lu.solve(np.ascontiguousarray(v).reshape(self.n, -1)).ravel()

    def dot(self, v):
        return (self.P @ np.asarray(v).reshape(self.n, -1)).ravel()

    __call__ = solve


def _maxdisp(x, ref):
    dx = x - ref
    return float(np.sqrt(np.einsum("ij,ij->i", dx, dx)).max()) if len(dx) else 0.0


def _check(e, f, it):
    if not np.isfinite(e) or not np.isfinite(f).all():
        bad = np.flatnonzero(~np.isfinite(f).all(axis=1)) if f.ndim == 2 else []
        where = f" (atom {int(bad[0])} first)" if len(bad) else ""
        raise SimulationError(
            f"NaN/inf energy or forces at minimisation iteration {it}{where}: the minimisation diverged "
            "(overlapping atoms or an unphysical configuration)"
        )
