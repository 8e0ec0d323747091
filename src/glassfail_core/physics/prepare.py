"""Make any loaded structure simulable: repair the network, relax it, check that its rings survived, report.

Structures from micrographs (and hand-edited or cut ones) carry what an image gives: Si only, spurious or missed O
spots, atoms on the image border with their partners outside, two spots for one atom, and positions off by a
fraction of an Å. The model needs a Si–O network whose bonds (Si–O pairs within the Glass bond cutoff, 2.2 Å) are
exactly the bonds it will keep after minimisation, otherwise the simulation would start with broken or
overlapping bonds. :func:`prepare_steps` / :func:`prepare_for_simulation` do, in order:

1. **Oxygen**: a Si-only network gets an O at the midpoint of every Si–Si bond (Glass Si–Si cutoff, 4 Å).
2. **Overlaps**: of two atoms closer than a physical minimum (Si–Si 2.2 Å, Si–O 1.0 Å, O–O 1.6 Å — the model's
   bonded Si–O is 1.53–1.60 Å, O–O around one Si ≈ 2.7 Å) the less trusted one is removed (lower
   ``arrays["confidence"]``, O before Si, an O inferred at a midpoint before one seen).
3. **Topology, tolerant to noise**: Si–O pairs within ``bond_tolerance`` (2.5 Å, above the 2.2 Å cutoff because
   pixel noise stretches bonds; the nearest non-bonded Si–O is ≳ 3.5 Å) are the intended bonds. Repeated until
   nothing changes: a Si with more than 3 O loses its least trusted extra O (in-plane Si is 3-coordinated in the
   bilayer seen from above); an O bonded to more than 2 Si is removed; a pair of Si at a bridging distance
   (≤ 1.15 × the median Si–O–Si distance) sharing no O, both with fewer than 3 O, gets one at its midpoint
   (``arrays["inferred"]``); dangling atoms are removed (an O with fewer than 2 Si, a Si with fewer than 2 O);
   only the largest connected piece is kept (a loose fragment would drift under the model's forces).
4. **Relaxation** of the positions with the model at the fixed cell (free axes stay free; the frame is not moved,
   so positions keep their meaning on the image).
5. **Check**: the bonds after relaxation (2.2 Å cutoff) must be the intended bonds and the ring list
   (:func:`glassfail_core.rings.find_rings`: ring sizes and atom membership) must be the one of the repaired,
   unrelaxed network. Atoms whose bonds changed are removed and steps 3–5 repeated (at most ``max_rounds``).

Every removal is reported with its reason, input index and position; ``arrays["source_index"]`` of the result maps
each atom to its index in the input (−1 for added O).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Optional

import numpy as np

from ..errors import GlassfailWarning, InputError
from ..progress import Progress

__all__ = ["PrepareReport", "prepare_steps", "prepare_for_simulation", "needs_preparation", "structure_hash"]

#: Closest physical distances (Å) between two atoms of the network; closer pairs are one atom seen twice.
MIN_DISTANCE = {("Si", "Si"): 2.2, ("O", "Si"): 1.0, ("O", "O"): 1.6}
_MAX_O_PER_SI = 3
_BRIDGE_FACTOR = 1.15


@dataclass(frozen=True)
class PrepareReport:
    """What :func:`prepare_steps` changed and checked (also readable as a mapping: ``report["added_oxygen"]``).

    Attributes
    ----------
    n_atoms_in, n_atoms_out : int
    added_oxygen : int
        O placed at Si–Si midpoints of a Si-only network.
    filled_oxygen : int
        O placed where two bridged Si had none between them (missed or removed O spot).
    removed : dict
        Atoms removed, by reason: ``overlap``, ``si_overcoordinated_extra_o``, ``o_overcoordinated``,
        ``dangling``, ``fragment``, ``bond_changed_in_relaxation``.
    removed_atoms : list of dict
        ``{"index", "species", "x", "y", "reason"}`` per removed input atom (index −1: an O added here).
    bonds_before, bonds_after : int
        Intended bonds of the repaired network, and Glass bonds after relaxation.
    bonds_lost, bonds_gained : list of (si, o)
        Differences in the last round (indices of the output Glass); empty when the topology survived.
    topology_unchanged, rings_unchanged : bool
        Bonds, and ring list (sizes and membership), identical before and after the last relaxation.
    n_rings, ring_counts
        Closed rings after relaxation and their sizes ``{size: count}``.
    rings_detected, rings_kept
        Closed rings of the repaired input before any relaxation, and how many of them (same size, same input Si)
        are rings of the result: less than all when relaxation changed bonds and a later round removed atoms.
    max_displacement, rms_displacement : float
        How far relaxation moved the atoms (Å), over all rounds.
    bond_length_before, bond_length_after : (float, float)
        Shortest and longest Si–O bond (Å) of the repaired network before and after relaxation.
    min_distance_after : float
        Closest pair of atoms after relaxation (Å).
    coordination_after : dict
        ``{"Si": {k: n}, "O": {k: n}}``.
    rounds : int
        Repair–relax rounds run.
    relaxed : bool
    fmax : float or None
        Residual max|F| (eV/Å) of the relaxation.
    input_hash : str
        :func:`structure_hash` of the input (to reuse a prepared structure).
    """

    n_atoms_in: int
    n_atoms_out: int
    added_oxygen: int = 0
    filled_oxygen: int = 0
    removed: Mapping[str, int] = field(default_factory=dict)
    removed_atoms: list = field(default_factory=list)
    bonds_before: int = 0
    bonds_after: int = 0
    bonds_lost: list = field(default_factory=list)
    bonds_gained: list = field(default_factory=list)
    topology_unchanged: bool = True
    rings_unchanged: Optional[bool] = None
    n_rings: Optional[int] = None
    rings_detected: Optional[int] = None
    rings_kept: Optional[int] = None
    ring_counts: Mapping[int, int] = field(default_factory=dict)
    max_displacement: float = 0.0
    rms_displacement: float = 0.0
    bond_length_before: tuple = (float("nan"), float("nan"))
    bond_length_after: tuple = (float("nan"), float("nan"))
    min_distance_after: float = float("nan")
    coordination_after: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    rounds: int = 0
    relaxed: bool = True
    fmax: Optional[float] = None
    input_hash: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("bond_length_before", "bond_length_after"):
            d[k] = list(d[k])
        d["bonds_lost"] = [list(map(int, b)) for b in self.bonds_lost]
        d["bonds_gained"] = [list(map(int, b)) for b in self.bonds_gained]
        d["ring_counts"] = {str(k): int(v) for k, v in self.ring_counts.items()}
        d["coordination_after"] = {s: {str(k): int(v) for k, v in c.items()} for s, c in
                                   self.coordination_after.items()}
        return d

    def __getitem__(self, key):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def n_removed(self) -> int:
        return int(sum(self.removed.values()))

    def summary(self) -> str:
        """A few human-readable lines (what the CLI prints)."""
        lines = [f"prepared {self.n_atoms_in} → {self.n_atoms_out} atoms"]
        changes = []
        if self.added_oxygen:
            changes.append(f"{self.added_oxygen} O added at Si–Si midpoints (Si-only input)")
        if self.filled_oxygen:
            changes.append(f"{self.filled_oxygen} missing bridging O added")
        for reason, n in self.removed.items():
            if n:
                changes.append(f"{n} removed ({reason.replace('_', ' ')})")
        lines.append("; ".join(changes) if changes else "no atom added or removed")
        if self.relaxed:
            lines.append(
                f"relaxed: atoms moved ≤ {self.max_displacement:.3f} Å (rms {self.rms_displacement:.3f}); Si–O "
                f"{self.bond_length_before[0]:.2f}–{self.bond_length_before[1]:.2f} Å → "
                f"{self.bond_length_after[0]:.2f}–{self.bond_length_after[1]:.2f} Å; closest pair "
                f"{self.min_distance_after:.2f} Å")
        ok = "unchanged" if self.topology_unchanged else (f"CHANGED ({len(self.bonds_lost)} lost, "
                                                         f"{len(self.bonds_gained)} gained)")
        ring = ""
        if self.n_rings is not None:
            ring = f"; {self.n_rings} closed rings " + ("unchanged" if self.rings_unchanged else "CHANGED")
        lines.append(f"{self.bonds_after} Si–O bonds {ok}{ring}"
                     + (f" in the last of {self.rounds} rounds" if self.rounds > 1 else ""))
        if self.rings_detected is not None and self.rings_kept != self.rings_detected:
            lines.append(f"{self.rings_kept} of the {self.rings_detected} rings of the input kept")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
def structure_hash(glass) -> str:
    """A short hash of a Glass's atoms, cell and periodicity (to recognise the same input again)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(glass.positions, dtype=np.float64).tobytes())
    h.update(",".join(np.asarray(glass.species).tolist()).encode())
    h.update(np.asarray(glass.cell, dtype=np.float64).tobytes())
    h.update(repr(tuple(bool(p) for p in glass.pbc)).encode())
    return h.hexdigest()[:16]


