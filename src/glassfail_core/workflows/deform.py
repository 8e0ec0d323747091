"""Prepare, then deform: repair and relax a structure when it needs it, then strain it quasistatically.

Structures detected in micrographs, Si-only networks and non-periodic structures not at a force minimum are
repaired and relaxed first (:mod:`glassfail_core.physics.prepare`). With a run folder the prepared structure and its
report are written there (``prepared.extxyz``, ``prepare.json``) and reused by a later call on the same input and
model, so a resumed run hashes the same sample; the result's atom indices refer to the prepared structure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .._atomic import write_json
from ..glass import Glass
from ..io import read_structure, write_structure
from ..physics.aqs import AQSParams, FractureResult, deform_steps
from ..physics.prepare import needs_preparation, prepare_steps, structure_hash
from ..progress import Job, Progress, run

__all__ = ["DeformOutcome", "prepare_deform_steps", "prepare_deform", "PREPARED", "PREPARE_REPORT"]

PREPARED, PREPARE_REPORT = "prepared.extxyz", "prepare.json"


@dataclass(frozen=True)
class DeformOutcome:
    """What :func:`prepare_deform_steps` returns.

    Attributes
    ----------
    result : FractureResult
    glass : Glass
        The structure that was deformed (the prepared one when preparation ran).
    prepare : dict or None
        The preparation report (``PrepareReport.to_dict()`` plus ``reason``, ``model``, ``summary``, ``reused``);
        None when the structure was deformed as it was.
    """

    result: FractureResult
    glass: Glass
    prepare: Optional[dict] = None

    def to_dict(self) -> dict:
        """JSON-ready: the result and the structure as their ``to_dict()``, the preparation report as it is."""
        return {"result": self.result.to_dict(), "glass": self.glass.to_dict(),
                "prepare": dict(self.prepare) if self.prepare is not None else None}


def _reusable(run_dir, glass, model) -> Optional[dict]:
    if run_dir is None:
        return None
    path, rep_path = Path(run_dir) / PREPARED, Path(run_dir) / PREPARE_REPORT
    if not (path.is_file() and rep_path.is_file()):
        return None
    try:
        old = json.loads(rep_path.read_text())
    except (OSError, ValueError):
        return None
    if old.get("input_hash") == structure_hash(glass) and old.get("model") == model:
        return {**old, "reused": True}
    return None


def prepare_deform_steps(glass: Glass, params: AQSParams = AQSParams(), *, prepare: Optional[bool] = None,
                         run_dir=None) -> Job[DeformOutcome]:
    """Repair + relax ``glass`` when needed, then :func:`~glassfail_core.physics.deform_steps` it.

    Parameters
    ----------
    glass : Glass
    params : AQSParams
    prepare : bool or None
        None decides with :func:`~glassfail_core.physics.prepare.needs_preparation`; True/False force it.
    run_dir : path, optional
        Run folder: the deformation's files, and the prepared structure (reused when it was prepared from the same
        input with the same model).

    Yields one ``prepare`` event with ``data["prepared"]`` (the Glass that is deformed), ``data["report"]`` (the
    :class:`~glassfail_core.physics.prepare.PrepareReport`, None when reused), ``data["prepare"]`` (the report as a
    dict) and ``data["reason"]``, then the deform events (see ``deform_steps``).
    """
    model = params.model
    if prepare is None:
        reason = needs_preparation(glass, model=model)
    else:
        reason = "asked" if prepare else None
    if reason is None:
        result = yield from deform_steps(glass, params, run_dir=run_dir)
        return DeformOutcome(result, glass, None)
    report_obj = None
    report = _reusable(run_dir, glass, model)
    if report is not None:
        prepared = read_structure(Path(run_dir) / PREPARED)
    else:
        yield Progress("prepare", 0, None, f"preparing the structure ({reason})")
        prepared, report_obj = yield from prepare_steps(glass, model=model, platform=params.platform,
                                                        threads=params.threads)
        report = {"reason": reason, "model": model, **report_obj.to_dict(), "summary": report_obj.summary(),
                  "reused": False}
        if run_dir is not None:
            run_dir = Path(run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            write_structure(prepared, run_dir / PREPARED)
            write_json(run_dir / PREPARE_REPORT, report)
            prepared = read_structure(run_dir / PREPARED)  # what a resumed run will read: the same sample
    yield Progress("prepare", 1, 1, f"prepared: {len(prepared)} atoms",
                   {"prepared": prepared, "report": report_obj, "prepare": report, "reason": reason})
    result = yield from deform_steps(prepared, params, run_dir=run_dir)
    return DeformOutcome(result, prepared, report)


def prepare_deform(glass: Glass, params: AQSParams = AQSParams(), **kwargs) -> DeformOutcome:
    """:func:`prepare_deform_steps` run to completion."""
    return run(prepare_deform_steps(glass, params, **kwargs))
