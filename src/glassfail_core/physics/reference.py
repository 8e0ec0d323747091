"""Double-precision NumPy evaluation of a pair model: energy, forces, per-atom energy and the 2D virial stress.

This is the independent reference every other backend (OpenMM, LAMMPS) is checked against, and the way glassfail
computes the per-atom energy ``½ Σ_j V_ij`` (which OpenMM does not provide). Pairs come from
:func:`glassfail_core.neighbors.neighbor_pairs` (a k-d tree, linear in N); everything else is vectorised.

Stress convention (2D, eV/Å², tension positive)::

    σ_ab = (1 / A) Σ_pairs V′(r) r_a r_b / r = (1 / A) ∂E / ∂ε_ab

with ``A`` the cell area (for a non-periodic sample the cell is only a frame: use grip forces instead).
"""

from __future__ import annotations

import numpy as np

from ..errors import StructureError
from ..glass import require_glass
from ..neighbors import neighbor_pairs
from .models import PairModel, get_model

__all__ = ["check_glass", "pair_terms", "energy_forces_reference", "per_atom_energy", "stress", "OVERLAP_DISTANCE"]

#: Two atoms closer than this (Å) are overlapping for the physics engine (the r⁻¹² wall makes such a start
#: meaningless: a Si–O pair at 0.8 Å already carries ~2e3 eV).
OVERLAP_DISTANCE = 0.8


def check_glass(glass, model: PairModel, *, require_bonds=True, what="structure") -> None:
    """Raise :class:`InputError` if ``glass`` cannot be simulated with ``model``.

    Checks: species known to the model; every periodic cell edge larger than ``2 r_c``; finite positions; no two
    atoms closer than :data:`OVERLAP_DISTANCE`; at least one Si–O bond (when ``require_bonds``).
    """
    require_glass(glass, what)
    if len(glass) < 2:
        raise StructureError(f"{what} has {len(glass)} atom(s); at least 2 are needed")
    model.types(glass.species)
    pos = glass.positions
    bad = ~np.isfinite(pos).all(axis=1)
    if bad.any():
        raise StructureError(f"{what}: atom {int(np.flatnonzero(bad)[0])} has a non-finite position")
    for ax in range(2):
        if glass.pbc[ax] and glass.cell[ax] <= 2.0 * model.cutoff:
            raise StructureError(
                f"{what}: periodic cell edge L{'xy'[ax]} = {glass.cell[ax]:.3f} Å is not larger than twice the "
                f"model cutoff (2 × {model.cutoff:g} Å); use a larger sample or a non-periodic axis"
            )
    i, j, _, d = neighbor_pairs(pos, glass.cell, glass.pbc, OVERLAP_DISTANCE)
    if len(i):
        k = int(np.argmin(d))
        a, b = int(i[k]), int(j[k])
        raise StructureError(
            f"{what}: atoms {a} ({glass.species[a]}) and {b} ({glass.species[b]}) overlap: {d[k]:.3f} Å apart "
            f"at ({pos[a, 0]:.2f}, {pos[a, 1]:.2f}) Å, closer than {OVERLAP_DISTANCE} Å"
            + (f" ({len(i)} such pairs)" if len(i) > 1 else "")
        )
    if require_bonds:
        if not glass.has_oxygen or not glass.si_mask.any():
            raise StructureError(
                f"{what} holds {glass.n_si} Si and {glass.n_o} O: the model needs both (add O at Si–Si midpoints "
                "with glassfail_core.physics.prepare for Si-only networks)"
            )
        if len(glass.bonds) == 0:
            raise StructureError(
                f"{what} has no Si–O bond (no Si–O pair within {glass.bond_cutoff():g} Å): nothing to break"
            )


def pair_terms(positions, cell, pbc, types, model: PairModel):
    """Pairs within the cutoff and their shifted-force terms.

    Returns ``i, j, vec, r, e, de`` where ``vec = x_j − x_i`` (minimum image), ``e`` the pair energy and ``de``
    its derivative dV/dr.
    """
    i, j, vec, r = neighbor_pairs(positions, cell, pbc, model.cutoff)
    sig, q = model.tables()
    ti, tj = types[i], types[j]
    e, de = model.shifted(r, sig[ti, tj], q[ti, tj])
    return i, j, vec, r, e, de


def _setup(glass, model):
    model = get_model(model)
    return model, model.types(glass.species)


def energy_forces_reference(glass, *, model="rhh", positions=None, cell=None):
    """Total energy (eV) and forces ``(N, 2)`` (eV/Å) in double precision with NumPy.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> e, f = energy_forces_reference(honeycomb(4, 6))
    >>> round(e / 48, 4), bool(abs(f).max() < 1e-10)   # eV per SiO2 of the perfect crystal; no net force
    (-0.8193, True)
    """
    model, types = _setup(glass, model)
    pos = glass.positions if positions is None else np.asarray(positions, float)
    cell = glass.cell if cell is None else np.asarray(cell, float)
    i, j, vec, r, e, de = pair_terms(pos, cell, glass.pbc, types, model)
    fpair = (de / r)[:, None] * vec  # force on i (pulls i towards j when de > 0)
    n = len(pos)
    f = np.zeros((n, 2))
    np.add.at(f, i, fpair)
    np.add.at(f, j, -fpair)
    return float(e.sum()), f


def per_atom_energy(glass, *, model="rhh") -> np.ndarray:
    """Per-atom energy ``½ Σ_j V_ij`` (eV), summing to the total energy.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = honeycomb(4, 6)
    >>> ea = per_atom_energy(g)
    >>> round(float(ea[g.si_mask].mean()), 4), round(float(ea[g.o_mask].mean()), 4)
    (-0.4405, -0.2525)
    """
    model, types = _setup(glass, model)
    i, j, _, _, e, _ = pair_terms(glass.positions, glass.cell, glass.pbc, types, model)
    n = len(glass)
    return 0.5 * (np.bincount(i, weights=e, minlength=n) + np.bincount(j, weights=e, minlength=n))


def stress(glass, *, model="rhh") -> np.ndarray:
    """2D virial stress tensor ``(2, 2)`` in eV/Å² (tension positive), ``σ = (1/A) ∂E/∂ε``.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> s = stress(honeycomb(4, 6, si_si=3.2))   # a stretched crystal pulls back: tension
    >>> bool(s[0, 0] > 0 and abs(s[0, 0] - s[1, 1]) < 1e-9)
    True
    """
    model, types = _setup(glass, model)
    _, _, vec, r, _, de = pair_terms(glass.positions, glass.cell, glass.pbc, types, model)
    w = de / r
    s = np.einsum("k,ka,kb->ab", w, vec, vec)
    return s / glass.area
