"""The :class:`Glass`: one 2D silica configuration, passed through the whole pipeline.

Units and conventions (used everywhere in glassfail)
----------------------------------------------------
* Lengths in ångström (Å). Positions are ``(N, 2)`` float64 arrays in the plane of the sample.
* Energies in eV (the interatomic model's energy unit is assumed to be eV; see ``glassfail_core.physics``).
* Strain is dimensionless engineering strain, ``(L - L0) / L0``.
* 2D stress (force per length) in eV/Å²; shown to users also in N/m (1 eV/Å² = 16.0218 N/m).
* The cell is orthorhombic, ``(Lx, Ly)`` in Å, with its origin at (0, 0); periodicity is chosen per axis.
  Non-periodic samples (micrograph crops, cut shapes) use the cell as their frame (e.g. the image extent).
* Species are the strings ``"Si"`` and ``"O"``. A network may hold Si only (micrographs that resolve only Si);
  its bonds are then Si–Si bonds.

A Glass is immutable by convention: its arrays are read-only and every "change" returns a new Glass
(:meth:`Glass.replace`, :meth:`Glass.with_positions`). Analyses (rings, energies, images) are functions that take a
Glass; they are not methods of it.
"""

from __future__ import annotations

import copy as _copy
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from ._atomic import json_default
from .errors import StructureError
from .neighbors import neighbor_pairs, wrap

__all__ = [
    "Glass",
    "require_glass",
    "SPECIES",
    "MASSES",
    "BOND_CUTOFFS",
    "MIN_DISTANCE",
    "EV_PER_A2_TO_N_PER_M",
]

SPECIES = ("Si", "O")
MASSES = {"Si": 28.0855, "O": 15.999}
#: Default bond cutoffs (Å) by unordered species pair. Si–O: the model's bond is ~1.53 Å and the nearest
#: non-bonded Si–O distance ~4 Å, so 2.2 Å separates them (it is also the "broken bond" length used in the
#: reference notes). Si–Si applies only to Si-only networks (bond ~3.05 Å, second neighbours ~5.3 Å).
BOND_CUTOFFS = {frozenset(("Si", "O")): 2.2, frozenset(("Si",)): 4.0}
#: Atoms closer than this (Å) make a structure invalid.
MIN_DISTANCE = 0.5
EV_PER_A2_TO_N_PER_M = 16.021766


def _as_species(species, n):
    arr = np.asarray(species)
    if arr.ndim != 1 or len(arr) != n:
        raise StructureError(f"got {arr.size} species for {n} atoms (need one species per atom)")
    if arr.dtype.kind in "iu":  # atomic numbers
        lookup = {14: "Si", 8: "O"}
        bad = sorted(set(arr.tolist()) - set(lookup))
        if bad:
            raise StructureError(f"unknown atomic number(s) {bad}; glassfail handles Si (14) and O (8) only")
        return np.array([lookup[z] for z in arr.tolist()], dtype="<U2")
    arr = arr.astype(str)
    bad = sorted(set(arr.tolist()) - set(SPECIES))
    if bad:
        raise StructureError(f"unknown species {bad[:5]}; glassfail handles Si and O only")
    return arr.astype("<U2")


