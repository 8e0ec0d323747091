"""The Predict & explain widget on the shipped samples: maps, sites and atoms in Å where ``predict`` puts them."""

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
PLUGIN = "napari-glassfail"
DATA = Path(__file__).resolve().parents[2] / "sample_data"


def _widget(viewer, model):
    from napari_glassfail._widgets.predict import PredictWidget

    w = PredictWidget(viewer)
    viewer.window.add_dock_widget(w)
    w.explain.value = False
    if model is not None:
        w.model.set_folder(model)
    return w


def _roles(layers):
    return {lay.metadata["glassfail"]["role"]: lay for lay in layers}


def _check_map(layer, values, pixel_size, origin):
    """The layer shows the map ``values`` with its pixels where the Prediction's frame puts them, in Å."""
    np.testing.assert_allclose(layer.data, values, rtol=1e-6)
    assert np.ptp(layer.data) > 0  # not constant
    np.testing.assert_allclose(layer.scale, pixel_size[::-1])
    i, j = np.unravel_index(np.argmax(values), values.shape)
    centre = np.asarray(origin) + (np.array([j, i]) + 0.5) * np.asarray(pixel_size)  # (x, y) Å
    np.testing.assert_allclose(layer.data_to_world([i, j])[::-1], centre, atol=1e-9)
    assert str(layer.units[0]) == "angstrom" and layer.blending == "additive"
    return centre


def test_predict_on_sample_glass(make_napari_viewer, plugin_model, wait_for_worker, by_role):
    from glassfail_core.learn.predict import predict

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "glass")
    glass = by_role(viewer.layers)["Si"].metadata["glassfail"]["glass"]
    w = _widget(viewer, plugin_model)
    assert w.run_button.enabled and "(structure)" in w.input.current_choice
    assert w.pixel_size.native.isHidden()
    n_before = len(viewer.layers)
    assert w.start() is not None
    wait_for_worker(w)
    ref = predict(glass, plugin_model, linear_response=True)
    roles = _roles(w.result_layers)
    assert {"map_failure", "map_first-break", "predicted_sites", "prediction_atoms"} <= set(roles)
    centre = _check_map(roles["map_failure"], ref.maps["crack"], ref.map_pixel_size, ref.map_origin)
    _check_map(roles["map_first-break"], ref.maps["first_break"], ref.map_pixel_size, ref.map_origin)
    assert roles["map_failure"].visible and not roles["map_first-break"].visible
    # the map's maximum is where predict puts the failure site (its top mode), and the marker is there
    assert np.hypot(*(centre - ref.failure_site)) < 5.0
    sites = roles["predicted_sites"]
    # with the first bond to break by linear response: the bond the demo's simulation breaks first
    np.testing.assert_allclose(sites.data[:, ::-1], [ref.failure_site, ref.first_break_site, [35.717, 29.084]],
                               atol=2e-3)
    assert list(sites.features["kind"]) == ["failure", "first break", "first break (linear response)"]
    assert "first break by linear response: (35.7, 29.1) Å" in w.summary.value
    # atoms with their site probability (the map's value at the atom) as features, coloured on demand
    atoms = roles["prediction_atoms"]
    assert len(atoms.data) == len(glass)
    assert {"failure_probability", "first-break_probability"} <= set(atoms.features.columns)
    assert np.ptp(atoms.features["failure_probability"]) > 0
    w.color_by.value = "first-break_probability"
    assert w.color_by.value == "first-break_probability"
    # the dock: strains with their 90 % intervals
    fs = ref.failure_strain
    assert f"failure strain: {fs['value']:.4g} (90 %: {fs['low']:.4g}–{fs['high']:.4g})" in w.summary.value
    assert "N/m" in w.summary.value
    # a second run replaces the first run's layers
    w.start()
    wait_for_worker(w)
    assert len(viewer.layers) == n_before + len(w.result_layers)
    assert not any(lay.name.endswith("]") for lay in viewer.layers)


