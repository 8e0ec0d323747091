"""The dual lattice of a 2D silica network: nodes = rings, edges = rings sharing a side, faces = Si atoms.

A fully 3-coordinated periodic Si network is dual to a triangulation of the torus: every ring is a node whose degree
is the ring size, every Si sits in a triangle of three rings, every O on a dual edge (between the two Si of the
triangles sharing that edge). :class:`DualLattice` stores such a triangulation as a *rotation system* (each node's
neighbours in counter-clockwise order) with the periodic image shift of every edge, so that geometry never relies
on the minimum-image convention, and keeps incremental ring statistics:

* ``counts[n]`` — number of rings of size ``n``;
* ``Q2 = Σ_i q_i²`` with ``q_i = n_i − 6`` — the variance is ``s² = Q2 / N`` (the mean is exactly 6);
* ``C = Σ_edges q_i q_j`` — the Aboav–Weaire parameter is ``α = −2C / Q2``.

The last identity: the Aboav–Weaire law ``n·m(n) = (6 − α)·n + 6α + μ₂`` (``m(n)`` = mean size of the neighbours of
``n``-rings), fitted by least squares weighted by the number of rings of each size
(:func:`~glassfail_core.rings.aboav_weaire`, the one fit, which the tests use to check ``C``), has slope
``6 − α = 6 + 2C/Q2`` (the weighted fit passes through ``(6, 36 + μ₂)``, as the law does for every α). So α needs
only the scalar ``C``, updated in O(ring size) per switch — this is what makes the generator linear in size.

The bond switch (Stone–Wales / WWW move) on edge ``(a, b)`` with common neighbours ``c`` (the next neighbour of
``a`` after ``b``) and ``d`` (the previous): remove ``(a, b)``, add ``(c, d)``; rings ``a, b`` shrink by one, rings
``c, d`` grow by one.

Where the ring centres sit in the plane (spring smoothing, the natural cell, untangling) is
:mod:`~glassfail_core.generation.dual_geometry`.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..rings import aboav_weaire_fit  # noqa: F401 - re-exported: its home was here
from . import dual_geometry

__all__ = ["DualLattice", "aboav_weaire_fit"]

_SQRT3 = math.sqrt(3.0)


class DualLattice:
    """A periodic triangulation (the ring lattice) with positions, image shifts and incremental statistics.

    Parameters
    ----------
    nx, ny : int
        Rings along x and y of the starting triangular lattice (``ny`` even, both ≥ 4).
    si_si : float
        Si–Si distance of the crystal (Å); ring centres are ``√3·si_si`` apart, the cell is that of
        :func:`~glassfail_core.generation.honeycomb`.

    Examples
    --------
    >>> lat = DualLattice(4, 4)
    >>> lat.n_nodes, lat.n_edges, lat.degrees().tolist() == [6] * 16
    (16, 48, True)
    >>> lat.flip(0)
    True
    >>> sorted(lat.degrees().tolist())[:2], lat.variance
    ([5, 5], 0.25)
    """

    def __init__(self, nx: int, ny: int, si_si: float = 3.05):
        if isinstance(nx, bool) or isinstance(ny, bool) or int(nx) != nx or int(ny) != ny or nx < 4 or ny < 4:
            raise InputError(f"rings must be at least 4 × 4, got {nx} × {ny}")
        if ny % 2:
            raise InputError(f"the number of ring rows (ny) must be even for a periodic lattice, got {ny}")
        nx, ny = int(nx), int(ny)
        self.nx, self.ny = nx, ny
        self.si_si = float(si_si)
        a = _SQRT3 * self.si_si
        self.Lx, self.Ly = nx * a, ny * 1.5 * self.si_si
        n = nx * ny
        self.n_nodes = n
        idx = lambda i, j: (i % nx) + nx * (j % ny)  # noqa: E731
        px, py = [0.0] * n, [0.0] * n
        for j in range(ny):
            for i in range(nx):
                px[idx(i, j)] = (i + 0.5 * (j % 2)) * a
                py[idx(i, j)] = j * 1.5 * self.si_si
        self.px, self.py = px, py
        self._mean0 = np.array([np.mean(px), np.mean(py)])
        nbr = [None] * n
        off = [None] * n
        for j in range(ny):
            odd = j % 2
            for i in range(nx):
                k = idx(i, j)
                # counter-clockwise from east: E, NE, NW, W, SW, SE
                cand = [(i + 1, j), (i + odd, j + 1), (i - 1 + odd, j + 1), (i - 1, j), (i - 1 + odd, j - 1),
                        (i + odd, j - 1)]
                lst, sh = [], {}
                for (ii, jj) in cand:
                    m = idx(ii, jj)
                    sx = (ii - (ii % nx)) // nx
                    sy = (jj - (jj % ny)) // ny
                    lst.append(m)
                    sh[m] = (sx, sy)
                nbr[k], off[k] = lst, sh
        self.nbr, self.off = nbr, off
        ea, eb, esx, esy = [], [], [], []
        for a_ in range(n):
            for b_ in nbr[a_]:
                if a_ < b_:
                    ea.append(a_)
                    eb.append(b_)
                    sx, sy = off[a_][b_]
                    esx.append(sx)
                    esy.append(sy)
        self.ea, self.eb, self.esx, self.esy = ea, eb, esx, esy
        self._build_triangles()
        self.max_ring = None  # set by reset_statistics
        self.reset_statistics(max_ring=19)

    # ------------------------------------------------------------------ statistics
    @property
    def n_edges(self) -> int:
        return len(self.ea)

    def degrees(self) -> np.ndarray:
        """Ring size (node degree) of every ring."""
        return np.fromiter((len(x) for x in self.nbr), dtype=np.int64, count=self.n_nodes)

    def reset_statistics(self, max_ring: int) -> None:
        """Recompute ``counts``, ``Q2``, ``C`` and the per-node neighbour sums from scratch."""
        self.max_ring = int(max_ring)
        deg = self.degrees()
        if deg.max() > self.max_ring:
            raise InputError(f"the lattice already has rings of size {deg.max()} > max_ring {max_ring}")
        q = deg - 6
        self.counts = np.bincount(deg, minlength=self.max_ring + 1).astype(np.int64).tolist()
        self.nsum = [int(sum(q[w] for w in self.nbr[v])) for v in range(self.n_nodes)]
        self.Q2 = int((q * q).sum())
        ea, eb = np.asarray(self.ea), np.asarray(self.eb)
        self.C = int((q[ea] * q[eb]).sum())

    @property
    def variance(self) -> float:
        """Ring-size variance ``s² = Σ (n − 6)² / N``."""
        return self.Q2 / self.n_nodes

    @property
    def alpha(self) -> float:
        """Aboav–Weaire parameter ``−2C / Q2`` (NaN for the crystal)."""
        return -2.0 * self.C / self.Q2 if self.Q2 else float("nan")

    def distribution(self) -> dict:
        """``{ring size: count}`` of the sizes present."""
        return {n: c for n, c in enumerate(self.counts) if c}

    # ------------------------------------------------------------------ moves
    def flip_candidate(self, e: int):
        """``(a, b, c, d)`` for a switch of edge ``e``, or None when it would break the triangulation."""
        a, b = self.ea[e], self.eb[e]
        na = self.nbr[a]
        k = na.index(b)
        c, d = na[(k + 1) % len(na)], na[k - 1]
        if c == d or d in self.off[c]:
            return None
        return a, b, c, d

    def flip(self, e: int, *, min_ring: int = 4, check_geometry: bool = True) -> bool:
        """Switch edge ``e`` if the triangulation, the ring-size bounds and (optionally) the geometry allow it.

        Returns whether the switch was made. Statistics are updated incrementally.
        """
        cand = self.flip_candidate(e)
        if cand is None:
            return False
        a, b, c, d = cand
        deg = lambda v: len(self.nbr[v])  # noqa: E731
        if deg(a) <= min_ring or deg(b) <= min_ring or deg(c) >= self.max_ring or deg(d) >= self.max_ring:
            return False
        if check_geometry and not self._convex(a, b, c, d):
            return False
        self._apply(e, a, b, c, d)
        return True

    def _vec(self, a, b):
        sx, sy = self.off[a][b]
        return self.px[b] + sx * self.Lx - self.px[a], self.py[b] + sy * self.Ly - self.py[a]

    def _convex(self, a, b, c, d, eps=0.05) -> bool:
        bx, by = self._vec(a, b)
        cx, cy = self._vec(a, c)
        dx, dy = self._vec(a, d)
        return _crosses(bx, by, cx, cy, dx, dy, eps)

    def _apply(self, e, a, b, c, d):
        """Make the switch (a, b) → (c, d) in the rotation system, the shifts and the statistics."""
        nbr, off, nsum = self.nbr, self.off, self.nsum
        qa, qb, qc, qd = len(nbr[a]) - 6, len(nbr[b]) - 6, len(nbr[c]) - 6, len(nbr[d]) - 6
        dC = _delta_c(nsum, a, b, c, d, qa, qb, qc, qd)
        sca, sad = off[c][a], off[a][d]
        scd = (sca[0] + sad[0], sca[1] + sad[1])
        del off[a][b], off[b][a]
        off[c][d] = scd
        off[d][c] = (-scd[0], -scd[1])
        nbr[a].remove(b)
        nbr[b].remove(a)
        nc = nbr[c]
        nc.insert(nc.index(a) + 1, d)
        nd = nbr[d]
        nd.insert(nd.index(b) + 1, c)
        self.ea[e], self.eb[e], self.esx[e], self.esy[e] = c, d, scd[0], scd[1]
        _retriangulate(self.corner, self.t0, self.t1, self.t2, a, b, c, d)
        nsum[a] -= qb
        nsum[b] -= qa
        nsum[c] += qd
        nsum[d] += qc
        for v, dv in ((a, -1), (b, -1), (c, 1), (d, 1)):
            for w in nbr[v]:
                nsum[w] += dv
        counts = self.counts
        for v, qv, dv in ((a, qa, -1), (b, qb, -1), (c, qc, 1), (d, qd, 1)):
            counts[qv + 6] -= 1
            counts[qv + 6 + dv] += 1
        self.Q2 += 4 - 2 * (qa + qb) + 2 * (qc + qd)
        self.C += dC

    # ------------------------------------------------------------------ geometry
    def edge_arrays(self):
        """``(ea, eb, shift)``: edge end nodes and the integer image shift of ``eb`` as seen from ``ea``."""
        return (np.asarray(self.ea, dtype=np.int64), np.asarray(self.eb, dtype=np.int64),
                np.stack([np.asarray(self.esx, float), np.asarray(self.esy, float)], axis=1))

    def positions(self) -> np.ndarray:
        return np.stack([np.asarray(self.px), np.asarray(self.py)], axis=1)

    def set_positions(self, pos: np.ndarray) -> None:
        self.px, self.py = pos[:, 0].tolist(), pos[:, 1].tolist()

    def smooth(self, iterations: int = 10, omega: float = 0.5, *, beta: float = 0.1,
               min_area_fraction: float = 0.05) -> None:
        """Spring relaxation of the ring centres that never folds a triangle (see
        :func:`~glassfail_core.generation.dual_geometry.smoothed_positions`); the whole lattice does not drift."""
        pos = dual_geometry.smoothed_positions(self, iterations, omega, beta=beta,
                                               min_area_fraction=min_area_fraction)
        pos -= pos.mean(axis=0) - self._mean0  # no drift of the whole lattice
        self.set_positions(pos)

    def natural_cell(self, *, max_iterations: int = 5000) -> tuple:
        """``(Lx, Ly, energy)``: the cell edges at which the lattice is unstrained on average (see
        :func:`~glassfail_core.generation.dual_geometry.natural_cell`); the lattice is not changed."""
        return dual_geometry.natural_cell(self, max_iterations=max_iterations)

    def rescale(self, Lx: float, Ly: float) -> None:
        """Set the cell edges to ``(Lx, Ly)``, scaling the ring positions affinely (never folds a triangle)."""
        if not (Lx > 0 and Ly > 0):
            raise InputError(f"cell edges must be positive, got {Lx!r}, {Ly!r}")
        s = np.array([Lx / self.Lx, Ly / self.Ly])
        pos = self.positions() * s
        self.Lx, self.Ly = float(Lx), float(Ly)
        self._mean0 = self._mean0 * s
        self.set_positions(pos)

    def _build_triangles(self):
        """Triangle lists ``t0, t1, t2`` (counter-clockwise) and ``corner[(u, v)]`` = the triangle that follows the
        edge ``u → v`` counter-clockwise around ``u``; both are kept up to date by every switch."""
        t0, t1, t2, corner = [], [], [], {}
        for a in range(self.n_nodes):
            na = self.nbr[a]
            k = len(na)
            for i in range(k):
                b, c = na[i], na[(i + 1) % k]
                if a < b and a < c:
                    t = len(t0)
                    t0.append(a)
                    t1.append(b)
                    t2.append(c)
                    corner[(a, b)] = corner[(b, c)] = corner[(c, a)] = t
        self.t0, self.t1, self.t2, self.corner = t0, t1, t2, corner

    def triangles(self) -> np.ndarray:
        """Faces of the triangulation, ``(2N, 3)`` nodes in counter-clockwise order (one row per Si atom)."""
        return np.stack([np.asarray(self.t0), np.asarray(self.t1), np.asarray(self.t2)], axis=1).astype(np.int64)

    def triangle_geometry(self, tri=None):
        """Signed areas ``(T,)`` and centroids ``(T, 2)`` (unwrapped, relative to the first node's position)."""
        if tri is None:
            tri = self.triangles()
        pos = self.positions()
        vb = self._vectors(tri[:, 0], tri[:, 1], pos)
        vc = self._vectors(tri[:, 0], tri[:, 2], pos)
        area = 0.5 * (vb[:, 0] * vc[:, 1] - vb[:, 1] * vc[:, 0])
        centroid = pos[tri[:, 0]] + (vb + vc) / 3.0
        return area, centroid

    def untangle(self, max_iterations: int = 20000, min_area_fraction: float = 0.0) -> bool:
        """Barycentric (Tutte) steps until no triangle is folded; True on success (a safety net for lattices
        built or edited by hand: :meth:`smooth` never folds one)."""
        return dual_geometry.untangle(self, max_iterations, min_area_fraction)

    def _vectors(self, a, b, pos):
        sh = np.array([self.off[i][j] for i, j in zip(a.tolist(), b.tolist())], dtype=float).reshape(-1, 2)
        return pos[b] + sh * np.array([self.Lx, self.Ly]) - pos[a]

    def is_embedded(self, min_area_fraction: float = 0.0) -> bool:
        """True when every triangle is counter-clockwise with area above ``min_area_fraction`` × the mean area."""
        area, _ = self.triangle_geometry()
        return bool(area.min() > min_area_fraction * (self.Lx * self.Ly) / len(area))

    def check(self) -> None:
        """Assert the triangulation's invariants (for tests): symmetric shifts, Euler characteristic 0, consistent
        rotation system, and statistics equal to a recomputation from scratch."""
        n = self.n_nodes
        for a in range(n):
            assert len(set(self.nbr[a])) == len(self.nbr[a]) == len(self.off[a])
            for b in self.nbr[a]:
                sa, sb = self.off[a][b], self.off[b][a]
                assert (sa[0] + sb[0], sa[1] + sb[1]) == (0, 0)
        deg = self.degrees()
        assert deg.sum() == 2 * self.n_edges
        tri = self.triangles()
        kept = {tuple(np.roll(t, -int(np.argmin(t)))) for t in tri.tolist()}
        saved = (self.t0, self.t1, self.t2, self.corner)
        self._build_triangles()
        assert kept == {tuple(t) for t in self.triangles().tolist()}, "maintained triangles differ from rebuilt"
        self.t0, self.t1, self.t2, self.corner = saved
        assert n - self.n_edges + len(tri) == 0, "Euler characteristic of the torus must be 0"
        assert len(tri) == 2 * n
        # every ccw corner (a; b, c) is also the ccw corner (b; c, a)
        for a, b, c in tri.tolist():
            nb = self.nbr[b]
            assert nb[(nb.index(c) + 1) % len(nb)] == a
        counts, Q2, C, nsum = list(self.counts), self.Q2, self.C, list(self.nsum)
        self.reset_statistics(self.max_ring)
        assert counts == self.counts and Q2 == self.Q2 and C == self.C and nsum == self.nsum


def _retriangulate(corner, t0, t1, t2, a, b, c, d):
    """Triangles (a, b, c) and (b, a, d) become (a, d, c) and (d, b, c) (both counter-clockwise)."""
    ta = corner.pop((a, b))
    tb = corner.pop((b, a))
    t0[ta], t1[ta], t2[ta] = a, d, c
    t0[tb], t1[tb], t2[tb] = d, b, c
    corner[(a, d)] = corner[(d, c)] = corner[(c, a)] = ta
    corner[(d, b)] = corner[(b, c)] = corner[(c, d)] = tb


def _crosses(bx, by, cx, cy, dx, dy, eps):
    """True when segment c–d crosses segment (0,0)–b with both new triangles away from degenerate."""
    ex, ey = dx - cx, dy - cy
    s1 = ex * (-cy) - ey * (-cx)
    s2 = ex * (by - cy) - ey * (bx - cx)
    lim = eps * (ex * ex + ey * ey)
    return (s1 > lim and s2 < -lim) or (s1 < -lim and s2 > lim)


def _delta_c(nsum, a, b, c, d, qa, qb, qc, qd):
    """Change of ``C = Σ_edges q_i q_j`` under the switch (a, b) → (c, d)."""
    xa = nsum[a] - qb - qc - qd
    xb = nsum[b] - qa - qc - qd
    xc = nsum[c] - qa - qb
    xd = nsum[d] - qa - qb
    before = qa * qb + (qa + qb) * (qc + qd)
    after = (qc + 1) * (qd + 1) + (qa + qb - 2) * (qc + qd + 2)
    return -xa - xb + xc + xd + after - before
