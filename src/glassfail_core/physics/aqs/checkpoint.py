"""Checkpoint and resume of an AQS run, the hash that tells runs apart, and the configurations a run ends with.

A run with a run folder is checkpointed after every finished step (:func:`save_checkpoint`); called again with the
same sample and parameters (same :func:`input_hash`; platform and threads may differ) it resumes from there
(:func:`resume`), or reads back the finished result (:func:`finished_result`). The files are those of
:mod:`glassfail_core.io.runs`: ``checkpoint.npz`` (arrays) and ``checkpoint.json`` (the rest), each written
atomically. The arrays file also carries its own copy of the JSON (``meta``), which :func:`resume` reads: a process
killed between the two writes leaves a newer ``checkpoint.npz`` beside an older ``checkpoint.json``, and the pair
must not be mixed (the curve of one step with the strain of the step before).
"""

from __future__ import annotations

import hashlib
import json
from typing import Optional

import numpy as np

from ...errors import InputError
from ...io import runs as _runs
from .result import FractureResult

__all__ = ["input_hash", "finished_result", "save_checkpoint", "resume", "save_configs"]


def input_hash(glass, params) -> str:
    """16 hex digits identifying a run: the sample (positions, species, cell, pbc) and the parameters other than
    the engine's platform and threads (the same run may resume on another platform)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(glass.positions, dtype=np.float64).tobytes())
    h.update(",".join(glass.species.tolist()).encode())
    h.update(np.asarray(glass.cell, dtype=np.float64).tobytes())
    h.update(repr(tuple(glass.pbc)).encode())
    p = params.to_dict()
    p.pop("platform", None), p.pop("threads", None)  # the same run may resume on another platform
    h.update(json.dumps(p, sort_keys=True).encode())
    return h.hexdigest()[:16]


def finished_result(run_dir, hash: str) -> Optional[FractureResult]:
    """The complete result of the run ``hash`` in ``run_dir``; None when there is none (or another run's, or an
    unfinished or unreadable one)."""
    if not _runs.has_run_result(run_dir):
        return None
    try:
        old = _runs.read_run_result(run_dir)
    except InputError:
        return None
    if old.complete and old.info.get("input_hash") == hash:
        return old
    return None


def save_checkpoint(run, run_dir) -> None:
    """Write the state of ``run`` (a :class:`~glassfail_core.physics.aqs.run.AQSRun`) after its last step."""
    arrays = dict(pos=run.pos, cell=run.cell, bonds=run.bonds,
                  broken=run.broken, pos_initial=run.pos_initial, tilt=np.float64(run.tilt),
                  tilts=np.array(run.tilts, float),
                  strains=np.array(run.strains), stresses=np.array(run.stresses),
                  energies=np.array(run.energies), n_broken=np.array(run.n_broken, int),
                  forces=np.array(run.forces, float), displacements=np.array(run.displacements, float))
    meta = {
        "hash": run.hash, "eps": run.eps, "refine_until": run.refine_until,
        "first_event_done": run.first_event_done, "first_break_index": run.first_break_index,
        "breaks": run.breaks, "n_minimisations": run.n_minimisations, "n_evaluations": run.n_evaluations,
        "wall": run.wall, "break_tilt": getattr(run, "break_tilt", None),
        "break_intact_max": run.break_intact_max,
    }
    if run.break_positions is not None:
        arrays["break_positions"] = np.asarray(run.break_positions)
    arrays["meta"] = np.array(json.dumps(meta))  # the JSON of this very step (see the module docstring)
    _runs.write_checkpoint(run_dir, meta, arrays)


def resume(run, run_dir) -> bool:
    """Restore ``run`` from the checkpoint in ``run_dir``; False when there is none.

    Raises :class:`InputError` when the checkpoint belongs to another run (other sample or parameters).
    """
    found = _runs.read_checkpoint(run_dir)
    if found is None:
        return False
    meta, z = found
    if "meta" in z:  # the arrays' own copy: the JSON file may be a step behind (killed between the two writes)
        meta = json.loads(str(z["meta"]))
    if meta.get("hash") != run.hash:
        raise InputError(f"{run_dir} holds a different run (other sample or parameters); "
                         "choose another run folder or delete it")
    run.pos, run.cell, run.bonds = z["pos"], z["cell"], z["bonds"]
    run.broken, run.pos_initial = z["broken"], z["pos_initial"]
    run.strains, run.stresses = z["strains"].tolist(), z["stresses"].tolist()
    run.energies, run.n_broken = z["energies"].tolist(), z["n_broken"].tolist()
    run.forces, run.displacements = z["forces"].tolist(), z["displacements"].tolist()
    if "tilt" in z:
        run.tilt, run.tilts = float(z["tilt"]), z["tilts"].tolist()
    run.eps = float(meta["eps"])
    run.refine_until = meta["refine_until"]
    run.first_event_done = meta["first_event_done"]
    run.first_break_index = meta["first_break_index"]
    run.breaks = meta["breaks"]
    run.n_minimisations, run.n_evaluations = meta["n_minimisations"], meta["n_evaluations"]
    run.wall = meta.get("wall", 0.0)
    if "break_positions" in z:  # the first break's configuration and bond lengths (configs.npz, result info)
        run.break_positions = z["break_positions"]
        run.break_tilt = meta.get("break_tilt") or 0.0
        run.break_intact_max = meta.get("break_intact_max")
    return True


def save_configs(run, run_dir) -> None:
    """Write the configurations of ``run`` (``configs.npz``): initial and final positions and cell, bonds, broken
    flags, the configuration of the first break, and for periodic shear the final and first-break tilts."""
    arrays = dict(final_positions=run.pos, final_cell=run.cell, initial_positions=run.pos_initial,
                  bonds=run.bonds, broken=run.broken)
    if run.break_positions is not None:
        arrays["first_break_positions"] = run.break_positions
    if run.loading.periodic_shear:
        arrays["final_tilt"] = np.float64(run.tilt)
        if run.break_positions is not None:
            arrays["first_break_tilt"] = np.float64(run.break_tilt)
    _runs.write_configs(run_dir, **arrays)