def needs_preparation(glass, *, force_tol: float = 1e-3, model="rhh") -> Optional[str]:
    """Why ``glass`` should be prepared before a simulation, or None.

    Reasons: it holds no O (Si-only); its metadata says it was detected in a micrograph (``info["detection"]``
    or ``info["species_mode"]``); it is non-periodic along some axis and not at a force minimum (max|F| above
    ``force_tol`` eV/Å); it holds an overlapping pair, an O bonded to more than 2 Si or a Si to more than 3 O.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> needs_preparation(honeycomb(8, 8)) is None, needs_preparation(honeycomb(8, 8, oxygen=False))
    (True, 'Si-only network (no O)')
    """
    from ..glass import Glass

    if not isinstance(glass, Glass):
        raise InputError(f"glass must be a glassfail Glass, got {type(glass).__name__}")
    if len(glass) == 0:
        return None
    if not glass.has_oxygen:
        return "Si-only network (no O)"
    if ("detection" in glass.info or "species_mode" in glass.info) and "prepared" not in glass.info:
        return "detected in a micrograph"
    if _overlap_pairs(glass)[0].size:
        return "atoms overlap"
    c = glass.coordination
    if (c[glass.o_mask] > 2).any() or (c[glass.si_mask] > _MAX_O_PER_SI).any():
        return "impossible coordination (O with > 2 Si or Si with > 3 O)"
    if not all(glass.pbc):
        from . import energy_forces

        try:
            _, f = energy_forces(glass, model=model, platform="NumPy")
        except Exception:  # noqa: BLE001 - whatever the model refuses, preparation will report properly
            return "non-periodic, and the model cannot evaluate it as it is"
        fm = float(np.hypot(f[:, 0], f[:, 1]).max()) if len(f) else 0.0
        if fm > force_tol:
            return f"non-periodic and not at a force minimum (max|F| = {fm:.2g} eV/Å)"
    return None


