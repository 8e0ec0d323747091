"""Athermal quasistatic (AQS) loading to failure: tension or shear, periodic or with grips, at any angle.

Protocol (the reference study's, made configurable by :class:`AQSParams`)
-----------------------------------------------------------------------
1. The input is minimised at fixed cell (``relax_first``); its Si–O bonds (pairs within the Glass bond cutoff,
   2.2 Å) are the bonds that can break.
2. Strain steps of ``step`` (0.005): an affine stretch along the loading axis (cell edge and positions), then
   position minimisation to ``max|F| ≤ fmax``. The transverse edge is held (``transverse="fixed"``, the
   reference protocol) or relaxed to zero transverse stress (``"relaxed"``).
3. At the first stress drop or the first step that breaks a bond, the run returns to the last state before it and
   re-strains that interval in steps of ``refine_step`` (0.0005). With ``until="failure"`` or ``"complete"`` every
   later step that breaks bonds is refined the same way, so every break has the fine strain resolution.
4. Stop at the first broken bond (``until="first"``); past failure (``until="failure"``: the stress has fallen
   below ``failure_fraction``, 50 %, of its maximum after at least one break and stayed below that maximum for
   ``failure_window`` = 0.015 of strain — the dataset's rule; an early local break can halve a still small stress
   before the glass hardens to its real maximum); or when the
   sample has separated (``until="complete"``: the stress has fallen to ``separation_fraction``, 5 %, of its
   maximum after at least one break).

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

Modules
-------
:mod:`.params` (:class:`AQSParams`), :mod:`.result` (:class:`FractureResult`), :mod:`.loading` (working frame,
grips, strain increments), :mod:`.run` (the stepping run and its refinement), :mod:`.checkpoint` (checkpoint,
resume, configurations); the run folder's files are :mod:`glassfail_core.io.runs`'s. This module drives a run
(:func:`deform_steps`, :func:`deform`).
"""

from __future__ import annotations

import time
from pathlib import Path

from ...errors import InputError
from ...progress import Progress
from ...progress import run as _run_job
from .checkpoint import finished_result, resume, save_checkpoint, save_configs
from .params import AQSParams
from .result import FractureResult
from .run import AQSRun

__all__ = ["AQSParams", "FractureResult", "deform_steps", "deform"]


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
    run = AQSRun(glass, params)
    run_dir = None if run_dir is None else Path(run_dir)
    if run_dir is not None:
        old = finished_result(run_dir, run.hash)
        if old is not None:
            yield Progress("deform", 1, 1, "finished earlier: read from the run folder")
            return old
    t0 = time.perf_counter()
    resumed = run_dir is not None and resume(run, run_dir)
    if not resumed:
        run.start()
        if run_dir is not None:
            save_checkpoint(run, run_dir)
    wall0 = run.wall
    finished = False

    def event(msg, note=None):
        data = run.state_data()
        if note:
            data["note"] = note
        return Progress("deform", round(run.eps, 10), params.max_strain, msg, data)

    try:
        if resumed:
            yield event("resumed", f"resuming the unfinished run in {run_dir} at strain {run.eps:.4f} "
                                   f"({len(run.strains)} points and {len(run.breaks)} broken bond(s) kept)")
        else:
            yield event("relaxed the sample")
        for step in run.steps():
            if step.recorded:
                run.wall = wall0 + time.perf_counter() - t0
                if run_dir is not None:
                    save_checkpoint(run, run_dir)
            yield event(step.message)
        finished = True
    finally:
        run.wall = wall0 + time.perf_counter() - t0
        if run.bonds is not None:
            res = run.result(finished)
            if run_dir is not None:
                save_checkpoint(run, run_dir)
                res.save(run_dir)
                save_configs(run, run_dir)
    return res


def deform(glass, params: AQSParams = AQSParams(), run_dir=None, **kwargs) -> FractureResult:
    """Run :func:`deform_steps` to the end and return its :class:`FractureResult`.

    Keyword arguments other than ``run_dir`` build the :class:`AQSParams` when ``params`` is not given, e.g.
    ``deform(glass, until="complete")``.
    """
    if kwargs:
        params = AQSParams(**{**params.to_dict(), **kwargs})
    return _run_job(deform_steps(glass, params, run_dir=run_dir))
