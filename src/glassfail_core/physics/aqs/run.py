"""The stepping run of AQS loading: one state after another, refined around events, measured and recorded.

:class:`AQSRun` holds everything a run is (the working sample, the engine, the curve, the broken bonds, the
refinement in progress) and owns the protocol: :meth:`AQSRun.start` minimises the input and fixes the bonds,
:meth:`AQSRun.steps` strains on step by step (refining the intervals with events) until the run's end, and
:meth:`AQSRun.result` labels what was done. Files, timing and progress events belong to the caller
(:func:`~glassfail_core.physics.aqs.deform_steps`).
"""

from __future__ import annotations

import math
from typing import Iterator, NamedTuple

import numpy as np

from ...errors import InputError, SimulationError
from ...neighbors import minimum_image, wrap
from .. import engines  # the module: make_engine is looked up at run time (benchmarks substitute it)
from ..minimize import MinimizeResult
from ..models import get_model
from ..numpy_engine import NumpyEngine
from ..reference import check_glass
from .checkpoint import input_hash
from .loading import Loading, working_glass
from .params import STRAIN_TOL
from .result import FractureResult

__all__ = ["AQSRun", "Step"]

_STIFFNESS_GUESS = 5.0


def _grid(x, step):
    return round(x / step) * step


class Step(NamedTuple):
    """What :meth:`AQSRun.steps` yields: a line for a human, and whether a new state was recorded (a step
    announcing a refinement records none)."""

    message: str
    recorded: bool


