"""The rings of one network: the :class:`RingSet` type and :func:`find_rings`, which builds it from the faces
walked by :mod:`glassfail_core.rings.faces` (see :mod:`glassfail_core.rings` for which faces are rings)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

from ..errors import StructureError
from ..glass import Glass, require_glass
from ..neighbors import wrap
from .faces import (IDEAL_COORDINATION, HalfEdges, check_bonds, check_crossings, distinct_si, face_cycles,
                    face_geometry, face_starts, open_segments, unique_int, walk_faces, warn_over_coordinated)

__all__ = ["RingSet", "find_rings"]


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

    def to_dict(self) -> dict:
        """Every field as JSON-ready values (arrays and tuples as lists, in the CSR layout above).

        >>> from glassfail_core.generation import honeycomb
        >>> d = find_rings(honeycomb(4, 4)).to_dict()
        >>> d["sizes"][:3], d["pbc"], d["ring_offsets"][:3]
        ([6, 6, 6], [True, True], [0, 12, 24])
        """
        return {f.name: np.asarray(getattr(self, f.name)).tolist() for f in fields(self)}

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
        key = unique_int(self.ring_atoms.astype(np.int64) * max(self.n_rings, 1) + ring_of)
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
    require_glass(glass)
    n = len(glass)
    b = check_bonds(glass, bonds)
    vec = glass.bond_vectors(b)
    length = np.hypot(vec[:, 0], vec[:, 1])
    if (length <= 1e-9).any():
        k = int(np.flatnonzero(length <= 1e-9)[0])
        raise StructureError(f"bond {b[k, 0]}–{b[k, 1]} has zero length (atoms on top of each other)")
    deg = np.bincount(b.ravel(), minlength=n)
    ideal = np.where(glass.si_mask, IDEAL_COORDINATION["Si"], IDEAL_COORDINATION["O"])
    warn_over_coordinated(glass, deg, ideal)
    if check:
        check_crossings(glass, b, vec)

    m = len(b)
    he = HalfEdges(b, vec, n)
    he.check_directions(glass)
    nxt = he.next_in_face()

    labels, n_faces = face_cycles(nxt)
    start = face_starts(labels, n_faces, he.origin)
    walk, offsets = walk_faces(nxt, labels, n_faces, start)
    flen = np.diff(offsets)
    face_of = np.repeat(np.arange(n_faces), flen)
    origin = he.origin[walk]

    # Geometry of every face from its unwrapped walk.
    v = he.vec[walk]
    area, net, cen_rel = face_geometry(v, offsets, face_of, n_faces)

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
    sizes = distinct_si(ring_atoms, ring_of, len(ring_ids), glass.si_mask)
    first = glass.positions[ring_atoms[ring_offsets[:-1]]] if len(ring_ids) else np.zeros((0, 2))
    centroids = wrap(first + cen_rel[ring_ids], glass.cell, glass.pbc)

    # Neighbouring rings: the faces on both sides of each bond.
    face_of_he = np.empty(2 * m, np.int64)
    face_of_he[walk] = face_of
    ring_index = np.full(n_faces, -1, np.int64)
    ring_index[ring_ids] = np.arange(len(ring_ids))
    fa, fb = ring_index[face_of_he[:m]], ring_index[face_of_he[m:]]
    ok = (fa >= 0) & (fb >= 0) & (fa != fb)
    nr = max(len(ring_ids), 1)
    key = unique_int(np.minimum(fa[ok], fb[ok]) * nr + np.maximum(fa[ok], fb[ok]))
    pairs = np.stack([key // nr, key % nr], axis=1)
    # Rings touching a boundary face are flagged (their neighbour list is incomplete).
    touches = np.zeros(n_faces, bool)
    bad_side = ~closed[face_of_he]
    np.logical_or.at(touches, face_of_he[np.concatenate([bad_side[m:], bad_side[:m]])], True)

    open_atoms, open_offsets = open_segments(origin, open_in_walk, offsets, ~closed & (n_open_corners > 0))
    open_of = np.repeat(np.arange(len(open_offsets) - 1), np.diff(open_offsets))
    open_sizes = distinct_si(open_atoms, open_of, len(open_offsets) - 1, glass.si_mask)

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
