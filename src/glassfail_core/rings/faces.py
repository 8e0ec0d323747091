"""How rings are found: the half-edge face walk of a planar bond network, and the checks it needs.

At every atom the bonds are sorted by angle (minimum-image bond vectors), and the half-edge that follows ``u → v``
around a face is the bond leaving ``v`` immediately clockwise of ``v → u``. This makes "next half-edge" a
permutation of the ``2·M`` half-edges whose cycles are the faces, each walked counter-clockwise (interior on the
left). Everything is NumPy on flat arrays and linear in the number of atoms (apart from one argsort of the
half-edges). :func:`~glassfail_core.rings.find_rings` turns the faces into rings.

Before the walk the bonds are checked (:func:`check_bonds`), over-coordinated atoms are named
(:func:`warn_over_coordinated`) and crossing bonds, which leave a network without faces, are refused
(:func:`check_crossings`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import GlassfailWarning, InputError, StructureError
from ..neighbors import neighbor_pairs

__all__ = [
    "IDEAL_COORDINATION", "HalfEdges", "check_bonds", "warn_over_coordinated", "check_crossings", "face_cycles",
    "face_starts", "walk_faces", "face_geometry", "distinct_si", "unique_int", "open_segments",
]

#: Bonds an atom of each species has in an intact network (Si–O networks; in Si-only networks Si has 3 Si).
IDEAL_COORDINATION = {"Si": 3, "O": 2}

_TWO_PI = 2.0 * np.pi


def check_bonds(glass, bonds):
    """The bonds to walk: ``glass.bonds``, or explicit ``bonds`` checked, sorted and deduplicated; ``(M, 2)``
    int64 rows ``i < j``. Raises InputError for bad or no bonds."""
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
        key = unique_int(b[:, 0] * n + b[:, 1])
        b = np.stack([key // n, key % n], axis=1)
    if len(b) == 0:
        kind = "explicit bonds were given empty" if bonds is not None else (
            f"no {'Si–O' if glass.has_oxygen else 'Si–Si'} pairs within the bond cutoff "
            f"{glass.bond_cutoff():.2f} Å (are positions in Å?)")
        raise InputError(f"the network has no bonds: {kind}")
    return b


def warn_over_coordinated(glass, deg, ideal):
    """Warn (GlassfailWarning, at the caller of :func:`~glassfail_core.rings.find_rings`) naming the atoms with more
    bonds ``deg`` than their ``ideal`` coordination."""
    over = np.flatnonzero(deg > ideal)
    if len(over):
        shown = ", ".join(f"{i} ({glass.species[i]}, {deg[i]} bonds)" for i in over[:8])
        more = f" and {len(over) - 8} more" if len(over) > 8 else ""
        warnings.warn(
            f"{len(over)} over-coordinated atom(s): {shown}{more}; rings through them are faces of the drawn "
            f"network and may not be chemical rings", GlassfailWarning, stacklevel=3)


def check_crossings(glass, b, vec):
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


class HalfEdges:
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


def face_cycles(nxt):
    """Label the cycles of the permutation ``nxt``."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    k = len(nxt)
    graph = csr_matrix((np.ones(k, np.int8), (np.arange(k), nxt)), shape=(k, k))
    n_faces, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int64), int(n_faces)


def face_starts(labels, n_faces, origin):
    """Per face, the half-edge leaving its lowest-index atom (lowest half-edge on ties)."""
    k = len(labels)
    key = origin.astype(np.int64) * k + np.arange(k)
    best = np.full(n_faces, np.iinfo(np.int64).max)
    np.minimum.at(best, labels, key)
    return best % k


def walk_faces(nxt, labels, n_faces, start):
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


def face_geometry(v, offsets, face_of, n_faces):
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


def distinct_si(atoms, group, n_groups, si_mask):
    """Number of distinct Si atoms in each group."""
    if n_groups == 0:
        return np.zeros(0, np.int64)
    keep = si_mask[atoms]
    key = unique_int(group[keep].astype(np.int64) * (len(si_mask) + 1) + atoms[keep])
    return np.bincount(key // (len(si_mask) + 1), minlength=n_groups).astype(np.int64)


def unique_int(keys):
    """Sorted unique values of an int array (a sort and a mask: faster than ``np.unique`` for large arrays)."""
    k = np.sort(np.asarray(keys, dtype=np.int64))
    if len(k) == 0:
        return k
    return k[np.r_[True, k[1:] != k[:-1]]]


def open_segments(origin, open_in_walk, offsets, faces):
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
