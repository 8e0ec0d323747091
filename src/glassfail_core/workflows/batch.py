"""Batch: every structure or micrograph of a folder → one row of a CSV table, and its maps, in an output folder.

For each file matching a pattern (:func:`~.batch_file.process_file`): read it (micrographs: detect the atoms),
count its rings, and — as asked — predict its failure and explain the prediction. The table ``OUT/batch.csv`` has
one row per file (:data:`~.batch_file.COLUMNS`: status and one-line error, ring statistics, predictions with their
intervals, sites, the files written, warnings) and is rewritten atomically after each file; the maps go to
``OUT/maps/``, detected atoms to ``OUT/atoms/``, explanations to ``OUT/explain/`` (one file each, named after the
input). A rerun resumes: a file whose row says ``ok`` for the same tasks (and model) is not redone; failed files are
retried. A bad file is a row with its error, never a stopped batch.

Files are processed in this process by default, on a Dask ``LocalCluster`` with ``workers=N``, or on a running
cluster with ``scheduler=ADDRESS`` (:mod:`glassfail_core.distributed`; the workers must see the same folders).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .._atomic import atomic_path
from ..errors import InputError
from ..progress import Job, Progress, run
from .batch_file import COLUMNS, TASKS, process_file, task_list

__all__ = ["BatchSummary", "batch_steps", "batch", "read_table", "TABLE"]

#: The table's file name in the output folder.
TABLE = "batch.csv"


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: files processed now (``done``), finished before (``kept``), ``failed``, of ``total``.

    ``table`` is the CSV's path; ``tasks`` those done on each file; ``errors`` maps each failed file to its one-line
    error.
    """

    out_dir: str
    table: str
    done: int
    kept: int
    failed: int
    total: int
    wall_s: float
    tasks: tuple = ()
    errors: Optional[dict] = None

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["tasks"], d["errors"] = list(self.tasks), dict(self.errors or {})
        return d


