"""The linear-response site baseline: the bond that stretches most under a small affine strain along x."""

from pathlib import Path

import numpy as np

from glassfail_core.io import read_structure
from glassfail_core.learn.baselines import SITE_BASELINES, linear_response_site

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def test_linear_response_picks_a_bond_leaning_along_the_load():
    # In the honeycomb crystal, bonds lie along y (cos 0 to x: they only rotate) or at 30° to x (cos 0.866: they
    # stretch). An x-stretch must pick a 30° bond; a stretch along y (a planted bug) would pick a y bond.
    g = read_structure(SAMPLES / "crystal_8x8.extxyz")
    site = np.array(linear_response_site(g))
    v = g.bond_vectors()
    mid = g.positions[g.bonds[:, 0]] + 0.5 * v
    d = np.linalg.norm(mid - site, axis=1)
    k = int(np.argmin(d))
    assert d[k] < 1e-9
    assert abs(abs(v[k, 0]) / np.linalg.norm(v[k]) - np.sqrt(3) / 2) < 1e-6


def test_linear_response_is_a_site_baseline():
    assert "linear_response" in SITE_BASELINES


def test_linear_response_on_a_glass_is_the_most_stretched_bond():
    # Pinned on the shipped glass: a change of strain, relaxation or bond choice moves it.
    g = read_structure(SAMPLES / "glass_s2_0.6.extxyz")
    assert np.allclose(linear_response_site(g), (35.7169, 29.0838), atol=2e-3)
