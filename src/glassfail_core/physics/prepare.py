"""Make any loaded structure simulable: repair the network, relax it, check that its rings survived, report.

Structures from micrographs (and hand-edited or cut ones) carry what an image gives: Si only, spurious or missed O
spots, atoms on the image border with their partners outside, two spots for one atom, and positions off by a
fraction of an Å. The model needs a Si–O network whose bonds (Si–O pairs within the Glass bond cutoff, 2.2 Å) are
exactly the bonds it will keep after minimisation, otherwise the simulation would start with broken or
overlapping bonds. :func:`prepare_steps` / :func:`prepare` do, in order:

1. **Oxygen**: a Si-only network gets an O at the midpoint of every Si–Si bond (Glass Si–Si cutoff, 4 Å;
   :func:`glassfail_core.repair.add_bridging_oxygen`).
2. **Overlaps** and 3. **topology, tolerant to noise**: :func:`glassfail_core.repair.repair_network` (Si–O pairs
   within ``bond_tolerance`` are the intended bonds; overlapping, over-coordinated and dangling atoms are removed,
   missing bridging O added, only the largest connected piece kept).
4. **Relaxation** of the positions with the model at the fixed cell (free axes stay free; the frame is not moved,
   so positions keep their meaning on the image).
5. **Check**: the bonds after relaxation (2.2 Å cutoff) must be the intended bonds and the ring list
   (:func:`glassfail_core.rings.find_rings`: ring sizes and atom membership) must be the one of the repaired,
   unrelaxed network. Atoms whose bonds changed are removed and steps 3–5 repeated (at most ``max_rounds``).

Every removal is reported with its reason, input index and position (:class:`PrepareReport`);
``arrays["source_index"]`` of the result maps each atom to its index in the input (−1 for added O).
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Optional

import numpy as np

from ..errors import GlassfailWarning, InputError
from ..glass import require_glass
from ..neighbors import minimum_image, neighbor_pairs
from ..progress import Progress, run
from ..repair import MIN_DISTANCE  # noqa: F401 - importable from here as before
from ..repair import MAX_O_PER_SI, RepairLog, add_bridging_oxygen, overlap_pairs, repair_network
from ..rings import find_rings
from .prepare_report import PrepareReport
from .relax import relax_steps

__all__ = ["PrepareReport", "prepare_steps", "prepare", "prepare_for_simulation", "needs_preparation", "structure_hash"]


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
    require_glass(glass)
    if len(glass) == 0:
        return None
    if not glass.has_oxygen:
        return "Si-only network (no O)"
    if ("detection" in glass.info or "species_mode" in glass.info) and "prepared" not in glass.info:
        return "detected in a micrograph"
    if overlap_pairs(glass)[0].size:
        return "atoms overlap"
    c = glass.coordination
    if (c[glass.o_mask] > 2).any() or (c[glass.si_mask] > MAX_O_PER_SI).any():
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


def _bond_set(bonds):
    return {(int(a), int(b)) for a, b in np.asarray(bonds).reshape(-1, 2)}


def _ring_keys(glass, bonds):
    """Ring list as a set of (size, frozenset(atoms)), or None when rings cannot be found."""
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
    b = np.asarray(bonds).reshape(-1, 2)
    if len(b) == 0:
        return (float("nan"), float("nan"))
    v = minimum_image(g.positions[b[:, 1]] - g.positions[b[:, 0]], g.cell, g.pbc)
    L = np.hypot(v[:, 0], v[:, 1])
    return (float(L.min()), float(L.max()))


def _min_distance(g):
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
    require_glass(glass)
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
    log = RepairLog()
    g = glass.replace(arrays={**glass.arrays, "source_index": np.arange(len(glass))})
    added = 0
    if not g.has_oxygen:
        g, added = add_bridging_oxygen(g)
    total = 1 + (int(max_rounds) if relax else 0)
    yield Progress("prepare", 0, total, "repairing the network", {"n_atoms": len(g)})
    g, _ = repair_network(g, tolerance=bond_tolerance, fill=fill_missing_o, log=log)
    if len(g) == 0 or not g.o_mask.any() or not g.si_mask.any():
        raise InputError(f"nothing is left of the structure after the repair ({log.removed_text()}): it holds no "
                         "connected Si–O network")
    yield Progress("prepare", 1, total, f"repaired: {len(g)} atoms ({log.removed_text() or 'nothing removed'})",
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
            g, _ = repair_network(g, tolerance=bond_tolerance, fill=fill_missing_o, log=log)
            if len(g) == 0 or not g.o_mask.any():
                raise InputError("nothing is left of the structure after repairing the bonds that relaxation "
                                 f"changed ({log.removed_text()})")
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
    src = np.asarray(g.arrays["source_index"])
    has = src >= 0
    if not has.any():
        return np.zeros(0)
    v = minimum_image(g.positions[has] - glass.positions[src[has]], g.cell, g.pbc)
    return np.hypot(v[:, 0], v[:, 1])


def prepare(glass, *, relax=True, fmax=1e-4, model="rhh", platform=None, **kwargs):
    """Repair and relax ``glass`` for the physics engine; return ``(glass, report)``.

    Runs :func:`prepare_steps` to the end (same parameters). ``report`` is a :class:`PrepareReport`.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g, rep = prepare(honeycomb(4, 6, oxygen=False))
    >>> rep["added_oxygen"], rep["topology_unchanged"], rep.rings_unchanged
    (72, True, True)
    """
    return run(prepare_steps(glass, relax=relax, fmax=fmax, model=model, platform=platform, **kwargs))


#: The old name of :func:`prepare`.
prepare_for_simulation = prepare
