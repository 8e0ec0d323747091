"""The demo job (``glassfail demo``): one glass and one micrograph through glassfail, end to end, into a report.

Stages, in order (each one :class:`~glassfail_core.progress.Progress` stage; its last event carries
``data["stage_done"]`` with its name, ``data["seconds"]`` and a one-line ``data["summary"]``):

``glass``        read the shipped glass, find its rings
``predict``      the shipped model's prediction for it and the Grad-CAM heatmap of the failure strain
``simulate``     the same glass strained along x past failure (AQS, the protocol the model's data was made with)
``compare``      prediction and simulation side by side: strains, intervals, sites and the distance between them
``micrograph``   the shipped synthetic micrograph: atoms and rings found, scored against the structure it shows
``explain-micrograph``  prediction, site map and heatmap on the micrograph
``figures``      the PNGs of the report
``report``       ``report.json`` (every number shown) and ``index.html``

The full demo simulates the shipped 1,440-atom glass (``glass_s2_0.6.extxyz``); ``quick`` (for tests and CI) runs
the same stages on a 320-atom glass (``glass_8x8_s2_0.6.extxyz``) with fewer Grad-CAM copies, and the report says
so. Every number comes from this run: the simulation folder of an earlier run is removed first, never reused.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

from ..errors import InputError
from ..progress import Job, Progress, events, run

__all__ = ["DemoInputs", "DemoOutcome", "demo_inputs", "demo_steps", "demo", "STAGES", "SAMPLE_DIRS"]

#: The stages, in order, with what each one does (the CLI's and the report's words).
STAGES = {
    "glass": "read the glass and find its rings",
    "predict": "predict its failure and explain the prediction (Grad-CAM)",
    "simulate": "strain it along x past failure (AQS)",
    "compare": "prediction vs simulation",
    "micrograph": "detect atoms and rings in the micrograph",
    "explain-micrograph": "predict and explain on the micrograph",
    "figures": "draw the figures",
    "report": "write report.json and index.html",
}
#: Where the shipped samples are looked for: a source checkout, then the installed package's data.
SAMPLE_DIRS = (Path(__file__).resolve().parents[3] / "sample_data", Path(__file__).resolve().parents[1] / "data")
#: Subfolders and files of the output folder that the demo writes.
SIMULATION_DIR, DATA_DIR = "simulation", "data"


@dataclass(frozen=True)
class DemoInputs:
    """What the demo runs on.

    Attributes
    ----------
    glass, micrograph : str
        Paths of the simulated glass and of the micrograph.
    micrograph_truth : str or None
        The structure the micrograph was rendered from (scores the detection).
    copies : int
        Augmented copies averaged by Grad-CAM.
    protocol : dict
        The AQS parameters of the simulation (:class:`~glassfail_core.physics.AQSParams` fields).
    quick : bool
        The smallest inputs that still run every stage.
    """

    glass: str
    micrograph: str
    micrograph_truth: Optional[str]
    copies: int
    protocol: dict = field(default_factory=dict)
    quick: bool = False

    def to_dict(self) -> dict:
        return {"glass": self.glass, "micrograph": self.micrograph, "micrograph_truth": self.micrograph_truth,
                "copies": self.copies, "protocol": dict(self.protocol), "quick": self.quick}


@dataclass(frozen=True)
class DemoOutcome:
    """What :func:`demo_steps` returns: the report's files, its numbers and each stage's time (s)."""

    out_dir: str
    index: str
    json: str
    report: dict
    timings: dict
    wall_s: float

    def to_dict(self) -> dict:
        return {"out_dir": self.out_dir, "index": self.index, "json": self.json, "timings": dict(self.timings),
                "wall_s": self.wall_s}


def _find(name: str) -> Path:
    for d in SAMPLE_DIRS:
        if (d / name).is_file():
            return d / name
    raise InputError(f"the shipped sample {name} is missing (looked in {', '.join(str(d) for d in SAMPLE_DIRS)}); "
                     "a source checkout has it in sample_data/")


def _protocol(model) -> dict:
    """The AQS protocol the model's training data was labelled with (the dataset default when not recorded)."""
    from ..dataset.spec import DEFAULT_PROTOCOL

    spec = model.config.get("training", {}).get("dataset_spec", {}) if model is not None else {}
    return dict(spec.get("protocol") or DEFAULT_PROTOCOL)


