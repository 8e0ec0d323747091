"""Metropolis bond switching on the dual lattice, pulling the ring statistics toward their targets.

Objective (extensive, so one temperature schedule serves every size)::

    E = w_p · Σ_n (N_n − N·p̂(n))² / N  +  w_s · N·(s² − ŝ²)²  +  w_α · N·(α − α̂)²·(s²/ŝ²)²  +  w_g · Σ_i m_i²

with ``N_n`` the number of rings of size ``n``, ``p̂`` the target distribution (mean 6, variance ``ŝ²``), ``s²`` the
variance and ``α`` the Aboav–Weaire parameter. A switch changes four ring sizes, so ``ΔE`` needs O(1) work for the
distribution and variance terms and O(ring size) for α (see :mod:`.dual`): the cost of a sweep is linear in the
number of rings. :func:`run_chunk` is the hot loop (plain Python on lists: a few µs per attempt);
:func:`run_chunk_naive` is the recompute-everything reference used by the benchmark and the tests.
"""

from __future__ import annotations

import math

import numpy as np

from .dual import DualLattice, _crosses, _delta_c, _retriangulate

__all__ = ["Objective", "run_chunk", "run_chunk_naive", "energy"]


class Objective:
    """Targets and weights of the bond-switching objective (see the module docstring)."""

    def __init__(self, n_nodes, target_p, sizes, variance, alpha, *, w_p=1.0, w_s=20.0, w_a=1.0, w_g=0.1):
        self.n = int(n_nodes)
        self.w_g = float(w_g)
        self.variance = float(variance)
        self.alpha = float(alpha)
        self.w_p, self.w_s, self.w_a = float(w_p), float(w_s), float(w_a)
        self.sizes = np.asarray(sizes)
        self.expected = np.zeros(int(self.sizes.max()) + 2)
        self.expected[self.sizes] = self.n * np.asarray(target_p)

    def residuals(self, counts):
        c = np.zeros_like(self.expected)
        c[: len(counts)] = counts[: len(c)]
        return (c - self.expected).tolist()


def energy(lat: DualLattice, obj: Objective) -> float:
    """The objective for the lattice's current statistics (computed from its incremental counters)."""
    r = np.asarray(obj.residuals(lat.counts))
    m = lat.degrees() - 6 + np.asarray(lat.nsum)
    return _energy_terms(float((r * r).sum()), lat.Q2, lat.C, int((m * m).sum()), obj)


def _energy_terms(r2, Q2, C, G, obj):
    n = obj.n
    return (obj.w_p * r2 / n + obj.w_s * n * (Q2 / n - obj.variance) ** 2
            + obj.w_a * (2.0 * C + obj.alpha * Q2) ** 2 / (n * obj.variance ** 2) + obj.w_g * G)


def run_chunk(lat: DualLattice, obj: Objective, picks, uniforms, temperature: float, *, min_ring: int = 4,
              eps: float = 0.05) -> int:
    """Attempt one switch per entry of ``picks`` (edge ids) with Metropolis acceptance; return accepted count.

    ``uniforms`` are the random numbers in [0, 1) for acceptance. Temperature 0 accepts only ``ΔE ≤ 0``.
    """
    nbr, off, nsum, counts = lat.nbr, lat.off, lat.nsum, lat.counts
    px, py, Lx, Ly = lat.px, lat.py, lat.Lx, lat.Ly
    ea, eb, esx, esy = lat.ea, lat.eb, lat.esx, lat.esy
    corner, t0, t1, t2 = lat.corner, lat.t0, lat.t1, lat.t2
    max_ring = lat.max_ring
    resid = obj.residuals(counts)
    n = obj.n
    wp, ws, wa = obj.w_p / n, obj.w_s * n, obj.w_a / (n * obj.variance ** 2)
    s2t, at = obj.variance, obj.alpha
    wg = obj.w_g
    Q2, C = lat.Q2, lat.C
    T = float(temperature)
    e_s = (Q2 / n - s2t) ** 2
    e_a = (2.0 * C + at * Q2) ** 2
    accepted = 0
    exp = math.exp
    for e, u in zip(picks, uniforms):
        a = ea[e]
        b = eb[e]
        na = nbr[a]
        da = len(na)
        if da <= min_ring:
            continue
        nb = nbr[b]
        db = len(nb)
        if db <= min_ring:
            continue
        k = na.index(b)
        c = na[(k + 1) % da]
        d = na[k - 1]
        nc = nbr[c]
        nd = nbr[d]
        dc = len(nc)
        dd = len(nd)
        if dc >= max_ring or dd >= max_ring or c == d:
            continue
        offc = off[c]
        if d in offc:
            continue
        # --- ΔE
        qa, qb, qc, qd = da - 6, db - 6, dc - 6, dd - 6
        dQ2 = 4 - 2 * (qa + qb) + 2 * (qc + qd)
        dC = _delta_c(nsum, a, b, c, d, qa, qb, qc, qd)
        # distribution: eight bin changes, possibly overlapping
        ch = {}
        for dv, dn in ((da, -1), (db, -1), (dc, 1), (dd, 1)):
            ch[dv] = ch.get(dv, 0) - 1
            ch[dv + dn] = ch.get(dv + dn, 0) + 1
        dr2 = 0.0
        for bin_, x in ch.items():
            if x:
                dr2 += x * (2.0 * resid[bin_] + x)
        nQ2 = Q2 + dQ2
        nC = C + dC
        ne_s = (nQ2 / n - s2t) ** 2
        ne_a = (2.0 * nC + at * nQ2) ** 2
        dE = wp * dr2 + ws * (ne_s - e_s) + wa * (ne_a - e_a)
        if wg:
            # local charge m_i = q_i + Σ_{j~i} q_j of every ring whose neighbourhood changes
            dm = {}
            for w in na:
                dm[w] = dm.get(w, 0) - 1
            for w in nb:
                dm[w] = dm.get(w, 0) - 1
            for w in nc:
                dm[w] = dm.get(w, 0) + 1
            for w in nd:
                dm[w] = dm.get(w, 0) + 1
            dm[a] = 1 - qb
            dm[b] = 1 - qa
            dm[c] = qd
            dm[d] = qc
            dG = 0
            for w, x in dm.items():
                if x:
                    dG += x * (2 * (len(nbr[w]) - 6 + nsum[w]) + x)
            dE += wg * dG
        if dE > 0.0 and (T <= 0.0 or u >= exp(-dE / T)):
            continue
        # --- geometry: the new edge c–d must cross a–b (convex quadrilateral), else the embedding would fold
        oa = off[a]
        xa, ya = px[a], py[a]
        s = oa[b]
        bx, by = px[b] + s[0] * Lx - xa, py[b] + s[1] * Ly - ya
        s = oa[c]
        cx, cy = px[c] + s[0] * Lx - xa, py[c] + s[1] * Ly - ya
        s = oa[d]
        dx, dy = px[d] + s[0] * Lx - xa, py[d] + s[1] * Ly - ya
        if not _crosses(bx, by, cx, cy, dx, dy, eps):
            continue
        # --- accept: rotation system, shifts, statistics
        sca = offc[a]
        sad = oa[d]
        scd = (sca[0] + sad[0], sca[1] + sad[1])
        del oa[b]
        del off[b][a]
        offc[d] = scd
        off[d][c] = (-scd[0], -scd[1])
        del na[k]
        nb.remove(a)
        nc.insert(nc.index(a) + 1, d)
        nd.insert(nd.index(b) + 1, c)
        ea[e] = c
        eb[e] = d
        esx[e] = scd[0]
        esy[e] = scd[1]
        _retriangulate(corner, t0, t1, t2, a, b, c, d)
        nsum[a] -= qb
        nsum[b] -= qa
        nsum[c] += qd
        nsum[d] += qc
        for w in na:
            nsum[w] -= 1
        for w in nb:
            nsum[w] -= 1
        for w in nc:
            nsum[w] += 1
        for w in nd:
            nsum[w] += 1
        for bin_, x in ch.items():
            if x:
                counts[bin_] += x
                resid[bin_] += x
        Q2, C = nQ2, nC
        e_s, e_a = ne_s, ne_a
        accepted += 1
    lat.Q2, lat.C = Q2, C
    return accepted


