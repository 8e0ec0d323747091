"""Metropolis bond switching on the dual lattice, pulling the ring statistics toward their targets.

Objective (extensive, so one temperature schedule serves every size)::

    E = w_p · Σ_n (N_n − N·p̂(n))² / N  +  w_s · N·(s² − ŝ²)²  +  w_α · N·(α − α̂)²·(s²/ŝ²)²  +  w_g · Σ_i m_i²

with ``N_n`` the number of rings of size ``n``, ``p̂`` the target distribution (mean 6, variance ``ŝ²``), ``s²`` the
variance and ``α`` the Aboav–Weaire parameter. A switch changes four ring sizes, so ``ΔE`` needs O(1) work for the
distribution and variance terms and O(ring size) for α (see :mod:`.dual`): the cost of a sweep is linear in the
number of rings.

A second, geometric acceptance stage (``w_e > 0``): a switch that passes the objective's Metropolis test is then
accepted with probability ``min(1, exp(−w_e·ΔE_geo / T))``, where ``ΔE_geo`` is the change of the ring lattice's
spring energy around the four rings involved (:func:`geometric_delta`: rest length of a dual edge = sum of the two
rings' apothems; the four rings relaxed with their neighbours held, before and after the switch). This
delayed-acceptance Metropolis samples ``exp(−(E + w_e·E_geo)/T)`` exactly as a single test would, but the geometry
is only computed for the few switches that pass the cheap first test. It keeps the network mechanically sound: the
physics engine can then relax it without breaking bonds (see :mod:`.amorphous`).

:func:`run_chunk` is the hot loop (plain Python on lists: a few µs per attempt);
:func:`run_chunk_naive` is the recompute-everything reference used by the benchmark and the tests.
"""

from __future__ import annotations

import math

import numpy as np

from .dual import DualLattice, _crosses, _delta_c, _retriangulate

__all__ = ["Objective", "run_chunk", "run_chunk_naive", "energy"]


class Objective:
    """Targets and weights of the bond-switching objective (see the module docstring)."""

    def __init__(self, n_nodes, target_p, sizes, variance, alpha, *, w_p=1.0, w_s=20.0, w_a=1.0, w_g=0.1,
                 w_e=0.0, si_si=3.05):
        self.n = int(n_nodes)
        self.w_e = float(w_e)
        self.si_si = float(si_si)
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
              eps: float = 0.05, uniforms2=None) -> int:
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
    w_e = obj.w_e
    if w_e and uniforms2 is None:
        raise ValueError("the geometric stage (w_e > 0) needs uniforms2")
    apo = apothems(obj.si_si, max_ring)
    for i_pick, (e, u) in enumerate(zip(picks, uniforms)):
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
        if w_e:
            # --- second (delayed-acceptance) stage: the local elastic energy of the ring lattice
            sca = offc[a]
            sad = oa[d]
            scd = (sca[0] + sad[0], sca[1] + sad[1])
            dEg = w_e * geometric_delta(nbr, off, px, py, Lx, Ly, apo, a, b, c, d, scd)
            if dEg > 0.0 and (T <= 0.0 or uniforms2[i_pick] >= exp(-dEg / T)):
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


def apothems(si_si: float, max_ring: int) -> list:
    """``apo[n]``: apothem of a regular ``n``-gon with side ``si_si`` (the rest half-length of a dual edge)."""
    return [0.0, 0.0, 0.0] + [si_si / (2.0 * math.tan(math.pi / k)) for k in range(3, max_ring + 3)]


