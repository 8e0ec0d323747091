"""The Deform (AQS) widget: a real AQS run on a tiny periodic crystal, in a worker thread."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def _widget(viewer):
    from napari_glassfail._widgets.deform import DeformWidget

    w = DeformWidget(viewer)
    viewer.window.add_dock_widget(w)
    w.step.value, w.refine_step.value, w.platform.value = 0.01, 0.002, "NumPy"
    return w


def test_deform_to_first_break(tiny, wait_for_worker, by_role):
    from glassfail_core.physics import AQSParams, deform

    viewer, glass = tiny
    w = _widget(viewer)
    assert w.structure.value is not None and w.run_button.enabled
    worker = w.start()
    assert worker is not None  # ran in a thread, not on the GUI thread
    wait_for_worker(w)
    res = w.result
    assert res is not None and res.rupture_strain is not None
    # The same run through the core gives the same labels: the widget adds nothing to the physics.
    ref = deform(glass, AQSParams(step=0.01, refine_step=0.002, platform="NumPy"))
    assert res.rupture_strain == pytest.approx(ref.rupture_strain)
    assert tuple(res.broken_bond) == tuple(ref.broken_bond)
    # The live plot holds the whole curve, in N/m.
    strains, stresses = w.plot.data()
    np.testing.assert_allclose(strains, res.strains)
    np.testing.assert_allclose(stresses, res.stresses * 16.021766, rtol=1e-9)
    assert w.plot.marker is not None
    # Trajectory: one frame per finished step, frame index as a time axis; the last frame shows the broken bond.
    roles = by_role(w.result_layers)
    traj, bonds, mark = roles["trajectory"], roles["broken_bonds"], roles["rupture"]
    assert len(w.frames) == len(res.strains)
    assert traj.data.shape == (len(w.frames) * len(glass), 3)
    assert viewer.dims.ndim == 3 and viewer.dims.current_step[0] == len(w.frames) - 1
    last = bonds.data[bonds.data[:, 0, 0] == len(w.frames) - 1]
    assert len(last) >= 1
    assert np.hypot(*last[:, 1, 1:].T).max() > 2.2  # a broken Si–O bond is longer than the bond cutoff
    np.testing.assert_allclose(mark.data[0][::-1], res.location)
    # The strain in the last frame is the loading: Lx stretched by the rupture strain.
    assert w.frames[-1]["cell"][0] == pytest.approx(glass.cell[0] * (1 + res.rupture_strain))
    # Moving the time slider moves the plot's frame marker.
    viewer.dims.set_current_step(0, 0)
    assert w.plot.current.get_xdata()[0] == pytest.approx(w.frames[0]["strain"])


def test_deform_cancel_leaves_no_thread(tiny, wait_for_worker, monkeypatch):
    """Cancel mid-run: the job stops at its next step, closes, and no worker thread is left."""
    from qtpy.QtCore import QThreadPool

    from napari_glassfail._widgets import deform as deform_mod

    viewer, glass = tiny
    w = _widget(viewer)
    w.max_strain.value = 0.6
    w.until.value = "complete failure"
    closed = []
    original = deform_mod.deform_job

    def job_cancelled_after_3_steps(*args, **kwargs):
        # Press "Cancel" (the thread-safe part of it) from inside the run, after its third event: deterministic,
        # however fast the machine is.
        inner = original(*args, **kwargs)
        try:
            for k in range(10_000):
                event = next(inner)
                if k == 2:
                    w.runner.cancel()
                yield event
        finally:
            inner.close()
            closed.append(True)

    monkeypatch.setattr(deform_mod, "deform_job", job_cancelled_after_3_steps)
    assert w.start() is not None
    wait_for_worker(w)
    assert closed == [True]
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert w.result is None and w.status.value.startswith("stopped")
    assert w.run_button.enabled and not w.cancel_button.enabled
    assert len(w.plot.strains) == 3 and w.plot.strains[-1] < 0.05
    # issue 17: no partial layers; the finished steps are kept in the run folder, and Deform again resumes
    assert len(w.frames) == 3 and not w.result_layers and "resume" in w.status.value


def test_deform_resumes_after_cancel(tiny, wait_for_worker, monkeypatch, by_role):
    """Cancel, then Deform again: the run resumes from its run folder (no step redone), the trajectory holds every
    step, and the result is the one of an uninterrupted run; a re-run replaces the layers."""
    from glassfail_core.physics import AQSParams, deform

    from napari_glassfail._widgets import deform as deform_mod

    viewer, glass = tiny
    w = _widget(viewer)
    original = deform_mod.deform_job
    events = []

    def recorded(*args, stop_after=None, **kwargs):
        inner = original(*args, **kwargs)
        try:
            for k in range(10_000):
                event = next(inner)
                events.append(event)
                if stop_after is not None and k == stop_after:
                    w.runner.cancel()
                yield event
        except StopIteration as stop:
            return stop.value
        finally:
            inner.close()

    monkeypatch.setattr(deform_mod, "deform_job", lambda *a, **k: recorded(*a, stop_after=4, **k))
    w.start()
    wait_for_worker(w)
    assert w.result is None and len(w.frames) == 5 and w.run_dir.is_dir()
    n_layers = len(viewer.layers)
    monkeypatch.setattr(deform_mod, "deform_job", lambda *a, **k: recorded(*a, **k))
    events.clear()
    w.start()
    wait_for_worker(w)
    assert any("resuming" in str(e.data.get("note", "")) for e in events)
    assert sum(1 for e in events if e.data.get("state") == 1) == 0  # no early step redone
    res = w.result
    ref = deform(glass, AQSParams(step=0.01, refine_step=0.002, platform="NumPy"))
    assert res.rupture_strain == pytest.approx(ref.rupture_strain)
    np.testing.assert_allclose(res.strains, ref.strains)
    assert len(w.frames) == len(res.strains)
    np.testing.assert_allclose([f["strain"] for f in w.frames], res.strains)
    traj = by_role(w.result_layers)["trajectory"]
    assert traj.data.shape == (len(res.strains) * len(glass), 3)
    assert len(viewer.layers) == n_layers + len(w.result_layers)
    # the time slider reads the strain of the frame shown
    viewer.dims.set_current_step(0, 2)
    assert viewer.dims.axis_labels[0] == f"ε = {w.frames[2]['strain']:.4f}"
    # Deform again: the finished run is read back, its layers replace the previous ones (no "[1]")
    w.start()
    wait_for_worker(w)
    assert w.result is not None and len(viewer.layers) == n_layers + len(w.result_layers)
    assert not any(lay.name.endswith("]") for lay in viewer.layers)


def test_deform_needs_a_structure(make_napari_viewer):
    from napari_glassfail._widgets.deform import DeformWidget

    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((10, 10)))
    w = DeformWidget(viewer)
    assert not w.run_button.enabled and "open a structure" in w.status.value


def test_deform_small_cell_error_is_one_line(make_napari_viewer, wait_for_worker, monkeypatch):
    """A periodic cell smaller than twice the cutoff: the core's message becomes the notification."""
    from glassfail_core.generation import honeycomb
    from napari.layers import Layer

    from napari_glassfail._layers import glass_layer_data
    from napari_glassfail._widgets import _base

    shown = []
    monkeypatch.setattr(_base, "notify_error", lambda exc: shown.append(exc))
    viewer = make_napari_viewer()
    for ld in glass_layer_data(honeycomb(4, 4), name="small", rings=None):
        viewer.add_layer(Layer.create(*ld))
    w = _widget(viewer)
    w.start()
    wait_for_worker(w)
    assert len(shown) == 1 and "twice the model cutoff" in str(shown[0]) and "\n" not in str(shown[0])