def run_chunk_naive(lat: DualLattice, obj: Objective, picks, uniforms, temperature: float, *,
                    min_ring: int = 4, eps: float = 0.05) -> int:
    """Same moves and acceptance as :func:`run_chunk`, but every attempt recomputes all statistics from scratch
    (degrees, histogram, variance, and α from the full edge list): O(N) per attempt. A reference for the
    benchmark and for tests; it produces the same sequence of states as :func:`run_chunk`."""
    T = float(temperature)
    accepted = 0

    def full_energy():
        deg = lat.degrees()
        q = deg - 6
        counts = np.bincount(deg, minlength=len(obj.expected))[: len(obj.expected)]
        r = counts - obj.expected
        ea, eb = np.asarray(lat.ea), np.asarray(lat.eb)
        m = q + np.bincount(ea, q[eb], minlength=len(q)) + np.bincount(eb, q[ea], minlength=len(q))
        return _energy_terms(float((r * r).sum()), int((q * q).sum()), int((q[ea] * q[eb]).sum()),
                             float((m * m).sum()), obj)

    e_old = full_energy()
    for e, u in zip(picks, uniforms):
        cand = lat.flip_candidate(e)
        if cand is None:
            continue
        a, b, c, d = cand
        if (len(lat.nbr[a]) <= min_ring or len(lat.nbr[b]) <= min_ring or len(lat.nbr[c]) >= lat.max_ring
                or len(lat.nbr[d]) >= lat.max_ring):
            continue
        if not lat._convex(a, b, c, d, eps):
            continue
        state = _save(lat, e, a, b, c, d)
        lat._apply(e, a, b, c, d)
        e_new = full_energy()
        dE = e_new - e_old
        if dE > 1e-12 * max(1.0, abs(e_old)) and (T <= 0.0 or u >= math.exp(-dE / T)):
            _restore(lat, e, state)
            continue
        e_old = e_new
        accepted += 1
    return accepted


def _save(lat, e, a, b, c, d):
    nodes = (a, b, c, d)
    return (nodes, [list(lat.nbr[v]) for v in nodes], [dict(lat.off[v]) for v in nodes],
            (lat.ea[e], lat.eb[e], lat.esx[e], lat.esy[e]), list(lat.nsum), list(lat.counts), lat.Q2, lat.C,
            (list(lat.t0), list(lat.t1), list(lat.t2), dict(lat.corner)))


def _restore(lat, e, state):
    nodes, nbrs, offs, edge, nsum, counts, Q2, C, tris = state
    lat.t0[:], lat.t1[:], lat.t2[:] = tris[0], tris[1], tris[2]
    lat.corner.clear()
    lat.corner.update(tris[3])
    for v, nb, of in zip(nodes, nbrs, offs):
        lat.nbr[v][:] = nb
        lat.off[v].clear()
        lat.off[v].update(of)
    lat.ea[e], lat.eb[e], lat.esx[e], lat.esy[e] = edge
    lat.nsum[:] = nsum
    lat.counts[:] = counts
    lat.Q2, lat.C = Q2, C
