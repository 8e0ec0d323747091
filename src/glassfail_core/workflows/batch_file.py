"""One file of a batch: read (or detect), ring statistics, predict, explain → one table row and its files.

:func:`process_file` never raises for a bad file: the row says ``status="failed"`` with the one-line error. It is
self-contained (paths in, a small dict out; maps are written to disk, never returned) so that a Dask worker can run
it and memory stays bounded however many files a batch holds.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import write_npz
from ..errors import InputError
from ..io import read_input

__all__ = ["COLUMNS", "TASKS", "RING_SIZES", "process_file", "failed_row", "task_list"]

#: What a batch can do to each file (``detect``: read a structure, or find the atoms of a micrograph, and count the
#: rings; it is always done, the others build on it; ``explain`` includes the prediction it explains).
TASKS = ("detect", "predict", "explain")
#: Ring sizes with a p(n) column.
RING_SIZES = tuple(range(4, 10))
_PREDICTED = ("failure_strain", "first_break_strain")
#: The columns of the batch table, in order.
COLUMNS = (
    "file", "kind", "status", "error", "tasks", "n_atoms", "n_rings",
    *(f"p{n}" for n in RING_SIZES), "mu2", "alpha",
    *(f"{t}{s}" for t in _PREDICTED for s in ("", "_low", "_high")), "max_stress",
    "failure_site_x", "failure_site_y", "first_break_site_x", "first_break_site_y",
    "explain_max_x", "explain_max_y", "atoms_file", "maps_file", "explain_file", "model", "warnings",
)


def task_list(tasks) -> tuple:
    """``tasks`` in :data:`TASKS` order, with what they need: ``detect`` always, ``predict`` for ``explain``."""
    tasks = set(tasks) | {"detect"} | ({"predict"} if "explain" in tasks else set())
    return tuple(t for t in TASKS if t in tasks)


def failed_row(rel: str, kind: str, error: str, tasks=()) -> dict:
    """The row of a file that could not be processed (``error``: one line)."""
    return {"file": rel, "kind": kind, "status": "failed", "error": _one_line(error), "tasks": "+".join(tasks)}


def _one_line(text) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _finite(x) -> Optional[float]:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _atoms(kind, obj, out_dir: Path, rel: str, row: dict, notes: list):
    """The atoms (a micrograph's detected atoms are written to ``atoms/REL.extxyz``) and their ring columns."""
    from ..io import write_structure
    from .detect import _rings, detect_rings

    if kind == "micrograph":
        notes.extend(obj.info.get("notes", []))
        det = detect_rings(obj)
        glass, stats, note = det.glass, det.stats, det.rings_note
        if glass.n_si < 3:
            raise InputError(f"detection found {glass.n_si} Si atom(s): nothing to analyse")
        dest = out_dir / "atoms" / f"{rel}.extxyz"
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_structure(glass, dest)
        row["atoms_file"] = dest.relative_to(out_dir).as_posix()
    else:
        glass = obj
        _, stats, note = _rings(glass)
    if note:
        notes.append(note)
    row["n_atoms"] = len(glass)
    if stats is not None:
        row["n_rings"] = stats.n_rings
        p = stats.p
        row.update({f"p{n}": float(p.get(n, 0.0)) for n in RING_SIZES})
        row["mu2"], row["alpha"] = _finite(stats.mu2), _finite(stats.alpha)
    return glass


def _prediction(pred, out_dir: Path, rel: str, row: dict, notes: list):
    """The prediction's columns, and its maps in ``maps/REL.npz``."""
    for name in _PREDICTED:
        d = getattr(pred, name)
        if d is not None:
            row[name], row[f"{name}_low"], row[f"{name}_high"] = d["value"], d["low"], d["high"]
    if pred.max_stress is not None:
        row["max_stress"] = pred.max_stress["value"]
    for name in ("failure_site", "first_break_site"):
        xy = getattr(pred, name)
        if xy is not None:
            row[f"{name}_x"], row[f"{name}_y"] = float(xy[0]), float(xy[1])
    row["model"] = pred.model.get("fingerprint") or pred.model.get("sha256")
    notes.extend(pred.warnings)
    if pred.maps:
        dest = out_dir / "maps" / f"{rel}.npz"
        write_npz(dest, **{k: np.asarray(v, np.float32) for k, v in pred.maps.items()},
                  pixel_size=np.asarray(pred.map_pixel_size, float), origin=np.asarray(pred.map_origin, float))
        row["maps_file"] = dest.relative_to(out_dir).as_posix()


def _explanation(expl, out_dir: Path, rel: str, row: dict, notes: list):
    """The heatmap's maximum, and ``explain/REL.npz``: the heatmap (its frame beside it), per-atom (``atom_*``) and
    per-ring (``ring_*``) attributions."""
    notes.extend(expl.warnings)
    row["explain_max_x"], row["explain_max_y"] = (float(v) for v in expl.summary["max_xy"])
    dest = out_dir / "explain" / f"{rel}.npz"
    write_npz(dest, heatmap=np.asarray(expl.heatmap, np.float32), pixel_size=np.asarray(expl.pixel_size, float),
              origin=np.asarray(expl.origin, float), **{f"atom_{k}": np.asarray(v) for k, v in expl.atoms.items()},
              **{f"ring_{k}": np.asarray(v) for k, v in expl.rings.items()})
    row["explain_file"] = dest.relative_to(out_dir).as_posix()


def process_file(path, rel: str, out_dir, tasks=("detect",), model=None, pixel_size: Optional[float] = None) -> dict:
    """Process one file of a batch and return its table row (see :data:`COLUMNS`); never raises for a bad file.

    Parameters
    ----------
    path : str or Path
        The file.
    rel : str
        Its name in the table (relative to the batch folder); files written for it are named after it.
    out_dir : str or Path
        The batch's output folder (``atoms/``, ``maps/``, ``explain/`` below it).
    tasks : sequence of str
        Among :data:`TASKS` (see :func:`task_list`).
    model : Model or str, optional
        The model (or its folder) for ``predict`` and ``explain``; None for the shipped model.
    pixel_size : float, optional
        Å/px of micrographs without calibration.
    """
    path, out_dir = Path(path), Path(out_dir)
    tasks = task_list(tasks)
    kind, notes = "", []
    row = {"file": rel, "tasks": "+".join(tasks)}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kind, obj = read_input(path, pixel_size=pixel_size)
            row["kind"] = kind
            glass = _atoms(kind, obj, out_dir, rel, row, notes)
            del obj
            if "explain" in tasks:  # the explanation holds the prediction it explains
                from ..explain import explain

                expl = explain(glass, model)
                _explanation(expl, out_dir, rel, row, notes)
                _prediction(expl.prediction, out_dir, rel, row, notes)
                del expl
            elif "predict" in tasks:
                from ..learn.predict import predict

                _prediction(predict(glass, model), out_dir, rel, row, notes)
    except Exception as exc:  # noqa: BLE001 - a bad file is a row with its error, never a stopped batch
        from ..errors import GlassfailError

        msg = str(exc) if isinstance(exc, GlassfailError) else f"{type(exc).__name__}: {exc}"
        return failed_row(rel, kind, msg, tasks)
    notes.extend(str(w.message) for w in caught)
    row.update(status="ok", error="", warnings="; ".join(dict.fromkeys(_one_line(n) for n in notes if n)))
    return row
