"""A summary of a Glass in numbers: what ``glassfail info`` prints."""

from __future__ import annotations

import numpy as np

from .glass import Glass

__all__ = ["describe"]


def describe(glass: Glass) -> dict:
    """Atoms per species, cell, periodicity, density, bonds and coordination of a Glass.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> d = describe(honeycomb(4, 4))
    >>> d["n_si"], d["n_o"], d["coordination"]["Si"]
    (32, 48, {'3': 32})
    """
    bonds = glass.bonds
    coord = glass.coordination
    out = {
        "n_atoms": len(glass),
        "n_si": glass.n_si,
        "n_o": glass.n_o,
        "cell": [float(c) for c in glass.cell],
        "pbc": list(glass.pbc),
        "area": glass.area,
        "density_si_per_nm2": glass.n_si / glass.area * 100.0,
        "n_bonds": int(len(bonds)),
        "bond_kind": "Si-O" if glass.has_oxygen else "Si-Si",
        "bond_cutoff": glass.bond_cutoff(),
        "coordination": {},
    }
    if len(bonds):
        lengths = np.hypot(*glass.bond_vectors().T)
        out["bond_length"] = {"mean": float(lengths.mean()), "min": float(lengths.min()), "max": float(lengths.max())}
    for sp, mask in (("Si", glass.si_mask), ("O", glass.o_mask)):
        if mask.any():
            vals, counts = np.unique(coord[mask], return_counts=True)
            out["coordination"][sp] = {str(int(v)): int(c) for v, c in zip(vals, counts)}
    ideal_si = 3
    ideal_o = 2
    out["defects"] = {
        "si_not_3": int((glass.si_mask & (coord != ideal_si)).sum()) if glass.has_oxygen else None,
        "o_not_2": int((glass.o_mask & (coord != ideal_o)).sum()) if glass.has_oxygen else None,
    }
    return out
