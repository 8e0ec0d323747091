"""The linear-response baselines: the bond that stretches most under a small affine strain along x, and the strain at
which the bonds would reach the break length at their linear rates."""

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from glassfail_core.dataset import load_dataset
from glassfail_core.io import read_structure
from glassfail_core.learn.baselines import (SITE_BASELINES, fit_linear_response, linear_response,
                                            linear_response_site, linear_response_strain)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
DATASET = Path(__file__).resolve().parents[2] / "datasets" / "default"


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


def test_linear_response_strains_are_where_bonds_would_reach_the_break_length():
    # Pinned on the shipped glass: the first bond reaches 2.2 Å at ε = 0.2079 at its linear rate; its first break
    # under AQS comes at 0.0155 (a tenth of the way: a bond snaps as an instability, long before 2.2 Å).
    g = read_structure(SAMPLES / "glass_s2_0.6.extxyz")
    lr = linear_response(g)
    assert lr["site"] == linear_response_site(g)
    assert lr["strains"][:3] == pytest.approx([0.20788, 0.26315, 0.30401], abs=2e-4)
    assert np.all(np.diff(lr["strains"]) >= 0) and 1600 < len(lr["strains"]) <= len(g.bonds)
    cut = type(g)(g.positions, g.species, g.cell, pbc=(False, False), validate=False)
    assert len(linear_response(cut)["strains"]) == 0 and np.isnan(linear_response(cut)["site"][0])


def test_linear_response_strain_predicts_the_first_break_strain_of_dataset_glasses():
    # The measured finding behind the baseline (README): on committed dataset glasses the rank correlation with the
    # AQS first-break strain is ≈ 0.98. A stretch along y, a wrong break length or unrelaxed positions break it.
    ds = load_dataset(DATASET)
    x, y = [], []
    for i in ds.indices()[:12]:
        s = ds.sample(i)
        x.append(linear_response(s.glass)["strains"][0])
        y.append(s.labels["first_break_strain"])
    assert spearmanr(x, y)[0] > 0.93
    slope, icpt = np.polyfit(x, y, 1)
    assert 0.08 < slope < 0.16 and abs(icpt) < 0.015


def test_the_line_is_fitted_on_training_pairs_and_calibrated_on_others():
    xt = np.linspace(0.15, 0.35, 20)
    train = list(zip(xt, 0.1 * xt - 0.002)) + [(np.nan, 0.01), (0.2, np.nan)]
    cal = [(0.2, 0.018 + d) for d in np.linspace(-0.01, 0.01, 19)]
    fit = fit_linear_response(train, cal, 0.9)
    assert fit["slope"] == pytest.approx(0.1) and fit["intercept"] == pytest.approx(-0.002, abs=1e-12)
    assert fit["n_fit"] == 20 and fit["n_calibration"] == 19
    # residuals 0.018 + d − 0.018: the ⌈20 · 0.9⌉ = 18th smallest |d|
    assert fit["halfwidth"] == pytest.approx(np.sort(np.abs(np.linspace(-0.01, 0.01, 19)))[17], abs=1e-12)
    est = linear_response_strain({"strains": np.array([0.25, 0.3])}, fit)
    assert est["value"] == pytest.approx(0.023) and est["high"] - est["value"] == pytest.approx(fit["halfwidth"])
    assert linear_response_strain({"strains": np.zeros(0)}, fit) is None
    assert linear_response_strain({"strains": np.array([0.2])}, None) is None
    assert fit_linear_response(train[:2], cal, 0.9) is None


def test_linear_response_is_remembered_by_content_not_by_object():
    # Training fits the linear-response line on its training glasses and its final evaluation fits the baselines on
    # the same glasses, loaded again: the second call must reuse the relaxation, and only for identical content.
    import time

    g = read_structure(SAMPLES / "glass_s2_0.6.extxyz")
    first = linear_response(g)
    first["strains"][0] = -1.0  # a caller's edit must not reach the remembered answer
    reread = read_structure(SAMPLES / "glass_s2_0.6.extxyz")
    t0 = time.perf_counter()
    again = linear_response(reread)
    assert time.perf_counter() - t0 < 0.1
    assert again["strains"][0] == pytest.approx(0.20788, abs=2e-4)
    moved = g.with_positions(g.positions + [[0.01, 0.0]] + np.eye(len(g), 2)[:, :1] * 0.02)
    other = linear_response(moved)
    assert other["strains"][0] != again["strains"][0]
