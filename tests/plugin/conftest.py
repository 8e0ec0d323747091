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
