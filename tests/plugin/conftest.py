"""Plugin tests: napari viewers on a virtual X server (pytest-xvfb), marked ``gui``."""

import numpy as np
import pytest

pytest.importorskip("napari")

PLUGIN = "napari-glassfail"


@pytest.fixture
def small_glass():
    """A non-trivial structure: 4 × 4 honeycomb, jiggled (seeded), with a per-atom float and int array."""
    from glassfail_core.generation import honeycomb

    g = honeycomb(4, 4)
    rng = np.random.default_rng(7)
    pos = g.positions + rng.normal(0, 0.02, g.positions.shape)
    return g.replace(positions=pos, arrays={"energy": rng.normal(-5, 1, len(g)), "tag": np.arange(len(g))},
                     info={"seed": 7, "note": "jiggled"})


@pytest.fixture(autouse=True)
def no_worker_left():
    """No worker thread may outlive a test (a QThread destroyed while running aborts the session)."""
    yield
    import sys

    if "qtpy.QtCore" in sys.modules:
        from qtpy.QtCore import QThreadPool

        assert QThreadPool.globalInstance().waitForDone(30_000), "a worker thread is still running"


@pytest.fixture(autouse=True)
def run_cache(tmp_path, monkeypatch):
    """Each test's own run folders (the Deform widget resumes runs from there) and no frames from other tests."""
    monkeypatch.setenv("GLASSFAIL_NAPARI_CACHE", str(tmp_path / "cache"))
    from napari_glassfail._widgets.deform import DeformWidget

    monkeypatch.setattr(DeformWidget, "frames_seen", {})
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def plugin_model(tmp_path_factory):
    """A small untrained model folder, saved as ``glassfail train`` saves one (weights + config with intervals and
    training range): the widgets only draw what ``predict`` says, so its skill does not matter and it takes no
    dataset (tests/learn's ``tiny_model`` trains on one, which takes minutes)."""
    import torch

    from glassfail_core.learn.checkpoint import Model, save_model
    from glassfail_core.learn.model import build_network
    from glassfail_core.learn.train import TrainParams

    torch.manual_seed(0)
    p = TrainParams(architecture={"widths": (8, 8, 16, 16), "decoder": 8})
    cfg = {"name": "plugin-test", "version": "0", "architecture": p.architecture,
           "input": dict(p.input, train_shape=[128, 128]), "targets": list(p.targets), "maps": list(p.maps),
           "normalisation": {"image": {"mean": 50.0, "std": 100.0},
                             "targets": {t: {"mean": 0.1, "std": 0.02} for t in p.targets}},
           "intervals": {"level": 0.9, "halfwidth": {t: 0.01 for t in p.targets}},
           "train_range": {"variance": [0.2, 1.2], "cell": [40.0, 90.0], "periodic": True}}
    out = tmp_path_factory.mktemp("plugin_model") / "model"
    save_model(Model(build_network(cfg["architecture"]).eval(), cfg), out)
    return out


@pytest.fixture
def by_role():
    """Function: {role: layer} of the glassfail layers among some layers."""
    return layers_by_role


@pytest.fixture
def wait_for_worker(qtbot):
    """Function: wait until a widget's worker has finished (no thread may outlive a test)."""
    return lambda widget, timeout=120_000: wait_worker(qtbot, widget, timeout)


def layers_by_role(layers):
    from napari_glassfail._layers import KEY

    out = {}
    for lay in layers:
        meta = lay.metadata.get(KEY)
        if meta:
            out[meta["role"]] = lay
    return out


def wait_worker(qtbot, widget, timeout=120_000):
    """Wait until a widget's worker has finished and the thread pool is idle (no thread may outlive a test)."""
    from qtpy.QtCore import QThreadPool

    qtbot.waitUntil(lambda: widget.worker is None, timeout=timeout)
    assert QThreadPool.globalInstance().waitForDone(10_000)


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
