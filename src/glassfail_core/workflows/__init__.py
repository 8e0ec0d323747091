"""Workflows: the multi-step jobs that chain core jobs, written once for every front end.

The core is a pipeline — structure → simulate → labels → render → learn → explain — of single-purpose jobs
(generators yielding :class:`~glassfail_core.progress.Progress`). A workflow chains several of them: the CLI, the
napari plugin, the dataset builder, batch processing and the report all call the same workflow, so a chain such
as "repair, relax, then deform" exists in one place only. A front end parses its input, calls a workflow and shows
its events.

Workflows
---------
detect_rings_steps(micrograph, **params) -> Job[Detection]
    Atoms found in a micrograph, then their rings (a ring analysis that fails is noted, never fatal).
prepare_deform_steps(glass, params, *, prepare=None, run_dir=None) -> Job[DeformOutcome]
    Repair + relaxation when needed (reusing what an earlier call prepared in ``run_dir``), then AQS loading.
make_sample_steps(spec, index) -> Job[SampleOutcome]   (:mod:`.sample`; make_sample runs it to completion)
    One labelled sample for a dataset: generate → relax → deform past failure.
batch_steps(folder, out_dir, *, pattern, tasks, model, ...) -> Job[BatchSummary]   (:mod:`.batch`)
    Every structure or micrograph of a folder: detect, ring statistics, predict, explain → a CSV table and maps.
"""

from __future__ import annotations

from .batch import BatchSummary, batch, batch_steps
from .deform import PREPARED, PREPARE_REPORT, DeformOutcome, prepare_deform, prepare_deform_steps
from .detect import Detection, detect_rings, detect_rings_steps

__all__ = [
    "Detection", "detect_rings_steps", "detect_rings",
    "DeformOutcome", "prepare_deform_steps", "prepare_deform", "PREPARED", "PREPARE_REPORT",
    "BatchSummary", "batch_steps", "batch",
]
