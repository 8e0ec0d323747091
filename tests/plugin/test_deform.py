"""The Deform (AQS) widget: a real AQS run on a tiny periodic crystal, in a worker thread."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui


@pytest.fixture
def tiny(make_napari_viewer):
    """A viewer holding a periodic 4 × 8-ring honeycomb (64 Si, 96 O; both edges > 2 × the 10 Å cutoff)."""
    from glassfail_core.generation import honeycomb
    from napari.layers import Layer

    from napari_glassfail._layers import glass_layer_data

    viewer = make_napari_viewer()
    glass = honeycomb(4, 8)
    for ld in glass_layer_data(glass, name="tiny", rings=None):
        viewer.add_layer(Layer.create(*ld))
    return viewer, glass


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
    assert w.result is None and w.status.value == "stopped"
    assert w.run_button.enabled and not w.cancel_button.enabled
    assert len(w.plot.strains) == 3 and w.plot.strains[-1] < 0.05
    assert len(w.frames) == 3 and w.result_layers  # the finished steps are shown


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