class AQSRun:
    """State of one AQS run of ``glass`` with :class:`~glassfail_core.physics.aqs.AQSParams` ``params``
    (everything needed to checkpoint and resume, see :mod:`.checkpoint`)."""

    def __init__(self, glass, params):
        self.glass0 = glass
        self.params = params
        self.model = get_model(params.model)
        check_glass(glass, self.model, what="the sample")
        g, frame, axis, grip_width = working_glass(glass, params)
        check_glass(g, self.model, what="the sample")
        self.hash = input_hash(glass, params)
        self.loading = Loading(g, frame, axis, grip_width, params.mode)
        self.g = g
        platform = (engines.resolve_tilt_platform(params.platform) if self.loading.periodic_shear
                    else params.platform)
        extra = {"precondition": True} if params.precondition else {}  # (benchmarks substitute make_engine)
        self.engine = engines.make_engine(g, model=self.model, platform=platform, threads=params.threads,
                                          fixed=self.loading.fixed, **extra)
        self.bonds = None
        # curve
        self.strains, self.stresses, self.energies, self.n_broken = [], [], [], []
        self.forces, self.displacements = [], []
        self.tilts = []  # Lees–Edwards tilt of every point (periodic shear only)
        self.tilt = 0.0
        self.breaks = []
        self.broken = None
        self.eps = 0.0
        self.pos = np.array(g.positions)
        self.cell = np.array(g.cell, float)
        self.refine_until = None
        self.first_event_done = False
        self.first_break_index = None
        self.n_minimisations = 0
        self.n_evaluations = 0
        self.wall = 0.0
        self.break_positions = None
        self.break_intact_max = None
        self.separated, self.separation_strain = False, None

    # ---------------------------------------------------------------- physics of one state
    def _minimize(self, pos, cell, tilt=0.0, at=None):
        self.engine.set_state(pos, cell, tilt=tilt)
        try:
            res = self.engine.minimize(self.params.fmax, max_iterations=self.params.max_iterations)
        except SimulationError as exc:  # name the step: "atoms 3 and 20 collapsed" alone does not say when
            eps = self.eps if at is None else at
            raise SimulationError(f"at strain {eps:.4f} (step {len(self.strains)}): {exc}") from exc
        self.n_minimisations += 1
        self.n_evaluations += res.evaluations
        if not res.converged and res.fmax > 100 * self.params.fmax:
            raise SimulationError(
                f"minimisation at strain {self.eps:.4f} stopped at max|F| = {res.fmax:.3g} eV/Å "
                f"(asked {self.params.fmax:g}): {res.message}"
            )
        return np.array(res.x), res

    def _double_engine(self):
        return self.engine if isinstance(self.engine, NumpyEngine) else self.engine._double_engine()

    def _measure(self, pos, cell, res, tilt=0.0):
        """Stress along the load (σ_xy for periodic shear), transverse stress, reaction force."""
        ld = self.loading
        if ld.grip_width is None:
            vir = self._virial(pos, cell, tilt)
            sig = vir / (cell[0] * cell[1])
            stress, force = float(sig[0, 1] if ld.periodic_shear else sig[ld.axis, ld.axis]), None
            sig_t = float(sig[ld.t_axis, ld.t_axis])
        else:
            f = res.forces_full if hasattr(res, "forces_full") else self._forces(pos, cell)
            force = ld.grip_force(f)
            stress, sig_t = force / ld.width, 0.0
        return stress, sig_t, force

    def _virial(self, pos, cell, tilt=0.0):
        eng = self._double_engine()
        eng.set_state(pos, cell, tilt=tilt)
        return eng.virial(pos)

    def _forces(self, pos, cell):
        eng = self._double_engine()
        eng.set_state(pos, cell)
        return eng.energy_forces()[1]

    def bond_lengths(self, pos, cell, tilt=0.0):
        """Lengths and vectors (Si → O, tilted minimum image) of the run's bonds in a configuration."""
        v = minimum_image(pos[self.bonds[:, 1]] - pos[self.bonds[:, 0]], cell, self.g.pbc, tilt)
        return np.hypot(v[:, 0], v[:, 1]), v

    def _relax_transverse(self, pos, cell, res):
        t = self.loading.t_axis
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
        pos, cell = self.loading.increment(self.pos, self.cell, self.eps, eps_to)
        tilt = self.loading.tilt_at(eps_to) if self.loading.periodic_shear else 0.0
        pos, res = self._minimize(pos, cell, tilt, at=eps_to)
        if self.params.transverse == "relaxed":
            pos, cell, res = self._relax_transverse(pos, cell, res)
        stress, sig_t, force = self._measure(pos, cell, res, tilt)
        lengths, vecs = self.bond_lengths(pos, cell, tilt)
        return dict(eps=eps_to, pos=pos, cell=cell, tilt=tilt, energy=res.energy, stress=stress, force=force,
                    lengths=lengths, vecs=vecs, fmax=res.fmax)

    # ---------------------------------------------------------------- the protocol
    def start(self):
        """Step 0: minimise the input, fix the bond list."""
        if self.params.relax_first:
            self.pos, res = self._minimize(self.pos, self.cell)
        else:
            self.engine.set_state(self.pos, self.cell)
            e, f = self.engine.energy_forces()
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

    def steps(self) -> Iterator[Step]:
        """Strain on from the current state until the run ends; yield a :class:`Step` after every recorded state
        and when an interval is to be refined.

        A coarse step (``step``) that breaks a bond (the first one; every one with ``until="complete"`` and
        ``refine_all_breaks``) or shows the first stress drop is not recorded: the run re-strains that interval in
        steps of ``refine_step``. Ends at the first break (``until="first"``), past failure (``until="failure"``: the
        stress below ``failure_fraction`` of its maximum), at separation (``until="complete"``: sets
        :attr:`separated` and :attr:`separation_strain`) or at ``max_strain``.
        """
        p = self.params
        while True:
            if self.breaks and p.until == "first":
                return
            if p.until == "complete" and self.breaks and len(self.stresses) > 1:
                if self.stresses[-1] <= p.separation_fraction * max(self.stresses):
                    self.separated, self.separation_strain = True, self.eps
                    return
            if p.until == "failure" and self.breaks and self._past_failure():
                return
            if self.eps >= p.max_strain - STRAIN_TOL:
                return
            refining = self.refine_until is not None and self.eps < self.refine_until - STRAIN_TOL
            dstep = p.refine_step if refining else p.step
            target = min(_grid(self.eps + dstep, p.refine_step or p.step), p.max_strain)
            st = self.evaluate(target)
            over = st["lengths"] > p.break_length
            new = np.flatnonzero(over & ~self.broken)
            drop = st["stress"] < self.stresses[-1] - p.drop_tol
            wants_refine = (p.refine_step > 0 and not refining and
                            ((len(new) and (not self.breaks or (p.until != "first" and p.refine_all_breaks)))
                             or (drop and not self.first_event_done)))
            if wants_refine:
                self.refine_until = target
                self.first_event_done = True
                yield Step(f"event between strain {self.eps:.4f} and {target:.4f}: refining", recorded=False)
                continue
            if len(new) or drop:
                self.first_event_done = True
            order = self._break_order(new, st)
            self._record(st, order)
            if refining and self.eps >= self.refine_until - STRAIN_TOL:
                self.refine_until = None  # the refined interval is done
            yield Step(f"ε={self.eps:.4f} σ={st['stress']:.5f} eV/Å² broken={len(self.breaks)}", recorded=True)

    def _break_order(self, new, st):
        """Bonds broken in one step, first the one that was longest in the state before the step (the one closest to
        snapping: a finer step breaks it first), then by their length after it."""
        if len(new) < 2:
            return new
        before, _ = self.bond_lengths(self.pos, self.cell, self.tilt)
        return new[np.lexsort((-st["lengths"][new], -before[new]))]

    def _past_failure(self) -> bool:
        """``until="failure"``: the stress fell below ``failure_fraction`` of its maximum so far and did not climb
        back above that maximum within ``failure_window`` of strain (an early local break can halve a still small
        stress, after which the glass hardens again to a much higher maximum: that is not the failure)."""
        p = self.params
        s = np.asarray(self.stresses)
        k = int(np.argmax(s))
        below = np.flatnonzero(s[k + 1:] < p.failure_fraction * s[k])
        if not len(below):
            return False
        return self.eps >= self.strains[k + 1 + int(below[0])] + p.failure_window - STRAIN_TOL

    # ---------------------------------------------------------------- bookkeeping
    def _record(self, st, new):
        self.eps = float(st["eps"])
        self.pos, self.cell, self.tilt = st["pos"], st["cell"], float(st["tilt"])
        self.strains.append(self.eps)
        self.stresses.append(st["stress"])
        self.energies.append(st["energy"])
        if self.loading.grip_width is not None:
            self.forces.append(st["force"])
            self.displacements.append(self.eps * self.loading.L_free)
        if self.loading.periodic_shear:
            self.tilts.append(self.tilt)
        for k in new:
            self._add_break(int(k), st)
        self.n_broken.append(int((st["lengths"] > self.params.break_length).sum()))

    def _location(self, k, pos, cell, tilt=0.0):
        """Midpoint of bond ``k`` (tilted minimum image), wrapped into ``[0, Lx) × [0, Ly)`` on periodic axes."""
        si, o = self.bonds[k]
        v = minimum_image(pos[o] - pos[si], cell, self.g.pbc, tilt)
        return wrap(pos[si] + 0.5 * v, cell, self.g.pbc, tilt)

    def _add_break(self, k, st):
        self.broken[k] = True
        m_now = self._location(k, st["pos"], st["cell"], st["tilt"])
        m_0 = self._location(k, self.pos_initial, np.asarray(self.g.cell))
        frame = self.loading.frame
        if not frame.is_identity:
            m_now, m_0 = frame.to_user(m_now), frame.to_user(m_0)
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
        rotated = not self.loading.frame.is_identity
        pos = self.loading.frame.to_user(self.pos) if rotated else np.array(self.pos, float)
        pos.flags.writeable = False
        cell = np.array(self.glass0.cell if rotated else self.cell, float)
        cell.flags.writeable = False
        broken = () if self.bonds is None else tuple((int(a), int(b)) for a, b in self.bonds[self.broken])
        vectors = self.loading.cell_vectors(cell, self.tilt)
        vectors.flags.writeable = False
        return {"strain": self.eps, "stress": self.stresses[-1], "n_broken": len(self.breaks), "broken": broken,
                "positions": pos, "cell": cell, "tilt": self.tilt, "cell_vectors": vectors,
                "state": len(self.strains) - 1}

    def result(self, complete) -> FractureResult:
        """The labels and curves of what was done (``complete``: the run reached its end)."""
        p, ld = self.params, self.loading
        info = {
            "n_atoms": len(self.g), "n_bonds": int(len(self.bonds)) if self.bonds is not None else 0,
            "platform": self.engine.platform_name, "model": self.model.name, "mode": p.mode,
            "angle": float(p.angle), "loading_axis_working": "xy"[ld.axis],
            "grips": ld.grip_width, "periodic_loading": ld.grip_width is None,
            "separation_criterion": f"stress <= {p.separation_fraction:g} x max stress after a break",
            "break_criterion": f"initial Si-O bond longer than {p.break_length:g} A",
            "n_minimisations": self.n_minimisations, "n_evaluations": self.n_evaluations, "wall_s": self.wall,
            "input_hash": self.hash,
        }
        info.update(ld.info())
        if ld.periodic_shear:
            info.update(ld.shear_info(self.glass0.cell, self.tilt))
        if self.breaks and self.break_intact_max is not None:
            info["longest_intact_bond_at_first_break"] = self.break_intact_max
        return FractureResult.from_curves(
            strains=self.strains, stresses=self.stresses, energies=self.energies, n_broken=self.n_broken,
            forces=self.forces, displacements=self.displacements, tilts=self.tilts, breaks=self.breaks,
            drop_tol=p.drop_tol, complete=complete, separated=self.separated,
            separation_strain=self.separation_strain, params=p.to_dict(), info=info,
        )