def test_predict_on_tif_opened_by_napari(make_napari_viewer, plugin_model, wait_for_worker):
    """napari's own reader opens the TIFF at scale 1; the widget reads its calibration (0.25 Å/px) and predicts as
    ``predict`` does on the file."""
    from glassfail_core.io import read_micrograph
    from glassfail_core.learn.predict import predict

    path = DATA / "micrograph_spots.tif"
    viewer = make_napari_viewer()
    (img,) = viewer.open(str(path))
    assert img.scale[-1] == 1.0  # napari's reader: no calibration
    w = _widget(viewer, plugin_model)
    assert "(image)" in w.input.current_choice and not w.pixel_size.native.isHidden()
    assert img.scale[-1] == pytest.approx(0.25) and str(img.units[0]) == "angstrom"
    assert w.pixel_size.value == pytest.approx(0.25)
    w.start()
    wait_for_worker(w)
    assert w.prediction is not None, w.status.value
    ref = predict(read_micrograph(path), plugin_model)
    roles = _roles(w.result_layers)
    _check_map(roles["map_failure"], ref.maps["crack"], ref.map_pixel_size, ref.map_origin)
    np.testing.assert_allclose(roles["predicted_sites"].data[0, ::-1], ref.failure_site, atol=1e-6)
    assert any("non-periodic" in line for line in w.summary.value.splitlines())
    # Image layer and Å maps agree: the failure site lies on the micrograph
    r, c = img.world_to_data(roles["predicted_sites"].data[0])
    assert -5 <= r <= img.data.shape[0] + 5 and -5 <= c <= img.data.shape[1] + 5


def test_predict_without_model_is_one_line(make_napari_viewer, wait_for_worker, monkeypatch):
    from napari_glassfail._widgets import _base

    shown = []
    monkeypatch.setattr(_base, "notify_error", lambda exc: shown.append(exc))
    monkeypatch.setattr("glassfail_core.learn.predict.DEFAULT_MODEL_DIR", Path("/nonexistent/model"))
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "glass")
    w = _widget(viewer, None)
    w.start()
    wait_for_worker(w)
    assert len(shown) == 1 and "no shipped model" in str(shown[0]) and "\n" not in str(shown[0])
    assert w.status.value.startswith("failed:") and not w.result_layers


def test_predict_enables_only_with_inputs(make_napari_viewer):
    viewer = make_napari_viewer()
    w = _widget(viewer, None)
    assert not w.run_button.enabled and "predict" in w.status.value
    layer = viewer.add_image(np.zeros((20, 20)), scale=(0.25, 0.25))
    assert w.run_button.enabled
    viewer.layers.remove(layer)
    assert not w.run_button.enabled


def test_grad_cam_heatmap_and_attributions(make_napari_viewer, plugin_model, wait_for_worker, by_role):
    """The Grad-CAM heatmap as an Image layer in the input's frame, and the per-atom attribution as a Points feature
    to colour by."""
    from glassfail_core.explain import explain

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "glass")
    glass = by_role(viewer.layers)["Si"].metadata["glassfail"]["glass"]
    w = _widget(viewer, plugin_model)
    w.explain.value = True
    w.target.value, w.variant.value, w.copies.value = "failure_strain", "abs", 2
    w.start()
    wait_for_worker(w)
    assert w.explanation is not None, w.status.value
    ref = explain(glass, plugin_model, target="failure_strain", variant="abs", copies=2)
    roles = _roles(w.result_layers)
    heat = roles["heatmap"]
    _check_map(heat, ref.heatmap, ref.pixel_size, ref.origin)
    assert "Grad-CAM failure_strain" in heat.name and heat.visible
    atoms = roles["prediction_atoms"]
    np.testing.assert_allclose(atoms.features["attribution"], ref.atoms["attribution"], rtol=1e-6)
    w.color_by.value = "attribution"
    assert len(atoms.data) == len(glass)
    # the prediction that comes with the explanation is predict's
    np.testing.assert_allclose(roles["predicted_sites"].data[0, ::-1], ref.prediction.failure_site)


def test_predict_on_detected_atoms_with_screenshot(make_napari_viewer, plugin_model, wait_for_worker, by_role):
    """The atoms Detect found are an input too: the prediction's atoms are those atoms; the canvas shows the map
    (a screenshot with real content), the scale bar is on, in Å."""
    from glassfail_core.learn.predict import predict

    from napari_glassfail._widgets.detect import DetectWidget

    viewer = make_napari_viewer(show=True)
    viewer.open_sample(PLUGIN, "micrograph")
    detect = DetectWidget(viewer)
    detect.start()
    wait_for_worker(detect)
    found = by_role(detect.result_layers)["Si"].metadata["glassfail"]["glass"]
    w = _widget(viewer, plugin_model)
    atoms_choice = next(c for c in w.input.choices if c.metadata.get("glassfail", {}).get("glass") is found)
    w.input.value = atoms_choice
    w.start()
    wait_for_worker(w)
    ref = predict(found, plugin_model)
    roles = _roles(w.result_layers)
    _check_map(roles["map_failure"], ref.maps["crack"], ref.map_pixel_size, ref.map_origin)
    assert len(roles["prediction_atoms"].data) == len(found)
    assert viewer.scale_bar.visible
    for lay in viewer.layers:
        lay.visible = lay is roles["map_failure"]
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=True, flash=False)
    assert shot[..., :3].std() > 5  # the map, not a blank canvas
