"""Issue 7 without micrographs: non-periodic samples with grips, angles, shear, prepare_for_simulation."""

import numpy as np
import pytest

from glassfail_core.generation import honeycomb
from glassfail_core.physics import AQSParams, deform, prepare_for_simulation, relax
from glassfail_core.physics.reference import energy_forces_reference

FAST = dict(step=0.01, refine_step=0.002, fmax=1e-5)


@pytest.fixture(scope="module")
def crop(small_relaxed):
    """The perturbed 6 × 6 crystal opened into a free-standing flake (no periodic axis)."""
    g = small_relaxed
    return relax(g.replace(positions=g.wrapped_positions(), pbc=(False, False)), fmax=1e-6)


def test_crop_breaks_near_the_periodic_crystal(small_relaxed, crop):
    r_per = deform(small_relaxed, AQSParams(**FAST))
    r_crop = deform(crop, AQSParams(**FAST))
    assert r_crop.info["grips"] == 11.0 and r_crop.info["periodic_loading"] is False
    # measured: periodic 0.152 / crop 0.098 on a 10 × 12 crystal; the free edges (dangling Si–O) fail first
    assert r_crop.rupture_strain is not None
    assert r_crop.rupture_strain == pytest.approx(0.134, abs=1e-12) and r_crop.broken_bond == (16, 88)  # measured
    assert r_per.rupture_strain == pytest.approx(0.152, abs=1e-12)
    assert 0.3 * r_per.rupture_strain < r_crop.rupture_strain <= r_per.rupture_strain + 0.01
    assert len(r_crop.forces) == len(r_crop.strains) and r_crop.forces[1] > 0  # tension pulls back on the grip
    assert r_crop.forces[1] == pytest.approx(0.025702, rel=1e-3)  # eV/Å at ε = 0.01, measured
    np.testing.assert_allclose(r_crop.displacements, r_crop.strains * r_crop.info["free_length"])


def test_grip_reaction_is_the_sum_of_forces_on_grip_atoms(crop, tmp_path):
    w = 8.0
    res = deform(crop, AQSParams(**FAST, grips=w, max_strain=0.03, until="complete"), run_dir=tmp_path)
    with np.load(tmp_path / "configs.npz") as z:
        final = z["final_positions"]
    _, f = energy_forces_reference(crop.with_positions(final))
    x0 = crop.positions[:, 0]
    left, right = x0 < x0.min() + w, x0 > x0.max() - w
    free = ~(left | right)
    assert 0.5 * (f[left, 0].sum() - f[right, 0].sum()) == pytest.approx(res.forces[-1], rel=1e-9)
    # each grip alone: equal up to the residual forces on the free atoms (each ≤ fmax)
    slack = free.sum() * 1e-5
    assert abs(f[left, 0].sum() - res.forces[-1]) <= slack and abs(-f[right, 0].sum() - res.forces[-1]) <= slack
    assert res.stresses[-1] == pytest.approx(res.forces[-1] / res.info["width"])
    assert np.hypot(*f[free].T).max() <= 1e-5  # only the grips carry load


def test_tension_at_90_degrees_equals_tension_along_y(crop):
    ry = deform(crop, AQSParams(**FAST, axis="y"))
    r90 = deform(crop, AQSParams(**FAST, angle=90))
    assert r90.rupture_strain == ry.rupture_strain and r90.broken_bond == ry.broken_bond
    np.testing.assert_allclose(r90.location, ry.location, atol=1e-2)
    np.testing.assert_allclose(r90.stresses, ry.stresses, rtol=1e-4, atol=1e-8)  # minimised to fmax 1e-5
    assert r90.info["angle"] == 90.0


def test_shear_with_grips_and_any_angle(crop):
    r = deform(crop, AQSParams(**FAST, mode="shear", max_strain=0.05))
    assert r.info["mode"] == "shear" and len(r.strains) >= 2 and r.stresses[1] != 0
    assert len(r.strains) == 6 and r.stresses[1] == pytest.approx(1.0352e-4, rel=1e-3)  # measured
    r30 = deform(crop, AQSParams(**FAST, angle=30, max_strain=0.04))
    assert r30.info["angle"] == 30.0 and r30.stresses[-1] > 0
    assert r30.stresses[-1] == pytest.approx(2.4697e-3, rel=1e-3)  # measured at ε = 0.04


def test_prepare_adds_oxygen_and_keeps_topology():
    g, rep = prepare_for_simulation(honeycomb(4, 6, oxygen=False))
    assert rep["added_oxygen"] == 72 and rep["topology_unchanged"]
    assert g.n_o == 72 and set(g.coordination[g.si_mask]) == {3}
    assert rep["coordination_after"] == {"Si": {3: 48}, "O": {2: 72}}
