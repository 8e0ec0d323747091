"""Dual lattice → Si–O network, and a cheap bonded pre-relaxation of that network.

* A Si at the centroid of every dual triangle (three rings meet at a Si), an O at the midpoint of the two Si whose
  triangles share a dual edge (two rings share the Si–O–Si side). Si come first (index = triangle), then O
  (index = number of Si + dual edge).
* :func:`bonded_relax` minimises a harmonic model over the known topology — Si–O bonds (``r₀ = si_o``), O–O within
  each SiO₃ unit (``r₀ = √3·si_o``, i.e. 120° O–Si–O angles) and Si–Si across each O (``r₀ = 2·si_o``, straight
  Si–O–Si) — with SciPy's L-BFGS, optionally with the cell edges as variables (zero stress). It turns the rough
  geometry of the ring lattice into a network whose bonds all sit near their length, so that the interatomic model
  can take over without breaking bonds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import SimulationError
from ..glass import Glass
from ..neighbors import neighbor_pairs, wrap

__all__ = ["Topology", "dual_to_network", "bonded_relax", "bonded_energy", "topology_intact"]


@dataclass(frozen=True)
class Topology:
    """The bonded topology of a network built from a dual lattice.

    Attributes
    ----------
    bonds : (M, 2) int
        ``[Si, O]`` pairs.
    bond_shift : (M, 2) float
        Image shift (in cell edges) of the O as seen from the Si: ``r = x_O − x_Si + shift·L``.
    """

    bonds: np.ndarray
    bond_shift: np.ndarray

    def to_dict(self) -> dict:
        """The arrays as JSON-ready lists."""
        return {f.name: np.asarray(getattr(self, f.name)).tolist() for f in fields(self)}

    def springs(self, si_o: float, k_bond=10.0, k_angle=3.0, k_bridge=10.0):
        """Pairs ``(i, j, shift, r0, k)`` of the bonded model (bonds, O–O in SiO₃, Si–Si across O)."""
        b, sh = self.bonds, self.bond_shift
        order = np.argsort(b[:, 0], kind="stable")
        bs, ss = b[order], sh[order]
        # every Si has exactly 3 O: rows 3k, 3k+1, 3k+2
        o3 = bs[:, 1].reshape(-1, 3)
        s3 = ss.reshape(-1, 3, 2)
        oo_i = np.concatenate([o3[:, 0], o3[:, 0], o3[:, 1]])
        oo_j = np.concatenate([o3[:, 1], o3[:, 2], o3[:, 2]])
        oo_s = np.concatenate([s3[:, 1] - s3[:, 0], s3[:, 2] - s3[:, 0], s3[:, 2] - s3[:, 1]])
        order = np.argsort(b[:, 1], kind="stable")
        bo, so = b[order], sh[order]
        si2 = bo[:, 0].reshape(-1, 2)
        sh2 = so.reshape(-1, 2, 2)
        ss_i, ss_j, ss_s = si2[:, 0], si2[:, 1], sh2[:, 0] - sh2[:, 1]
        i = np.concatenate([b[:, 0], oo_i, ss_i])
        j = np.concatenate([b[:, 1], oo_j, ss_j])
        s = np.concatenate([sh, oo_s, ss_s])
        r0 = np.concatenate([np.full(len(b), si_o), np.full(len(oo_i), math.sqrt(3) * si_o),
                             np.full(len(ss_i), 2 * si_o)])
        k = np.concatenate([np.full(len(b), k_bond), np.full(len(oo_i), k_angle), np.full(len(ss_i), k_bridge)])
        return i, j, s, r0, k


def dual_to_network(lat, *, si_o: float | None = None, info=None) -> tuple[Glass, Topology]:
    """The Si–O network of a :class:`~glassfail_core.generation.dual.DualLattice` (positions as built, unrelaxed).

    Parameters
    ----------
    lat : DualLattice
        Must be embedded (no folded triangles).
    si_o : float, optional
        Not used for placement (the cell fixes the scale: Si–Si ≈ ``lat.si_si`` on average); kept for symmetry with
        :func:`bonded_relax`.

    Returns
    -------
    glass : Glass
        ``2N`` Si then ``3N`` O for ``N`` rings, periodic.
    topology : Topology
    """
    tri = lat.triangles()
    n_si = len(tri)
    corner = {}
    for t, (a, b, c) in enumerate(tri.tolist()):
        corner[(a, b)] = t
        corner[(b, c)] = t
        corner[(c, a)] = t
    pos = lat.positions()
    L = np.array([lat.Lx, lat.Ly])
    _, si_pos = lat.triangle_geometry(tri)
    ea, eb, _ = lat.edge_arrays()
    cs, ds = [], []
    t1, t2 = [], []
    for a, b in zip(ea.tolist(), eb.tolist()):
        na = lat.nbr[a]
        k = na.index(b)
        cs.append(na[(k + 1) % len(na)])
        ds.append(na[k - 1])
        t1.append(corner[(a, b)])
        t2.append(corner[(b, a)])
    cs, ds = np.asarray(cs), np.asarray(ds)
    vab = lat._vectors(ea, eb, pos)
    vac = lat._vectors(ea, cs, pos)
    vad = lat._vectors(ea, ds, pos)
    o_pos = pos[ea] + (2 * vab + vac + vad) / 6.0
    n_o = len(ea)
    o_idx = n_si + np.arange(n_o)
    bonds = np.concatenate([np.stack([np.asarray(t1), o_idx], 1), np.stack([np.asarray(t2), o_idx], 1)])
    bvec = np.concatenate([(vad - vac) / 6.0, (vac - vad) / 6.0])  # Si → O, exact (unwrapped)
    allpos = np.concatenate([si_pos, o_pos])
    wrapped = wrap(allpos, L, (True, True))
    shift = np.round((bvec - (wrapped[bonds[:, 1]] - wrapped[bonds[:, 0]])) / L)
    species = ["Si"] * n_si + ["O"] * n_o
    glass = Glass(wrapped, species, L, pbc=(True, True), info=dict(info or {}), validate=False)
    return glass, Topology(bonds=bonds.astype(np.int64), bond_shift=shift)


def bonded_energy(positions, cell, springs, *, repulsion=None):
    """Energy (eV) and gradients ``(dE/dx (N, 2), dE/dL (2,))`` of the harmonic bonded model.

    ``repulsion = (cutoff, k, excluded_keys)`` adds ``½k(cutoff − r)²`` for every pair closer than ``cutoff`` whose
    key ``i·N + j`` (``i < j``) is not in the sorted array ``excluded_keys`` (the springs' pairs), so that the
    network cannot fold over itself.
    """
    i, j, s, r0, k = springs
    n = len(positions)
    r = positions[j] - positions[i] + s * cell
    d = np.hypot(r[:, 0], r[:, 1])
    ext = d - r0
    e = 0.5 * float((k * ext * ext).sum())
    g = (k * ext / d)[:, None] * r  # dE/dr
    if repulsion is not None:
        cut, krep, excluded = repulsion
        pi, pj, rv, pd = neighbor_pairs(positions, cell, (True, True), cut)
        keep = ~_isin_sorted(np.minimum(pi, pj) * n + np.maximum(pi, pj), excluded)
        pi, pj, rv, pd = pi[keep], pj[keep], rv[keep], pd[keep]
        if len(pi):
            ov = cut - pd
            e += 0.5 * krep * float((ov * ov).sum())
            # r = x_j − x_i + shift·L with shift = (rv − (x_j − x_i)) / L
            ps = np.round((rv - (positions[pj] - positions[pi])) / cell)
            gp = (-krep * ov / np.maximum(pd, 1e-12))[:, None] * rv
            i = np.concatenate([i, pi])
            j = np.concatenate([j, pj])
            s = np.concatenate([s, ps])
            g = np.concatenate([g, gp])
    gx = np.empty_like(positions)
    for ax in range(2):
        gx[:, ax] = np.bincount(j, g[:, ax], minlength=n) - np.bincount(i, g[:, ax], minlength=n)
    gL = (g * s).sum(axis=0)
    return e, gx, gL


def _isin_sorted(x, sorted_keys):
    if len(sorted_keys) == 0:
        return np.zeros(len(x), bool)
    pos = np.searchsorted(sorted_keys, x)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    return sorted_keys[pos] == x


def bonded_relax(glass: Glass, topology: Topology, *, si_o: float = 1.525, cell: bool = True, gtol: float = 1e-4,
                 max_iterations: int = 3000, repulsion_cutoff: float = 2.5, k_repulsion: float = 10.0) -> Glass:
    """Relax a network with the harmonic bonded model (positions and, if ``cell``, the cell edges).

    Deterministic (SciPy L-BFGS-B). Returns a new periodic Glass with wrapped positions; ``info`` is kept and
    gains ``bonded_relax`` (energy, iterations, cell strain).
    """
    from scipy.optimize import minimize

    springs = topology.springs(si_o)
    L0 = np.asarray(glass.cell, float)
    n = len(glass)
    si, sj = springs[0], springs[1]
    excluded = np.unique(np.minimum(si, sj) * n + np.maximum(si, sj))
    rep = (float(repulsion_cutoff), float(k_repulsion), excluded) if repulsion_cutoff else None
    u0 = np.asarray(glass.positions) / L0  # fractional

    def unpack(x):
        u = x[: 2 * n].reshape(n, 2) / L0
        L = L0 * np.exp(x[2 * n:]) if cell else L0
        return u, L

    def fun(x):
        u, L = unpack(x)
        e, gx, gL = bonded_energy(u * L, L, springs, repulsion=rep)
        # E(u·L, L): dE/du = gx·L; x = u·L0 → dE/dx = gx·L/L0; dE/dlogL = L·(gL + Σ gx·u)
        grad = [(gx * L / L0).ravel()]
        if cell:
            grad.append(L * (gL + (gx * u).sum(axis=0)))
        return e, np.concatenate(grad)

    x0 = np.concatenate([(u0 * L0).ravel(), np.zeros(2 if cell else 0)])
    res = minimize(fun, x0, jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iterations), "gtol": gtol, "ftol": 1e-15, "maxcor": 20})
    u, L = unpack(res.x)
    if not np.isfinite(res.fun):
        raise SimulationError("bonded pre-relaxation diverged (non-finite energy)")
    pos = np.mod(u * L, L)
    pos[pos >= L] = 0.0
    info = dict(glass.info)
    info["bonded_relax"] = {"energy": float(res.fun), "iterations": int(res.nit),
                            "cell_strain": (L / L0 - 1.0).tolist()}
    return Glass(pos, glass.species, L, pbc=(True, True), info=info, validate=glass.validate)


def topology_intact(glass: Glass, topology: Topology) -> bool:
    """True when the bonds found by distance are exactly the built topology (every Si 3, every O 2 bonds)."""
    found = glass.bonds
    if len(found) != len(topology.bonds):
        return False
    a = np.sort(found[:, 0] * len(glass) + found[:, 1])
    b = np.sort(topology.bonds[:, 0] * len(glass) + topology.bonds[:, 1])
    return bool(np.array_equal(a, b))
