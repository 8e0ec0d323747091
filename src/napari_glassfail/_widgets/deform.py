"""Deform (OpenMM): athermal quasistatic loading of a structure layer to its first (or complete) failure, with a
live stress–strain plot; the trajectory becomes a time axis with the broken bonds highlighted."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import numpy as np
from magicgui.widgets import ComboBox, FloatSpinBox, Label

from glassfail_core.errors import Cancelled, InputError
from glassfail_core.progress import Progress

from .._core import require
from .._layers import KEY, find_structure_layers, glass_from_layers, new_group, trajectory_layer_data
from ._base import JobWidget
from ._plot import StressStrainPlot

__all__ = ["DeformWidget", "deform_job", "FrameReader"]

UNTIL = {"first break": "first", "complete failure": "complete"}


class FrameReader:
    """Reads the state a running AQS job checkpoints into its run folder after each finished step, and maps it
    back to the input's frame (the job works on a rotated copy when loading at an angle).

    The core's progress events carry strain and stress only; positions come from ``checkpoint.npz``, which the
    core writes atomically before each event.
    """

    def __init__(self, glass, run_dir):
        self.glass = glass
        self.path = Path(run_dir) / "checkpoint.npz"
        self.n_seen = 0
        self._fit = None

    def _to_user(self, pos, pos_initial):
        if any(self.glass.pbc):  # periodic samples are never rotated by the core
            return pos
        if self._fit is None:  # rigid fit (Kabsch) of the working frame onto the user's frame
            a, b = pos_initial, np.asarray(self.glass.positions)
            ca, cb = a.mean(axis=0), b.mean(axis=0)
            u, _, vt = np.linalg.svd((a - ca).T @ (b - cb))
            d = np.sign(np.linalg.det(u @ vt))
            r = u @ np.diag([1.0, d]) @ vt
            self._fit = (r, ca, cb)
        r, ca, cb = self._fit
        return (pos - ca) @ r + cb

    def read(self):
        """The newest finished step as a frame dict, or None when there is no new one."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path) as z:
                strains = np.asarray(z["strains"])
                if len(strains) <= self.n_seen:
                    return None
                pos, cell = np.array(z["pos"]), np.array(z["cell"])
                bonds, broken, pos0 = np.array(z["bonds"]), np.array(z["broken"], bool), np.array(z["pos_initial"])
        except (OSError, KeyError, ValueError):
            return None  # not written yet
        self.n_seen = len(strains)
        return {"strain": float(strains[-1]), "positions": self._to_user(pos, pos0), "cell": cell,
                "broken": bonds[broken].reshape(-1, 2)}


def deform_job(glass, params, *, run_dir=None):
    """``glassfail_core.physics.deform_steps`` with each finished step's configuration attached to its event
    (``event.data["frame"]``). Uses a temporary run folder (removed at the end) unless ``run_dir`` is given."""
    physics = require("physics", "deformation")
    tmp = None
    if run_dir is None:
        tmp = run_dir = tempfile.mkdtemp(prefix="glassfail-deform-")
    job = physics.deform_steps(glass, params, run_dir=run_dir)
    reader = FrameReader(glass, run_dir)
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as done:
                return done.value
            frame = reader.read()
            if frame is not None:
                event = dataclasses.replace(event, data={**event.data, "frame": frame})
            yield event
    finally:
        job.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


class DeformWidget(JobWidget):
    """Dock widget: Deform (OpenMM) a structure layer."""

    run_text = "Deform"
    description = "deforming"

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer  # the layer choices below are evaluated at construction
        self.structure = ComboBox(label="structure", choices=self._structure_choices, nullable=False)
        self.mode = ComboBox(label="mode", choices=["tension", "shear"], value="tension")
        self.axis = ComboBox(label="axis", choices=["x", "y"], value="x")
        self.angle = FloatSpinBox(label="angle (°)", min=-180.0, max=180.0, step=5.0, value=0.0,
                                  tooltip="loading direction from x; any angle on non-periodic samples")
        self.transverse = ComboBox(label="transverse edge", choices=["fixed", "relaxed"], value="fixed")
        self.step = FloatSpinBox(label="strain step", min=1e-4, max=0.05, step=0.001, value=0.005)
        self.refine_step = FloatSpinBox(label="refined step", min=0.0, max=0.01, step=0.0001, value=0.0005)
        self.max_strain = FloatSpinBox(label="max strain", min=0.001, max=2.0, step=0.05, value=0.3)
        self.until = ComboBox(label="until", choices=list(UNTIL), value="first break")
        self.platform = ComboBox(label="platform", choices=self._platforms(), value="auto")
        self.plot = StressStrainPlot()
        self.summary = Label(value="")
        super().__init__(napari_viewer, controls=[
            self.structure, self.mode, self.axis, self.angle, self.transverse, self.step, self.refine_step,
            self.max_strain, self.until, self.platform])
        self.extend([self.summary, self.plot])
        self.frames: list = []
        self.result = None
        self.result_layers: list = []
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
        try:
            from glassfail_core.physics import platform_names

            return ["auto", *platform_names()]
        except Exception:  # noqa: BLE001 - no physics here: the job will say so
            return ["auto"]

    # ------------------------------------------------------------------ work
    def params(self):
        physics = require("physics", "deformation")
        return physics.AQSParams(
            step=float(self.step.value), refine_step=float(self.refine_step.value),
            max_strain=float(self.max_strain.value), axis=self.axis.value, transverse=self.transverse.value,
            until=UNTIL[self.until.value], mode=self.mode.value, angle=float(self.angle.value),
            platform=None if self.platform.value == "auto" else self.platform.value,
        )

    def make_job(self):
        lay = self.structure.value
        if lay is None:
            raise InputError("choose a structure layer")
        params = self.params()
        glass = glass_from_layers(lay, self.viewer.layers)
        self._glass, self._source = glass, lay
        self.frames, self.result = [], None
        self.plot.clear()
        self.summary.value = ""
        return deform_job(glass, params)

    def on_progress(self, event: Progress):
        super().on_progress(event)
        data = event.data
        if "frame" in data:
            self.frames.append(data["frame"])
        if "strain" in data and "stress" in data:
            self.plot.add_point(data["strain"], data["stress"])

    def on_result(self, result):
        self.result = result
        if result.rupture_strain is not None:
            self.plot.mark_break(result.rupture_strain)
        self.summary.value = result.summary()
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
