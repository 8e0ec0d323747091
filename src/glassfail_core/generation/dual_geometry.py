"""The ring lattice in the plane: where the ring centres of a :class:`~glassfail_core.generation.dual.DualLattice`
sit, never folding a triangle (no crossing bonds later).

* :func:`smoothed_positions` — spring relaxation of the ring centres that never folds a triangle;
* :func:`natural_cell` — the cell edges at which the lattice is unstrained on average;
* :func:`untangle` — barycentric (Tutte) steps until no triangle is folded;
* :func:`triangle_areas` — signed triangle areas with periodic image shifts.

Each dual edge is a spring whose rest length is the sum of the apothems of the two rings it joins (regular
polygons with side ``si_si``: ``d / (2·tan(π/n))``), so big rings get room and small rings shrink, close to the
geometry the atoms will take. The :class:`~glassfail_core.generation.dual.DualLattice` methods of the same names
call these functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["smoothed_positions", "natural_cell", "untangle", "triangle_areas", "triangle_shifts"]


def _springs(lat, ea, eb):
    """``(deg, rest)``: node degrees and the rest length of every edge ``ea[k]–eb[k]`` (sum of the apothems)."""
    n = lat.n_nodes
    deg = np.bincount(ea, minlength=n) + np.bincount(eb, minlength=n)
    apothem = lat.si_si / (2.0 * np.tan(np.pi / np.maximum(deg, 3)))
    return deg, apothem[ea] + apothem[eb]


def smoothed_positions(lat, iterations: int = 10, omega: float = 0.5, *, beta: float = 0.1,
                       min_area_fraction: float = 0.05) -> np.ndarray:
    """Ring centres after spring relaxation that never folds a triangle (vectorised; ``O(iterations · edges)``);
    the lattice itself is not changed (:meth:`.DualLattice.smooth` sets them, without drift).

    Every dual edge is a spring at its rest length (see the module docstring); a fraction ``beta`` of
    zero-rest-length springs (Tutte's barycentric embedding) is mixed in to keep the lattice under mild tension.
    Each damped Jacobi step moves every node by ``omega`` × its mean spring force, except the nodes of triangles
    the step would make thinner than ``min_area_fraction`` × the mean triangle area (or invert): those stay put for
    that step. Starting from a planar embedding (the lattice always is one), the lattice therefore stays planar.
    """
    ea, eb, sh = lat.edge_arrays()
    Lvec = np.array([lat.Lx, lat.Ly])
    shift = sh * Lvec
    pos = lat.positions()
    n = lat.n_nodes
    deg, ell = _springs(lat, ea, eb)
    tri = lat.triangles()
    tsh1, tsh2 = triangle_shifts(lat, tri)
    thr = min_area_fraction * lat.Lx * lat.Ly / len(tri)
    for _ in range(int(iterations)):
        vec = pos[eb] + shift - pos[ea]  # a → b
        dist = np.hypot(vec[:, 0], vec[:, 1])
        vec = vec * (beta + (1.0 - beta) * (dist - ell) / dist)[:, None]
        acc = np.empty_like(pos)
        for ax in range(2):
            acc[:, ax] = np.bincount(ea, vec[:, ax], minlength=n) - np.bincount(eb, vec[:, ax], minlength=n)
        step = omega * acc / deg[:, None]
        old_area = triangle_areas(pos, tri, tsh1, tsh2, Lvec)
        limit = np.minimum(thr, 0.5 * old_area)
        for _try in range(8):
            new = pos + step
            bad = triangle_areas(new, tri, tsh1, tsh2, Lvec) <= limit
            if not bad.any():
                break
            step[tri[bad].ravel()] = 0.0
        else:
            new = pos
        pos = new
    return pos


def natural_cell(lat, *, max_iterations: int = 5000) -> tuple:
    """Orthorhombic cell edges at which the ring lattice is unstrained on average (its spring energy minimum).

    Bond switching on a torus changes the lattice's *natural* shape: dislocation pairs made by the switches can
    glide apart and annihilate around the periodic boundary, adding or removing part of a ring row or column.
    The result is a homogeneous elastic strain of the lattice in its original cell — measured here for 16 × 18
    rings at s² = 0.6: −7.7 % along x and +5.1 % along y (seed 7), up to −12 % along y (seed 9). This function
    minimises the spring energy of :func:`smoothed_positions` (no Tutte springs) over the fractional positions
    *and* the two cell edges (SciPy L-BFGS-B, ``O(edges)`` per step) and returns ``(Lx, Ly, energy)``; the lattice
    itself is not changed (see :meth:`.DualLattice.rescale`).

    Examples
    --------
    >>> from glassfail_core.generation.dual import DualLattice
    >>> lat = DualLattice(4, 4)
    >>> Lx, Ly, e = natural_cell(lat)
    >>> round(Lx / lat.Lx, 6), round(Ly / lat.Ly, 6)
    (1.0, 1.0)
    """
    from scipy.optimize import minimize

    ea, eb, sh = lat.edge_arrays()
    n = lat.n_nodes
    _, ell = _springs(lat, ea, eb)
    L0 = np.array([lat.Lx, lat.Ly])
    f0 = lat.positions() / L0

    def fun(x):
        f = x[: 2 * n].reshape(n, 2)
        L = L0 * np.exp(x[2 * n:])
        df = f[eb] - f[ea] + sh
        v = df * L
        d = np.hypot(v[:, 0], v[:, 1])
        ext = d - ell
        gv = (ext / d)[:, None] * v
        gdf = gv * L
        gf = np.empty((n, 2))
        for ax in range(2):
            gf[:, ax] = np.bincount(eb, gdf[:, ax], minlength=n) - np.bincount(ea, gdf[:, ax], minlength=n)
        return 0.5 * float((ext * ext).sum()), np.concatenate([gf.ravel(), (gv * v).sum(axis=0)])

    res = minimize(fun, np.concatenate([f0.ravel(), np.zeros(2)]), jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iterations), "gtol": 1e-8})
    L = L0 * np.exp(res.x[2 * n:])
    return float(L[0]), float(L[1]), float(res.fun)


def untangle(lat, max_iterations: int = 20000, min_area_fraction: float = 0.0) -> bool:
    """Barycentric (Tutte) steps until no triangle is folded, setting the lattice's positions; True on success (a
    safety net for lattices built or edited by hand: :func:`smoothed_positions` never folds one)."""
    ea, eb, sh = lat.edge_arrays()
    shift = sh * np.array([lat.Lx, lat.Ly])
    n = lat.n_nodes
    deg = np.bincount(ea, minlength=n) + np.bincount(eb, minlength=n)
    done = 0
    while not lat.is_embedded(min_area_fraction):
        if done >= max_iterations:
            return False
        pos = lat.positions()
        for _ in range(50):
            vec = pos[eb] + shift - pos[ea]
            acc = np.empty_like(pos)
            for ax in range(2):
                acc[:, ax] = np.bincount(ea, vec[:, ax], minlength=n) - np.bincount(eb, vec[:, ax], minlength=n)
            pos = pos + 0.5 * acc / deg[:, None]
        lat.set_positions(pos)
        done += 50
    return True


def triangle_shifts(lat, tri):
    """Integer image shifts ``(T, 2)`` of the second and of the third node of each triangle, seen from the first."""
    off = lat.off
    s1 = np.array([off[a][b] for a, b in zip(tri[:, 0].tolist(), tri[:, 1].tolist())], float).reshape(-1, 2)
    s2 = np.array([off[a][c] for a, c in zip(tri[:, 0].tolist(), tri[:, 2].tolist())], float).reshape(-1, 2)
    return s1, s2


def triangle_areas(pos, tri, s1, s2, L):
    """Signed areas of triangles ``tri`` with image shifts ``s1`` (first → second) and ``s2`` (first → third)."""
    p0 = pos[tri[:, 0]]
    vb = pos[tri[:, 1]] + s1 * L - p0
    vc = pos[tri[:, 2]] + s2 * L - p0
    return 0.5 * (vb[:, 0] * vc[:, 1] - vb[:, 1] * vc[:, 0])
