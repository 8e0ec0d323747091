"""Batch folder: every structure or micrograph of a folder (a file pattern) detected, predicted and explained by the
core's ``batch_steps``, with a progress bar and Cancel; the table (``batch.csv``: one row per file, errors
included) and the maps go to an output folder; running again resumes without redoing finished files.

The dock shows the table as it grows and a summary plot (predicted failure strain against μ2); a click on a row
opens that file's layers: the file itself, its detected atoms and its site-probability map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from magicgui.widgets import CheckBox, FileEdit, FloatSpinBox, LineEdit, SpinBox, Table

from glassfail_core.errors import Cancelled, InputError
from glassfail_core.io.paths import inside
from glassfail_core.progress import Progress

from .._layers import new_group
from .._layers.prediction import MAP_LABELS, PROBABILITY_COLORMAP, map_layer_data
from ._base import JobWidget, wrapped_label
from ._inputs import ModelChoice, calibrate
from ._plot import SummaryPlot

__all__ = ["BatchWidget", "SHOWN_COLUMNS", "open_row"]

#: Columns of the batch table shown in the dock (the CSV has them all).
SHOWN_COLUMNS = ("file", "status", "failure_strain", "failure_strain_low", "failure_strain_high",
                 "first_break_strain", "mu2", "n_atoms", "error")
#: Image suffixes napari's own reader opens (the plugin reads the microscope formats).
NAPARI_IMAGES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp", ".gif")


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _open_file(viewer, path: Path) -> list:
    """Open one input file as napari would, TIFF calibration included."""
    if path.suffix.lower() in NAPARI_IMAGES:
        layers = viewer.open(str(path), plugin="napari")
        for lay in layers:
            calibrate(lay)
        return layers
    return viewer.open(str(path), plugin="napari-glassfail")


def open_row(viewer, folder, out_dir, row: dict) -> list:
    """The layers of one batch row: the input file, its detected atoms (micrographs) and its failure-site map."""
    layers = _open_file(viewer, inside(folder, row["file"], what="file of batch.csv"))
    if row.get("atoms_file"):
        layers += viewer.open(str(inside(out_dir, row["atoms_file"], what="atoms_file of batch.csv")),
                              plugin="napari-glassfail")
    if row.get("maps_file"):
        from napari.layers import Layer

        with np.load(inside(out_dir, row["maps_file"], what="maps_file of batch.csv"), allow_pickle=False) as z:
            group = new_group()
            for key in ("crack", "first_break"):
                if key in z:
                    label = MAP_LABELS.get(key, key)
                    ld = map_layer_data(z[key], z["pixel_size"], z["origin"], name=f"{row['file']} {label} site "
                                        "probability", role=f"map_{label}", group=group,
                                        colormap=PROBABILITY_COLORMAP, visible=key == "crack")
                    layers.append(viewer.add_layer(Layer.create(*ld)))
    return layers


class BatchWidget(JobWidget):
    """Dock widget: Batch folder."""

    run_text = "Run batch"
    description = "batch"

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer
        self.folder = FileEdit(label="folder", mode="d", value="")
        self.pattern = LineEdit(label="files", value="*", tooltip="a pattern such as *.tif (**/*.tif: subfolders)")
        self.out_dir = FileEdit(label="output folder", mode="d", value="",
                                tooltip="batch.csv, maps/, atoms/ (default: FOLDER/glassfail-batch)")
        self.predict = CheckBox(text="predict", value=True)
        self.explain = CheckBox(text="explain (Grad-CAM)", value=False)
        self.model = ModelChoice()
        self.pixel_size = FloatSpinBox(label="pixel size (Å/px)", min=0.0, max=100.0, step=0.001, value=0.0,
                                       tooltip="for micrographs without calibration; 0 = read from each file")
        self.workers = SpinBox(label="workers", min=0, max=256, value=0,
                               tooltip="0: in this process; N: a Dask LocalCluster of N processes")
        self.scheduler = LineEdit(label="scheduler", value="", tooltip="address of a running Dask scheduler")
        self.table = Table(value={"data": [], "columns": list(SHOWN_COLUMNS)})
        self.table.read_only = True
        self.table.min_height = 160
        self.plot = SummaryPlot(height_px=200, theme=napari_viewer.theme)
        self.summary = wrapped_label()
        self.rows: list = []
        super().__init__(napari_viewer, controls=[self.folder, self.pattern, self.out_dir, self.predict,
                                                  self.explain, self.model, self.pixel_size, self.workers,
                                                  self.scheduler])
        self.extend([self.summary, self.table, self.plot])
        self.result = None
        self.folder.changed.connect(self._refresh_enabled)
        self.table.native.cellClicked.connect(self._row_clicked)
        napari_viewer.events.theme.connect(lambda e=None: self.plot.set_theme(self.viewer.theme))

    # ------------------------------------------------------------------ "layers": a folder
    def suitable_layers(self):
        folder = self._folder()
        return [folder] if folder is not None and folder.is_dir() else []

    def no_layer_message(self):
        return "choose a folder of structures or micrographs"

    def _folder(self):
        text = str(getattr(self, "folder", None) and self.folder.value or "").strip()
        return Path(text).expanduser() if text and text != "." else None

    def output_folder(self) -> Path:
        text = str(self.out_dir.value or "").strip()
        if text and text != ".":
            return Path(text).expanduser()
        return self._folder() / "glassfail-batch"

    def tasks(self) -> tuple:
        return ("detect",) + (("predict",) if self.predict.value else ()) + (("explain",) if self.explain.value
                                                                             else ())

    # ------------------------------------------------------------------ work
    def clear_result(self):
        self.summary.value = ""
        self.result = None

    def make_job(self):
        from glassfail_core.workflows.batch import TABLE, batch_steps, read_table

        folder = self._folder()
        if folder is None or not folder.is_dir():
            raise InputError("choose a folder of structures or micrographs")
        tasks = self.tasks()
        model = self.model.model if ("predict" in tasks or "explain" in tasks) else None
        out = self.output_folder()
        self._run = (folder, out)
        self.rows = read_table(out / TABLE)  # what an earlier run finished
        self._show_rows()
        return batch_steps(folder, out, pattern=self.pattern.value.strip() or "*", tasks=tasks, model=model,
                           pixel_size=float(self.pixel_size.value) or None, workers=int(self.workers.value) or None,
                           scheduler=self.scheduler.value.strip() or None)

    def on_progress(self, event: Progress):
        super().on_progress(event)
        row = event.data.get("row")
        if row is None:
            return
        row = {k: ("" if v is None else str(v)) for k, v in row.items()}
        for k, old in enumerate(self.rows):
            if old.get("file") == row["file"]:
                self.rows[k] = row
                break
        else:
            self.rows.append(row)
        self._show_rows()

    def on_result(self, summary):
        from glassfail_core.workflows.batch import read_table

        self.result = summary
        self.rows = read_table(summary.table)
        self._show_rows()
        self.summary.value = (f"{summary.done} done, {summary.kept} kept from before, {summary.failed} failed, of "
                              f"{summary.total} file(s)\ntable: {summary.table}")
        self.status.value = "done"

    def _error(self, exc):
        super()._error(exc)
        if isinstance(exc, Cancelled):
            n = sum(1 for r in self.rows if r.get("status") == "ok")
            self.status.value = f"stopped with {n} file(s) done; Run batch again to resume"

    def _show_rows(self):
        data = [[r.get(c, "") for c in SHOWN_COLUMNS] for r in self.rows]
        self.table.value = {"data": data, "columns": list(SHOWN_COLUMNS)}
        col = {c: [_float(r.get(c)) for r in self.rows] for c in ("mu2", "failure_strain", "failure_strain_low",
                                                                  "failure_strain_high")}
        self.plot.show(col["mu2"], col["failure_strain"], col["failure_strain_low"], col["failure_strain_high"],
                       labels=[r.get("file", "") for r in self.rows])

    def _row_clicked(self, index, *_):
        if not 0 <= index < len(self.rows) or not getattr(self, "_run", None):
            return
        from ._base import notify_error

        try:
            open_row(self.viewer, *self._run, self.rows[index])
        except Exception as exc:  # noqa: BLE001 - a file that cannot be opened: a notification
            notify_error(exc)
