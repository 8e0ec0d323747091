"""``glassfail batch FOLDER --pattern '*.tif' -o OUT``: every structure or micrograph of a folder → a CSV table."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .common import console, emit_json, json_option, run_with_progress
from .options import output_folder


def _tasks(ctx, param, value):
    from ..workflows.batch_file import TASKS

    tasks = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise click.BadParameter(f"unknown task(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(TASKS)}, "
                                 f"separated by commas", ctx=ctx, param=param)
    return tasks


def _primed(job):
    """``job`` with its first step taken now: its checks (and the model's loading) fail before a bar is drawn."""
    first = next(job)

    def steps():
        yield first
        return (yield from job)

    return steps()


@click.command("batch")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), callback=output_folder,
              help="Output folder: batch.csv (one row per file), maps/, atoms/ (detected), explain/. A batch "
                   "stopped there resumes without redoing finished files.")
@click.option("--pattern", default="*", show_default=True,
              help="Files of FOLDER to process (a glob: '*.tif', '*.extxyz', '**/*.tif' for subfolders too).")
@click.option("--tasks", default="detect,predict", show_default=True, callback=_tasks,
              help="What to do with each file, among detect (atoms and ring statistics: always done), predict, "
                   "explain.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model folder for predict and explain (default: the shipped model).")
@click.option("--pixel-size", type=float, default=None, help="Å/px of micrographs without calibration.")
@click.option("--workers", type=int, default=None,
              help="Run on a Dask LocalCluster of N worker processes (default: in this process).")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler, e.g. tcp://host:8786.")
@json_option
def command(folder, out_dir, pattern, tasks, model_dir, pixel_size, workers, scheduler, as_json):
    """Detect, predict and explain every file of FOLDER matching --pattern (structures: extxyz, xyz, LAMMPS;
    micrographs: TIFF, PNG/JPEG, dm3/dm4, emd, ser) into one CSV table and per-file maps.

    A file that cannot be processed is a row with its error; the batch goes on. Ctrl-C keeps the rows finished.
    """
    from ..workflows.batch import batch_steps

    if pixel_size is not None and not pixel_size > 0:
        raise click.BadParameter(f"must be positive (Å/px), got {pixel_size}", param_hint="--pixel-size")
    if workers is not None and workers < 0:
        raise click.BadParameter(f"must be ≥ 0, got {workers}", param_hint="--workers")
    if workers and scheduler:
        raise click.UsageError("give --workers (a local cluster) or --scheduler (a running one), not both")
    job = _primed(batch_steps(folder, out_dir, pattern=pattern, tasks=tasks, model=model_dir, pixel_size=pixel_size,
                              workers=workers, scheduler=scheduler))
    summary = run_with_progress(job, description="batch", quiet=as_json)
    if as_json:
        emit_json(summary.to_dict())
    else:
        _report(summary)
    if summary.total and summary.failed == summary.total:  # nothing usable: a script must not take it for success
        name, error = next(iter((summary.errors or {}).items()), ("", ""))
        raise InputError(f"none of the {summary.total} file(s) in {folder} could be processed (e.g. {name}: "
                         f"{' '.join(str(error).split())}); check them, the table {summary.table} lists each error")


def _report(summary):
    console.print(f"{summary.table}: {summary.done + summary.kept} file(s) done ({summary.done} now, {summary.kept} "
                  f"before), {summary.failed} failed, of {summary.total}; tasks {'+'.join(summary.tasks)}",
                  highlight=False, markup=False)
    for name, error in (summary.errors or {}).items():
        console.print(f"  failed: {name}: {error}", highlight=False, markup=False)
