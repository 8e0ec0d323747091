"""The Deform widget on what the Detect widget found in the shipped micrograph: repaired, relaxed, deformed to the
first break, the trajectory built from the progress events (issue 7)."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui

PLUGIN = "napari-glassfail"


def test_deform_a_detection(make_napari_viewer, wait_for_worker, by_role):
    from glassfail_core.physics import AQSParams, deform
    from glassfail_core.physics.prepare import prepare_for_simulation

    from napari_glassfail._widgets.deform import DeformWidget
    from napari_glassfail._widgets.detect import DetectWidget

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    detect = DetectWidget(viewer)
    viewer.window.add_dock_widget(detect)
    detect.start()
    wait_for_worker(detect)
    found = by_role(detect.result_layers)["Si"].metadata["glassfail"]["glass"]
    assert "detection" in found.info

    w = DeformWidget(viewer)
    viewer.window.add_dock_widget(w)
    assert w.run_button.enabled and w.prepare.value == "auto"
    assert w.structure.value.metadata["glassfail"]["glass"] is found  # the detected Points are a choice
    w.step.value, w.refine_step.value, w.platform.value = 0.01, 0.002, "NumPy"
    assert w.start() is not None
    wait_for_worker(w)
    res, rep = w.result, w.prepare_report
    assert res is not None and rep is not None, w.status.value
    # the same repair as the core's (and the CLI's), then the same physics
    ref_glass, ref_rep = prepare_for_simulation(found, platform="NumPy")
    assert rep.to_dict() == ref_rep.to_dict() and rep.topology_unchanged
    ref = deform(ref_glass, AQSParams(step=0.01, refine_step=0.002, platform="NumPy"))
    assert res.rupture_strain is not None and res.rupture_strain == pytest.approx(ref.rupture_strain)
    assert tuple(res.broken_bond) == tuple(ref.broken_bond)
    assert "prepared" in w.summary.value and "indices of the prepared structure" in w.summary.value
    # trajectory of the prepared structure (its atom count), one frame per point of the curve, from the events
    prepared = w._glass
    assert len(prepared) == rep.n_atoms_out < len(found)
    roles = by_role(w.result_layers)
    traj = roles["trajectory"]
    assert "(prepared)" in traj.name and len(w.frames) == len(res.strains)
    assert traj.data.shape == (len(w.frames) * len(prepared), 3)
    np.testing.assert_allclose(traj.data[: len(prepared), 1:][:, ::-1], w.frames[0]["positions"])
    last = roles["broken_bonds"].data
    assert (last[:, 0, 0] == len(w.frames) - 1).sum() == len(w.frames[-1]["broken"]) >= 1
    np.testing.assert_allclose(roles["rupture"].data[0][::-1], res.location)


def test_deform_without_repair(make_napari_viewer, wait_for_worker, by_role, monkeypatch):
    """prepare = "never": the detection is deformed as it is, every detected atom in the trajectory."""
    from glassfail_core.generation import honeycomb
    from glassfail_core.micrograph import detect_atoms, render_glass
    from napari.layers import Layer

    from napari_glassfail._layers import glass_layer_data
    from napari_glassfail._widgets import deform as deform_mod

    calls = []
    original = deform_mod.deform_job
    monkeypatch.setattr(deform_mod, "deform_job",
                        lambda *a, **k: calls.append(k.get("prepare")) or original(*a, **k))
    viewer = make_napari_viewer()
    found = detect_atoms(render_glass(honeycomb(6, 6), pixel_size=0.25, seed=3))
    for ld in glass_layer_data(found, name="found", rings=None):
        viewer.add_layer(Layer.create(*ld))
    w = deform_mod.DeformWidget(viewer)
    w.step.value, w.refine_step.value, w.platform.value = 0.01, 0.002, "NumPy"
    w.max_strain.value = 0.02
    w.prepare.value = "never"
    w.start()
    wait_for_worker(w)
    assert calls == [False] and w.prepare_report is None
    assert w.result is not None, w.status.value
    traj = by_role(w.result_layers)["trajectory"]
    assert "(prepared)" not in traj.name and traj.data.shape == (len(w.frames) * len(found), 3)
