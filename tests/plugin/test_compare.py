"""Prediction vs simulation: predicted and simulated strains side by side, the simulated sites beside the predicted
ones, with the prediction and the simulation found where the user made them or made with one click."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def _compare(viewer, model):
    from napari_glassfail._widgets.compare import CompareWidget

    w = CompareWidget(viewer)
    viewer.window.add_dock_widget(w)
    w.model.set_folder(model)
    w.step.value, w.max_strain.value = 0.01, 0.4
    return w


def _roles(layers):
    return {lay.metadata["glassfail"]["role"]: lay for lay in layers}


def test_simulate_past_failure_and_compare(tiny, plugin_model, wait_for_worker):
    from glassfail_core.dataset.labels import labels_from_result
    from glassfail_core.learn.predict import predict
    from glassfail_core.physics import AQSParams
    from glassfail_core.workflows import prepare_deform

    viewer, glass = tiny
    w = _compare(viewer, plugin_model)
    assert w.run_button.enabled and w.run_button.text == "Simulate past failure and compare"
    assert "simulated now, past failure" in w.source.value
    assert w.start() is not None
    wait_for_worker(w)
    assert w.simulation is not None, w.status.value
    ref = prepare_deform(glass, AQSParams(until="failure", step=0.01, max_strain=0.4)).result
    lab = labels_from_result(ref)
    assert w.simulation.params["until"] == "failure"
    assert labels_from_result(w.simulation).failure_strain == pytest.approx(lab.failure_strain)
    pred = predict(glass, plugin_model)
    # side by side in the dock
    assert f"{pred.failure_strain['value']:.4f} [{pred.failure_strain['low']:.4f}" in w.table.value
    assert f"{lab.failure_strain:.4f}" in w.table.value and f"{lab.first_break_strain:.4f}" in w.table.value
    assert "Δ" in w.table.value
    # predicted and simulated sites drawn next to each other
    roles = _roles(w.result_layers)
    np.testing.assert_allclose(roles["compared_predicted"].data[:, ::-1], [pred.failure_site, pred.first_break_site])
    np.testing.assert_allclose(roles["simulated_sites"].data[:, ::-1], [lab.failure_site, lab.first_break_site])
    assert list(roles["simulated_sites"].features["kind"]) == ["failure", "first break"]
    assert w.run_button.text == "Compare"  # the simulation exists now
    n = len(viewer.layers)
    w.start()
    wait_for_worker(w)
    assert len(viewer.layers) == n  # replaced, not piled up


def test_compare_uses_existing_prediction_and_runs(tiny, plugin_model, wait_for_worker, monkeypatch, tmp_path):
    """The Predict widget's prediction and the Deform widget's run past failure are used as they are; a run folder
    opened by the user takes precedence over the Deform widget's run."""
    from glassfail_core.physics import AQSParams
    from glassfail_core.workflows import prepare_deform

    from napari_glassfail._widgets import compare as compare_mod
    from napari_glassfail._widgets.deform import DeformWidget
    from napari_glassfail._widgets.predict import PredictWidget

    viewer, glass = tiny
    p = PredictWidget(viewer)
    p.explain.value = False
    p.model.set_folder(plugin_model)
    p.start()
    wait_for_worker(p)
    d = DeformWidget(viewer)
    d.step.value, d.refine_step.value, d.platform.value = 0.01, 0.002, "NumPy"
    d.max_strain.value, d.until.value = 0.4, "past failure"
    d.start()
    wait_for_worker(d)
    assert d.result is not None and d.result.params["until"] == "failure"
    w = _compare(viewer, plugin_model)
    assert w.run_button.text == "Compare"
    assert "the Predict widget's" in w.source.value and "the Deform widget's run" in w.source.value
    monkeypatch.setattr("glassfail_core.workflows.prepare_deform_steps",
                        lambda *a, **k: pytest.fail("no new simulation expected"))
    monkeypatch.setattr("glassfail_core.learn.predict.predict", lambda *a, **k: pytest.fail("no new prediction"))
    w.start()
    wait_for_worker(w)
    assert w.prediction is p.prediction and w.simulation is d.result
    # a run folder of `glassfail deform -o`
    run = tmp_path / "run"
    other = prepare_deform(glass, AQSParams(until="failure", step=0.02, platform="NumPy", max_strain=0.4),
                           run_dir=run).result
    w.run_dir.value = str(run)
    assert "the run folder" in w.source.value
    w.start()
    wait_for_worker(w)
    np.testing.assert_allclose(w.simulation.strains, other.strains)
    assert compare_mod.find_simulation(viewer.layers, "nope") is None
