"""Rings of a 2D network: the faces of the planar bond graph, their statistics and per-atom maps.

A ring is a face of the network drawn in the plane (or on the torus of a periodic cell). Faces are found by
walking half-edges: at every atom the bonds are sorted by angle (minimum-image bond vectors), and the half-edge
that follows ``u → v`` around a face is the bond leaving ``v`` immediately clockwise of ``v → u``. This makes
"next half-edge" a permutation of the ``2·M`` half-edges whose cycles are the faces, each walked
counter-clockwise (interior on the left). Everything is NumPy on flat arrays and linear in the number of atoms
(apart from one argsort of the half-edges).

Which faces are rings
---------------------
* A **closed ring** is a face that closes in the unwrapped plane (zero net displacement), encloses a positive
  area, and has no *open corner*.
* An atom with fewer bonds than its ideal coordination (Si 3, O 2) has a *missing bond direction*; it is taken to
  lie in the widest angular gap between its bonds, and the face corner filling that gap is **open**. Faces with
  open corners (the outer face of a crop, a crack, a hole left by a missed atom) are not rings: they are cut into
  **open rings**, one per open corner, each the stretch of the face between two open corners (the visible part of
  one ring cut by the free edge). They are reported but never counted.
* Faces walked clockwise (negative area: the outside of a finite piece) or winding around a periodic axis (the
  two sides of a crack spanning the cell, the edges of a slab) are boundary faces, also never counted.

Ring size is the number of distinct Si atoms on the ring, for Si–O networks (2 bonds per Si–O–Si link) and
Si-only networks (Si–Si bonds) alike.

Euler check: ``V − E + F`` over atoms with bonds, bonds and all faces (rings and boundary faces) is 0 for an
intact periodic network (a torus) and 2 for one connected piece in the plane.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import numpy as np

from ._atomic import atomic_path
from .errors import GlassfailWarning, InputError, StructureError
from .glass import Glass
from .neighbors import minimum_image, neighbor_pairs

__all__ = [
    "IDEAL_COORDINATION",
    "RingSet",
    "RingStats",
    "find_rings",
    "ring_statistics",
    "ring_polygons",
    "ring_label_image",
    "rings_table",
    "write_rings_csv",
    "lemaitre_mu2",
    "lemaitre_fit",
]

#: Bonds an atom of each species has in an intact network (Si–O networks; in Si-only networks Si has 3 Si).
IDEAL_COORDINATION = {"Si": 3, "O": 2}

_TWO_PI = 2.0 * np.pi


# ====================================================================== results
@dataclass(frozen=True, eq=False)
class RingSet:
    """The rings of one network (returned by :func:`find_rings`).

    Closed rings and open rings are stored as flat atom arrays with offsets (CSR); the list views
    :attr:`rings`, :attr:`open_rings` and :attr:`atom_rings` are built on first use.

    Attributes
    ----------
    n_atoms : int
        Atoms of the analysed Glass (per-atom arrays have this length).
    ring_atoms, ring_offsets : int arrays
        Ring ``r`` is ``ring_atoms[ring_offsets[r]:ring_offsets[r + 1]]``: the atoms in order around it
        (counter-clockwise, starting at its lowest atom index; Si and O as in the network).
    sizes : (R,) int
        Ring size in Si atoms.
    centroids : (R, 2) float
        Area centroids (Å), wrapped into the cell along periodic axes.
    areas : (R,) float
        Enclosed areas (Å²) of the polygon through the ring's atoms.
    open_atoms, open_offsets : int arrays
        Open rings (cut by a free edge, a crack or a hole), same layout; not counted.
    open_sizes : (K,) int
        Si atoms on each open ring (a lower bound of the size of the ring it was cut from).
    neighbors : (P, 2) int
        Pairs ``i < j`` of ring ids that share at least one bond.
    n_vertices, n_edges, n_faces : int
        Atoms with bonds, bonds, faces (rings and boundary faces) of the network.
    n_boundary_faces : int
        Faces that are not rings (outer faces, cracks, holes).
    interior : (R,) bool
        Rings all of whose bonds are shared with other closed rings (used by the Aboav–Weaire fit).
    pbc : tuple of bool
    cell : (2,) float
    """

    n_atoms: int
    ring_atoms: np.ndarray
    ring_offsets: np.ndarray
    sizes: np.ndarray
    centroids: np.ndarray
    areas: np.ndarray
    open_atoms: np.ndarray
    open_offsets: np.ndarray
    open_sizes: np.ndarray
    neighbors: np.ndarray
    n_vertices: int
    n_edges: int
    n_faces: int
    n_boundary_faces: int
    interior: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    pbc: tuple = (True, True)
    cell: np.ndarray = field(default_factory=lambda: np.zeros(2))

    # ------------------------------------------------------------------ sizes and lists
    def __len__(self) -> int:
        return len(self.sizes)

    @property
    def n_rings(self) -> int:
        return len(self.sizes)

    @property
    def n_open(self) -> int:
        return len(self.open_sizes)

    @property
    def euler(self) -> int:
        """``V − E + F`` (0 for an intact periodic network, 2 for one connected piece in the plane)."""
        return int(self.n_vertices - self.n_edges + self.n_faces)

    @cached_property
    def rings(self) -> list:
        """Closed rings as a list of int arrays (ordered atom indices)."""
        return np.split(self.ring_atoms, self.ring_offsets[1:-1]) if self.n_rings else []

    @cached_property
    def open_rings(self) -> list:
        """Open rings (cut by a free edge) as a list of int arrays; not counted in the statistics."""
        return np.split(self.open_atoms, self.open_offsets[1:-1]) if self.n_open else []

    @cached_property
    def _atom_ring_pairs(self):
        """Unique (atom, ring) pairs sorted by atom, then ring."""
        ring_of = np.repeat(np.arange(self.n_rings), np.diff(self.ring_offsets))
        key = _unique_int(self.ring_atoms.astype(np.int64) * max(self.n_rings, 1) + ring_of)
        return key // max(self.n_rings, 1), key % max(self.n_rings, 1)

    @cached_property
    def atom_rings(self) -> list:
        """For each atom, the int array of the ids of the closed rings it belongs to."""
        atoms, ring = self._atom_ring_pairs
        counts = np.bincount(atoms, minlength=self.n_atoms)
        return np.split(ring, np.cumsum(counts)[:-1])

    def per_atom(self) -> dict:
        """Per-atom ring maps: ``"mean"``, ``"min"``, ``"max"`` size of the closed rings around each atom
        (NaN where there is none) and ``"n_rings"`` (how many closed rings it belongs to), each ``(N,)``.

        Examples
        --------
        >>> from glassfail_core.generation import honeycomb
        >>> m = find_rings(honeycomb(4, 4)).per_atom()
        >>> sorted(set(m["n_rings"].tolist())), float(m["mean"].max())
        ([2, 3], 6.0)
        """
        atoms, ring = self._atom_ring_pairs
        n = self.n_atoms
        size = self.sizes[ring].astype(float)
        count = np.bincount(atoms, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(atoms, weights=size, minlength=n) / count
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        np.minimum.at(lo, atoms, size)
        np.maximum.at(hi, atoms, size)
        none = count == 0
        lo[none] = np.nan
        hi[none] = np.nan
        mean[none] = np.nan
        return {"mean": mean, "min": lo, "max": hi, "n_rings": count}

    def ring_neighbors(self) -> list:
        """For each ring, the int array of ids of the rings sharing a bond with it."""
        if len(self.neighbors) == 0:
            return [np.zeros(0, np.int64) for _ in range(self.n_rings)]
        both = np.concatenate([self.neighbors, self.neighbors[:, ::-1]])
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        counts = np.bincount(both[:, 0], minlength=self.n_rings)
        return np.split(both[:, 1], np.cumsum(counts)[:-1])

    def __repr__(self):
        vals, cnt = np.unique(self.sizes, return_counts=True)
        counts = ", ".join(f"{int(k)}: {int(c)}" for k, c in zip(vals, cnt))
        return f"RingSet({self.n_rings} rings {{{counts}}}, {self.n_open} open, V−E+F = {self.euler})"


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

    def to_dict(self) -> dict:
        """JSON-ready: string keys for sizes, ``None`` for undefined (NaN) numbers."""

        def num(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x

        return {
            "counts": {str(k): int(v) for k, v in sorted(self.counts.items())},
            "mean": num(self.mean),
            "mu2": num(self.mu2),
            "alpha": num(self.alpha),
            "n_rings": int(self.n_rings),
            "open_rings": int(self.open_rings),
            "euler": int(self.euler),
            "p6": num(self.p6),
            "mu2_lemaitre": num(self.mu2_lemaitre),
            "m": {str(k): num(v) for k, v in sorted(self.m.items())},
            "aw_intercept": num(self.aw_intercept),
        }


# ====================================================================== finding rings
def find_rings(glass: Glass, *, bonds=None, check: bool = True) -> RingSet:
    """Find the rings (faces) of a 2D network.

    Parameters
    ----------
    glass : Glass
        Si–O or Si-only network; periodic, partly periodic or free.
    bonds : (M, 2) int array_like, optional
        Explicit bonds (atom index pairs, any order, duplicates ignored). Default: ``glass.bonds`` (species-aware
        distance cutoffs; set ``info["bond_cutoff_sio"]``/``["bond_cutoff_sisi"]`` on the Glass to change them).
    check : bool, default True
        Look for crossing bonds (a network that is not planar has no faces) and raise
        :class:`~glassfail_core.errors.StructureError` naming them. Costs ~20 % of the run time.

    Returns
    -------
    RingSet

    Raises
    ------
    InputError
        No bonds, bad explicit bonds, two bonds of one atom in the same direction, crossing bonds.

    Warns
    -----
    GlassfailWarning
        Over-coordinated atoms (named); their rings are still faces but may not be what a chemist expects.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> rs = find_rings(honeycomb(4, 4))
    >>> rs.n_rings, set(rs.sizes.tolist()), rs.euler
    (16, {6}, 0)
    >>> len(rs.rings[0])  # 6 Si + 6 O
    12
    """
    if not isinstance(glass, Glass):
        raise InputError(f"glass must be a Glass, got {type(glass).__name__}")
    n = len(glass)
    b = _check_bonds(glass, bonds)
    vec = glass.bond_vectors(b)
    length = np.hypot(vec[:, 0], vec[:, 1])
    if (length <= 1e-9).any():
        k = int(np.flatnonzero(length <= 1e-9)[0])
        raise StructureError(f"bond {b[k, 0]}–{b[k, 1]} has zero length (atoms on top of each other)")
    deg = np.bincount(b.ravel(), minlength=n)
    ideal = np.where(glass.si_mask, IDEAL_COORDINATION["Si"], IDEAL_COORDINATION["O"])
    _warn_over_coordinated(glass, deg, ideal)
    if check:
        _check_crossings(glass, b, vec)

    m = len(b)
    he = _HalfEdges(b, vec, n)
    he.check_directions(glass)
    nxt = he.next_in_face()

    labels, n_faces = _cycles(nxt)
    start = _face_starts(labels, n_faces, he.origin)
    walk, offsets = _walk_faces(nxt, labels, n_faces, start)
    flen = np.diff(offsets)
    face_of = np.repeat(np.arange(n_faces), flen)
    origin = he.origin[walk]

    # Geometry of every face from its unwrapped walk.
    v = he.vec[walk]
    area, net, cen_rel = _face_geometry(v, offsets, face_of, n_faces)

    # Open corners: at each under-coordinated atom, the corner over its widest gap.
    open_he = he.open_corners(deg < ideal)
    open_in_walk = open_he[walk]
    n_open_corners = np.bincount(face_of, weights=open_in_walk, minlength=n_faces).astype(np.int64)

    scale = max(float(np.max(glass.cell)), float(length.max()))
    closes = np.hypot(net[:, 0], net[:, 1]) < 1e-6 * scale
    closed = closes & (area > 1e-9 * float(length.mean()) ** 2) & (n_open_corners == 0)

    # Closed rings.
    ring_ids = np.flatnonzero(closed)
    sel = closed[face_of]
    ring_atoms = origin[sel]
    ring_offsets = np.concatenate([[0], np.cumsum(flen[ring_ids])]).astype(np.int64)
    ring_of = np.repeat(np.arange(len(ring_ids)), flen[ring_ids])
    sizes = _distinct_si(ring_atoms, ring_of, len(ring_ids), glass.si_mask)
    first = glass.positions[ring_atoms[ring_offsets[:-1]]] if len(ring_ids) else np.zeros((0, 2))
    centroids = _wrap(first + cen_rel[ring_ids], glass.cell, glass.pbc)

    # Neighbouring rings: the faces on both sides of each bond.
    face_of_he = np.empty(2 * m, np.int64)
    face_of_he[walk] = face_of
    ring_index = np.full(n_faces, -1, np.int64)
    ring_index[ring_ids] = np.arange(len(ring_ids))
    fa, fb = ring_index[face_of_he[:m]], ring_index[face_of_he[m:]]
    ok = (fa >= 0) & (fb >= 0) & (fa != fb)
    nr = max(len(ring_ids), 1)
    key = _unique_int(np.minimum(fa[ok], fb[ok]) * nr + np.maximum(fa[ok], fb[ok]))
    pairs = np.stack([key // nr, key % nr], axis=1)
    # Rings touching a boundary face are flagged (their neighbour list is incomplete).
    touches = np.zeros(n_faces, bool)
    bad_side = ~closed[face_of_he]
    np.logical_or.at(touches, face_of_he[np.concatenate([bad_side[m:], bad_side[:m]])], True)

    open_atoms, open_offsets = _open_segments(origin, open_in_walk, offsets, ~closed & (n_open_corners > 0))
    open_of = np.repeat(np.arange(len(open_offsets) - 1), np.diff(open_offsets))
    open_sizes = _distinct_si(open_atoms, open_of, len(open_offsets) - 1, glass.si_mask)

    rs = RingSet(
        n_atoms=n,
        ring_atoms=ring_atoms.astype(np.int64),
        ring_offsets=ring_offsets,
        sizes=sizes,
        centroids=centroids,
        areas=area[ring_ids],
        open_atoms=open_atoms.astype(np.int64),
        open_offsets=open_offsets.astype(np.int64),
        open_sizes=open_sizes,
        neighbors=pairs.astype(np.int64),
        n_vertices=int((deg > 0).sum()),
        n_edges=int(m),
        n_faces=int(n_faces),
        n_boundary_faces=int(n_faces - len(ring_ids)),
        interior=~touches[ring_ids],
        pbc=tuple(glass.pbc),
        cell=np.array(glass.cell),
    )
    return rs


def _check_bonds(glass, bonds):
    n = len(glass)
    if bonds is None:
        b = np.asarray(glass.bonds, dtype=np.int64).reshape(-1, 2)
    else:
        b = np.asarray(bonds)
        if b.ndim != 2 or b.shape[1] != 2:
            raise InputError(f"bonds must be an (M, 2) array of atom indices, got shape {b.shape}")
        if len(b) and b.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(b, 1), 0)):
                raise InputError("bonds must hold integer atom indices")
        b = b.astype(np.int64)
        if len(b) and (b.min() < 0 or b.max() >= n):
            raise InputError(f"bonds refer to atom indices outside 0..{n - 1}")
        if len(b) and (b[:, 0] == b[:, 1]).any():
            k = int(np.flatnonzero(b[:, 0] == b[:, 1])[0])
            raise InputError(f"bonds: atom {b[k, 0]} is bonded to itself")
        b = np.sort(b, axis=1)
        key = _unique_int(b[:, 0] * n + b[:, 1])
        b = np.stack([key // n, key % n], axis=1)
    if len(b) == 0:
        kind = "explicit bonds were given empty" if bonds is not None else (
            f"no {'Si–O' if glass.has_oxygen else 'Si–Si'} pairs within the bond cutoff "
            f"{glass.bond_cutoff():.2f} Å (are positions in Å?)")
        raise InputError(f"the network has no bonds: {kind}")
    return b


def _warn_over_coordinated(glass, deg, ideal):
    over = np.flatnonzero(deg > ideal)
    if len(over):
        shown = ", ".join(f"{i} ({glass.species[i]}, {deg[i]} bonds)" for i in over[:8])
        more = f" and {len(over) - 8} more" if len(over) > 8 else ""
        warnings.warn(
            f"{len(over)} over-coordinated atom(s): {shown}{more}; rings through them are faces of the drawn "
            f"network and may not be chemical rings", GlassfailWarning, stacklevel=3)


def _check_crossings(glass, b, vec):
    """Raise StructureError if two bonds without a common atom cross (minimum image)."""
    length = np.hypot(vec[:, 0], vec[:, 1])
    mid = glass.positions[b[:, 0]] + 0.5 * vec
    cut = float(length.max()) * (1 + 1e-9)
    per = [L for p, L in zip(glass.pbc, glass.cell) if p]
    if per and cut >= 0.5 * min(per):
        raise InputError(f"bonds up to {cut:.3g} Å are too long for the periodic cell {glass.cell.tolist()} Å "
                         f"(must be below half an edge for the minimum-image convention)")
    i, j, d, _ = neighbor_pairs(mid, glass.cell, glass.pbc, cut)
    shared = ((b[i, 0] == b[j, 0]) | (b[i, 0] == b[j, 1]) | (b[i, 1] == b[j, 0]) | (b[i, 1] == b[j, 1]))
    i, j, d = i[~shared], j[~shared], d[~shared]
    if len(i) == 0:
        return
    # Segment i: ±vi/2 around 0; segment j: d ± vj/2.
    hi, hj = 0.5 * vec[i], 0.5 * vec[j]

    def cross(a, c):
        return a[:, 0] * c[:, 1] - a[:, 1] * c[:, 0]

    # Sides of j's endpoints relative to line i, and of i's endpoints relative to line j.
    s1 = cross(2 * hi, d - hj + hi)
    s2 = cross(2 * hi, d + hj + hi)
    s3 = cross(2 * hj, -hi - d + hj)
    s4 = cross(2 * hj, hi - d + hj)
    bad = (s1 * s2 < 0) & (s3 * s4 < 0)
    if bad.any():
        k = np.flatnonzero(bad)
        shown = "; ".join(f"{b[i[q], 0]}–{b[i[q], 1]} × {b[j[q], 0]}–{b[j[q], 1]}" for q in k[:5])
        more = f" and {len(k) - 5} more" if len(k) > 5 else ""
        raise StructureError(f"the network is not planar: {len(k)} pair(s) of crossing bonds ({shown}{more}); "
                             f"rings are undefined")


class _HalfEdges:
    """Half-edge ``h < M`` runs ``b[h,0] → b[h,1]``, ``h + M`` the reverse; sorted by (origin, angle)."""

    def __init__(self, b, vec, n):
        m = len(b)
        self.m = m
        self.origin = np.concatenate([b[:, 0], b[:, 1]])
        self.vec = np.concatenate([vec, -vec])
        self.angle = np.arctan2(self.vec[:, 1], self.vec[:, 0])
        # Sorted position → half-edge, by (origin, angle): one float key (angle resolution ~1e-9 rad at 10^6
        # atoms, far below any real angle between two bonds) sorts ~3× faster than a lexsort.
        key = self.origin + (self.angle + np.pi) * (0.999 / _TWO_PI)
        self.order = np.argsort(key, kind="stable")
        self.rank = np.empty(2 * m, np.int64)
        self.rank[self.order] = np.arange(2 * m)
        self.deg = np.bincount(self.origin, minlength=n)
        self.first = np.concatenate([[0], np.cumsum(self.deg)[:-1]])  # sorted position of each atom's first bond

    def twin(self, h):
        return np.where(h < self.m, h + self.m, h - self.m)

    def _rotate(self, h, step):
        o = self.origin[h]
        p = self.first[o] + (self.rank[h] - self.first[o] + step) % self.deg[o]
        return self.order[p]

    def ccw(self, h):
        """Next bond counter-clockwise around the same atom."""
        return self._rotate(h, 1)

    def next_in_face(self):
        h = np.arange(2 * self.m)
        return self._rotate(self.twin(h), -1)

    def gaps(self):
        """Angle (0, 2π] of the corner from each half-edge counter-clockwise to the next bond of its atom."""
        h = np.arange(2 * self.m)
        g = np.mod(self.angle[self.ccw(h)] - self.angle, _TWO_PI)
        g[self.deg[self.origin] == 1] = _TWO_PI
        return g

    def check_directions(self, glass):
        ang = self.angle[self.order]
        org = self.origin[self.order]
        same = (org[1:] == org[:-1]) & (np.abs(ang[1:] - ang[:-1]) < 1e-9)
        if same.any():
            k = np.flatnonzero(same)
            atoms = sorted(set(org[k].tolist()))
            raise StructureError(f"atom(s) {atoms[:8]} have two bonds in the same direction (overlapping bonds); "
                                 f"the network is not planar")

    def open_corners(self, deficient):
        """Boolean per half-edge: the widest corner of each under-coordinated atom."""
        out = np.zeros(2 * self.m, bool)
        if not deficient.any():
            return out
        g = self.gaps()
        # Sorted by (origin, gap): the last of each deficient atom's group is its widest corner.
        order = np.lexsort((g, self.origin))
        org = self.origin[order]
        last = np.flatnonzero(np.r_[org[1:] != org[:-1], True])
        widest = order[last]
        out[widest[deficient[self.origin[widest]]]] = True
        return out


def _cycles(nxt):
    """Label the cycles of the permutation ``nxt``."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    k = len(nxt)
    graph = csr_matrix((np.ones(k, np.int8), (np.arange(k), nxt)), shape=(k, k))
    n_faces, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int64), int(n_faces)


