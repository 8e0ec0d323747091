"""The pair model in OpenMM: one System per Glass, one reusable context for energies, forces and minimisation.

How the 2D model is run in OpenMM
---------------------------------
* One ``CustomNonbondedForce`` with a per-particle ``type``; σ and q chosen per pair inside the expression
  (``select``), the shifted-force expression written out (Lepton accepts no user functions of r).
* Units: OpenMM works in nm and kJ/mol; positions are multiplied by 0.1, energies divided by
  :data:`KJ_PER_MOL_PER_EV` on the way back, forces converted to eV/Å.
* Every atom lies at the same z: pair vectors have no z component, so forces have none either and minimisation
  keeps the sample flat (exact, not approximate).
* Periodic axes use the Glass cell; a free axis of a partly periodic Glass gets a box edge longer than the sample
  span plus twice the cutoff (no image can interact); a fully free Glass uses ``CutoffNonPeriodic``.
* No tilted (Lees–Edwards) cells: with OpenMM 8.6.1 a triclinic box ``b = (tilt, Ly, 0)`` in reduced form gave
  energies that changed under a rigid translation of all atoms (Reference and CPU platforms, 180 atoms, tilt
  7.3 Å: 7e-5 eV against the NumPy engine and an explicit image sum, which agree to 1e-14), i.e. pairs were missed
  (compare openmm/openmm#5382). Periodic shear therefore runs on the NumPy engine.

Platforms and precision
-----------------------
``platform=None`` picks the fastest available one (CUDA > OpenCL > CPU > Reference). The CPU platform computes
pair forces in single precision: its forces carry noise of ~1e-6 eV/Å, so it cannot certify ``max|F| ≤ 1e-6``;
the Reference platform is double precision and agrees with the NumPy reference to ~1e-15. glassfail therefore uses
the fast platform for the bulk of every minimisation and finishes on Reference when a tolerance below the fast
platform's floor is asked for (see :class:`OpenMMEngine.minimize`).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, SimulationError
from .models import PairModel, get_model

__all__ = ["OpenMMEngine", "KJ_PER_MOL_PER_EV", "available_platforms", "fastest_platform", "FORCE_FLOOR"]

#: 1 eV in kJ/mol (CODATA 2018: e · N_A / 1000).
KJ_PER_MOL_PER_EV = 96.48533212331002
#: eV/Å → kJ/mol/nm.
_F_TO_OMM = KJ_PER_MOL_PER_EV * 10.0
#: Smallest max|F| (eV/Å) a platform can resolve reliably (single precision: measured noise ~2e-7–1e-6).
FORCE_FLOOR = {"Reference": 1e-9, "CPU": 2e-5, "CUDA": 2e-5, "OpenCL": 2e-5, "HIP": 2e-5}
_ORDER = ["CUDA", "HIP", "OpenCL", "CPU", "Reference"]
#: Why OpenMM platforms refuse a Lees–Edwards tilt (periodic shear), and what to use instead.
TILT_UNSUPPORTED = ("periodic simple shear (a tilted Lees–Edwards cell) runs only on the NumPy engine: OpenMM's "
                    "triclinic neighbour lists missed pairs in tests here; use platform NumPy (--platform numpy)")


def _mm():
    import openmm

    return openmm


def available_platforms() -> list:
    """Names of the OpenMM platforms usable here, fastest first."""
    mm = _mm()
    names = [mm.Platform.getPlatform(k).getName() for k in range(mm.Platform.getNumPlatforms())]
    return [n for n in _ORDER if n in names] + [n for n in names if n not in _ORDER]


def fastest_platform() -> str:
    return available_platforms()[0]


def _expression(model: PairModel) -> str:
    """Lepton expression of the shifted-force pair energy in kJ/mol with r in nm.

    σ and q are picked from the pair's types with ``select`` (``type1 + type2`` is 0 for Si–Si, 1 for Si–O, 2 for
    O–O): on the CPU platform this is ~7× faster than ``Discrete2DFunction`` tables, which defeat its compiled,
    vectorised kernels.
    """
    if len(model.species) != 2:
        raise InputError(f"the OpenMM backend handles two-species models, {model.name!r} has {len(model.species)}")
    rc = model.cutoff * 0.1
    lam = model.screening * 0.1
    k = KJ_PER_MOL_PER_EV
    sig, q = model.tables()
    sig, q = sig * 0.1, q * 0.1  # Å → nm, eV·Å → eV·nm

    def pick(t):
        return f"select(ts, select(ts - 1, {float(t[1, 1])!r}, {float(t[0, 1])!r}), {float(t[0, 0])!r})"

    return (
        f"{k!r}*(v - vc - dvc*(r - {rc!r}));"
        f"v = (s/r)^12 + qq/r*exp(-r/{lam!r});"
        f"vc = (s/{rc!r})^12 + qq/{rc!r}*exp(-{rc!r}/{lam!r});"
        f"dvc = -12*(s/{rc!r})^12/{rc!r} - qq/{rc!r}*exp(-{rc!r}/{lam!r})*(1/{rc!r} + 1/{lam!r});"
        f"s = {pick(sig)}; qq = {pick(q)}; ts = type1 + type2"
    )


class OpenMMEngine:
    """An OpenMM System + Context for one Glass topology, reused across many configurations (AQS steps).

    Parameters
    ----------
    glass : Glass
        Defines the atoms, species and periodicity (positions and cell can be changed later).
    model : str or PairModel
    platform : str, optional
        ``"CUDA"``, ``"OpenCL"``, ``"CPU"`` or ``"Reference"``; default: the fastest available.
    threads : int, optional
        CPU platform threads (default: OpenMM's choice, i.e. all cores).
    fixed : (N,) bool array, optional
        Atoms held in place by the minimiser (grips).

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> eng = OpenMMEngine(honeycomb(4, 6), platform="Reference")
    >>> e, f = eng.energy_forces()
    >>> round(e / 48, 4)
    -0.8193
    """

    def __init__(self, glass, model="rhh", platform=None, threads=None, fixed=None):
        mm = _mm()
        self._glass = glass
        self._fixed = None if fixed is None else np.asarray(fixed, bool)
        self.model = get_model(model)
        self.pbc = tuple(glass.pbc)
        self.n = len(glass)
        self.types = self.model.types(glass.species)
        names = available_platforms()
        if platform is None:
            platform = names[0]
        match = {n.lower(): n for n in names}
        if str(platform).lower() not in match:
            raise InputError(f"platform {platform!r} is not available here; available: {', '.join(names)}")
        self.platform_name = match[str(platform).lower()]
        self._lz = 4.0 * self.model.cutoff  # Å, any value > 2 r_c
        self.system = self._build_system(mm, glass)
        integrator = mm.VerletIntegrator(0.001)
        props = {}
        if self.platform_name == "CPU" and threads:
            props["Threads"] = str(int(threads))
        if self.platform_name in ("CUDA", "OpenCL", "HIP"):
            props["Precision"] = "mixed"
        plat = mm.Platform.getPlatformByName(self.platform_name)
        self.context = mm.Context(self.system, integrator, plat, props)
        self._cell = np.array(glass.cell, float)
        self._pos = None
        self.n_evaluations = 0
        self.set_state(glass.positions, glass.cell)

    # ------------------------------------------------------------------ building
    def _build_system(self, mm, glass):
        model = self.model
        system = mm.System()
        masses = model.masses
        for k, s in enumerate(glass.species):
            held = self._fixed is not None and self._fixed[k]
            system.addParticle(0.0 if held else masses[str(s)])  # zero mass: the minimiser does not move it
        force = mm.CustomNonbondedForce(_expression(model))
        force.addPerParticleParameter("type")
        for ty in self.types:
            force.addParticle([float(ty)])
        force.setCutoffDistance(model.cutoff * 0.1)
        force.setUseSwitchingFunction(False)
        force.setUseLongRangeCorrection(False)
        if any(self.pbc):
            force.setNonbondedMethod(mm.CustomNonbondedForce.CutoffPeriodic)
        else:
            force.setNonbondedMethod(mm.CustomNonbondedForce.CutoffNonPeriodic)
        system.addForce(force)
        self._set_box(system, glass.positions, glass.cell)
        return system

    def _box(self, positions, cell):
        box = np.empty(3)
        for ax in range(2):
            if self.pbc[ax]:
                box[ax] = cell[ax]
            else:
                span = float(np.ptp(positions[:, ax])) if len(positions) else 0.0
                box[ax] = max(span + 2.0 * self.model.cutoff + 50.0, 3.0 * self.model.cutoff)
        box[2] = self._lz
        return box

    def _set_box(self, target, positions, cell):
        mm = _mm()
        b = self._box(np.asarray(positions), np.asarray(cell)) * 0.1
        vecs = (mm.Vec3(b[0], 0, 0), mm.Vec3(0, b[1], 0), mm.Vec3(0, 0, b[2]))
        if isinstance(target, mm.System):
            target.setDefaultPeriodicBoxVectors(*vecs)
        else:
            target.setPeriodicBoxVectors(*vecs)

    # ------------------------------------------------------------------ state
    def set_state(self, positions, cell=None, tilt=None):
        """Set positions ``(N, 2)`` Å (and optionally the cell ``(Lx, Ly)``); ``tilt`` must be 0 (see the module
        docstring: tilted cells run on the NumPy engine)."""
        if tilt:
            raise InputError(TILT_UNSUPPORTED)
        pos = np.asarray(positions, float)
        if pos.shape != (self.n, 2):
            raise InputError(f"positions must have shape ({self.n}, 2), got {pos.shape}")
        if cell is not None:
            self._cell = np.array(cell, float)
        if any(self.pbc):
            self._set_box(self.context, pos, self._cell)
        p3 = np.zeros((self.n, 3))
        p3[:, :2] = pos
        p3[:, 2] = 0.5 * self._lz
        self.context.setPositions(p3 * 0.1)
        self._pos = pos.copy()

    @property
    def cell(self):
        return self._cell.copy()

    def positions(self) -> np.ndarray:
        """Current positions ``(N, 2)`` in Å (unwrapped, as OpenMM keeps them)."""
        st = self.context.getState(getPositions=True)
        p = st.getPositions(asNumpy=True)._value
        return np.asarray(p)[:, :2] * 10.0

    def energy_forces(self):
        """Energy (eV) and forces ``(N, 2)`` (eV/Å) at the current state."""
        st = self.context.getState(getEnergy=True, getForces=True)
        self.n_evaluations += 1
        e = st.getPotentialEnergy()._value / KJ_PER_MOL_PER_EV
        f = np.asarray(st.getForces(asNumpy=True)._value)[:, :2] / _F_TO_OMM
        if not np.isfinite(e) or not np.isfinite(f).all():
            raise SimulationError(_nan_message(f))
        return float(e), f

    def energy(self) -> float:
        st = self.context.getState(getEnergy=True)
        e = st.getPotentialEnergy()._value / KJ_PER_MOL_PER_EV
        if not np.isfinite(e):
            raise SimulationError("the energy is not finite (NaN/inf): atoms overlap or the minimiser diverged")
        return float(e)

    # ------------------------------------------------------------------ minimisation
    @property
    def force_floor(self) -> float:
        """Smallest max|F| (eV/Å) this platform resolves (single-precision positions limit CPU/GPU platforms)."""
        return FORCE_FLOOR.get(self.platform_name, 2e-5)

    def minimize(self, fmax=1e-6, *, max_iterations=20000, should_stop=None):
        """Minimise positions at fixed cell until ``max|F| ≤ fmax`` eV/Å.

        OpenMM's L-BFGS runs on this engine's platform down to its precision floor (RMS-force tolerance chosen
        from ``fmax``); when ``fmax`` is below that floor the result is polished in double precision by
        :func:`~glassfail_core.physics.minimize.lbfgs` on the NumPy engine, so the returned forces and ``fmax``
        are exact (double precision) whatever the platform. Atoms with zero mass (grips) do not move.
        """
        from .minimize import MinimizeResult

        mm = _mm()
        target = max(fmax, self.force_floor)
        tol = target * _F_TO_OMM * np.sqrt(2.0 / 3.0) / 5.0
        mm.LocalEnergyMinimizer.minimize(self.context, tol, int(max_iterations))
        pos = self.positions()
        self._pos = pos
        e, f = self.energy_forces()
        fm = _maxf(f)
        if fm <= fmax and self.platform_name == "Reference":
            return MinimizeResult(pos, e, f, fm, 0, 0, True, "converged (OpenMM L-BFGS, Reference)")
        eng = self._double_engine()
        eng.set_state(pos, self._cell)
        res = eng.minimize(fmax, max_iterations=max_iterations, fixed=self._fixed, should_stop=should_stop)
        self.set_state(res.x, self._cell)
        return res

    def _double_engine(self):
        if getattr(self, "_numpy", None) is None:
            from .numpy_engine import NumpyEngine

            self._numpy = NumpyEngine(self._glass, self.model)
        return self._numpy


def _maxf(f):
    return float(np.sqrt((f * f).sum(axis=1)).max()) if len(f) else 0.0


def _nan_message(f):
    bad = np.flatnonzero(~np.isfinite(f).all(axis=1))
    where = f"first at atom {int(bad[0])}" if len(bad) else ""
    return f"non-finite forces (NaN/inf) in {len(bad)} atom(s) {where}: the minimisation diverged or atoms overlap"