def test_deform_periodic_shear(tiny, wait_for_worker, by_role):
    """Shear mode on a periodic crystal: Lees–Edwards shear in the core; frames carry the tilted lattice and the
    strained cell is drawn as that parallelogram."""
    viewer, glass = tiny
    w = _widget(viewer)
    w.mode.value, w.max_strain.value, w.platform.value = "shear", 0.03, "auto"
    w.start()
    wait_for_worker(w)
    res = w.result
    assert res is not None and res.info["boundary"] == "lees-edwards" and res.info["platform"] == "NumPy"
    last = w.frames[-1]
    assert last["tilt"] == pytest.approx(0.03 * glass.cell[1])
    cell_layer = by_role(w.result_layers)["strained_cell"]
    corners = cell_layer.data[-1][:, 1:]  # (y, x) of 0, a, a + b, b
    np.testing.assert_allclose(corners[3], [glass.cell[1], last["tilt"]])
    traj = by_role(w.result_layers)["trajectory"]
    assert traj.data.shape == (len(w.frames) * len(glass), 3)


def test_deform_export_units_and_theme(tiny, wait_for_worker, tmp_path):
    """Units agree (dock and plot in N/m), the dock says which engine runs, the plot wears napari's theme, and the
    run's result and curve are exported as the CLI writes them."""
    import csv
    import json

    from glassfail_core.physics import FractureResult
    from napari_glassfail._widgets._plot import theme_colors

    viewer, glass = tiny
    w = _widget(viewer)
    assert w.engine.value == "engine: double-precision NumPy"
    w.start()
    wait_for_worker(w)
    res = w.result
    assert "N/m" in w.summary.value and "eV" not in w.summary.value
    assert np.allclose(w.plot.figure.get_facecolor()[:3], theme_colors(viewer.theme)["background"])
    paths = w.export(tmp_path / "out")
    assert {p.name for p in paths} == {"result.json", "curves.npz", "stress_strain.csv", "labels.json"}
    back = FractureResult.load(tmp_path / "out")
    assert back.rupture_strain == pytest.approx(res.rupture_strain)
    rows = list(csv.DictReader(open(tmp_path / "out" / "stress_strain.csv")))
    assert len(rows) == len(res.strains)
    np.testing.assert_allclose([float(r["stress_N_per_m"]) for r in rows], w.plot.data()[1], rtol=1e-6)
    assert json.loads((tmp_path / "out" / "labels.json").read_text())["first_break_strain"] == \
        pytest.approx(res.rupture_strain)