def demo_inputs(quick: bool = False, model=None) -> DemoInputs:
    """The shipped inputs of the full demo, or of ``quick`` mode (see the module docstring)."""
    from ..explain.explanation import DEFAULT_COPIES

    truth = None
    for d in SAMPLE_DIRS:
        if (d / "micrograph_truth.extxyz").is_file():
            truth = str(d / "micrograph_truth.extxyz")
            break
    glass = "glass_8x8_s2_0.6.extxyz" if quick else "glass_s2_0.6.extxyz"
    return DemoInputs(glass=str(_find(glass)), micrograph=str(_find("micrograph_spots.tif")),
                      micrograph_truth=truth, copies=8 if quick else DEFAULT_COPIES, protocol=_protocol(model),
                      quick=quick)


def _relabel(stage: str, job):
    """Re-yield a sub-job's events under the demo's stage name (its own stage name in the message)."""
    result = None
    gen = events(job)
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        msg = f"{ev.stage}: {ev.message}" if ev.message else ev.stage
        yield Progress(stage, ev.done, ev.total, msg, ev.data)
    return result


class _Clock:
    """Times the stages and makes their start and end events."""

    def __init__(self):
        self.timings, self._t = {}, time.perf_counter()

    def start(self, stage: str) -> Progress:
        self._t = time.perf_counter()
        return Progress(stage, 0, None, STAGES[stage])

    def done(self, stage: str, summary: str) -> Progress:
        dt = time.perf_counter() - self._t
        self.timings[stage] = dt
        return Progress(stage, 1, 1, summary, {"stage_done": stage, "seconds": dt, "summary": summary})


def _glass_stage(inputs: DemoInputs):
    from ..io import read_structure
    from ..rings import find_rings, ring_statistics

    glass = read_structure(inputs.glass)
    ringset = find_rings(glass)
    return glass, ringset, ring_statistics(ringset)