def _face_starts(labels, n_faces, origin):
    """Per face, the half-edge leaving its lowest-index atom (lowest half-edge on ties)."""
    k = len(labels)
    key = origin.astype(np.int64) * k + np.arange(k)
    best = np.full(n_faces, np.iinfo(np.int64).max)
    np.minimum.at(best, labels, key)
    return best % k


def _walk_faces(nxt, labels, n_faces, start):
    """Half-edges of every face in walking order, faces in label order: ``(walk, offsets)``.

    Position along a face = its distance to the face's start, by pointer jumping (Wyllie's list ranking) on the
    shrinking set of half-edges that have not reached the start yet: O(n log L_max) gathers, no Python loop over
    faces or steps.
    """
    k = len(nxt)
    flen = np.bincount(labels, minlength=n_faces)
    is_start = np.zeros(k, bool)
    is_start[start] = True
    s = nxt.copy()
    r = np.ones(k, np.int64)
    s[start] = start
    r[start] = 0
    active = np.flatnonzero(~is_start[s])
    for _ in range(70):  # log2(k) + 1 rounds suffice
        if len(active) == 0:
            break
        sa = s[active]
        r[active] = r[active] + r[sa]
        s[active] = s[sa]
        active = active[~is_start[s[active]]]
    else:  # pragma: no cover - a permutation always resolves
        raise RuntimeError("face walk did not terminate")
    # r = steps from h forward to the start; position = (L - r) mod L.
    L = flen[labels]
    pos = np.mod(L - r, L)
    offsets = np.concatenate([[0], np.cumsum(flen)]).astype(np.int64)
    walk = np.empty(k, np.int64)
    walk[offsets[labels] + pos] = np.arange(k)
    return walk, offsets