def _readonly(a):
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Glass:
    """A 2D silica network: positions, species, an orthorhombic cell, periodicity and metadata.

    Parameters
    ----------
    positions : (N, 2) array_like
        Atom coordinates in Å.
    species : (N,) sequence of str or int
        ``"Si"``/``"O"`` (or atomic numbers 14/8).
    cell : (2,) array_like
        Cell edges ``(Lx, Ly)`` in Å. A 2×2 matrix is accepted if it is diagonal.
    pbc : bool or (2,) sequence of bool, default True
        Periodicity per axis.
    info : dict, optional
        Free-form, JSON-serialisable metadata (seed, target disorder, provenance, pixel size, ...).
    arrays : dict of (N, ...) arrays, optional
        Extra per-atom data (e.g. per-atom energy, detection confidence).
    validate : bool, default True
        Check finiteness, species, cell shape and minimum interatomic distance.

    Examples
    --------
    >>> g = Glass([[0.0, 0.0], [1.6, 0.0]], ["Si", "O"], cell=(10.0, 10.0), pbc=False)
    >>> len(g), g.n_si, g.n_o
    (2, 1, 1)
    >>> g.bonds.tolist()
    [[0, 1]]
    >>> Glass([[0.0, 0.0], [0.2, 0.0]], ["Si", "O"], cell=(10.0, 10.0))
    Traceback (most recent call last):
    ...
    glassfail_core.errors.StructureError: atoms 0 (Si) and 1 (O) are 0.2 Å apart, closer than 0.5 Å
    """

    positions: np.ndarray
    species: np.ndarray
    cell: np.ndarray
    pbc: tuple = (True, True)
    info: Mapping[str, Any] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    validate: bool = field(default=True, repr=False)

    def __post_init__(self):
        pos = np.asarray(self.positions, dtype=float)
        if pos.ndim != 2 or pos.shape[1] != 2:
            if pos.ndim == 2 and pos.shape[1] == 3:
                raise StructureError(
                    "positions have 3 columns; a Glass is 2D — project the structure first "
                    "(glassfail_core.io.read_structure does this for bilayers)"
                )
            raise StructureError(f"positions must have shape (N, 2), got {pos.shape}")
        n = len(pos)
        species = _as_species(self.species, n)
        cell = np.asarray(self.cell, dtype=float)
        if cell.shape == (2, 2):
            if abs(cell[0, 1]) > 1e-12 or abs(cell[1, 0]) > 1e-12:
                raise StructureError("the cell is not orthorhombic (off-diagonal terms); glassfail needs Lx × Ly cells")
            cell = np.diag(cell).copy()
        if cell.shape != (2,):
            raise StructureError(f"cell must be (Lx, Ly) or a diagonal 2×2 matrix, got shape {cell.shape}")
        pbc = self.pbc
        if np.ndim(pbc) == 0:
            pbc = (bool(pbc), bool(pbc))
        pbc = tuple(bool(p) for p in pbc)
        if len(pbc) != 2:
            raise StructureError(f"pbc must hold one flag per axis (2), got {len(pbc)}")
        arrays = {}
        for k, v in dict(self.arrays).items():
            v = np.asarray(v)
            if len(v) != n:
                raise StructureError(f"per-atom array {k!r} has {len(v)} entries for {n} atoms")
            arrays[k] = _readonly(v)
        object.__setattr__(self, "positions", _readonly(pos))
        object.__setattr__(self, "species", _readonly(species))
        object.__setattr__(self, "cell", _readonly(cell))
        object.__setattr__(self, "pbc", pbc)
        object.__setattr__(self, "info", dict(self.info))
        object.__setattr__(self, "arrays", arrays)
        if self.validate:
            self._check()

    # ------------------------------------------------------------------ validation
    def _check(self):
        pos, cell = self.positions, self.cell
        bad = ~np.isfinite(pos).all(axis=1)
        if bad.any():
            idx = np.flatnonzero(bad)
            raise StructureError(
                f"{bad.sum()} atom(s) have non-finite coordinates (NaN or inf), first at index {idx[0]}"
            )
        if not np.isfinite(cell).all() or (cell <= 0).any():
            raise StructureError(f"cell edges must be finite and positive, got {cell.tolist()}")
        if len(pos) >= 2:
            cut = MIN_DISTANCE
            # A periodic axis shorter than 2 × MIN_DISTANCE cannot hold a valid structure anyway.
            if any(p and cut >= 0.5 * L for p, L in zip(self.pbc, cell)):
                raise StructureError(f"periodic cell {cell.tolist()} Å is too small")
            i, j, _, d = neighbor_pairs(pos, cell, self.pbc, cut)
            if len(i):
                k = int(np.argmin(d))
                a, b = int(i[k]), int(j[k])
                raise StructureError(
                    f"atoms {a} ({self.species[a]}) and {b} ({self.species[b]}) are {d[k]:.3g} Å apart, "
                    f"closer than {MIN_DISTANCE} Å"
                    + (f" ({len(i)} such pairs)" if len(i) > 1 else "")
                )

    # ------------------------------------------------------------------ basic properties
    def __len__(self):
        return len(self.positions)

    def __repr__(self):
        per = "".join("xy"[a] for a in range(2) if self.pbc[a]) or "none"
        return (
            f"Glass({len(self)} atoms: {self.n_si} Si, {self.n_o} O; cell {self.cell[0]:.3f} × "
            f"{self.cell[1]:.3f} Å; periodic: {per})"
        )

    @property
    def n_atoms(self) -> int:
        return len(self.positions)

    @cached_property
    def si_mask(self) -> np.ndarray:
        return self.species == "Si"

    @cached_property
    def o_mask(self) -> np.ndarray:
        return self.species == "O"

    @property
    def n_si(self) -> int:
        return int(self.si_mask.sum())

    @property
    def n_o(self) -> int:
        return int(self.o_mask.sum())

    @property
    def area(self) -> float:
        """Cell area in Å²."""
        return float(self.cell[0] * self.cell[1])

    @property
    def is_periodic(self) -> bool:
        return all(self.pbc)

    @property
    def masses(self) -> np.ndarray:
        return np.where(self.si_mask, MASSES["Si"], MASSES["O"])

    @property
    def has_oxygen(self) -> bool:
        return bool(self.o_mask.any())

    # ------------------------------------------------------------------ derived: bonds
    def bond_cutoff(self) -> float:
        """The bond cutoff in use (Å): Si–O if the network has O, Si–Si otherwise (overridable via ``info``)."""
        if self.has_oxygen:
            return float(self.info.get("bond_cutoff_sio", BOND_CUTOFFS[frozenset(("Si", "O"))]))
        return float(self.info.get("bond_cutoff_sisi", BOND_CUTOFFS[frozenset(("Si",))]))

    @cached_property
    def bonds(self) -> np.ndarray:
        """Network bonds ``(M, 2)``: ``[Si, O]`` pairs within the Si–O cutoff, or ``[Si, Si]`` (i < j) pairs for
        Si-only networks; minimum image along periodic axes. Read-only, sorted."""
        cut = self.bond_cutoff()
        if self.has_oxygen:
            i, j, _, _ = neighbor_pairs(self.positions, self.cell, self.pbc, cut, mask_i=self.si_mask, mask_j=self.o_mask)
        else:
            i, j, _, _ = neighbor_pairs(self.positions, self.cell, self.pbc, cut)
        b = np.stack([i, j], axis=1) if len(i) else np.zeros((0, 2), int)
        b = b[np.lexsort((b[:, 1], b[:, 0]))] if len(b) else b
        return _readonly(b.astype(np.int64))

    @cached_property
    def coordination(self) -> np.ndarray:
        """Number of network bonds of each atom."""
        c = np.bincount(self.bonds.ravel(), minlength=len(self)) if len(self.bonds) else np.zeros(len(self), int)
        return _readonly(c)

    def bond_vectors(self, bonds=None) -> np.ndarray:
        """Minimum-image vectors from the first to the second atom of each bond, ``(M, 2)`` in Å."""
        from .neighbors import minimum_image

        b = self.bonds if bonds is None else np.asarray(bonds)
        return minimum_image(self.positions[b[:, 1]] - self.positions[b[:, 0]], self.cell, self.pbc)

    def wrapped_positions(self) -> np.ndarray:
        """Positions folded into ``[0, L)`` along periodic axes (free axes untouched), by
        :func:`~glassfail_core.neighbors.wrap`."""
        return wrap(self.positions, self.cell, self.pbc)

    # ------------------------------------------------------------------ new glasses from this one
    def replace(self, **changes) -> "Glass":
        """A new Glass with some fields replaced (``positions``, ``species``, ``cell``, ``pbc``, ``info``,
        ``arrays``). Per-atom ``arrays`` are dropped when the number of atoms changes and none are given."""
        kw = dict(
            positions=self.positions, species=self.species, cell=self.cell, pbc=self.pbc,
            info=_copy.deepcopy(dict(self.info)), arrays=dict(self.arrays), validate=self.validate,
        )
        kw.update(changes)
        if "arrays" not in changes and len(np.asarray(kw["positions"])) != len(self):
            kw["arrays"] = {}
        return Glass(**kw)

    def with_positions(self, positions, cell=None) -> "Glass":
        """Same atoms at new positions (and optionally a new cell); metadata and per-atom arrays are kept."""
        return self.replace(positions=positions, cell=self.cell if cell is None else cell)

    def subset(self, mask_or_indices) -> "Glass":
        """The atoms selected by a boolean mask or index array (per-atom arrays follow)."""
        idx = np.asarray(mask_or_indices)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return self.replace(
            positions=self.positions[idx], species=self.species[idx],
            arrays={k: v[idx] for k, v in self.arrays.items()},
        )

    def copy(self) -> "Glass":
        return self.replace()

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """Plain-Python description (lists, JSON-serialisable when ``info`` is); :meth:`from_dict` reads it back.

        >>> g = Glass([[0.0, 0.0], [1.6, 0.0]], ["Si", "O"], cell=(10, 10))
        >>> d = g.to_dict()
        >>> d["species"], d["pbc"], Glass.from_dict(d).positions.tolist() == d["positions"]
        (['Si', 'O'], [True, True], True)
        """
        return {
            "positions": self.positions.tolist(),
            "species": self.species.tolist(),
            "cell": self.cell.tolist(),
            "pbc": list(self.pbc),
            "info": _copy.deepcopy(dict(self.info)),
            "arrays": {k: np.asarray(v).tolist() for k, v in self.arrays.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "Glass":
        return cls(
            positions=np.asarray(d["positions"], float),
            species=d["species"],
            cell=d["cell"],
            pbc=tuple(d.get("pbc", (True, True))),
            info=d.get("info", {}),
            arrays={k: np.asarray(v) for k, v in d.get("arrays", {}).items()},
        )

    #: The ASE-style names of :meth:`to_dict` and :meth:`from_dict`.
    todict, fromdict = to_dict, from_dict

    def info_json(self) -> str:
        return json.dumps(self.info, sort_keys=True, default=json_default)


def require_glass(obj, what: str = "glass") -> "Glass":
    """Return ``obj`` when it is a :class:`Glass`; otherwise raise the one error every function gives.

    ``what`` names the argument as the caller's user knows it.

    >>> require_glass([1, 2])
    Traceback (most recent call last):
    ...
    glassfail_core.errors.InputError: glass must be a glassfail Glass, got list
    """
    from .errors import InputError

    if not isinstance(obj, Glass):
        raise InputError(f"{what} must be a glassfail Glass, got {type(obj).__name__}")
    return obj
