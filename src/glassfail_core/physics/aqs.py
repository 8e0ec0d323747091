"""Athermal quasistatic (AQS) loading to failure: tension or shear, periodic or with grips, at any angle.

Protocol (the reference study's, made configurable by :class:`AQSParams`)
-----------------------------------------------------------------------
1. The input is minimised at fixed cell (``relax_first``); its Si–O bonds (pairs within the Glass bond cutoff,
   2.2 Å) are the bonds that can break.
2. Strain steps of ``step`` (0.005): an affine stretch along the loading axis (cell edge and positions), then
   position minimisation to ``max|F| ≤ fmax``. The transverse edge is held (``transverse="fixed"``, the
   reference protocol) or relaxed to zero transverse stress (``"relaxed"``).
3. At the first stress drop or the first step that breaks a bond, the run returns to the last state before it and
   re-strains that interval in steps of ``refine_step`` (0.0005). With ``until="complete"`` every later step that
   breaks bonds is refined the same way, so every break has the fine strain resolution.
4. Stop at the first broken bond (``until="first"``) or when the sample has separated (``until="complete"``):
   the stress has fallen to ``separation_fraction`` (5 %) of its maximum after at least one break.

Broken-bond criterion
---------------------
An initially bonded Si–O pair counts as broken when it is longer than ``break_length`` = 2.2 Å, the Glass bond
cutoff. Justification: the Si–O bond of this model sits at 1.53–1.60 Å and the nearest non-bonded Si–O distance
in the network is ~3.5–4 Å; in AQS a bond snaps within one strain increment from < 1.9 Å to ≳ 3.5 Å (measured:
see the tests and the README), so any threshold between ~2.0 and ~3 Å selects the same step. 2.2 Å is also the
cutoff used to define bonds, so "broken" means exactly "no longer a bond of the Glass".

Non-periodic samples (issue 7): strips of width ``grips`` at both ends of the loading axis are held rigid; each
step moves one grip by ``step × L_free`` (``L_free`` = distance between the grips' inner edges) and interpolates
the increment linearly across the free atoms before minimising them. The reaction force (sum of model forces on the
moving grip's atoms, sign chosen positive in tension) gives the force–displacement curve; the nominal stress is
the reaction over the sample width. Loading at an angle rotates the sample (not the physics) so that the load runs
along x; locations are rotated back. Simple shear moves the grip sideways.

Periodic simple shear (Lees–Edwards)
------------------------------------
A sample periodic along x and y is sheared without grips: the strain is the shear γ, each step applies the affine
shear ``x += Δγ·y`` to the positions and sets the cell's tilt to ``γ·Ly`` (the periodic images across the y
boundary are shifted along x by it: cell vectors ``a = (Lx, 0)``, ``b = (tilt, Ly)``), then minimises the
positions. The tilt is reduced into ``[−Lx/2, Lx/2]`` (subtracting ``Lx`` gives the same lattice; the Lees–Edwards
remap), so the minimum image stays valid; every distance (forces, bonds, broken-bond test, locations) uses the
tilted minimum image. The stress is ``σ_xy = (1/A) dE/dγ`` from the virial. The Glass keeps its orthorhombic
``(Lx, Ly)``; the tilt is state of the run, recorded with every point (``FractureResult.tilts``, the ``tilt`` and
``cell_vectors`` of every progress event, ``configs.npz``), so any frame can be rebuilt. ``axis="y"`` (or angle
90°) shears along y instead (``y += γ·x``, images across the x boundary shifted along y), computed on the sample
with x and y exchanged (``configs.npz`` then holds that exchanged working frame, as it holds the rotated frame of
a non-periodic sample loaded at an angle; events and locations are in the input's frame). Tilted cells run on the
NumPy engine only (see :mod:`~glassfail_core.physics.openmm_backend`).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from ..errors import InputError, SimulationError
from ..progress import Progress
from .models import get_model
from .reference import check_glass

__all__ = ["AQSParams", "FractureResult", "deform_steps", "deform"]

_STIFFNESS_GUESS = 5.0
_TINY = 1e-12


@dataclass(frozen=True)
class AQSParams:
    """Parameters of an AQS run (all lengths Å, strains dimensionless, stresses eV/Å², forces eV/Å).

    Attributes
    ----------
    step, refine_step : float
        Coarse and refined strain increments (0.005, 0.0005). ``refine_step = 0`` disables refinement.
    max_strain : float
        Stop here whatever happened.
    axis : {"x", "y"}
        Loading axis (after rotation by ``angle``).
    transverse : {"fixed", "relaxed"}
        Transverse cell edge held, or relaxed to zero transverse stress after each step (periodic only).
    until : {"first", "complete"}
        Stop at the first broken Si–O bond, or strain on until the sample separates.
    fmax : float
        Force tolerance of every minimisation (max per-atom |F|).
    break_length : float
        Si–O length above which an initial bond is broken (2.2 Å; see the module docstring).
    drop_tol : float
        A stress decrease larger than this between two steps counts as a drop.
    separation_fraction : float
        ``until="complete"`` stops once the stress is below this fraction of its maximum (after a break).
    mode : {"tension", "shear"}
        Uniaxial tension or simple shear: periodic (Lees–Edwards, a sample periodic along x and y loaded without
        grips; ``axis`` is the shear direction, ``"x"``: ``x += γ·y``) or with grips (``axis`` joins the grips,
        the moving grip is displaced across it).
    angle : float
        Loading direction in degrees from x (non-periodic samples; 0/90/180/270 also on periodic ones).
    grips : float or None
        Grip width in Å; ``None`` = automatic (none for a periodic loading axis, 11 Å ≈ 2 ring diameters
        otherwise).
    relax_first : bool
        Minimise the input before straining.
    refine_all_breaks : bool
        With ``until="complete"``, refine every step that breaks bonds (not only the first event).
    platform, threads, model
        Engine choice (:func:`glassfail_core.physics.engines.make_engine`).
    """

    step: float = 0.005
    refine_step: float = 0.0005
    max_strain: float = 0.3
    axis: str = "x"
    transverse: str = "fixed"
    until: str = "first"
    fmax: float = 1e-5
    break_length: float = 2.2
    drop_tol: float = 1e-5
    separation_fraction: float = 0.05
    mode: str = "tension"
    angle: float = 0.0
    grips: Optional[float] = None
    relax_first: bool = True
    refine_all_breaks: bool = True
    transverse_tol: float = 1e-5
    max_iterations: int = 20000
    platform: Optional[str] = None
    threads: Optional[int] = None
    model: str = "rhh"

    def __post_init__(self):
        def pos(name, allow_zero=False):
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
            if not ok:
                raise InputError(f"AQSParams.{name} must be a {'non-negative' if allow_zero else 'positive'} "
                                 f"number, got {v!r}")

        for name in ("step", "max_strain", "fmax", "break_length", "transverse_tol"):
            pos(name)
        for name in ("refine_step", "drop_tol", "separation_fraction"):
            pos(name, allow_zero=True)
        if self.refine_step >= self.step:
            raise InputError(f"AQSParams.refine_step ({self.refine_step}) must be smaller than step ({self.step})")
        if self.max_strain < self.step:
            raise InputError(f"AQSParams.max_strain ({self.max_strain}) is smaller than one step ({self.step})")
        choices = {"axis": ("x", "y"), "transverse": ("fixed", "relaxed"), "until": ("first", "complete"),
                   "mode": ("tension", "shear")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InputError(f"AQSParams.{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        if not (isinstance(self.angle, (int, float)) and math.isfinite(self.angle)):
            raise InputError(f"AQSParams.angle must be a finite number of degrees, got {self.angle!r}")
        if self.grips is not None and not (isinstance(self.grips, (int, float)) and self.grips > 0):
            raise InputError(f"AQSParams.grips must be a positive width in Å (or None), got {self.grips!r}")
        if self.break_length <= 1.7:
            raise InputError(f"AQSParams.break_length ({self.break_length} Å) must exceed the Si–O bond (~1.6 Å)")
        if not self.separation_fraction < 1:
            raise InputError("AQSParams.separation_fraction must be below 1")
        if int(self.max_iterations) < 1:
            raise InputError("AQSParams.max_iterations must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> "AQSParams":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class FractureResult:
    """Labels and curves of one AQS run.

    Attributes
    ----------
    rupture_strain : float or None
        Strain of the first broken Si–O bond (None if nothing broke before ``max_strain``).
    broken_bond : (int, int) or None
        ``(si, o)`` indices (in the input Glass) of that bond; the most stretched one if several broke together.
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
        ``[−L/2, L/2]`` (see the module docstring; ``info["cell_vectors"]`` places it).
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

    def save(self, run_dir) -> Path:
        """Write ``result.json`` (labels, breaks, params) and ``curves.npz`` (curves) atomically in ``run_dir``."""
        from .._atomic import write_json, write_npz

        run_dir = Path(run_dir)
        write_npz(run_dir / "curves.npz", **{k: np.asarray(getattr(self, k)) for k in self._ARRAYS})
        d = self.to_dict(arrays=False)
        d["format"] = "glassfail-fracture-result/1"
        write_json(run_dir / "result.json", d)
        return run_dir

    @classmethod
    def load(cls, run_dir) -> "FractureResult":
        """Read a result written by :meth:`save`."""
        from ..errors import StructureFileError

        run_dir = Path(run_dir)
        try:
            d = json.loads((run_dir / "result.json").read_text())
            with np.load(run_dir / "curves.npz") as z:
                arrays = {k: np.array(z[k]) if k in z.files else np.zeros(0) for k in cls._ARRAYS}
        except (OSError, ValueError, KeyError) as exc:
            raise StructureFileError(run_dir, f"not a readable glassfail run folder ({exc})") from None
        kw = {f.name: d.get(f.name) for f in fields(cls) if f.name not in cls._ARRAYS}
        for k in ("broken_bond", "location", "location_initial"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        kw["largest_drop"] = kw.get("largest_drop") or {}
        kw["breaks"] = kw.get("breaks") or []
        kw["complete"] = bool(d.get("complete", True))
        kw["params"] = kw.get("params") or {}
        kw["info"] = kw.get("info") or {}
        return cls(**kw, **arrays)

    def summary(self) -> str:
        word = "shear strain" if self.info.get("boundary") == "lees-edwards" else "strain"
        if self.rupture_strain is None:
            return f"no Si–O bond broke up to {word} {self.strains[-1] if len(self.strains) else 0:.4f}"
        x, y = self.location
        return (f"first break at {word} {self.rupture_strain:.4f}: Si {self.broken_bond[0]} – O {self.broken_bond[1]} "
                f"at ({x:.2f}, {y:.2f}) Å")


# ---------------------------------------------------------------------------------------------------------------
# geometry helpers
def _rotation(angle_deg):
    a = float(angle_deg) % 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    c, s = exact.get(a, (math.cos(math.radians(a)), math.sin(math.radians(a))))
    return np.array([[c, -s], [s, c]])


@dataclass
class _Frame:
    """Maps the user's sample to the working frame (load along ``axis``) and back."""

    R: np.ndarray  # rotation applied to user positions (by −angle)
    centre_user: np.ndarray
    centre_work: np.ndarray

    def to_user(self, p):
        p = np.asarray(p, float)
        return (p - self.centre_work) @ self.R + self.centre_user  # R is orthogonal: inverse = transpose


def _working_glass(glass, params):
    """The sample in the working frame: rotated if ``angle`` needs it; loading axis index; grip width."""
    ang = float(params.angle) % 360.0
    axis = "xy".index(params.axis)
    ident = _Frame(np.eye(2), np.zeros(2), np.zeros(2))
    if ang in (0.0, 180.0):
        g, frame = glass, ident
    elif ang in (90.0, 270.0) and (glass.pbc[0] == glass.pbc[1]) and glass.is_periodic:
        g, frame, axis = glass, ident, 1 - axis  # a periodic sample loaded at 90°: the other cell axis
    else:
        if any(glass.pbc):
            raise InputError(
                f"angle={params.angle:g}° needs a non-periodic sample (a periodic cell cannot be rotated); "
                "crop one (Glass.subset / generation.cut_shape) or use angle 0 or 90"
            )
        R = _rotation(-ang)
        c = glass.positions.mean(axis=0)
        p = (glass.positions - c) @ R.T
        lo = p.min(axis=0) - 5.0
        p = p - lo
        cell = p.max(axis=0) + 5.0
        g = glass.replace(positions=p, cell=cell, pbc=(False, False))
        frame = _Frame(R, c, -lo)
    if ang in (180.0, 270.0) and frame is ident:
        pass  # tension along −x is tension along x
    periodic_load = bool(g.pbc[axis])
    grips = params.grips
    if grips is None and not periodic_load:
        grips = 11.0
    if grips is not None and periodic_load:
        g = g.replace(pbc=tuple(False if a == axis else g.pbc[a] for a in range(2)))  # open the loading axis
    if params.mode == "shear" and grips is None:
        if not all(g.pbc):
            raise InputError("periodic simple shear needs a sample periodic along x and y (a Lees–Edwards tilted "
                             f"cell); this one has pbc={tuple(g.pbc)}: load it with grips (--grips WIDTH) instead")
        if params.transverse == "relaxed":
            raise InputError('transverse="relaxed" is not available for periodic simple shear (the cell edges are '
                             'held; only the tilt changes)')
        if axis == 1:  # shear along y: the same computation on the sample with x and y exchanged
            swap = np.array([[0.0, 1.0], [1.0, 0.0]])
            g = g.replace(positions=g.positions[:, ::-1], cell=np.asarray(g.cell)[::-1])
            frame, axis = _Frame(swap, np.zeros(2), np.zeros(2)), 0
    if params.transverse == "relaxed" and (grips is not None or not g.pbc[1 - axis]):
        raise InputError('transverse="relaxed" needs periodic loading with a periodic transverse axis')
    return g, frame, axis, grips


def _input_hash(glass, params):
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(glass.positions, dtype=np.float64).tobytes())
    h.update(",".join(glass.species.tolist()).encode())
    h.update(np.asarray(glass.cell, dtype=np.float64).tobytes())
    h.update(repr(tuple(glass.pbc)).encode())
    p = params.to_dict()
    p.pop("platform", None), p.pop("threads", None)  # the same run may resume on another platform
    h.update(json.dumps(p, sort_keys=True).encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
class _Run:
    """State of one AQS run (everything needed to checkpoint and resume)."""

    def __init__(self, glass, params, run_dir):
        self.glass0 = glass
        self.params = params
        self.model = get_model(params.model)
        self.run_dir = None if run_dir is None else Path(run_dir)
        check_glass(glass, self.model, what="the sample")
        self.g, self.frame, self.axis, self.grip_width = _working_glass(glass, params)
        check_glass(self.g, self.model, what="the sample")
        self.hash = _input_hash(glass, params)
        self.t_axis = 1 - self.axis
        a = self.axis
        u = self.g.positions[:, a]
        if self.grip_width is not None:
            lo, hi = u.min(), u.max()
            w = float(self.grip_width)
            self.left = u < lo + w
            self.right = u > hi - w
            self.edges0 = (lo + w, hi - w)
            self.L_free = (hi - w) - (lo + w)
            if self.L_free < 2.0 or self.left.sum() == 0 or self.right.sum() == 0 or (~(self.left | self.right)).sum() == 0:
                raise InputError(
                    f"grips of width {w:g} Å leave no free sample between them (span {hi - lo:.1f} Å along "
                    f"{'xy'[a]}); use narrower grips"
                )
            tt = self.g.positions[:, self.t_axis]
            self.width = float(np.ptp(tt)) + 3.0  # Å; + one bond-length scale for the atoms' own extent
            self.fixed = self.left | self.right
        else:
            self.fixed = None
            self.L0 = float(self.g.cell[a])
        self.periodic_shear = params.mode == "shear" and self.grip_width is None
        #: the input's axis along which periodic shear displaces (y: computed with x and y exchanged)
        self.shear_axis = "y" if self.frame.R[0, 1] == 1.0 and self.frame.R[0, 0] == 0.0 else "x"
        from .engines import make_engine, resolve_tilt_platform

        platform = resolve_tilt_platform(params.platform) if self.periodic_shear else params.platform
        self.engine = make_engine(self.g, model=self.model, platform=platform, threads=params.threads,
                                  fixed=self.fixed)
        self.bonds = None
        # curve
        self.strains, self.stresses, self.energies, self.n_broken = [], [], [], []
        self.forces, self.displacements = [], []
        self.tilts = []  # Lees–Edwards tilt of every point (periodic shear only)
        self.tilt = 0.0
        self.breaks = []
        self.broken = None
        self.eps = 0.0
        self.pos = np.array(self.g.positions)
        self.cell = np.array(self.g.cell, float)
        self.refine_until = None
        self.first_event_done = False
        self.first_break_index = None
        self.n_minimisations = 0
        self.n_evaluations = 0
        self.wall = 0.0
        self.break_positions = None

    # ---------------------------------------------------------------- physics of one state
    def _minimize(self, pos, cell, tilt=0.0):
        self.engine.set_state(pos, cell, tilt=tilt)
        res = self.engine.minimize(self.params.fmax, max_iterations=self.params.max_iterations)
        self.n_minimisations += 1
        self.n_evaluations += res.evaluations
        if not res.converged and res.fmax > 100 * self.params.fmax:
            raise SimulationError(
                f"minimisation at strain {self.eps:.4f} stopped at max|F| = {res.fmax:.3g} eV/Å "
                f"(asked {self.params.fmax:g}): {res.message}"
            )
        return np.array(res.x), res

    def _measure(self, pos, cell, res, tilt=0.0):
        """Stress along the load (σ_xy for periodic shear), transverse stress, reaction force."""
        a = self.axis
        if self.grip_width is None:
            vir = self._virial(pos, cell, tilt)
            sig = vir / (cell[0] * cell[1])
            stress, force = float(sig[0, 1] if self.periodic_shear else sig[a, a]), None
            sig_t = float(sig[self.t_axis, self.t_axis])
        else:
            f = res.forces_full if hasattr(res, "forces_full") else self._forces(pos, cell)
            comp = a if self.params.mode == "tension" else self.t_axis
            force = 0.5 * float(f[self.left, comp].sum() - f[self.right, comp].sum())
            stress, sig_t = force / self.width, 0.0
        return stress, sig_t, force

    def _virial(self, pos, cell, tilt=0.0):
        from .numpy_engine import NumpyEngine

        eng = self.engine if isinstance(self.engine, NumpyEngine) else self.engine._double_engine()
        eng.set_state(pos, cell, tilt=tilt)
        return eng.virial(pos)

    def _forces(self, pos, cell):
        from .numpy_engine import NumpyEngine

        eng = self.engine if isinstance(self.engine, NumpyEngine) else self.engine._double_engine()
        eng.set_state(pos, cell)
        return eng.energy_forces()[1]

    def bond_lengths(self, pos, cell, tilt=0.0):
        from ..neighbors import minimum_image

        v = minimum_image(pos[self.bonds[:, 1]] - pos[self.bonds[:, 0]], cell, self.g.pbc, tilt)
        return np.hypot(v[:, 0], v[:, 1]), v

    def tilt_at(self, gamma) -> float:
        """Lees–Edwards tilt (Å) at shear ``gamma``: ``γ·Ly`` reduced into ``[−Lx/2, Lx/2]`` (same lattice)."""
        from ..neighbors import reduce_tilt

        return reduce_tilt(gamma * self.g.cell[1], self.g.cell[0])

    def _deform(self, pos, cell, eps_from, eps_to):
        """Affine (periodic) or grip-interpolated increment from strain ``eps_from`` to ``eps_to``."""
        a = self.axis
        pos, cell = pos.copy(), cell.copy()
        if self.periodic_shear:
            pos[:, 0] += (eps_to - eps_from) * pos[:, 1]
            return pos, cell
        if self.grip_width is None:
            r = (1.0 + eps_to) / (1.0 + eps_from)
            pos[:, a] *= r
            cell[a] = self.L0 * (1.0 + eps_to)
            return pos, cell
        d = (eps_to - eps_from) * self.L_free
        lo_edge = self.edges0[0]
        hi_edge = self.edges0[1] + (eps_from * self.L_free if self.params.mode == "tension" else 0.0)
        frac = np.clip((pos[:, a] - lo_edge) / (hi_edge - lo_edge), 0.0, 1.0)
        frac[self.left], frac[self.right] = 0.0, 1.0
        comp = a if self.params.mode == "tension" else self.t_axis
        pos[:, comp] += d * frac
        return pos, cell

    def _relax_transverse(self, pos, cell, res):
        t = self.t_axis
        J = _STIFFNESS_GUESS
        prev = None
        for _ in range(30):
            sig_t = float(self._virial(pos, cell)[t, t] / (cell[0] * cell[1]))
            if abs(sig_t) <= self.params.transverse_tol:
                break
            le = math.log(cell[t])
            if prev is not None and le != prev[0] and sig_t != prev[1]:
                J = max((sig_t - prev[1]) / (le - prev[0]), 0.1)
            prev = (le, sig_t)
            s = math.exp(max(-0.02, min(0.02, -sig_t / J)))
            cell = cell.copy()
            cell[t] *= s
            pos = pos.copy()
            pos[:, t] *= s
            pos, res = self._minimize(pos, cell)
        return pos, cell, res

    def evaluate(self, eps_to):
        """Strain from the current state to ``eps_to``, minimise, measure (no state change)."""
        pos, cell = self._deform(self.pos, self.cell, self.eps, eps_to)
        tilt = self.tilt_at(eps_to) if self.periodic_shear else 0.0
        pos, res = self._minimize(pos, cell, tilt)
        if self.params.transverse == "relaxed":
            pos, cell, res = self._relax_transverse(pos, cell, res)
        stress, sig_t, force = self._measure(pos, cell, res, tilt)
        lengths, vecs = self.bond_lengths(pos, cell, tilt)
        return dict(eps=eps_to, pos=pos, cell=cell, tilt=tilt, energy=res.energy, stress=stress, force=force,
                    lengths=lengths, vecs=vecs, fmax=res.fmax)

    # ---------------------------------------------------------------- bookkeeping
    def start(self):
        """Step 0: minimise the input, fix the bond list."""
        if self.params.relax_first:
            self.pos, res = self._minimize(self.pos, self.cell)
        else:
            self.engine.set_state(self.pos, self.cell)
            e, f = self.engine.energy_forces()
            from .minimize import MinimizeResult

            res = MinimizeResult(self.pos, e, f, 0.0, 0, 1, True)
        start_glass = self.g.with_positions(self.pos)
        self.bonds = np.array(start_glass.bonds)
        if len(self.bonds) == 0:
            raise InputError("the sample has no Si–O bond after minimisation: nothing can break")
        if self.g.has_oxygen is False:
            raise InputError("the sample has no oxygen")
        self.pos_initial = np.array(self.g.positions)
        self.broken = np.zeros(len(self.bonds), bool)
        stress, _, force = self._measure(self.pos, self.cell, res)
        lengths, _ = self.bond_lengths(self.pos, self.cell)
        over = lengths > self.params.break_length
        if over.any():
            k = int(np.flatnonzero(over)[0])
            raise InputError(f"bond Si {self.bonds[k, 0]} – O {self.bonds[k, 1]} is already {lengths[k]:.2f} Å long "
                             "after minimisation: the sample starts broken")
        self._record(dict(eps=0.0, pos=self.pos, cell=self.cell, tilt=0.0, energy=res.energy, stress=stress,
                          force=force, lengths=lengths), new=np.zeros(0, int))

    def _record(self, st, new):
        self.eps = float(st["eps"])
        self.pos, self.cell, self.tilt = st["pos"], st["cell"], float(st["tilt"])
        self.strains.append(self.eps)
        self.stresses.append(st["stress"])
        self.energies.append(st["energy"])
        if self.grip_width is not None:
            self.forces.append(st["force"])
            self.displacements.append(self.eps * self.L_free)
        if self.periodic_shear:
            self.tilts.append(self.tilt)
        for k in new:
            self._add_break(int(k), st)
        self.n_broken.append(int((st["lengths"] > self.params.break_length).sum()))

    def _location(self, k, pos, cell, tilt=0.0):
        """Midpoint of bond ``k`` (tilted minimum image), wrapped into ``[0, Lx) × [0, Ly)`` on periodic axes."""
        from ..neighbors import minimum_image, wrap

        si, o = self.bonds[k]
        v = minimum_image(pos[o] - pos[si], cell, self.g.pbc, tilt)
        return wrap(pos[si] + 0.5 * v, cell, self.g.pbc, tilt)

    def _add_break(self, k, st):
        self.broken[k] = True
        m_now = self._location(k, st["pos"], st["cell"], st["tilt"])
        m_0 = self._location(k, self.pos_initial, np.asarray(self.g.cell))
        if self.frame.R is not None and not np.array_equal(self.frame.R, np.eye(2)):
            m_now, m_0 = self.frame.to_user(m_now), self.frame.to_user(m_0)
        self.breaks.append({
            "si": int(self.bonds[k, 0]), "o": int(self.bonds[k, 1]), "strain": float(st["eps"]),
            "length": float(st["lengths"][k]), "location": [float(m_now[0]), float(m_now[1])],
            "location_initial": [float(m_0[0]), float(m_0[1])],
        })
        if self.first_break_index is None:
            self.first_break_index = len(self.breaks) - 1
            self.break_positions = np.array(st["pos"])
            self.break_tilt = float(st["tilt"])
            self.break_intact_max = float(st["lengths"][~(st["lengths"] > self.params.break_length)].max())

    def state_data(self):
        """The data of a progress event: the last recorded state, in the input's frame (see deform_steps)."""
        rotated = self.frame.R is not None and not np.array_equal(self.frame.R, np.eye(2))
        pos = self.frame.to_user(self.pos) if rotated else np.array(self.pos, float)
        pos.flags.writeable = False
        cell = np.array(self.glass0.cell if rotated else self.cell, float)
        cell.flags.writeable = False
        broken = () if self.bonds is None else tuple((int(a), int(b)) for a, b in self.bonds[self.broken])
        vectors = self.cell_vectors(cell)
        vectors.flags.writeable = False
        return {"strain": self.eps, "stress": self.stresses[-1], "n_broken": len(self.breaks), "broken": broken,
                "positions": pos, "cell": cell, "tilt": self.tilt, "cell_vectors": vectors,
                "state": len(self.strains) - 1}

    def cell_vectors(self, cell, tilt=None):
        """Rows ``a``, ``b`` of the (tilted) periodic lattice in the input's frame: ``[[Lx, 0], [tilt, Ly]]`` for
        shear along x, ``[[Lx, tilt], [0, Ly]]`` for shear along y (the x/y-exchanged computation)."""
        tilt = self.tilt if tilt is None else tilt
        v = np.diag(np.asarray(cell, float))
        if self.periodic_shear:
            if self.shear_axis == "x":
                v[1, 0] = tilt
            else:
                v[0, 1] = tilt
        return v

    # ---------------------------------------------------------------- checkpoint
    def checkpoint(self):
        if self.run_dir is None:
            return
        from .._atomic import write_json, write_npz

        write_npz(self.run_dir / "checkpoint.npz", pos=self.pos, cell=self.cell, bonds=self.bonds,
                  broken=self.broken, pos_initial=self.pos_initial, tilt=np.float64(self.tilt),
                  tilts=np.array(self.tilts, float),
                  strains=np.array(self.strains), stresses=np.array(self.stresses),
                  energies=np.array(self.energies), n_broken=np.array(self.n_broken, int),
                  forces=np.array(self.forces, float), displacements=np.array(self.displacements, float))
        write_json(self.run_dir / "checkpoint.json", {
            "hash": self.hash, "eps": self.eps, "refine_until": self.refine_until,
            "first_event_done": self.first_event_done, "first_break_index": self.first_break_index,
            "breaks": self.breaks, "n_minimisations": self.n_minimisations, "n_evaluations": self.n_evaluations,
            "wall": self.wall,
        })

    def try_resume(self) -> bool:
        if self.run_dir is None:
            return False
        meta_p, arr_p = self.run_dir / "checkpoint.json", self.run_dir / "checkpoint.npz"
        if not (meta_p.exists() and arr_p.exists()):
            return False
        meta = json.loads(meta_p.read_text())
        if meta.get("hash") != self.hash:
            raise InputError(f"{self.run_dir} holds a different run (other sample or parameters); "
                             "choose another run folder or delete it")
        with np.load(arr_p) as z:
            self.pos, self.cell, self.bonds = np.array(z["pos"]), np.array(z["cell"]), np.array(z["bonds"])
            self.broken, self.pos_initial = np.array(z["broken"]), np.array(z["pos_initial"])
            self.strains, self.stresses = z["strains"].tolist(), z["stresses"].tolist()
            self.energies, self.n_broken = z["energies"].tolist(), z["n_broken"].tolist()
            self.forces, self.displacements = z["forces"].tolist(), z["displacements"].tolist()
            if "tilt" in z.files:
                self.tilt, self.tilts = float(z["tilt"]), z["tilts"].tolist()
        self.eps = float(meta["eps"])
        self.refine_until = meta["refine_until"]
        self.first_event_done = meta["first_event_done"]
        self.first_break_index = meta["first_break_index"]
        self.breaks = meta["breaks"]
        self.n_minimisations, self.n_evaluations = meta["n_minimisations"], meta["n_evaluations"]
        self.wall = meta.get("wall", 0.0)
        return True

    # ---------------------------------------------------------------- result
    def result(self, complete, separated, separation_strain):
        s = np.array(self.stresses)
        e = np.array(self.strains)
        drops = np.diff(s) if len(s) > 1 else np.zeros(0)
        # first peak: the last point before the first drop or the first break
        stop = len(s) - 1
        d_idx = np.flatnonzero(drops < -self.params.drop_tol)
        if len(d_idx):
            stop = min(stop, int(d_idx[0]))
        if self.breaks:
            kb = int(np.searchsorted(e, self.breaks[0]["strain"] - _TINY))
            stop = min(stop, max(kb - 1, 0))
        peak_i = int(np.argmax(s[: stop + 1])) if len(s) else None
        largest = {}
        if len(drops):
            j = int(np.argmin(drops))
            largest = {"strain": float(e[j + 1]), "drop": float(-drops[j]) if drops[j] < 0 else 0.0}
        first = self.breaks[0] if self.breaks else None
        info = {
            "n_atoms": len(self.g), "n_bonds": int(len(self.bonds)) if self.bonds is not None else 0,
            "platform": self.engine.platform_name, "model": self.model.name, "mode": self.params.mode,
            "angle": float(self.params.angle), "loading_axis_working": "xy"[self.axis],
            "grips": self.grip_width, "periodic_loading": self.grip_width is None,
            "separation_criterion": f"stress <= {self.params.separation_fraction:g} x max stress after a break",
            "break_criterion": f"initial Si-O bond longer than {self.params.break_length:g} A",
            "n_minimisations": self.n_minimisations, "n_evaluations": self.n_evaluations, "wall_s": self.wall,
            "input_hash": self.hash,
        }
        if self.grip_width is not None:
            info.update(free_length=self.L_free, width=self.width, n_grip_atoms=int(self.fixed.sum()))
        if self.periodic_shear:
            info.update(self.shear_info())
        if first is not None and hasattr(self, "break_intact_max"):
            info["longest_intact_bond_at_first_break"] = self.break_intact_max
        return FractureResult(
            rupture_strain=None if first is None else first["strain"],
            broken_bond=None if first is None else (first["si"], first["o"]),
            location=None if first is None else tuple(first["location"]),
            location_initial=None if first is None else tuple(first["location_initial"]),
            peak_strain=None if peak_i is None else float(e[peak_i]),
            peak_stress=None if peak_i is None else float(s[peak_i]),
            max_stress=float(s.max()) if len(s) else None,
            max_stress_strain=float(e[int(np.argmax(s))]) if len(s) else None,
            largest_drop=largest, separated=bool(separated), separation_strain=separation_strain,
            strains=e, stresses=s, energies=np.array(self.energies), n_broken=np.array(self.n_broken, int),
            forces=np.array(self.forces, float), displacements=np.array(self.displacements, float),
            breaks=list(self.breaks), complete=bool(complete), params=self.params.to_dict(), info=info,
            tilts=np.array(self.tilts, float),
        )

    def shear_info(self) -> dict:
        """Metadata of a periodic shear run: the boundary convention and the final lattice (input frame)."""
        s, n = ("x", "y") if self.shear_axis == "x" else ("y", "x")
        return {
            "boundary": "lees-edwards",
            "shear_plane": s + n,
            "stress_component": "xy",
            "strain_measure": f"engineering shear strain gamma ({s} += gamma * {n})",
            "lees_edwards": (f"periodic images across the {n} boundary are shifted along {s} by tilt = gamma * L{n}, "
                             f"reduced into [-L{s}/2, L{s}/2] (subtracting L{s} leaves the lattice unchanged); "
                             "the cell edges are fixed; positions follow the affine shear and are minimised"),
            "tilt": self.tilt, "cell_vectors": self.cell_vectors(self.glass0.cell).tolist(),
        }


def _grid(x, step):
    return round(x / step) * step


def deform_steps(glass, params: AQSParams = AQSParams(), *, run_dir=None):
    """AQS loading of ``glass`` (generator of :class:`Progress`; returns a :class:`FractureResult`).

    Every event's ``data`` describes the last recorded state (a point of the curve): ``strain``, ``stress``,
    ``state`` (its index on the curve, 0 = the relaxed input; an event announcing a refinement repeats the
    previous state), ``positions`` ((N, 2) Å, read-only, in the input's frame and atom order — rotated back when
    loading at an angle; unwrapped), ``cell`` ((2,) Å, the strained cell; the input's cell when rotated),
    ``broken`` (tuple of ``(si, o)`` input indices of every bond broken so far) and ``n_broken``; ``tilt``
    (Å, the Lees–Edwards tilt of periodic shear, 0 otherwise) and ``cell_vectors`` ((2, 2), rows ``a`` and ``b``
    of the periodic lattice of that state: ``[[Lx, 0], [tilt, Ly]]`` for shear along x).

    With ``run_dir`` every finished step is checkpointed there; a run killed or cancelled resumes from the last
    finished step when called again with the same sample and parameters, and a finished run is read back. The
    result is written (``result.json`` + ``curves.npz``) when the run ends, with ``complete=False`` if it was
    interrupted.
    """
    if not isinstance(params, AQSParams):
        raise InputError(f"params must be an AQSParams, got {type(params).__name__}")
    run = _Run(glass, params, run_dir)
    p = params
    if run.run_dir is not None and (run.run_dir / "result.json").exists():
        try:
            old = FractureResult.load(run.run_dir)
        except InputError:
            old = None
        if old is not None and old.complete and old.info.get("input_hash") == run.hash:
            yield Progress("deform", 1, 1, "finished earlier: read from the run folder")
            return old
    t0 = time.perf_counter()
    resumed = run.try_resume()
    if not resumed:
        run.start()
        run.checkpoint()
    wall0 = run.wall
    finished = False
    separated, sep_strain = False, None

    def event(msg, note=None):
        data = run.state_data()
        if note:
            data["note"] = note
        return Progress("deform", round(run.eps, 10), p.max_strain, msg, data)

    try:
        if resumed:
            yield event("resumed", f"resuming the unfinished run in {run.run_dir} at strain {run.eps:.4f} "
                                   f"({len(run.strains)} points and {len(run.breaks)} broken bond(s) kept)")
        else:
            yield event("relaxed the sample")
        while True:
            if run.breaks and p.until == "first":
                break
            if p.until == "complete" and run.breaks and len(run.stresses) > 1:
                if run.stresses[-1] <= p.separation_fraction * max(run.stresses):
                    separated, sep_strain = True, run.eps
                    break
            if run.eps >= p.max_strain - _TINY:
                break
            refining = run.refine_until is not None and run.eps < run.refine_until - _TINY
            dstep = p.refine_step if refining else p.step
            target = min(_grid(run.eps + dstep, p.refine_step or p.step), p.max_strain)
            st = run.evaluate(target)
            over = st["lengths"] > p.break_length
            new = np.flatnonzero(over & ~run.broken)
            drop = st["stress"] < run.stresses[-1] - p.drop_tol
            wants_refine = (p.refine_step > 0 and not refining and
                            ((len(new) and (not run.breaks or (p.until == "complete" and p.refine_all_breaks)))
                             or (drop and not run.first_event_done)))
            if wants_refine:
                run.refine_until = target
                run.first_event_done = True
                yield event(f"event between strain {run.eps:.4f} and {target:.4f}: refining")
                continue
            if len(new) or drop:
                run.first_event_done = True
            order = new[np.argsort(-st["lengths"][new])] if len(new) else new
            run._record(st, order)
            if not refining or run.eps >= (run.refine_until or 0) - _TINY:
                if refining:
                    run.refine_until = None
            run.wall = wall0 + time.perf_counter() - t0
            run.checkpoint()
            msg = f"ε={run.eps:.4f} σ={st['stress']:.5f} eV/Å² broken={len(run.breaks)}"
            yield event(msg)
        finished = True
    finally:
        run.wall = wall0 + time.perf_counter() - t0
        if run.bonds is not None:
            res = run.result(finished, separated, sep_strain)
            if run.run_dir is not None:
                run.checkpoint()
                res.save(run.run_dir)
                _save_configs(run)
    return res


def _save_configs(run):
    from .._atomic import write_npz

    arrays = dict(final_positions=run.pos, final_cell=run.cell, initial_positions=run.pos_initial,
                  bonds=run.bonds, broken=run.broken)
    if run.break_positions is not None:
        arrays["first_break_positions"] = run.break_positions
    if run.periodic_shear:
        arrays["final_tilt"] = np.float64(run.tilt)
        if run.break_positions is not None:
            arrays["first_break_tilt"] = np.float64(run.break_tilt)
    write_npz(run.run_dir / "configs.npz", **arrays)


def deform(glass, params: AQSParams = AQSParams(), run_dir=None, **kwargs) -> FractureResult:
    """Run :func:`deform_steps` to the end and return its :class:`FractureResult`.

    Keyword arguments other than ``run_dir`` build the :class:`AQSParams` when ``params`` is not given, e.g.
    ``deform(glass, until="complete")``.
    """
    from ..progress import run as _run

    if kwargs:
        params = AQSParams(**{**params.to_dict(), **kwargs})
    return _run(deform_steps(glass, params, run_dir=run_dir))
