"""Deform (AQS): athermal quasistatic loading of a structure layer to its first (or complete) failure, with a
live stress–strain plot; the trajectory becomes a time axis with the broken bonds highlighted.

Structures detected in a micrograph (the Detect widget's layers), Si-only networks and non-periodic structures
not at a force minimum are first repaired and relaxed (``glassfail_core.physics.prepare``), as ``glassfail deform``
does; the trajectory then shows the prepared structure, whose atom indices the result refers to.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from magicgui.widgets import ComboBox, FloatSpinBox, Label, PushButton

from glassfail_core.errors import Cancelled, InputError
from glassfail_core.glass import EV_PER_A2_TO_N_PER_M
from glassfail_core.progress import Progress

from glassfail_core.physics import AQSParams, platform_names, resolve_platform
from glassfail_core.physics.aqs.checkpoint import input_hash
from glassfail_core.physics.engines import resolve_tilt_platform
from glassfail_core.workflows import prepare_deform_steps

from .._layers import KEY, find_structure_layers, glass_from_layers, new_group, trajectory_layer_data
from ._base import JobWidget, wrapped_label
from ._export import export_run, export_with_dialog
from ._inputs import base_name, structure_choices
from ._plot import StressStrainPlot

__all__ = ["DeformWidget", "deform_job", "frame_from_event", "frames_from_run_dir", "run_folder", "PREPARE",
           "UNTIL"]

UNTIL = {"first break": "first", "past failure": "failure", "complete failure": "complete"}
#: Label shown → ``prepare`` argument of :func:`deform_job`.
PREPARE = {"auto": None, "always": True, "never": False}


#: The Deform work: the core's prepare-then-deform workflow (returns a ``DeformOutcome``).
deform_job = prepare_deform_steps


def frame_from_event(event: Progress):
    """A trajectory frame (dict: ``strain``, ``positions``, ``cell``, ``cell_vectors``, ``tilt``, ``broken``) from a
    deform event, or None (``cell_vectors`` is the tilted lattice of periodic shear)."""
    d = event.data
    if event.stage != "deform" or "positions" not in d:
        return None
    return {"strain": float(d["strain"]), "positions": d["positions"], "cell": d["cell"],
            "cell_vectors": d.get("cell_vectors"), "tilt": float(d.get("tilt", 0.0)),
            "broken": np.asarray(d["broken"], dtype=np.int64).reshape(-1, 2), "state": int(d["state"])}


def run_folder(glass, params: AQSParams, prepare=None, root=None) -> Path:
    """The run folder the widget gives a deformation: under ``root`` (default ``$GLASSFAIL_NAPARI_CACHE`` or the
    temporary folder), named by the run's hash (structure and parameters) and the preparation asked, so that the
    same run started again resumes where it stopped, as ``glassfail deform -o RUN_DIR`` does."""
    if root is None:
        root = os.environ.get("GLASSFAIL_NAPARI_CACHE") or Path(tempfile.gettempdir()) / "glassfail-napari"
    key = {None: "auto", True: "prepared", False: "asis"}[prepare]
    return Path(root) / "runs" / f"{input_hash(glass, params)}-{key}"


def frames_from_run_dir(run_dir, result, glass):
    """The first and last frames of a finished run read back from its folder (for a run whose steps this session
    did not see): the unstrained and the final configuration. Empty for rotated or sheared runs."""
    from glassfail_core.errors import GlassfailError
    from glassfail_core.io.runs import read_configs

    if result.info.get("angle", 0.0) or result.info.get("mode", "tension") != "tension" or not len(result.strains):
        return []
    try:
        c = read_configs(run_dir)
    except GlassfailError:
        return []
    bonds, broken = np.asarray(c["bonds"], int).reshape(-1, 2), np.asarray(c["broken"], bool)
    first = {"strain": 0.0, "stress": float(result.stresses[0]), "positions": c["initial_positions"],
             "cell": np.asarray(glass.cell, float), "cell_vectors": None, "tilt": 0.0,
             "broken": np.zeros((0, 2), np.int64), "state": 0}
    last = {"strain": float(result.strains[-1]), "stress": float(result.stresses[-1]),
            "positions": c["final_positions"], "cell": c["final_cell"], "cell_vectors": None, "tilt": 0.0,
            "broken": bonds[broken], "state": len(result.strains) - 1}
    return [first, last]


class DeformWidget(JobWidget):
    """Dock widget: Deform (AQS) a structure layer.

    Every run has a run folder (:func:`run_folder`): after Cancel, Deform again resumes from the last finished
    step; the frames this session saw are kept (:attr:`frames_seen`) so the resumed trajectory is whole.
    """

    run_text = "Deform"
    description = "deforming"
    #: Frames of the runs this session saw, by run folder (a resumed run does not repeat its earlier steps).
    frames_seen: dict = {}

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer  # the layer choices below are evaluated at construction
        self.structure = ComboBox(label="structure", choices=self._structure_choices, nullable=False)
        self.mode = ComboBox(label="mode", choices=["tension", "shear"], value="tension",
                             tooltip="shear: a periodic sample is sheared in a Lees–Edwards tilted cell (x += γ·y "
                                     "for axis x; NumPy engine), a non-periodic one by moving a grip sideways")
        self.axis = ComboBox(label="axis", choices=["x", "y"], value="x")
        self.angle = FloatSpinBox(label="angle (°)", min=-180.0, max=180.0, step=5.0, value=0.0,
                                  tooltip="loading direction from x; any angle on non-periodic samples")
        self.grips = FloatSpinBox(label="grips (Å)", min=0.0, max=200.0, step=1.0, value=0.0,
                                  tooltip="grip strip width; 0 = automatic (11 Å ≈ 2 rings on a non-periodic "
                                          "loading axis, none on a periodic one)")
        self.transverse = ComboBox(label="transverse edge", choices=["fixed", "relaxed"], value="fixed")
        self.step = FloatSpinBox(label="strain step", min=1e-4, max=0.05, step=0.001, value=0.005)
        self.refine_step = FloatSpinBox(label="refined step", min=0.0, max=0.01, step=0.0001, value=0.0005)
        self.max_strain = FloatSpinBox(label="max strain", min=0.001, max=2.0, step=0.05, value=0.3)
        self.until = ComboBox(label="until", choices=list(UNTIL), value="first break")
        self.platform = ComboBox(label="platform", choices=self._platforms(), value="auto")
        self.prepare = ComboBox(label="repair + relax first", choices=list(PREPARE), value="auto",
                                tooltip="auto: for micrograph detections, Si-only networks and non-periodic "
                                        "structures not at a force minimum")
        self.plot = StressStrainPlot(theme=napari_viewer.theme)
        self.engine = Label(value="")
        self.summary = wrapped_label()
        self.export_button = PushButton(text="Export result and curve (JSON, CSV)…", enabled=False)
        self.cache_root = None  # run folders under $GLASSFAIL_NAPARI_CACHE or the temporary folder
        super().__init__(napari_viewer, controls=[
            self.structure, self.mode, self.axis, self.angle, self.grips, self.transverse, self.step, self.refine_step,
            self.max_strain, self.until, self.platform, self.prepare])
        self.insert(0, self.engine)
        self.extend([self.summary, self.plot, self.export_button])
        self.platform.changed.connect(self._show_engine)
        self.mode.changed.connect(self._show_engine)
        self.grips.changed.connect(self._show_engine)
        self.export_button.changed.connect(self._export_clicked)
        self._show_engine()
        self.frames: list = []
        self.result = None
        self.prepare_report = None
        self.run_dir = None
        self._glass = None
        napari_viewer.dims.events.current_step.connect(self._frame_shown)
        napari_viewer.events.theme.connect(lambda e=None: self.plot.set_theme(self.viewer.theme))

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        return find_structure_layers(self.viewer.layers)

    def _structure_choices(self, widget=None):
        return structure_choices(self.viewer.layers)

    def no_layer_message(self):
        return "open a structure (or detect one on an image) to deform it"

    @staticmethod
    def _platforms():
        return ["auto", *platform_names()]

    def _show_engine(self, *_):
        """Say which engine runs: the platform chosen, or what "auto" resolves to (periodic shear: NumPy)."""
        try:
            if self.mode.value == "shear" and self.grips.value == 0:
                name = resolve_tilt_platform(None if self.platform.value == "auto" else self.platform.value)
            else:
                name = resolve_platform(None if self.platform.value == "auto" else self.platform.value)
        except InputError as exc:
            self.engine.value = f"engine: {exc}"
            return
        kind = "double-precision NumPy" if name == "NumPy" else f"OpenMM {name}"
        self.engine.value = f"engine: {kind}"

    # ------------------------------------------------------------------ work
    def params(self):
        return AQSParams(
            step=float(self.step.value), refine_step=float(self.refine_step.value),
            max_strain=float(self.max_strain.value), axis=self.axis.value, transverse=self.transverse.value,
            until=UNTIL[self.until.value], mode=self.mode.value, angle=float(self.angle.value),
            grips=float(self.grips.value) or None,
            platform=None if self.platform.value == "auto" else self.platform.value,
        )

    def clear_result(self):
        self.frames, self.result, self.prepare_report = [], None, None
        self.plot.clear()
        self.summary.value = ""
        self.export_button.enabled = False

    def make_job(self):
        lay = self.structure.value
        if lay is None:
            raise InputError("choose a structure layer")
        params = self.params()
        glass = glass_from_layers(lay, self.viewer.layers)
        prepare = PREPARE[self.prepare.value]
        self._glass, self._source = glass, lay
        self.run_dir = run_folder(glass, params, prepare, root=self.cache_root)
        seen = self.frames_seen.get(str(self.run_dir))
        if seen:  # a resumed run: the steps seen before the stop
            self.frames = list(seen)
            for f in self.frames:
                self.plot.add_point(f["strain"], f["stress"])
        return deform_job(glass, params, prepare=prepare, run_dir=self.run_dir)

    def on_progress(self, event: Progress):
        data = event.data
        if "prepared" in data:
            super().on_progress(event)
            self._glass, self.prepare_report = data["prepared"], data["report"]
            report = data["report"].summary() if data["report"] is not None else data["prepare"].get("summary", "")
            self.summary.value = f"prepared ({data['reason']}):\n{report}"
            return
        frame = frame_from_event(event)
        if frame is None:
            super().on_progress(event)
            return
        frame["stress"] = float(data["stress"])
        self.status.value = (f"ε = {frame['strain']:.4f}   σ = {frame['stress'] * EV_PER_A2_TO_N_PER_M:.3f} N/m   "
                             f"broken bonds: {data.get('n_broken', len(frame['broken']))}")
        if frame["state"] >= len(self.frames):  # a new point (refinement notices repeat one)
            self.frames.append(frame)
            self.plot.add_point(frame["strain"], frame["stress"])

    def on_result(self, outcome):
        result = outcome.result
        self.result = result
        self._glass = outcome.glass
        if self.prepare_report is None and outcome.prepare is not None:
            self.prepare_report = outcome.prepare
        if not self.frames or len(self.frames) < len(result.strains):
            self.plot.clear()  # the whole curve (a resumed or read-back run)
            for e, sgm in zip(result.strains, result.stresses):
                self.plot.add_point(e, sgm)
        if not self.frames:
            self.frames = frames_from_run_dir(self.run_dir, result, outcome.glass)
        self.frames_seen[str(self.run_dir)] = list(self.frames)
        if result.rupture_strain is not None:
            self.plot.mark_break(result.rupture_strain)
        self.summary.value = self._result_text(result)
        self.status.value = "done"
        self.export_button.enabled = True
        self._show_trajectory(result)

    def _result_text(self, result) -> str:
        text = result.summary()
        if len(result.stresses):
            k = int(np.argmax(result.stresses))
            text += (f"\nσ_max = {result.stresses[k] * EV_PER_A2_TO_N_PER_M:.3f} N/m at ε = {result.strains[k]:.4f}"
                     f"; engine: {result.info.get('platform', '?')}")
        if self.prepare_report is not None:
            rep = self.prepare_report
            text += " (indices of the prepared structure)\n" + (rep.summary() if hasattr(rep, "summary")
                                                                  else rep.get("summary", ""))
        return text

    def _error(self, exc):
        super()._error(exc)
        if isinstance(exc, Cancelled):
            # no partial layers: the run folder keeps the finished steps, and Deform again resumes from there
            self.frames_seen[str(self.run_dir)] = list(self.frames)
            if self.frames:
                self.status.value = (f"stopped at ε = {self.frames[-1]['strain']:.4f}; Deform again to resume "
                                     "(same structure and settings)")

    def _show_trajectory(self, result):
        if not self.frames:
            return
        meta = self._source.metadata[KEY]
        base = base_name(self._source)
        if self.prepare_report is not None:
            base += " (prepared)"
        layers = trajectory_layer_data(self._glass, self.frames, name=base, group=new_group(), result=result)
        self.replace_layers(layers, key=meta["group"])
        for lay in self.result_layers:
            lay.metadata[KEY]["source_group"] = meta["group"]
        for lay in self.viewer.layers:
            if lay.metadata.get(KEY, {}).get("group") == meta["group"]:
                lay.visible = False  # the trajectory's frame 0 is the same structure (rings, cell: unstrained)
        self.viewer.dims.set_current_step(0, len(self.frames) - 1)
        self._frame_shown()

    def _frame_shown(self, event=None):
        if not self.frames or not self.result_layers or self.viewer.dims.ndim < 3:
            return
        k = int(self.viewer.dims.current_step[0])
        if 0 <= k < len(self.frames):
            strain = self.frames[k]["strain"]
            self.plot.mark_current(strain)
            labels = list(self.viewer.dims.axis_labels)
            label = f"ε = {strain:.4f}"
            if labels[0] != label:
                labels[0] = label  # the time slider reads the strain of the frame shown
                self.viewer.dims.axis_labels = labels

    # ------------------------------------------------------------------ export
    def export(self, folder) -> list:
        """Write the last run's ``result.json``, ``curves.npz``, ``stress_strain.csv`` and ``labels.json`` into
        ``folder`` (as ``glassfail deform -o`` writes); returns the paths."""
        if self.result is None:
            raise InputError("deform a structure first")
        return export_run(self.result, folder)

    def _export_clicked(self, *_):
        export_with_dialog(self.native, "Folder for the run's result and curve", self.export)