def read_table(path) -> list:
    """The rows of a batch table (dicts of strings, ``""`` for empty cells); ``[]`` when there is none yet."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [dict(r) for r in csv.DictReader(fh) if r.get("file")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a batch table ({exc}); move it away or choose another output folder") from None


def _write_table(path: Path, rows: list) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r[k]) for k in COLUMNS})
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def _files(folder: Path, pattern: str, out_dir: Path) -> list:
    """Regular, non-hidden files matching ``pattern`` in ``folder``, outside ``out_dir``, sorted."""
    out = out_dir.resolve()
    found = []
    for p in folder.glob(pattern):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        rp = p.resolve()
        if rp == out or out in rp.parents:
            continue
        found.append(p)
    return sorted(found)


def _check(folder, out_dir, pattern, tasks, pixel_size, workers):
    folder, out_dir = Path(folder), Path(out_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file; the output is a folder")
    if not isinstance(pattern, str) or not pattern.strip():
        raise InputError("the file pattern is empty; give one like '*.tif'")
    if isinstance(tasks, str):
        tasks = tuple(t.strip() for t in tasks.split(","))
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise InputError(f"unknown task(s) {', '.join(map(repr, unknown)) or '(none given)'}; choose from "
                         f"{', '.join(TASKS)}")
    if pixel_size is not None and not (isinstance(pixel_size, (int, float)) and pixel_size > 0):
        raise InputError(f"the pixel size must be positive (Å/px), got {pixel_size!r}")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 0):
        raise InputError(f"the number of workers must be a non-negative integer, got {workers!r}")
    return folder, out_dir, task_list(tasks)


def _model(model, tasks, distributed: bool):
    """The model to pass to each file (a folder path on workers), and its fingerprint; loaded here first so that a
    missing or bad model stops the batch before any file."""
    if "predict" not in tasks and "explain" not in tasks:
        return None, None
    from ..learn.checkpoint import Model, load_model
    from ..learn.predict import default_model

    m = default_model() if model is None else model if isinstance(model, Model) else load_model(model)
    if distributed:
        if m.path is None:
            raise InputError("the model has no folder; save it (learn.checkpoint.save_model) to run on workers")
        return m.path, m.config.get("fingerprint")
    return m, m.config.get("fingerprint")


def _finished(row: dict, tasks, fingerprint) -> bool:
    if row.get("status") != "ok" or not set(tasks) <= set(filter(None, row.get("tasks", "").split("+"))):
        return False
    return "predict" not in tasks or not fingerprint or row.get("model") == fingerprint


def batch_steps(folder, out_dir, *, pattern: str = "*", tasks=("detect", "predict"), model=None,
                pixel_size: Optional[float] = None, workers: Optional[int] = None,
                scheduler: Optional[str] = None) -> Job[BatchSummary]:
    """Process every file of ``folder`` matching ``pattern`` into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    folder : str or Path
        Where the structures (extxyz, xyz, LAMMPS) and micrographs (TIFF, PNG/JPEG, dm3/dm4, emd, ser) are.
    out_dir : str or Path
        The output folder (created): ``batch.csv``, ``maps/``, ``atoms/``, ``explain/``.
    pattern : str
        A glob relative to ``folder`` (``"*.tif"``; ``"**/*.tif"`` for subfolders too).
    tasks : sequence of str or str
        Among ``detect``, ``predict``, ``explain`` (``detect`` is always done; ``explain`` includes ``predict``).
    model : Model or path, optional
        Model for ``predict``/``explain`` (default: the shipped model).
    pixel_size : float, optional
        Å/px of micrographs without calibration.
    workers : int, optional
        Run on a Dask LocalCluster of this many processes (0 or None: in this process).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).

    Yields one ``batch`` event per file (``data``: ``file``, ``status``, ``row``, ``done``, ``failed``); returns a
    :class:`BatchSummary`. Closing the generator stops after the file in hand (in this process) and keeps the
    table of the files finished.
    """
    folder, out_dir, tasks = _check(folder, out_dir, pattern, tasks, pixel_size, workers)
    distributed = bool(workers) or scheduler is not None
    files = _files(folder, pattern, out_dir)
    if not files:
        raise InputError(f"no file in {folder} matches {pattern!r}")
    use_model, fingerprint = _model(model, tasks, distributed)
    table = out_dir / TABLE
    old = {r["file"]: r for r in read_table(table)}
    names = [p.relative_to(folder).as_posix() for p in files]
    rows = {n: old[n] for n in names if n in old and _finished(old[n], tasks, fingerprint)}
    kept = len(rows)
    todo = [(p, n) for p, n in zip(files, names) if n not in rows]
    order = names + [n for n in old if n not in names]  # rows of files no longer there are kept, last
    t0, done, failed, errors = time.perf_counter(), 0, 0, {}
    note = f"{kept} file(s) already done" if kept else ""
    yield Progress("batch", kept, len(files), note or f"{len(todo)} file(s) to process", {"note": note} if note else {})

    def record(row):
        nonlocal done, failed
        rows[row["file"]] = row
        if row["status"] == "ok":
            done += 1
        else:
            failed += 1
            errors[row["file"]] = row["error"]
        _write_table(table, [rows.get(n) or old[n] for n in order if n in rows or n in old])
        return Progress("batch", kept + done + failed, len(files), f"{row['file']}: {row['status']}",
                        {"file": row["file"], "status": row["status"], "row": row, "done": kept + done,
                         "failed": failed})

    args = ([str(p) for p, _ in todo], [n for _, n in todo], [str(out_dir)] * len(todo), [tasks] * len(todo),
            [use_model] * len(todo), [pixel_size] * len(todo))
    if not todo:
        _write_table(table, [rows.get(n) or old[n] for n in order if n in rows or n in old])
    elif distributed:
        from ..distributed import map_unordered

        for row in map_unordered(process_file, *args, workers=workers or None, scheduler=scheduler):
            yield record(row)
    else:
        for a in zip(*args):
            yield record(process_file(*a))
    return BatchSummary(str(out_dir), str(table), done, kept, failed, len(files), time.perf_counter() - t0, tasks,
                        errors)


def batch(folder, out_dir, **kwargs) -> BatchSummary:
    """:func:`batch_steps` run to completion."""
    return run(batch_steps(folder, out_dir, **kwargs))
