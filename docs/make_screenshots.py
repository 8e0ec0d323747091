"""Make the README's screenshots from the real plugin.

    xvfb-run -a .venv/bin/python docs/make_screenshots.py [--model MODEL_DIR] [--only NAME ...]
    # or with a screen: .venv/bin/python docs/make_screenshots.py ...

writes

* ``docs/images/detect_rings.png`` — the sample micrograph with the atoms and rings found by the Detect widget;
* ``docs/images/deform.png`` — the sample glass mid-deformation (time slider on the frame at the largest stress,
  after the first breaks, broken bonds in red) with the Deform widget's stress–strain plot;

and, with a model (``--model``, or the shipped one when there is one):

* ``docs/images/predict_glass.png`` — the sample glass with its failure-site map, the Grad-CAM heatmap, and the
  predicted vs simulated sites (Prediction vs simulation widget, a run past failure);
* ``docs/images/predict_micrograph.png`` — the sample micrograph with its prediction (Predict & explain widget);
* ``docs/images/batch.png`` — the Batch folder widget's table and summary plot over the shipped samples.

The jobs run synchronously (``GLASSFAIL_NAPARI_SYNC=1``) so the script needs no event-loop juggling; the widgets
and layers are exactly those a user gets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("GLASSFAIL_NAPARI_SYNC", "1")
OUT = Path(__file__).resolve().parent / "images"
PLUGIN = "napari-glassfail"


def _viewer():
    import napari

    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1500, 950)
    return viewer


def _run(viewer, widget_cls, name, *, model=None, result="result", setup=None):
    """Dock a ``widget_cls`` named ``name`` (with ``model`` when given), let ``setup`` set its fields, run it, and
    stop the script with its status when its ``result`` attribute stays empty."""
    widget = widget_cls(viewer)
    if model is not None:
        widget.model.set_folder(model)
    if setup is not None:
        setup(widget)
    viewer.window.add_dock_widget(widget, name=name, area="right")
    widget.start()
    if getattr(widget, result) is None:
        raise SystemExit(f"{name} failed: {widget.status.value}")
    return widget


def _save(viewer, name):
    import imageio.v3 as iio
    from qtpy.QtWidgets import QApplication

    from napari._qt.dialogs.qt_notification import NapariQtNotification

    for toast in viewer.window._qt_window.findChildren(NapariQtNotification):
        toast.close()  # e.g. the PyQt5 deprecation notice
    for _ in range(5):
        QApplication.processEvents()
    viewer.reset_view()  # once the docks have their final size
    QApplication.processEvents()
    shot = viewer.screenshot(canvas_only=False, flash=False)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    iio.imwrite(path, shot)
    return path


def detect_screenshot():
    from napari_glassfail._widgets.detect import DetectWidget

    viewer = _viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    widget = _run(viewer, DetectWidget, "Detect atoms & rings")
    for lay in viewer.layers:
        if lay.name.endswith(" O"):
            lay.visible = False  # the micrograph's faint O spots stay visible under the rings
    viewer.reset_view()
    path = _save(viewer, "detect_rings.png")
    text = f"{widget.status.value}; {widget.stats.value}"
    viewer.close()
    return path, text


def deform_screenshot():
    from napari_glassfail._widgets.deform import DeformWidget

    def setup(w):
        w.until.value = "complete failure"
        w.max_strain.value = 0.4

    viewer = _viewer()
    viewer.open_sample(PLUGIN, "glass")
    widget = _run(viewer, DeformWidget, "Deform (AQS)", setup=setup)
    # Mid-deformation: the frame nearest the largest stress (a glass breaks its first bonds well before that).
    target = widget.result.max_stress_strain
    k = (int(np.argmin([abs(f["strain"] - target) for f in widget.frames])) if target is not None
         else len(widget.frames) // 2)
    viewer.dims.set_current_step(0, k)
    viewer.reset_view()
    path = _save(viewer, "deform.png")
    text = f"frame {k} of {len(widget.frames)} shown; {widget.result.summary()}"
    viewer.close()
    return path, text


def _model_or_none(model):
    """The model folder to use, or None when there is neither one given nor a shipped one."""
    if model:
        return Path(model)
    from glassfail_core.learn.predict import DEFAULT_MODEL_DIR

    return DEFAULT_MODEL_DIR if (DEFAULT_MODEL_DIR / "config.json").is_file() else None


def _hide(viewer, *suffixes):
    for lay in viewer.layers:
        if lay.name.endswith(suffixes):
            lay.visible = False


def predict_glass_screenshot(model):
    from napari_glassfail._widgets.compare import CompareWidget
    from napari_glassfail._widgets.predict import PredictWidget

    viewer = _viewer()
    viewer.open_sample(PLUGIN, "glass")
    predict = _run(viewer, PredictWidget, "Predict & explain failure", model=model, result="prediction")
    compare = _run(viewer, CompareWidget, "Prediction vs simulation", model=model, result="simulation")
    _hide(viewer, " O", "atoms (prediction)")
    path = _save(viewer, "predict_glass.png")
    text = predict.summary.value.splitlines()[0] + "; " + compare.status.value
    viewer.close()
    return path, text


def predict_micrograph_screenshot(model):
    from napari_glassfail._widgets.predict import PredictWidget

    viewer = _viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    predict = _run(viewer, PredictWidget, "Predict & explain failure", model=model, result="prediction")
    _hide(viewer, "first-break site probability")
    path = _save(viewer, "predict_micrograph.png")
    text = predict.summary.value.splitlines()[0]
    viewer.close()
    return path, text


def batch_screenshot(model):
    from napari_glassfail._sample_data import SAMPLE_DIRS
    from napari_glassfail._widgets.batch import BatchWidget

    src = next(d for d in SAMPLE_DIRS if d.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "samples"
        folder.mkdir()
        for f in sorted(src.glob("*.extxyz")) + sorted(src.glob("*.tif")):
            if "truth" not in f.name:
                shutil.copy(f, folder / f.name)
        def setup(w):
            w.folder.value = str(folder)
            w.out_dir.value = str(Path(tmp) / "out")

        viewer = _viewer()
        widget = _run(viewer, BatchWidget, "Batch folder", model=model, setup=setup)
        widget.table.native.cellClicked.emit(0, 0)  # the first row's layers on the canvas
        path = _save(viewer, "batch.png")
        text = widget.summary.value.splitlines()[0]
        viewer.close()
    return path, text


SHOTS = {"detect": detect_screenshot, "deform": deform_screenshot, "predict_glass": predict_glass_screenshot,
         "predict_micrograph": predict_micrograph_screenshot, "batch": batch_screenshot}
NEEDS_MODEL = ("predict_glass", "predict_micrograph", "batch")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder for the prediction screenshots (default: the shipped one)")
    parser.add_argument("--only", nargs="+", choices=list(SHOTS), help="make only these screenshots")
    args = parser.parse_args(argv)
    model = _model_or_none(args.model)
    for name in args.only or list(SHOTS):
        if name in NEEDS_MODEL and model is None:
            print(f"{name}: skipped (no shipped model yet; give one with --model MODEL_DIR)")
            continue
        path, text = SHOTS[name](model) if name in NEEDS_MODEL else SHOTS[name]()
        print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