# ---------------------------------------------------------------------------------------------------------------
# repair helpers: each takes a Glass (with arrays "source_index") and returns a Glass, counting what it did
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


def _wrap(xy, g):
    xy = np.array(xy, float)
    for ax in range(2):
        if g.pbc[ax]:
            xy[:, ax] %= g.cell[ax]
    return xy


class _Log:
    """Counts and lists removed atoms (by input index)."""

    def __init__(self):
        self.removed: dict = {}
        self.atoms: list = []
        self.filled = 0

    def drop(self, g, mask, reason):
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


def _add_bridging_oxygen(glass):
    """Si-only network → Si + O at every Si–Si bond midpoint (minimum image)."""
    from ..neighbors import minimum_image

    b = np.asarray(glass.bonds)
    if len(b) == 0:
        raise InputError("the Si-only network has no Si–Si bonds (within "
                         f"{glass.bond_cutoff():g} Å): cannot place bridging oxygen")
    v = minimum_image(glass.positions[b[:, 1]] - glass.positions[b[:, 0]], glass.cell, glass.pbc)
    o = _wrap(glass.positions[b[:, 0]] + 0.5 * v, glass)
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


def _overlap_pairs(g):
    from ..neighbors import neighbor_pairs

    i, j, _, d = neighbor_pairs(g.positions, g.cell, g.pbc, max(MIN_DISTANCE.values()))
    if len(i) == 0:
        return i, j
    si = g.si_mask
    lim = np.where(si[i] & si[j], MIN_DISTANCE[("Si", "Si")],
                   np.where(si[i] ^ si[j], MIN_DISTANCE[("O", "Si")], MIN_DISTANCE[("O", "O")]))
    k = d < lim
    return i[k], j[k]