def _clear_simulation(path: Path) -> None:
    """Remove an earlier demo's simulation folder (a run folder is otherwise read back, not rerun)."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        raise InputError(f"{path} is a file; the demo writes its simulation folder there")


def demo_steps(out_dir="demo_out", *, quick: bool = False, model=None,
               inputs: Optional[DemoInputs] = None) -> Job[DemoOutcome]:
    """Run the demo into ``out_dir`` (see the module docstring); returns a :class:`DemoOutcome`.

    Parameters
    ----------
    out_dir : str or Path
        The report folder (created): ``index.html``, ``report.json``, the PNGs, ``simulation/`` (the AQS run
        folder) and ``data/`` (the glass, the detected atoms, the maps for ``glassfail view``).
    quick : bool
        Smallest inputs that still exercise every stage.
    model : Model or path, optional
        Default: the shipped model.
    inputs : DemoInputs, optional
        Other inputs than the shipped ones (``quick`` is then ignored).
    """
    from ..dataset.labels import labels_from_result
    from ..explain.explanation import explain_steps
    from ..learn.checkpoint import Model, load_model
    from ..learn.predict import default_model
    from ..physics import AQSParams
    from ..physics.aqs import deform_steps
    from ..workflows import detect_rings_steps
    from . import figures, html, numbers

    t_start = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; the report is a folder")
    m = default_model() if model is None else model if isinstance(model, Model) else load_model(model)
    inputs = inputs or demo_inputs(quick, m)
    out.mkdir(parents=True, exist_ok=True)
    (out / DATA_DIR).mkdir(exist_ok=True)
    clock = _Clock()

    yield clock.start("glass")
    glass, ringset, stats = _glass_stage(inputs)
    yield clock.done("glass", f"{Path(inputs.glass).name}: {len(glass)} atoms, {stats.n_rings} rings, "
                              f"μ2 = {stats.mu2:.2f}")

    yield clock.start("predict")
    # with the first bond to break by linear response (one relaxation) beside the network's site
    expl = yield from _relabel("predict", explain_steps(glass, m, copies=inputs.copies,
                                                        linear_response=bool(glass.pbc[0])))
    pred = expl.prediction
    yield clock.done("predict", numbers.prediction_line(pred))

    yield clock.start("simulate")
    sim_dir = out / SIMULATION_DIR
    _clear_simulation(sim_dir)
    known = {f.name for f in fields(AQSParams)}  # a protocol recorded by another version may have other keys
    params = AQSParams(**{**{k: v for k, v in inputs.protocol.items() if k in known}, "axis": "x", "mode": "tension",
                          "platform": "NumPy", "threads": 1})
    result = yield from _relabel("simulate", deform_steps(glass, params, run_dir=sim_dir))
    labels = labels_from_result(result, fraction=params.failure_fraction)
    yield clock.done("simulate", numbers.simulation_line(labels, result))

    yield clock.start("compare")
    comparison = numbers.comparison(pred, labels, glass)
    yield clock.done("compare", numbers.comparison_line(comparison))

    yield clock.start("micrograph")
    from ..io import read_input, read_structure

    micrograph = read_input(inputs.micrograph)[1]
    detection = yield from _relabel("micrograph", detect_rings_steps(micrograph))
    truth = read_structure(inputs.micrograph_truth) if inputs.micrograph_truth else None
    accuracy = numbers.detection_accuracy(truth, detection.glass) if truth is not None else None
    yield clock.done("micrograph", numbers.detection_line(detection, accuracy))

    yield clock.start("explain-micrograph")
    mexpl = yield from _relabel("explain-micrograph", explain_steps(micrograph, m, copies=inputs.copies))
    yield clock.done("explain-micrograph", numbers.prediction_line(mexpl.prediction))

    yield clock.start("figures")
    pictures = figures.draw_all(out, glass=glass, ringset=ringset, stats=stats, expl=expl, result=result, labels=labels,
                                detection=detection, micrograph=micrograph, mexpl=mexpl)
    numbers.write_view_data(out / DATA_DIR, glass, detection.glass, expl, mexpl, inputs.micrograph)
    yield clock.done("figures", f"{len(pictures)} figures")

    yield clock.start("report")
    json_path, index = out / "report.json", out / "index.html"
    report = numbers.report_dict(inputs=inputs, glass=glass, stats=stats, expl=expl, result=result, labels=labels,
                                 comparison=comparison, micrograph=micrograph, detection=detection,
                                 accuracy=accuracy, mexpl=mexpl, model=m, figures=pictures)
    numbers.write_report_json(json_path, with_timings(report, clock.timings, time.perf_counter() - t_start))
    html.write_html(index, with_timings(report, clock.timings, time.perf_counter() - t_start))
    done = clock.done("report", str(index))
    wall = time.perf_counter() - t_start
    report = with_timings(report, clock.timings, wall)  # the page and the JSON again, with the last stage's time
    numbers.write_report_json(json_path, report)
    html.write_html(index, report)
    yield done
    return DemoOutcome(str(out), str(index), str(json_path), report, dict(clock.timings), wall)


def with_timings(report: dict, timings: dict, wall_s: float) -> dict:
    """The report with each stage's time and the total (s)."""
    return {**report, "timings": {"stages": {k: float(v) for k, v in timings.items()}, "total_s": float(wall_s)}}


def demo(out_dir="demo_out", **kwargs) -> DemoOutcome:
    """:func:`demo_steps` run to completion."""
    return run(demo_steps(out_dir, **kwargs))
