"""Shared test fixtures: small structures, temporary folders, napari settings kept out of ~/.config."""

import os

import numpy as np
import pytest

os.environ.setdefault("NAPARI_CONFIG", os.path.join(os.path.dirname(__file__), ".napari-test-settings.yaml"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def crystal():
    """A periodic 4 × 4-ring honeycomb (32 Si, 48 O) at the default Si–Si distance."""
    from glassfail_core.generation import honeycomb

    return honeycomb(4, 4)


@pytest.fixture(scope="session")
def small_relaxed():
    """A 6 × 6-ring crystal (72 Si, 108 O) relaxed to zero stress, then randomly perturbed by 0.05 Å and
    minimised: a sample that breaks at a definite strain (a perfect crystal stays symmetric much longer)."""
    from glassfail_core.generation import honeycomb
    from glassfail_core.physics import relax

    g = relax(honeycomb(6, 6), cell=True)
    rng = np.random.default_rng(7)
    g = g.with_positions(g.positions + rng.normal(0.0, 0.05, g.positions.shape))
    return relax(g, fmax=1e-6)


@pytest.fixture(scope="module")
def displaced():
    """An 8 × 8-ring periodic crystal (128 Si, 192 O), every atom moved by N(0, 0.05 Å) per axis (seeded): the
    ground truth of micrograph tests."""
    from glassfail_core.generation import honeycomb

    g = honeycomb(8, 8)
    rng = np.random.default_rng(7)
    return g.with_positions(g.positions + rng.normal(0.0, 0.05, g.positions.shape))