def _drop_overlaps(g, log):
    i, j = _overlap_pairs(g)
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
    from ..neighbors import neighbor_pairs

    i, j, _, d = neighbor_pairs(g.positions, g.cell, g.pbc, tolerance, mask_i=g.si_mask, mask_j=g.o_mask)
    return i, j, d


def _drop_overcoordinated(g, tolerance, log):
    i, j, d = _candidate_bonds(g, tolerance)
    n = len(g)
    c = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    bad_o = g.o_mask & (c > 2)
    extra = np.zeros(n, bool)
    score = _score(g)
    for s in np.flatnonzero(g.si_mask & (c > _MAX_O_PER_SI)):
        mine = np.flatnonzero(i == s)
        o = j[mine]
        # keep bridging O (2 Si), then the trusted, then the short bonds
        key = np.lexsort((d[mine], -score[o], (c[o] != 2)))
        extra[o[key[_MAX_O_PER_SI:]]] = True
    g = log.drop(g, bad_o & ~extra, "o_overcoordinated")
    keep = ~(bad_o & ~extra)
    return log.drop(g, extra[keep], "si_overcoordinated_extra_o")


def _bridge_length(g, tolerance):
    """Median Si–O–Si distance (Å) of the network, or None."""
    from ..neighbors import minimum_image

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
    from ..neighbors import minimum_image, neighbor_pairs

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
            if c[s] < _MAX_O_PER_SI and c[t] < _MAX_O_PER_SI and not (o_of.get(int(s), set()) & o_of.get(int(t), set()))]
    if not want:
        return g
    mids = _wrap(np.array([g.positions[s] + 0.5 * v for s, _, v in want]), g)
    # a Si takes at most 3 O: the shortest candidate bridges first
    used = c.copy()
    order = np.argsort([np.hypot(*v) for _, _, v in want])
    keep = []
    for q in order:
        s, t, _ = want[q]
        if used[s] < _MAX_O_PER_SI and used[t] < _MAX_O_PER_SI:
            used[s] += 1
            used[t] += 1
            keep.append(q)
    mids = mids[keep]
    # never onto an existing atom
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
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    i, j, _ = _candidate_bonds(g, tolerance)
    n = len(g)
    if n == 0 or len(i) == 0:
        return g
    _, labels = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    big = np.bincount(labels).argmax()
    return log.drop(g, labels != big, "fragment")


def _repair(g, tolerance, log, fill=True):
    """Steps 2–3 of the module docstring, until nothing changes."""
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
    return g


def _bond_set(bonds):
    return {(int(a), int(b)) for a, b in np.asarray(bonds).reshape(-1, 2)}


def _ring_keys(glass, bonds):
    """Ring list as a set of (size, frozenset(atoms)), or None when rings cannot be found."""
    from ..rings import find_rings

    if len(bonds) == 0:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlassfailWarning)
        try:
            rs = find_rings(glass, bonds=np.asarray(bonds), check=False)
        except Exception:  # noqa: BLE001 - a network without faces: reported as "rings unknown"
            return None, None
    keys = {(int(s), frozenset(map(int, r))) for s, r in zip(rs.sizes, rs.rings)}
    return keys, rs


def _si_source_keys(g, rs):
    """Rings as (size, frozenset of the input indices of their Si), comparable across atom removals."""
    if rs is None:
        return None
    src = np.asarray(g.arrays["source_index"])
    si = g.si_mask
    return {(int(n), frozenset(int(src[a]) for a in r if si[a])) for n, r in zip(rs.sizes, rs.rings)}


def _lengths(g, bonds):
    from ..neighbors import minimum_image

    b = np.asarray(bonds).reshape(-1, 2)
    if len(b) == 0:
        return (float("nan"), float("nan"))
    v = minimum_image(g.positions[b[:, 1]] - g.positions[b[:, 0]], g.cell, g.pbc)
    L = np.hypot(v[:, 0], v[:, 1])
    return (float(L.min()), float(L.max()))


