"""Deform (AQS): athermal quasistatic loading of a structure layer to its first (or complete) failure, with a
live stress–strain plot; the trajectory becomes a time axis with the broken bonds highlighted.

Structures detected in a micrograph (the Detect widget's layers), Si-only networks and non-periodic structures
not at a force minimum are first repaired and relaxed (``glassfail_core.physics.prepare``), as ``glassfail deform``
does; the trajectory then shows the prepared structure, whose atom indices the result refers to.
"""

from __future__ import annotations

import numpy as np
from magicgui.widgets import ComboBox, FloatSpinBox, Label

from glassfail_core.errors import Cancelled, InputError
from glassfail_core.progress import Progress

from glassfail_core.physics import AQSParams, platform_names, resolve_platform
from glassfail_core.physics.engines import resolve_tilt_platform
from glassfail_core.workflows import prepare_deform_steps

from .._layers import KEY, find_structure_layers, glass_from_layers, new_group, trajectory_layer_data
from ._base import JobWidget
from ._plot import StressStrainPlot

__all__ = ["DeformWidget", "deform_job", "frame_from_event", "PREPARE"]

UNTIL = {"first break": "first", "complete failure": "complete"}
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


class DeformWidget(JobWidget):
    """Dock widget: Deform (AQS) a structure layer."""

    run_text = "Deform"
    description = "deforming"

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
        self.plot = StressStrainPlot()
        self.engine = Label(value="")
        self.summary = Label(value="")
        super().__init__(napari_viewer, controls=[
            self.structure, self.mode, self.axis, self.angle, self.grips, self.transverse, self.step, self.refine_step,
            self.max_strain, self.until, self.platform, self.prepare])
        self.extend([self.engine, self.summary, self.plot])
        self.platform.changed.connect(self._show_engine)
        self.mode.changed.connect(self._show_engine)
        self.grips.changed.connect(self._show_engine)
        self._show_engine()
        self.frames: list = []
        self.result = None
        self.result_layers: list = []
        self.prepare_report = None
        self._glass = None
        napari_viewer.dims.events.current_step.connect(self._frame_shown)

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        return find_structure_layers(self.viewer.layers)

    def _structure_choices(self, widget=None):
        out, seen = [], set()
        for lay in self.suitable_layers():
            group = lay.metadata[KEY]["group"]
            if group not in seen:
                seen.add(group)
                base = lay.name[: -len(lay.metadata[KEY]["role"])].rstrip() or lay.name
                out.append((base, lay))
        return out

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

    def make_job(self):
        lay = self.structure.value
        if lay is None:
            raise InputError("choose a structure layer")
        params = self.params()
        glass = glass_from_layers(lay, self.viewer.layers)
        self._glass, self._source = glass, lay
        self.frames, self.result, self.prepare_report = [], None, None
        self.plot.clear()
        self.summary.value = ""
        return deform_job(glass, params, prepare=PREPARE[self.prepare.value])

    def on_progress(self, event: Progress):
        super().on_progress(event)
        data = event.data
        if "prepared" in data:
            self._glass, self.prepare_report = data["prepared"], data["report"]
            self.summary.value = f"prepared ({data['reason']}):\n{data['report'].summary()}"
            return
        frame = frame_from_event(event)
        if frame is not None and frame["state"] >= len(self.frames):  # a new point (refinement notices repeat one)
            self.frames.append(frame)
            self.plot.add_point(frame["strain"], float(data["stress"]))

    def on_result(self, outcome):
        result = outcome.result
        self.result = result
        if result.rupture_strain is not None:
            self.plot.mark_break(result.rupture_strain)
        text = result.summary()
        if self.prepare_report is not None:
            text += " (indices of the prepared structure)\n" + self.prepare_report.summary()
        self.summary.value = text
        self.status.value = "done: " + result.summary()
        self._show_trajectory(result)

    def _error(self, exc):
        super()._error(exc)
        if isinstance(exc, Cancelled) and self.frames:
            self._show_trajectory(None)  # what was finished before the stop

    def _show_trajectory(self, result):
        if not self.frames:
            return
        meta = self._source.metadata[KEY]
        base = self._source.name[: -len(meta["role"])].rstrip() or self._source.name
        if self.prepare_report is not None:
            base += " (prepared)"
        layers = trajectory_layer_data(self._glass, self.frames, name=base, group=new_group(), result=result)
        self.result_layers = self.add_layers(layers)
        for lay in self.viewer.layers:
            if lay.metadata.get(KEY, {}).get("group") == meta["group"]:
                lay.visible = False  # the trajectory's frame 0 is the same structure (rings, cell: unstrained)
        self.viewer.dims.set_current_step(0, len(self.frames) - 1)

    def _frame_shown(self, event=None):
        if not self.frames or not self.result_layers or self.viewer.dims.ndim < 3:
            return
        k = int(self.viewer.dims.current_step[0])
        if 0 <= k < len(self.frames):
            self.plot.mark_current(self.frames[k]["strain"])
