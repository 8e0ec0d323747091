"""Compiled (numba) pair kernels of the NumPy engine: energy, forces and virial over a Verlet pair list.

One pass over the pair list ``(i, j)`` evaluates the shifted-force pair model of
:class:`~glassfail_core.physics.models.PairModel` with the same formulas, in the same order of operations, as
:meth:`NumpyEngine._terms <glassfail_core.physics.numpy_engine.NumpyEngine>` (the reference, kept as the fallback
when numba is missing): per pair the results agree to the last bit or so; sums differ only in the order of
addition (measured on 1,440 atoms: energy 1e-15 relative, forces 1e-15 eV/Å). The kernel also returns the
largest displacement since the list was built (so the engine knows when to rebuild it without another pass) and
the shortest pair distance (collapse check).

numba is imported when a kernel is first asked for, not with the package (``import glassfail_core`` stays light);
:func:`available` says whether it can be. Compiled code is cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["available", "pair_kernel"]

_KERNEL = None
_TRIED = False


def available() -> bool:
    """Whether the compiled kernel can be used here (numba importable and the kernel compiles).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return pair_kernel() is not None


def pair_kernel():
    """The compiled pair kernel, or ``None`` when numba is not installed (compiled once, then reused).

    The kernel's signature is ``kernel(pos, ref, i, j, types, sig12, q, vc, dvc, cell, pbc_x, pbc_y, tilt, rc,
    lam, virial) -> (energy, forces, vir, max_disp2, r_min, k_min)``: ``ref`` are the positions the pair list was
    built at (``max_disp2`` the largest squared displacement from them), ``sig12``, ``q``, ``vc``, ``dvc`` the
    ``(T, T)`` tables of σ¹², q, V(r_c) and V′(r_c), ``vir`` the ``(2, 2)`` virial ``Σ V′(r) r_a r_b / r`` (zeros
    unless ``virial``), ``r_min`` the shortest pair distance (NaN if any distance is NaN) at pair ``k_min``.
    """
    global _KERNEL, _TRIED
    if not _TRIED:
        _TRIED = True
        try:
            _KERNEL = _compile()
        except ImportError:
            _KERNEL = None
    return _KERNEL


def _compile():
    import numba

    @numba.njit(cache=True, nogil=True)
    def kernel(pos, ref, i, j, types, sig12, q, vc, dvc, cell, pbc_x, pbc_y, tilt, rc, lam, virial):
        n = pos.shape[0]
        disp2 = 0.0
        for a in range(n):
            dx = pos[a, 0] - ref[a, 0]
            dy = pos[a, 1] - ref[a, 1]
            d2 = dx * dx + dy * dy
            if d2 > disp2:
                disp2 = d2
        f = np.zeros((n, 2))
        vir = np.zeros((2, 2))
        lx, ly = cell[0], cell[1]
        inv_lx, inv_ly = 1.0 / lx, 1.0 / ly
        inv_lam = 1.0 / lam
        rc2 = rc * rc
        energy = 0.0
        r2_min = np.inf
        k_min = -1
        for k in range(i.shape[0]):
            a, b = i[k], j[k]
            vx = pos[b, 0] - pos[a, 0]
            vy = pos[b, 1] - pos[a, 1]
            if pbc_y:  # y first: crossing the y boundary shifts x by the tilt
                m = np.round(vy * inv_ly)
                vy -= ly * m
                if tilt != 0.0:
                    vx -= tilt * m
            if pbc_x:
                vx -= lx * np.round(vx * inv_lx)
            r2 = vx * vx + vy * vy
            if not r2 >= r2_min:  # also catches NaN
                if not (r2_min != r2_min):  # keep the first NaN
                    r2_min = r2
                    k_min = k
            if not r2 < rc2:
                continue
            ta, tb = types[a], types[b]
            r = np.sqrt(r2)
            inv = 1.0 / r
            inv2 = inv * inv
            inv6 = inv2 * inv2 * inv2
            rep = sig12[ta, tb] * inv6 * inv6
            scr = q[ta, tb] * np.exp(-r * inv_lam) * inv
            energy += rep + scr - vc[ta, tb] - dvc[ta, tb] * (r - rc)
            w = (-12.0 * rep * inv - scr * (inv + inv_lam) - dvc[ta, tb]) * inv
            fx = w * vx
            fy = w * vy
            f[a, 0] += fx
            f[a, 1] += fy
            f[b, 0] -= fx
            f[b, 1] -= fy
            if virial:
                vir[0, 0] += fx * vx
                vir[0, 1] += fx * vy
                vir[1, 1] += fy * vy
        vir[1, 0] = vir[0, 1]
        return energy, f, vir, disp2, np.sqrt(r2_min), k_min

    return kernel
