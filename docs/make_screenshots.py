"""Make the README's screenshots from the real plugin.

    xvfb-run -a .venv/bin/python docs/make_screenshots.py      # or with a screen: .venv/bin/python docs/...

writes

* ``docs/images/detect_rings.png`` — the sample micrograph with the atoms and rings found by the Detect widget;
* ``docs/images/deform.png`` — the sample glass mid-deformation (time slider on the frame at the largest stress,
  after the first breaks, broken bonds in red) with the Deform widget's stress–strain plot.

The jobs run synchronously (``GLASSFAIL_NAPARI_SYNC=1``) so the script needs no event-loop juggling; the widgets
and layers are exactly those a user gets.
"""

from __future__ import annotations

import os
import sys
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
    widget = DetectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Detect atoms & rings", area="right")
    widget.start()
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

    viewer = _viewer()
    viewer.open_sample(PLUGIN, "glass")
    widget = DeformWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Deform (AQS)", area="right")
    widget.until.value = "complete failure"
    widget.max_strain.value = 0.4
    widget.start()
    if widget.result is None or not widget.frames:
        raise SystemExit(f"deformation failed: {widget.status.value}")
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


def main():
    for make in (detect_screenshot, deform_screenshot):
        path, text = make()
        print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
