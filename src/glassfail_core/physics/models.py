"""Interatomic models: the parameter tables, in one place, and the pair function they define.

The default model is the Roy–Heyde–Heuer two-dimensional silica potential (Roy, Heyde, Heuer, PCCP 2018; used for
the fracture of 2D silica by Ebrahem, Bamer and Markert, Mater. Sci. Eng. A 780, 139189, 2020)::

    V_ij(r) = (σ_ij / r)^12 + (q_ij / r) · exp(−r / λ),   λ = 5.649 Å

    pair   σ (Å)   q (eV·Å)
    Si–Si  2.250  +1.500
    Si–O   1.075  −1.000
    O–O    0.900  +0.670

shifted so that energy *and* force vanish at the cutoff ``r_c = 10 Å`` ("shifted force")::

    V_sf(r) = V(r) − V(r_c) − V′(r_c)(r − r_c)   for r < r_c,   0 beyond.

**Energy unit.** The sources do not state it; glassfail takes it to be eV (so q is in eV·Å). Athermal
quasistatic results (rupture strain, location, crack path) do not depend on this choice; energies, forces and
stresses scale with it.

Another parameter set (a re-fit, another screening length) is a new :class:`PairModel` entry in :data:`MODELS`,
never a fork of the code: every backend (NumPy reference, OpenMM, the LAMMPS benchmark) reads the table from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import InputError

__all__ = ["PairParams", "PairModel", "MODELS", "get_model", "RHH"]


@dataclass(frozen=True)
class PairParams:
    """Parameters of one species pair: repulsive length ``sigma`` (Å) and screened charge product ``q`` (eV·Å)."""

    sigma: float
    q: float

    def to_dict(self) -> dict:
        return {"sigma": self.sigma, "q": self.q}


@dataclass(frozen=True)
class PairModel:
    """A screened-Coulomb + r⁻¹² pair model with a shifted-force cutoff.

    Attributes
    ----------
    name : str
        Registry key.
    pairs : mapping
        ``{("Si", "Si"): PairParams, ("Si", "O"): ..., ("O", "O"): ...}`` (keys sorted as in :attr:`species`).
    screening : float
        Screening length λ in Å.
    cutoff : float
        Cutoff r_c in Å; energy and force are shifted to vanish there.
    species : tuple of str
        Species handled, in type order (type 0, type 1, ...).
    energy_unit : str
        Unit assumed for the energies (``"eV"``).
    reference : str
        Where the numbers come from.

    Examples
    --------
    >>> m = get_model("rhh")
    >>> m.cutoff, m.params("O", "Si").sigma
    (10.0, 1.075)
    >>> float(m.energy(np.array([10.0]), "Si", "O")[0])
    0.0
    """

    name: str
    pairs: Mapping[tuple, PairParams]
    screening: float
    cutoff: float
    species: tuple = ("Si", "O")
    energy_unit: str = "eV"
    reference: str = ""
    masses: Mapping[str, float] = field(default_factory=lambda: {"Si": 28.0855, "O": 15.999})

    def __post_init__(self):
        pairs = {}
        for (a, b), p in dict(self.pairs).items():
            pairs[self._key(a, b)] = p if isinstance(p, PairParams) else PairParams(*p)
        for a in self.species:
            for b in self.species:
                if self._key(a, b) not in pairs:
                    raise ValueError(f"model {self.name!r} lacks parameters for the pair {a}-{b}")
        object.__setattr__(self, "pairs", pairs)
        if not (self.cutoff > 0 and self.screening > 0):
            raise ValueError("cutoff and screening must be positive")

    def _key(self, a, b):
        order = {s: k for k, s in enumerate(self.species)}
        if a not in order or b not in order:
            raise InputError(f"model {self.name!r} handles species {list(self.species)}, not {a}-{b}")
        return (a, b) if order[a] <= order[b] else (b, a)

    def params(self, a: str, b: str) -> PairParams:
        """Parameters of the (unordered) pair ``a``–``b``."""
        return self.pairs[self._key(a, b)]

    def tables(self):
        """``(sigma, q)`` as ``(T, T)`` arrays indexed by type (species order), symmetric."""
        t = len(self.species)
        sig, q = np.zeros((t, t)), np.zeros((t, t))
        for i, a in enumerate(self.species):
            for j, b in enumerate(self.species):
                p = self.params(a, b)
                sig[i, j], q[i, j] = p.sigma, p.q
        return sig, q

    def types(self, species) -> np.ndarray:
        """Integer type of each atom (index into :attr:`species`)."""
        species = np.asarray(species)
        out = np.full(len(species), -1, dtype=np.int64)
        for k, s in enumerate(self.species):
            out[species == s] = k
        if (out < 0).any():
            bad = sorted(set(species[out < 0].tolist()))
            raise InputError(f"model {self.name!r} has no parameters for species {bad}")
        return out

    # ------------------------------------------------------------------ the pair function
    def raw(self, r, sigma, q):
        """Unshifted ``V(r)`` and ``dV/dr`` (vectorised over arrays of r, sigma, q)."""
        r = np.asarray(r, dtype=float)
        lam = self.screening
        rep = (sigma / r) ** 12
        scr = q / r * np.exp(-r / lam)
        v = rep + scr
        dv = -12.0 * rep / r - scr * (1.0 / r + 1.0 / lam)
        return v, dv

    def shifted(self, r, sigma, q):
        """Shifted-force ``V_sf(r)`` and ``dV_sf/dr``; both zero for ``r >= cutoff``."""
        r = np.asarray(r, dtype=float)
        v, dv = self.raw(r, sigma, q)
        vc, dvc = self.raw(self.cutoff, sigma, q)
        inside = r < self.cutoff
        e = np.where(inside, v - vc - dvc * (r - self.cutoff), 0.0)
        de = np.where(inside, dv - dvc, 0.0)
        return e, de

    def energy(self, r, a: str, b: str):
        """Shifted-force pair energy (eV) of species ``a``–``b`` at distances ``r`` (Å)."""
        p = self.params(a, b)
        return self.shifted(r, p.sigma, p.q)[0]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "form": "V(r) = (sigma/r)^12 + (q/r) exp(-r/lambda), shifted force at r_c",
            "pairs": {f"{a}-{b}": p.to_dict() for (a, b), p in self.pairs.items()},
            "screening": self.screening,
            "cutoff": self.cutoff,
            "energy_unit": self.energy_unit,
            "reference": self.reference,
        }


#: The Roy–Heyde–Heuer 2D silica model (default).
RHH = PairModel(
    name="rhh",
    pairs={
        ("Si", "Si"): PairParams(2.250, 1.500),
        ("Si", "O"): PairParams(1.075, -1.000),
        ("O", "O"): PairParams(0.900, 0.670),
    },
    screening=5.649,
    cutoff=10.0,
    reference="Roy, Heyde, Heuer, PCCP 2018 (2D silica); screening length from Carre et al., JCP 127, 114512 (2007)",
)

#: Registry of models by name.
MODELS: dict = {"rhh": RHH}


def get_model(name="rhh") -> PairModel:
    """The model registered under ``name`` (a :class:`PairModel` is returned unchanged).

    Examples
    --------
    >>> get_model().name
    'rhh'
    >>> get_model("lj")
    Traceback (most recent call last):
    ...
    glassfail_core.errors.InputError: unknown model 'lj'; known models: rhh
    """
    if isinstance(name, PairModel):
        return name
    try:
        return MODELS[str(name).lower()]
    except KeyError:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}") from None