def _face_geometry(v, offsets, face_of, n_faces):
    """Signed area, net displacement and area centroid (relative to the first vertex) of each face."""
    flen = np.diff(offsets)
    start = offsets[:-1]
    out = []
    for ax in range(2):
        c = np.empty(len(v) + 1)
        c[0] = 0.0
        np.cumsum(v[:, ax], out=c[1:])
        out.append(c)
    cx, cy = out
    # P_k: position of the k-th vertex relative to the face's first one (exclusive cumulative sum).
    px = cx[:-1] - np.repeat(cx[start], flen)
    py = cy[:-1] - np.repeat(cy[start], flen)
    vx, vy = v[:, 0], v[:, 1]
    net = np.stack([cx[offsets[1:]] - cx[start], cy[offsets[1:]] - cy[start]], axis=1)
    cr = px * vy - py * vx  # cross(P_k, P_{k+1}) = cross(P_k, v_k)
    area = 0.5 * np.bincount(face_of, weights=cr, minlength=n_faces)
    mx = np.bincount(face_of, weights=(2 * px + vx) * cr, minlength=n_faces)
    my = np.bincount(face_of, weights=(2 * py + vy) * cr, minlength=n_faces)
    with np.errstate(invalid="ignore", divide="ignore"):
        cen = np.stack([mx, my], axis=1) / (6.0 * area[:, None])
    # Degenerate (zero-area) faces: vertex mean instead.
    bad = ~np.isfinite(cen).all(axis=1) | (np.abs(area) < 1e-12)
    if bad.any():
        mean = np.stack([np.bincount(face_of, weights=q, minlength=n_faces) for q in (px, py)], axis=1)
        cen[bad] = mean[bad] / np.maximum(flen[bad], 1)[:, None]
    return area, net, cen


