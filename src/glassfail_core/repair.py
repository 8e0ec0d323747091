"""Network repair: topology, not physics — bridging O at Si–Si midpoints, overlaps, over-coordination, dangling
atoms and loose fragments removed, every removal logged.

Structures from micrographs (and hand-edited or cut ones) carry what an image gives: Si only, spurious or missed O
spots, atoms on the image border with their partners outside, two spots for one atom. :func:`repair_network` turns
them into a Si–O network whose intended bonds (Si–O pairs within ``tolerance``) are clean:

1. **Overlaps**: of two atoms closer than a physical minimum (:data:`MIN_DISTANCE`: Si–Si 2.2 Å, Si–O 1.0 Å, O–O
   1.6 Å — the model's bonded Si–O is 1.53–1.60 Å, O–O around one Si ≈ 2.7 Å) the less trusted one is removed
   (lower ``arrays["confidence"]``, O before Si, an O inferred at a midpoint before one seen).
2. **Topology, tolerant to noise**: Si–O pairs within ``tolerance`` (2.5 Å, above the 2.2 Å Glass cutoff because
   pixel noise stretches bonds; the nearest non-bonded Si–O is ≳ 3.5 Å) are the intended bonds. Repeated until
   nothing changes: a Si with more than 3 O loses its least trusted extra O (in-plane Si is 3-coordinated in the
   bilayer seen from above); an O bonded to more than 2 Si is removed; a pair of Si at a bridging distance
   (≤ 1.15 × the median Si–O–Si distance) sharing no O, both with fewer than 3 O, gets one at its midpoint
   (``arrays["inferred"]``); dangling atoms are removed (an O with fewer than 2 Si, a Si with fewer than 2 O);
   only the largest connected piece is kept (:func:`largest_piece`: a loose fragment would drift under the
   model's forces).

A Si-only network gets its O first with :func:`add_bridging_oxygen` (one at every Si–Si bond midpoint,
:func:`bridge_midpoints`). Every removal is recorded in a :class:`RepairLog` with its reason, input index
(``arrays["source_index"]``) and position.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .errors import InputError
from .glass import require_glass
from .neighbors import minimum_image, neighbor_pairs, wrap

__all__ = ["MIN_DISTANCE", "MAX_O_PER_SI", "bridge_midpoints", "largest_piece", "overlap_pairs", "RepairLog",
           "add_bridging_oxygen", "repair_network"]

#: Closest physical distances (Å) between two atoms of the network; closer pairs are one atom seen twice.
MIN_DISTANCE = {("Si", "Si"): 2.2, ("O", "Si"): 1.0, ("O", "O"): 1.6}
#: Most O around one in-plane Si (the bilayer seen from above).
MAX_O_PER_SI = 3
_BRIDGE_FACTOR = 1.15


# ---------------------------------------------------------------------------------------------------- the two ideas
def bridge_midpoints(positions, pairs, cell, pbc) -> np.ndarray:
    """Where a bridging O sits: halfway between the first atom ``a`` of each pair and the nearest image of the
    second, ``b`` (minimum image along the periodic axes), wrapped into the cell along them.

    Along a periodic axis that is ``a + ½·v`` (``v``: the minimum-image vector from ``a`` to ``b``), along a free
    axis the plain average ``½·(a + b)``.

    Parameters
    ----------
    positions : (N, 2) array
        Positions in Å.
    pairs : (M, 2) int array
        Atom index pairs (e.g. Si–Si bonds).
    cell, pbc
        Cell edges (Å) and periodicity per axis.

    Returns
    -------
    (M, 2) array

    Examples
    --------
    >>> bridge_midpoints(np.array([[1.0, 5.0], [9.0, 6.0]]), [[0, 1]], (10.0, 10.0), (True, True))
    array([[0. , 5.5]])
    >>> bridge_midpoints(np.array([[1.0, 5.0], [9.0, 6.0]]), [[0, 1]], (10.0, 10.0), (False, False))
    array([[5. , 5.5]])
    """
    p = np.asarray(positions, dtype=float)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return np.zeros((0, 2))
    a, b = p[pairs[:, 0]], p[pairs[:, 1]]
    periodic = np.asarray(pbc, bool)
    mid = np.where(periodic, a + 0.5 * minimum_image(b - a, cell, pbc), 0.5 * (a + b))
    return wrap(mid, cell, pbc)


def largest_piece(n_atoms: int, bonds) -> np.ndarray:
    """Mask of the atoms in the largest connected piece of a network of ``n_atoms`` atoms and ``bonds`` (M, 2);
    the first such piece (by lowest atom index) on a tie; every atom when there is no bond.

    Examples
    --------
    >>> largest_piece(5, [[0, 1], [2, 3], [3, 4]]).tolist()
    [False, False, True, True, True]
    """
    b = np.asarray(bonds, dtype=np.int64).reshape(-1, 2)
    if n_atoms == 0 or len(b) == 0:
        return np.ones(n_atoms, bool)
    _, labels = connected_components(coo_matrix((np.ones(len(b)), (b[:, 0], b[:, 1])), shape=(n_atoms, n_atoms)),
                                     directed=False)
    return labels == np.bincount(labels).argmax()


# ---------------------------------------------------------------------------------------------------- bookkeeping
class RepairLog:
    """Counts and lists removed atoms (by input index, ``arrays["source_index"]``) and added bridging O.

    Attributes
    ----------
    removed : dict
        Atoms removed, by reason.
    atoms : list of dict
        ``{"index", "species", "x", "y", "reason"}`` per removed atom.
    filled : int
        O placed between bridged Si that had none.
    """

    def __init__(self):
        self.removed: dict = {}
        self.atoms: list = []
        self.filled = 0

    def drop(self, g, mask, reason):
        """``g`` without the atoms of ``mask``, each recorded with ``reason``."""
        mask = np.asarray(mask, bool)
        if not mask.any():
            return g
        src = np.asarray(g.arrays["source_index"])
        for k in np.flatnonzero(mask):
            self.atoms.append({"index": int(src[k]), "species": str(g.species[k]),
                               "x": round(float(g.positions[k, 0]), 3), "y": round(float(g.positions[k, 1]), 3),
                               "reason": reason})
        self.removed[reason] = self.removed.get(reason, 0) + int(mask.sum())
        return g.subset(~mask)

    def removed_text(self) -> str:
        """``"3 dangling, 1 overlap"`` (empty when nothing was removed)."""
        return ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in self.removed.items() if n)


def _score(g):
    """How much an atom is trusted when two compete: Si over O, seen over inferred, then confidence."""
    conf = np.asarray(g.arrays.get("confidence", np.ones(len(g))), float)
    conf = np.where(np.isfinite(conf), conf, 0.0)
    inferred = np.asarray(g.arrays.get("inferred", np.zeros(len(g), bool)), bool)
    return conf + 10.0 * g.si_mask - 5.0 * inferred


def _append_atoms(g, positions, species, **values):
    """Add atoms; per-atom arrays get ``values`` when given, else NaN (float), False (bool), −1 (int)."""
    n = len(positions)
    if n == 0:
        return g
    arrays = {}
    for k, v in g.arrays.items():
        v = np.asarray(v)
        if k in values:
            extra = np.broadcast_to(np.asarray(values[k], dtype=v.dtype), (n,) + v.shape[1:])
        elif v.dtype.kind == "f":
            extra = np.full((n,) + v.shape[1:], np.nan)
        elif v.dtype.kind == "b":
            extra = np.zeros((n,) + v.shape[1:], bool)
        elif v.dtype.kind in "iu":
            extra = np.full((n,) + v.shape[1:], -1, dtype=v.dtype)
        else:
            continue
        arrays[k] = np.concatenate([v, extra])
    pos = np.concatenate([g.positions, positions])
    sp = np.concatenate([g.species, np.array(species, dtype=g.species.dtype if len(g) else "<U2")])
    return g.replace(positions=pos, species=sp, arrays=arrays)


# ---------------------------------------------------------------------------------------------------- oxygen
def add_bridging_oxygen(glass):
    """Si-only network → Si + O at every Si–Si bond midpoint (minimum image, wrapped); returns ``(Glass, n_added)``.

    The new O are ``arrays["inferred"]``; their ``confidence`` (when the input has one) is the lower of their two
    Si's. Other per-atom arrays get NaN, False or −1.

    Raises
    ------
    InputError
        The network has no Si–Si bond.
    """
    glass = require_glass(glass)
    b = np.asarray(glass.bonds)
    if len(b) == 0:
        raise InputError("the Si-only network has no Si–Si bonds (within "
                         f"{glass.bond_cutoff():g} Å): cannot place bridging oxygen")
    o = bridge_midpoints(glass.positions, b, glass.cell, glass.pbc)
    conf = glass.arrays.get("confidence")
    values = {"inferred": True}
    if conf is not None:
        values = {"inferred": np.ones(len(o), bool)}
    g = _append_atoms(glass, o, ["O"] * len(o), **values)
    if conf is not None:
        c = np.array(g.arrays["confidence"], float)
        c[len(glass):] = np.minimum(conf[b[:, 0]], conf[b[:, 1]])
        g = g.replace(arrays={**g.arrays, "confidence": c})
    if "inferred" not in g.arrays:
        g = g.replace(arrays={**g.arrays, "inferred": np.r_[np.zeros(len(glass), bool), np.ones(len(o), bool)]})
    return g, len(o)


# ---------------------------------------------------------------------------------------------------- repair steps
# each takes a Glass (with arrays "source_index") and returns a Glass, logging what it did
def overlap_pairs(g):
    """Pairs ``(i, j)`` of atoms closer than :data:`MIN_DISTANCE` for their species (one atom seen twice)."""
    i, j, _, d = neighbor_pairs(g.positions, g.cell, g.pbc, max(MIN_DISTANCE.values()))
    if len(i) == 0:
        return i, j
    si = g.si_mask
    lim = np.where(si[i] & si[j], MIN_DISTANCE[("Si", "Si")],
                   np.where(si[i] ^ si[j], MIN_DISTANCE[("O", "Si")], MIN_DISTANCE[("O", "O")]))
    k = d < lim
    return i[k], j[k]


def _drop_overlaps(g, log):
    i, j = overlap_pairs(g)
    if len(i) == 0:
        return g
    score = _score(g)
    drop = np.zeros(len(g), bool)
    for a, b in zip(i, j):
        if drop[a] or drop[b]:
            continue
        drop[b if score[a] >= score[b] else a] = True
    return log.drop(g, drop, "overlap")


def _candidate_bonds(g, tolerance):
    i, j, _, d = neighbor_pairs(g.positions, g.cell, g.pbc, tolerance, mask_i=g.si_mask, mask_j=g.o_mask)
    return i, j, d


def _drop_overcoordinated(g, tolerance, log):
    i, j, d = _candidate_bonds(g, tolerance)
    n = len(g)
    c = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    bad_o = g.o_mask & (c > 2)
    extra = np.zeros(n, bool)
    score = _score(g)
    for s in np.flatnonzero(g.si_mask & (c > MAX_O_PER_SI)):
        mine = np.flatnonzero(i == s)
        o = j[mine]
        # keep bridging O (2 Si), then the trusted, then the short bonds
        key = np.lexsort((d[mine], -score[o], (c[o] != 2)))
        extra[o[key[MAX_O_PER_SI:]]] = True
    g = log.drop(g, bad_o & ~extra, "o_overcoordinated")
    keep = ~(bad_o & ~extra)
    return log.drop(g, extra[keep], "si_overcoordinated_extra_o")


def _bridge_length(g, tolerance):
    """Median Si–O–Si distance (Å) of the network, or None."""
    i, j, _ = _candidate_bonds(g, tolerance)
    if len(i) < 2:
        return None
    order = np.argsort(j, kind="stable")
    i, j = i[order], j[order]
    same = j[1:] == j[:-1]
    if not same.any():
        return None
    a, b = i[:-1][same], i[1:][same]
    v = minimum_image(g.positions[b] - g.positions[a], g.cell, g.pbc)
    return float(np.median(np.hypot(v[:, 0], v[:, 1])))


def _fill_bridges(g, tolerance, bridge, log):
    """O at the midpoint of bridged-distance Si pairs that share no O and both have fewer than 3 O."""
    if bridge is None:
        return g
    i, j, _ = _candidate_bonds(g, tolerance)
    n = len(g)
    c = np.bincount(i, minlength=n)
    a, b, vec, dist = neighbor_pairs(g.positions, g.cell, g.pbc, _BRIDGE_FACTOR * bridge,
                                     mask_i=g.si_mask, mask_j=g.si_mask)
    k = a < b
    a, b, vec = a[k], b[k], vec[k]
    if len(a) == 0:
        return g
    o_of = {}
    for s, o in zip(i, j):
        o_of.setdefault(int(s), set()).add(int(o))
    want = [(s, t, v) for s, t, v in zip(a, b, vec)
            if c[s] < MAX_O_PER_SI and c[t] < MAX_O_PER_SI and not (o_of.get(int(s), set()) & o_of.get(int(t), set()))]
    if not want:
        return g
    # a Si takes at most 3 O: the shortest candidate bridges first
    used = c.copy()
    order = np.argsort([np.hypot(*v) for _, _, v in want])
    keep = []
    for q in order:
        s, t, _ = want[q]
        if used[s] < MAX_O_PER_SI and used[t] < MAX_O_PER_SI:
            used[s] += 1
            used[t] += 1
            keep.append(q)
    mids = bridge_midpoints(g.positions, [(want[q][0], want[q][1]) for q in keep], g.cell, g.pbc)
    if len(mids):  # never onto an existing O, never bonded to a third Si
        ok = np.ones(len(mids), bool)
        for k, m in enumerate(mids):
            d = np.hypot(*minimum_image(g.positions - m, g.cell, g.pbc).T)
            ok[k] = (d[g.o_mask].min(initial=np.inf) >= MIN_DISTANCE[("O", "O")]
                     and (d[g.si_mask] < tolerance).sum() <= 2)
        mids = mids[ok]
    if len(mids) == 0:
        return g
    values = {"source_index": -1}
    if "inferred" in g.arrays:
        values["inferred"] = True
    if "confidence" in g.arrays:
        values["confidence"] = 0.0
    log.filled += len(mids)
    return _append_atoms(g, mids, ["O"] * len(mids), **values)


def _drop_dangling(g, tolerance, log):
    i, j, _ = _candidate_bonds(g, tolerance)
    n = len(g)
    c = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    bad = (g.o_mask & (c < 2)) | (g.si_mask & (c < 2))
    return log.drop(g, bad, "dangling")


def _keep_largest_piece(g, tolerance, log):
    i, j, _ = _candidate_bonds(g, tolerance)
    return log.drop(g, ~largest_piece(len(g), np.stack([i, j], axis=1)), "fragment")


def repair_network(glass, *, tolerance: float = 2.5, fill: bool = True, log: RepairLog | None = None):
    """Steps 1–2 of the module docstring, the topology steps repeated until nothing changes.

    Parameters
    ----------
    glass : Glass
        A Si–O network (add O to a Si-only one first: :func:`add_bridging_oxygen`). Without
        ``arrays["source_index"]`` the input order is recorded there.
    tolerance : float
        Si–O pairs closer than this (Å) are the intended bonds.
    fill : bool
        Add an O between bridged Si pairs that have none.
    log : RepairLog, optional
        Where removals are recorded (a new one by default).

    Returns
    -------
    (Glass, RepairLog)

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = honeycomb(4, 4).replace(pbc=(False, False))  # opened: the border atoms dangle
    >>> out, log = repair_network(g)
    >>> len(g) - len(out) == log.removed["dangling"], sorted(log.removed)
    (True, ['dangling'])
    """
    g = require_glass(glass)
    if "source_index" not in g.arrays:
        g = g.replace(arrays={**g.arrays, "source_index": np.arange(len(g))})
    log = RepairLog() if log is None else log
    g = _drop_overlaps(g, log)
    bridge = _bridge_length(g, tolerance)
    for _ in range(50):
        n0, filled0 = len(g), log.filled
        g = _drop_overcoordinated(g, tolerance, log)
        if fill:
            g = _fill_bridges(g, tolerance, bridge, log)
            g = _drop_overlaps(g, log)
        g = _drop_dangling(g, tolerance, log)
        g = _keep_largest_piece(g, tolerance, log)
        if len(g) == n0 and log.filled == filled0:
            break
    return g, log