def geometric_delta(nbr, off, px, py, Lx, Ly, apo, a, b, c, d, scd) -> float:
    """Change of the local spring energy of the ring lattice (:func:`local_spring_energy` of the four rings
    ``a, b, c, d``, each topology relaxed the same way) under the switch ``(a, b) → (c, d)``; ``scd`` is the image
    shift of ``d`` seen from ``c`` after the switch."""
    quad = (a, b, c, d)
    old = {v: [(w, *off[v][w]) for w in nbr[v]] for v in quad}
    ap_old = {w: apo[len(nbr[w])] for v in quad for w in nbr[v]}
    for v in quad:
        ap_old[v] = apo[len(nbr[v])]
    new = {v: list(x) for v, x in old.items()}
    new[a] = [x for x in old[a] if x[0] != b]
    new[b] = [x for x in old[b] if x[0] != a]
    new[c].append((d, scd[0], scd[1]))
    new[d].append((c, -scd[0], -scd[1]))
    ap_new = dict(ap_old)
    for v, dv in ((a, -1), (b, -1), (c, 1), (d, 1)):
        ap_new[v] = apo[len(nbr[v]) + dv]
    return local_spring_energy(px, py, Lx, Ly, new, ap_new) - local_spring_energy(px, py, Lx, Ly, old, ap_old)


def local_spring_energy(px, py, Lx, Ly, adj, ap, iters: int = 8) -> float:
    """Spring energy of the ring lattice around a few nodes after relaxing them with their neighbours held.

    ``adj = {v: [(w, sx, sy), ...]}`` lists the moving nodes with their neighbours and image shifts in the
    topology considered; ``ap = {node: apothem}`` the rest half-lengths (a dual edge's rest length is the sum of
    the apothems of its two rings, as in :meth:`.DualLattice.smooth`). The moving nodes take ``iters`` spring
    fixed-point (Gauss–Seidel) steps; the energy ``½ Σ (r − ℓ)²`` runs over every edge touching a moving node.
    """
    pos = {v: (px[v], py[v]) for v in adj}
    sqrt = math.sqrt
    for _ in range(iters):
        for v, lst in adj.items():
            xv, yv = pos[v]
            av = ap[v]
            tx = ty = 0.0
            for w, sx, sy in lst:
                if w in pos:
                    xw, yw = pos[w]
                else:
                    xw, yw = px[w], py[w]
                xw += sx * Lx
                yw += sy * Ly
                dx, dy = xv - xw, yv - yw
                f = (av + ap[w]) / sqrt(dx * dx + dy * dy)
                tx += xw + f * dx
                ty += yw + f * dy
            k = len(lst)
            pos[v] = (tx / k, ty / k)
    e = 0.0
    for v, lst in adj.items():
        xv, yv = pos[v]
        av = ap[v]
        for w, sx, sy in lst:
            if w in pos:
                if w < v:
                    continue
                xw, yw = pos[w]
            else:
                xw, yw = px[w], py[w]
            dx, dy = xv - xw - sx * Lx, yv - yw - sy * Ly
            ext = sqrt(dx * dx + dy * dy) - av - ap[w]
            e += 0.5 * ext * ext
    return e


def run_chunk_naive(lat: DualLattice, obj: Objective, picks, uniforms, temperature: float, *,
                    min_ring: int = 4, eps: float = 0.05, uniforms2=None) -> int:
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

    apo = apothems(obj.si_si, lat.max_ring)
    e_old = full_energy()
    for i_pick, (e, u) in enumerate(zip(picks, uniforms)):
        cand = lat.flip_candidate(e)
        if cand is None:
            continue
        a, b, c, d = cand
        if (len(lat.nbr[a]) <= min_ring or len(lat.nbr[b]) <= min_ring or len(lat.nbr[c]) >= lat.max_ring
                or len(lat.nbr[d]) >= lat.max_ring):
            continue
        if not lat._convex(a, b, c, d, eps):
            continue
        dEg = 0.0
        if obj.w_e:
            sca, sad = lat.off[c][a], lat.off[a][d]
            dEg = obj.w_e * geometric_delta(lat.nbr, lat.off, lat.px, lat.py, lat.Lx, lat.Ly, apo, a, b, c, d,
                                            (sca[0] + sad[0], sca[1] + sad[1]))
        state = _save(lat, e, a, b, c, d)
        lat._apply(e, a, b, c, d)
        e_new = full_energy()
        dE = e_new - e_old
        if dE > 1e-12 * max(1.0, abs(e_old)) and (T <= 0.0 or u >= math.exp(-dE / T)):
            _restore(lat, e, state)
            continue
        if dEg > 0.0 and (T <= 0.0 or uniforms2[i_pick] >= math.exp(-dEg / T)):
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