def _distinct_si(atoms, group, n_groups, si_mask):
    """Number of distinct Si atoms in each group."""
    if n_groups == 0:
        return np.zeros(0, np.int64)
    keep = si_mask[atoms]
    key = _unique_int(group[keep].astype(np.int64) * (len(si_mask) + 1) + atoms[keep])
    return np.bincount(key // (len(si_mask) + 1), minlength=n_groups).astype(np.int64)


def _unique_int(keys):
    """Sorted unique values of an int array (a sort and a mask: faster than ``np.unique`` for large arrays)."""
    k = np.sort(np.asarray(keys, dtype=np.int64))
    if len(k) == 0:
        return k
    return k[np.r_[True, k[1:] != k[:-1]]]


def _open_segments(origin, open_in_walk, offsets, faces):
    """Cut the selected faces at their open corners: each stretch from one open corner to the next (both ends
    included) is one open ring. Returns flat atoms and offsets."""
    fids = np.flatnonzero(faces)
    if len(fids) == 0:
        return np.zeros(0, np.int64), np.zeros(1, np.int64)
    flen = np.diff(offsets)[fids]
    face_of = np.repeat(np.arange(len(fids)), flen)
    idx = _ranges(offsets[fids], flen)
    opn = open_in_walk[idx]
    # Rotate each face to start at its first open corner.
    local = idx - np.repeat(offsets[fids], flen)
    big = np.where(opn, local, np.iinfo(np.int64).max)
    first = np.full(len(fids), np.iinfo(np.int64).max)
    np.minimum.at(first, face_of, big)
    base = np.repeat(np.concatenate([[0], np.cumsum(flen)[:-1]]), flen)
    new = base + np.mod(local - first[face_of], np.repeat(flen, flen))
    atoms = np.empty(len(idx), np.int64)
    atoms[new] = origin[idx]
    flags = np.empty(len(idx), bool)
    flags[new] = opn
    starts = np.flatnonzero(flags)  # each starts a segment
    seg_face = face_of[starts]  # the rotation keeps every face in its own block
    # The closing atom of each segment: the next segment's first atom, or the face's first atom.
    nxt_start = np.r_[starts[1:], len(atoms)]
    same_face = np.r_[seg_face[1:] == seg_face[:-1], False]
    face_first = np.concatenate([[0], np.cumsum(flen)[:-1]])
    closing = np.where(same_face, atoms[np.minimum(nxt_start, len(atoms) - 1)], atoms[face_first[seg_face]])
    out = np.insert(atoms, nxt_start, closing)
    seg_len = np.diff(np.r_[starts, len(atoms)]) + 1
    out_offsets = np.concatenate([[0], np.cumsum(seg_len)]).astype(np.int64)
    return out, out_offsets


def _ranges(starts, lengths):
    """Concatenated ``arange(s, s + l)`` for each pair."""
    total = int(lengths.sum())
    base = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return base + np.arange(total)


def _wrap(xy, cell, pbc):
    out = np.array(xy, dtype=float)
    for ax in range(2):
        if pbc[ax]:
            out[:, ax] = np.mod(out[:, ax], cell[ax])
    return out


# ====================================================================== statistics
def ring_statistics(ringset: RingSet) -> RingStats:
    """p(n), ⟨n⟩, μ2, Aboav–Weaire α, Lemaître's law and the Euler check of a :class:`RingSet`.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
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
    alpha, intercept, m = _aboav_weaire(ringset)
    return RingStats(counts=counts, mean=mean, mu2=mu2, alpha=alpha, n_rings=n, open_rings=ringset.n_open,
                     euler=ringset.euler, p6=p6, mu2_lemaitre=lemaitre_mu2(p6) if p6 > 0 else math.nan,
                     m=m, aw_intercept=intercept)


def _aboav_weaire(rs: RingSet):
    interior = rs.interior if len(rs.interior) == rs.n_rings else np.ones(rs.n_rings, bool)
    if len(rs.neighbors) == 0:
        return math.nan, math.nan, {}
    a, b = rs.neighbors[:, 0], rs.neighbors[:, 1]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    keep = interior[src]
    src, dst = src[keep], dst[keep]
    if len(src) == 0:
        return math.nan, math.nan, {}
    # Per ring: mean size of its neighbours; then m(n) = mean over n-rings of ring means.
    n_nb = np.bincount(src, minlength=rs.n_rings)
    sum_nb = np.bincount(src, weights=rs.sizes[dst], minlength=rs.n_rings)
    has = n_nb > 0
    ring_m = sum_nb[has] / n_nb[has]
    ring_n = rs.sizes[has]
    sizes_u, inv, cnt = np.unique(ring_n, return_inverse=True, return_counts=True)
    m_n = np.bincount(inv, weights=ring_m) / cnt
    m = {int(k): float(v) for k, v in zip(sizes_u, m_n)}
    if len(sizes_u) < 2:
        return math.nan, math.nan, m
    x = sizes_u.astype(float)
    y = x * m_n
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(cnt))
    return float(6.0 - slope), float(intercept), m


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


# ====================================================================== drawing
def _check_pair(glass, ringset):
    if not isinstance(glass, Glass):
        raise InputError(f"glass must be a Glass, got {type(glass).__name__}")
    if not isinstance(ringset, RingSet):
        raise InputError(f"ringset must be a RingSet (from find_rings), got {type(ringset).__name__}")
    if len(glass) != ringset.n_atoms:
        raise InputError(f"the ring set was found on {ringset.n_atoms} atoms but the glass has {len(glass)}")


def _polygons_flat(glass, atoms, offsets):
    """Unwrapped vertex coordinates of each ring (flat), each ring shifted so that its vertex mean lies in
    the cell along periodic axes."""
    k = np.diff(offsets)
    if len(atoms) == 0:
        return np.zeros((0, 2))
    grp = np.repeat(np.arange(len(k)), k)
    first = offsets[:-1]
    pos = glass.positions
    nxt = np.arange(len(atoms)) + 1
    nxt[offsets[1:] - 1] = first  # closing step back to the first vertex (ignored below)
    step = minimum_image(pos[atoms[nxt]] - pos[atoms], glass.cell, glass.pbc)
    step[offsets[1:] - 1] = 0.0
    csum = np.vstack([np.zeros((1, 2)), np.cumsum(step, axis=0)])
    rel = csum[:-1] - csum[first][grp]
    xy = pos[atoms[first]][grp] + rel
    mean = np.stack([np.bincount(grp, weights=xy[:, a], minlength=len(k)) for a in range(2)], axis=1) / k[:, None]
    shift = _wrap(mean, glass.cell, glass.pbc) - mean
    return xy + shift[grp]


def ring_polygons(glass: Glass, ringset: RingSet, *, which: str = "closed") -> list:
    """Drawable ring outlines: for each ring a ``(k, 2)`` array of unwrapped vertices (Å), consecutive vertices
    bonded, each ring placed with its centre inside the cell (so rings at a periodic edge stick out of it).

    The positions are taken from ``glass``, which may be a deformed copy of the glass the rings were found on
    (same atoms): the outlines then follow the deformation.

    Parameters
    ----------
    which : {"closed", "open"}
        Closed rings (default) or open rings.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = honeycomb(4, 4); polys = ring_polygons(g, find_rings(g))
    >>> len(polys), polys[0].shape
    (16, (12, 2))
    """
    _check_pair(glass, ringset)
    if which == "closed":
        atoms, offsets = ringset.ring_atoms, ringset.ring_offsets
    elif which == "open":
        atoms, offsets = ringset.open_atoms, ringset.open_offsets
    else:
        raise InputError(f"which must be 'closed' or 'open', got {which!r}")
    xy = _polygons_flat(glass, atoms, offsets)
    return np.split(xy, offsets[1:-1]) if len(offsets) > 1 else []


def ring_label_image(glass: Glass, ringset: RingSet, shape, pixel_size, origin=(0.0, 0.0), *,
                     values: str = "size") -> np.ndarray:
    """Rasterise the rings: an ``(H, W)`` int image whose pixels hold the size of the ring they fall in
    (0 outside every closed ring).

    Pixel ``[i, j]`` is centred at ``x = origin[0] + (j + 0.5)·pixel_size``, ``y = origin[1] + (i + 0.5)·pixel_size``
    (rows along y). Along periodic axes the rings are repeated, so an image larger than the cell is tiled.

    Parameters
    ----------
    shape : (int, int)
        ``(H, W)``.
    pixel_size : float
        Å per pixel.
    origin : (float, float)
        Position (Å) of the image's corner.
    values : {"size", "id"}
        Ring size (default), or ring id + 1.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = honeycomb(4, 4)
    >>> img = ring_label_image(g, find_rings(g), (64, 64), 0.5)  # periodic: every pixel is in a ring
    >>> sorted(np.unique(img).tolist())
    [6]
    """
    from skimage.draw import polygon as draw_polygon

    _check_pair(glass, ringset)
    try:
        h, w = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape must be (H, W), got {shape!r}") from None
    if h <= 0 or w <= 0:
        raise InputError(f"shape must be positive, got {shape!r}")
    if not (np.isfinite(pixel_size) and pixel_size > 0):
        raise InputError(f"pixel_size must be a positive number of Å, got {pixel_size!r}")
    if values not in ("size", "id"):
        raise InputError(f"values must be 'size' or 'id', got {values!r}")
    ox, oy = (float(o) for o in origin)
    out = np.zeros((h, w), np.int32)
    label = ringset.sizes if values == "size" else np.arange(1, ringset.n_rings + 1)
    polys = ring_polygons(glass, ringset)
    ext = (ox, ox + w * pixel_size), (oy, oy + h * pixel_size)
    for r, poly in enumerate(polys):
        for sx, sy in _image_shifts(poly, glass.cell, glass.pbc, ext):
            cols = (poly[:, 0] + sx - ox) / pixel_size - 0.5
            rows = (poly[:, 1] + sy - oy) / pixel_size - 0.5
            rr, cc = draw_polygon(rows, cols, shape=(h, w))
            out[rr, cc] = label[r]
    return out


def _image_shifts(poly, cell, pbc, ext):
    ranges = []
    for ax in range(2):
        lo, hi = poly[:, ax].min(), poly[:, ax].max()
        if pbc[ax]:
            L = cell[ax]
            k0 = int(np.floor((ext[ax][0] - hi) / L))
            k1 = int(np.ceil((ext[ax][1] - lo) / L))
            ranges.append([k * L for k in range(k0, k1 + 1) if lo + k * L < ext[ax][1] and hi + k * L > ext[ax][0]])
        else:
            ranges.append([0.0] if (lo < ext[ax][1] and hi > ext[ax][0]) else [])
    return [(sx, sy) for sx in ranges[0] for sy in ranges[1]]


# ====================================================================== tables
def rings_table(ringset: RingSet, *, include_open: bool = True) -> dict:
    """Columns (equal-length lists) describing every ring, ready for ``pandas.DataFrame`` or CSV.

    Columns: ``id``, ``kind`` (``"closed"``/``"open"``), ``size`` (Si atoms), ``n_atoms``, ``centroid_x``,
    ``centroid_y`` (Å), ``area`` (Å²), ``atoms`` (space-separated indices in ring order). Open rings have no
    centroid or area (empty).
    """
    if not isinstance(ringset, RingSet):
        raise InputError(f"rings_table needs a RingSet, got {type(ringset).__name__}")
    cols = {k: [] for k in ("id", "kind", "size", "n_atoms", "centroid_x", "centroid_y", "area", "atoms")}
    for r, atoms in enumerate(ringset.rings):
        cols["id"].append(r)
        cols["kind"].append("closed")
        cols["size"].append(int(ringset.sizes[r]))
        cols["n_atoms"].append(len(atoms))
        cols["centroid_x"].append(float(ringset.centroids[r, 0]))
        cols["centroid_y"].append(float(ringset.centroids[r, 1]))
        cols["area"].append(float(ringset.areas[r]))
        cols["atoms"].append(" ".join(map(str, atoms.tolist())))
    if include_open:
        for q, atoms in enumerate(ringset.open_rings):
            cols["id"].append(ringset.n_rings + q)
            cols["kind"].append("open")
            cols["size"].append(int(ringset.open_sizes[q]))
            cols["n_atoms"].append(len(atoms))
            cols["centroid_x"].append(None)
            cols["centroid_y"].append(None)
            cols["area"].append(None)
            cols["atoms"].append(" ".join(map(str, atoms.tolist())))
    return cols


def write_rings_csv(ringset: RingSet, path, *, include_open: bool = True) -> None:
    """Write :func:`rings_table` to ``path`` as CSV (atomically; floats with 6 decimals)."""
    cols = rings_table(ringset, include_open=include_open)
    names = list(cols)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(names)
            for row in zip(*(cols[k] for k in names)):
                wr.writerow(["" if v is None else (f"{v:.6f}" if isinstance(v, float) else v) for v in row])
