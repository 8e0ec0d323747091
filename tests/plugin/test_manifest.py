"""The npe2 manifest: valid, widgets in napari's Layers menus, docking works, a screenshot shows the rings."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
PLUGIN = "napari-glassfail"


def test_npe2_validate_with_imports():
    npe2 = Path(sys.executable).with_name("npe2")
    cmd = [str(npe2)] if npe2.exists() else [sys.executable, "-m", "npe2"]
    out = subprocess.run([*cmd, "validate", "--imports", PLUGIN], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid" in out.stdout


def test_manifest_contributions():
    from npe2 import PluginManager

    pm = PluginManager.instance()
    pm.discover()
    m = pm.get_manifest(PLUGIN)
    patterns = {p for r in m.contributions.readers for p in r.filename_patterns}
    assert {"*.extxyz", "*.xyz", "*.data", "*.dump", "*.dm3", "*.dm4", "*.emd", "*.ser"} <= patterns
    assert not patterns & {"*.tif", "*.tiff", "*.png"}  # left to napari's own reader
    assert {s.key for s in m.contributions.sample_data} == {"glass", "micrograph"}
    assert {w.display_name for w in m.contributions.widgets} == {
        "Detect atoms & rings", "Deform (AQS)", "Predict & explain failure", "Prediction vs simulation",
        "Batch folder"}


def test_widgets_in_layers_menus_and_dockable(make_napari_viewer):
    from napari._app_model import get_app_model

    from napari_glassfail._widgets.deform import DeformWidget
    from napari_glassfail._widgets.detect import DetectWidget

    viewer = make_napari_viewer()
    app = get_app_model()

    def ids(menu):
        return {getattr(getattr(i, "command", None), "id", None) for i in app.menus.get_menu(menu)}

    assert "napari-glassfail.detect_widget" in ids("napari/layers/segment")
    assert {"napari-glassfail.deform_widget", "napari-glassfail.predict_widget",
            "napari-glassfail.compare_widget"} <= ids("napari/layers/measure")
    assert "napari-glassfail.batch_widget" in ids("napari/file/io_utilities")
    _, detect = viewer.window.add_plugin_dock_widget(PLUGIN, "Detect atoms & rings")
    _, deform = viewer.window.add_plugin_dock_widget(PLUGIN, "Deform (AQS)")
    assert isinstance(detect, DetectWidget) and isinstance(deform, DeformWidget)
    _, predict = viewer.window.add_plugin_dock_widget(PLUGIN, "Predict & explain failure")
    _, compare = viewer.window.add_plugin_dock_widget(PLUGIN, "Prediction vs simulation")
    _, batch = viewer.window.add_plugin_dock_widget(PLUGIN, "Batch folder")
    widgets = (detect, deform, predict, compare, batch)
    assert not any(w.run_button.enabled for w in widgets)
    viewer.open_sample(PLUGIN, "glass")
    assert deform.run_button.enabled and deform.structure.value is not None
    assert predict.run_button.enabled and compare.run_button.enabled
    assert not detect.run_button.enabled  # still no image
    assert not batch.run_button.enabled  # no folder


def test_screenshot_with_rings_is_not_blank(make_napari_viewer, by_role):
    from glassfail_core.colors import ring_color

    viewer = make_napari_viewer(show=True)
    viewer.open_sample(PLUGIN, "glass")
    assert "rings" in by_role(viewer.layers)
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=True, flash=False)
    assert shot.ndim == 3 and shot.shape[0] > 100
    rgb = shot[..., :3].reshape(-1, 3).astype(int)
    assert rgb.std() > 20  # not a uniform image
    # The Si colour and the 6-ring colour (alpha 0.55 over the black canvas) cover large areas.
    from glassfail_core.colors import SPECIES_COLORS
    from napari_glassfail._layers import RING_ALPHA

    def area(color):
        return int((np.abs(rgb - np.asarray(color)).max(axis=1) <= 3).sum())

    assert area(np.round(np.array(SPECIES_COLORS["Si"][:3]) * 255)) > 0.02 * len(rgb)
    ring_area = sum(area(np.round(np.array(ring_color(n)[:3]) * 255 * RING_ALPHA)) for n in range(4, 11))
    assert area(np.round(np.array(ring_color(6)[:3]) * 255 * RING_ALPHA)) > 0.05 * len(rgb)
    assert ring_area > 0.2 * len(rgb)