def _min_distance(g):
    from ..neighbors import neighbor_pairs

    _, _, _, d = neighbor_pairs(g.positions, g.cell, g.pbc, 3.0)
    return float(d.min()) if len(d) else float("nan")


# ---------------------------------------------------------------------------------------------------------------
def prepare_steps(glass, *, relax: bool = True, fmax: float = 1e-4, bond_tolerance: float = 2.5,
                  fill_missing_o: bool = True, max_rounds: int = 3, model="rhh", platform=None, threads=None):
    """Repair ``glass`` for the physics engine and relax it (generator of :class:`Progress`; returns
    ``(Glass, PrepareReport)``). See the module docstring for the steps.

    Parameters
    ----------
    glass : Glass
        Any structure; non-periodic ones stay non-periodic, the cell and frame are kept.
    relax : bool
        Relax positions with the model (at fixed cell) and check the topology; False only repairs.
    fmax : float
        Force tolerance of the relaxation, eV/Å.
    bond_tolerance : float
        Si–O pairs closer than this (Å) are intended bonds in the input (≥ the 2.2 Å Glass cutoff).
    fill_missing_o : bool
        Add an O between bridged Si pairs that have none.
    max_rounds : int
        Repair–relax rounds when relaxation changes the bonds.
    model, platform, threads
        As for :func:`glassfail_core.physics.relax`.

    Raises
    ------
    InputError
        Bad parameters; nothing left after the repair.
    """
    from ..glass import Glass
    from .relax import relax_steps

    if not isinstance(glass, Glass):
        raise InputError(f"glass must be a glassfail Glass, got {type(glass).__name__}")
    if not (np.isfinite(bond_tolerance) and 2.2 <= bond_tolerance <= 3.2):
        raise InputError(f"bond_tolerance must be between 2.2 and 3.2 Å, got {bond_tolerance!r}")
    if not (np.isfinite(fmax) and fmax > 0):
        raise InputError(f"fmax must be a positive force in eV/Å, got {fmax!r}")
    if int(max_rounds) < 1:
        raise InputError(f"max_rounds must be at least 1, got {max_rounds!r}")
    if len(glass) == 0:
        raise InputError("the structure has no atoms")
    if not glass.si_mask.any():
        raise InputError("the structure has no Si: nothing to simulate")
    log = _Log()
    g = glass.replace(arrays={**glass.arrays, "source_index": np.arange(len(glass))})
    added = 0
    if not g.has_oxygen:
        g, added = _add_bridging_oxygen(g)
    total = 1 + (int(max_rounds) if relax else 0)
    yield Progress("prepare", 0, total, "repairing the network", {"n_atoms": len(g)})
    g = _repair(g, bond_tolerance, log, fill=fill_missing_o)
    if len(g) == 0 or not g.o_mask.any() or not g.si_mask.any():
        raise InputError(f"nothing is left of the structure after the repair ({_removed_text(log)}): it holds no "
                         "connected Si–O network")
    yield Progress("prepare", 1, total, f"repaired: {len(g)} atoms ({_removed_text(log) or 'nothing removed'})",
                   {"n_atoms": len(g)})
    tol_glass = lambda h: h.replace(info={**h.info, "bond_cutoff_sio": bond_tolerance})  # noqa: E731
    rounds, res_fmax = 0, None
    lost, gained = [], []
    rings_before = rings_after = rs_after = None
    detected_rings = None
    bonds_before = _bond_set(tol_glass(g).bonds)
    lengths_before = _lengths(g, sorted(bonds_before))
    intended = bonds_before
    if relax:
        for rounds in range(1, int(max_rounds) + 1):
            intended = _bond_set(tol_glass(g).bonds)
            before_keys, rs_before = _ring_keys(g, sorted(intended))
            if rounds == 1:
                detected_rings = _si_source_keys(g, rs_before)
            job = relax_steps(g, fmax=fmax, model=model, platform=platform, threads=threads)
            g = yield from job
            res_fmax = float(g.info.get("relax", {}).get("fmax", float("nan")))
            after = _bond_set(g.bonds)
            lost, gained = sorted(intended - after), sorted(after - intended)
            after_keys, rs_after = _ring_keys(g, sorted(after))
            rings_before, rings_after = before_keys, after_keys
            yield Progress("prepare", 1 + rounds, total,
                           f"relaxed (round {rounds}): {len(lost)} bond(s) lost, {len(gained)} gained",
                           {"n_atoms": len(g)})
            if not lost and not gained:
                break
            if rounds == int(max_rounds):
                break
            # atoms whose bonds changed are not trustworthy: drop their O, repair again from the relaxed state
            bad = np.zeros(len(g), bool)
            for s, o in lost + gained:
                bad[o] = True
            g = log.drop(g, bad, "bond_changed_in_relaxation")
            g = _repair(g, bond_tolerance, log, fill=fill_missing_o)
            if len(g) == 0 or not g.o_mask.any():
                raise InputError("nothing is left of the structure after repairing the bonds that relaxation "
                                 f"changed ({_removed_text(log)})")
    else:
        intended = after = bonds_before
    moved = _displacements(glass, g)
    final_rings = _si_source_keys(g, rs_after)
    kept = None if detected_rings is None or final_rings is None else len(detected_rings & final_rings)
    c = g.coordination
    report = PrepareReport(
        n_atoms_in=len(glass), n_atoms_out=len(g), added_oxygen=int(added), filled_oxygen=int(log.filled),
        removed=dict(log.removed), removed_atoms=list(log.atoms),
        bonds_before=len(intended),
        bonds_after=len(after), bonds_lost=[tuple(b) for b in lost], bonds_gained=[tuple(b) for b in gained],
        topology_unchanged=not lost and not gained,
        rings_unchanged=None if rings_after is None or rings_before is None else rings_before == rings_after,
        n_rings=None if rs_after is None else int(len(rs_after.sizes)),
        rings_detected=None if detected_rings is None else len(detected_rings), rings_kept=kept,
        ring_counts={} if rs_after is None else {int(s): int(n) for s, n in
                                                 zip(*np.unique(rs_after.sizes, return_counts=True))},
        max_displacement=float(moved.max()) if len(moved) else 0.0,
        rms_displacement=float(np.sqrt(np.mean(moved ** 2))) if len(moved) else 0.0,
        bond_length_before=lengths_before, bond_length_after=_lengths(g, g.bonds),
        min_distance_after=_min_distance(g),
        coordination_after={
            "Si": {int(k): int(v) for k, v in zip(*np.unique(c[g.si_mask], return_counts=True))},
            "O": {int(k): int(v) for k, v in zip(*np.unique(c[g.o_mask], return_counts=True))},
        },
        rounds=int(rounds), relaxed=bool(relax), fmax=res_fmax, input_hash=structure_hash(glass),
    )
    info = dict(g.info)
    info.pop("relax", None)
    info["prepared"] = {k: v for k, v in report.to_dict().items() if k not in ("removed_atoms", "bonds_lost",
                                                                               "bonds_gained")}
    return g.replace(info=info), report


def _displacements(glass, g):
    """How far each surviving input atom moved (Å)."""
    from ..neighbors import minimum_image

    src = np.asarray(g.arrays["source_index"])
    has = src >= 0
    if not has.any():
        return np.zeros(0)
    v = minimum_image(g.positions[has] - glass.positions[src[has]], g.cell, g.pbc)
    return np.hypot(v[:, 0], v[:, 1])


def _removed_text(log):
    return ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in log.removed.items() if n)


def prepare_for_simulation(glass, *, relax=True, fmax=1e-4, model="rhh", platform=None, **kwargs):
    """Repair and relax ``glass`` for the physics engine; return ``(glass, report)``.

    Runs :func:`prepare_steps` to the end (same parameters). ``report`` is a :class:`PrepareReport`.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g, rep = prepare_for_simulation(honeycomb(4, 6, oxygen=False))
    >>> rep["added_oxygen"], rep["topology_unchanged"], rep.rings_unchanged
    (72, True, True)
    """
    from ..progress import run

    return run(prepare_steps(glass, relax=relax, fmax=fmax, model=model, platform=platform, **kwargs))
