"""The result of an AQS run (:class:`FractureResult`): labels of the first break and the curves.

Its run-folder files (``result.json``, ``curves.npz``) are read and written by :mod:`glassfail_core.io.runs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from ...io import runs as _runs
from .params import STRAIN_TOL

__all__ = ["FractureResult"]


@dataclass(frozen=True)
class FractureResult:
    """Labels and curves of one AQS run.

    Attributes
    ----------
    rupture_strain : float or None
        Strain of the first broken Si–O bond (None if nothing broke before ``max_strain``).
    broken_bond : (int, int) or None
        ``(si, o)`` indices (in the input Glass) of that bond; if several broke in one step, the one that was
        longest just before it (the closest to snapping: a finer step breaks it first).
    location : (float, float) or None
        Its midpoint at the moment of breaking, in the loaded configuration (wrapped into the cell).
    location_initial : (float, float) or None
        Its midpoint in the input (unstrained) sample — the label to predict from an image of that sample.
    peak_strain, peak_stress : float
        The first stress peak (the last point before the first drop or first break; the maximum if neither).
    max_stress, max_stress_strain : float
        The global stress maximum.
    largest_drop : dict
        ``{"strain", "drop"}``: the largest decrease of stress between consecutive points.
    separated : bool
        The sample separated (``until="complete"``).
    separation_strain : float or None
    strains, stresses, energies, n_broken : (K,) arrays
        The curve (stress along the load in eV/Å²; for grips the nominal stress = reaction / width).
    forces, displacements : (K,) arrays
        Grip reaction force (eV/Å) and grip displacement (Å); empty for periodic loading.
    tilts : (K,) array
        Periodic shear only (empty otherwise): the Lees–Edwards tilt (Å) of every point, ``γ·L`` reduced into
        ``[−L/2, L/2]`` (see :mod:`glassfail_core.physics.aqs`; ``info["cell_vectors"]`` places it).
    breaks : list of dict
        Every broken bond in order: ``si, o, strain, length, location, location_initial``.
    complete : bool
        False for a run that was interrupted (what was done is kept; the run folder can resume it).
    params : dict
    info : dict
        Atoms, platform, timings, mode, angle, grips, separation criterion...
    """

    rupture_strain: Optional[float]
    broken_bond: Optional[tuple]
    location: Optional[tuple]
    location_initial: Optional[tuple]
    peak_strain: Optional[float]
    peak_stress: Optional[float]
    max_stress: Optional[float]
    max_stress_strain: Optional[float]
    largest_drop: Mapping[str, Any]
    separated: bool
    separation_strain: Optional[float]
    strains: np.ndarray
    stresses: np.ndarray
    energies: np.ndarray
    n_broken: np.ndarray
    forces: np.ndarray
    displacements: np.ndarray
    breaks: list
    complete: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    tilts: np.ndarray = field(default_factory=lambda: np.zeros(0))

    _ARRAYS = ("strains", "stresses", "energies", "n_broken", "forces", "displacements", "tilts")

    def to_dict(self, arrays=True) -> dict:
        """Every field as JSON-ready values (tuples as lists); the curves only with ``arrays``.

        >>> FractureResult.from_curves(strains=[0.0, 0.01], stresses=[0.0, 0.001], energies=[0.0, 0.0],
        ...                            n_broken=[0, 0]).to_dict()["strains"]
        [0.0, 0.01]
        """
        d = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in self._ARRAYS:
                if arrays:
                    d[f.name] = np.asarray(v).tolist()
            elif isinstance(v, tuple):
                d[f.name] = list(v)
            else:
                d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, d: Mapping, arrays: Mapping) -> "FractureResult":
        """The result from :meth:`to_dict` ``(arrays=False)``'s output and its curves (missing ones empty)."""
        kw = {f.name: d.get(f.name) for f in fields(cls) if f.name not in cls._ARRAYS}
        for k in ("broken_bond", "location", "location_initial"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        kw["largest_drop"] = kw.get("largest_drop") or {}
        kw["breaks"] = kw.get("breaks") or []
        kw["complete"] = bool(d.get("complete", True))
        kw["params"] = kw.get("params") or {}
        kw["info"] = kw.get("info") or {}
        curves = {k: arrays[k] if k in arrays else np.zeros(0) for k in cls._ARRAYS}
        return cls(**kw, **curves)

    @classmethod
    def from_curves(cls, *, strains, stresses, energies, n_broken, forces=(), displacements=(), tilts=(),
                    breaks=(), drop_tol=1e-5, complete=True, separated=False, separation_strain=None,
                    params=None, info=None) -> "FractureResult":
        """The labels of a curve and its breaks (in the order they happened).

        The first peak is the last point before the first stress drop larger than ``drop_tol`` or the first
        break; ``largest_drop`` the largest decrease between consecutive points.

        >>> r = FractureResult.from_curves(strains=[0.0, 0.01, 0.02], stresses=[0.0, 0.003, 0.001],
        ...                                energies=[0.0, 0.1, 0.2], n_broken=[0, 0, 0])
        >>> r.peak_strain, r.largest_drop["strain"], r.rupture_strain
        (0.01, 0.02, None)
        """
        s = np.array(stresses)
        e = np.array(strains)
        breaks = list(breaks)
        drops = np.diff(s) if len(s) > 1 else np.zeros(0)
        # first peak: the last point before the first drop or the first break
        stop = len(s) - 1
        d_idx = np.flatnonzero(drops < -drop_tol)
        if len(d_idx):
            stop = min(stop, int(d_idx[0]))
        if breaks:
            kb = int(np.searchsorted(e, breaks[0]["strain"] - STRAIN_TOL))
            stop = min(stop, max(kb - 1, 0))
        peak_i = int(np.argmax(s[: stop + 1])) if len(s) else None
        largest = {}
        if len(drops):
            j = int(np.argmin(drops))
            largest = {"strain": float(e[j + 1]), "drop": float(-drops[j]) if drops[j] < 0 else 0.0}
        first = breaks[0] if breaks else None
        return cls(
            rupture_strain=None if first is None else first["strain"],
            broken_bond=None if first is None else (first["si"], first["o"]),
            location=None if first is None else tuple(first["location"]),
            location_initial=None if first is None else tuple(first["location_initial"]),
            peak_strain=None if peak_i is None else float(e[peak_i]),
            peak_stress=None if peak_i is None else float(s[peak_i]),
            max_stress=float(s.max()) if len(s) else None,
            max_stress_strain=float(e[int(np.argmax(s))]) if len(s) else None,
            largest_drop=largest, separated=bool(separated), separation_strain=separation_strain,
            strains=e, stresses=s, energies=np.array(energies), n_broken=np.array(n_broken, int),
            forces=np.array(forces, float), displacements=np.array(displacements, float),
            breaks=breaks, complete=bool(complete), params=dict(params or {}), info=dict(info or {}),
            tilts=np.array(tilts, float),
        )

    def save(self, run_dir) -> Path:
        """Write ``result.json`` (labels, breaks, params) and ``curves.npz`` (curves) atomically in ``run_dir``
        (:func:`glassfail_core.io.runs.write_run_result`)."""
        return _runs.write_run_result(run_dir, self)

    @classmethod
    def load(cls, run_dir) -> "FractureResult":
        """Read a result written by :meth:`save` (:func:`glassfail_core.io.runs.read_run_result`)."""
        return _runs.read_run_result(run_dir)

    def summary(self) -> str:
        """One line: the first break (strain, bond, location), or how far the run went without one.

        >>> FractureResult.from_curves(strains=[0.0, 0.005], stresses=[0.0, 0.001], energies=[0.0, 0.0],
        ...                            n_broken=[0, 0]).summary()
        'no Si–O bond broke up to strain 0.0050'
        """
        word = "shear strain" if self.info.get("boundary") == "lees-edwards" else "strain"
        if self.rupture_strain is None:
            return f"no Si–O bond broke up to {word} {self.strains[-1] if len(self.strains) else 0:.4f}"
        x, y = self.location
        si, o = self.broken_bond
        return f"first break at {word} {self.rupture_strain:.4f}: Si {si} – O {o} at ({x:.2f}, {y:.2f}) Å"
