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
