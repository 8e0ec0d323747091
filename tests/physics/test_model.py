import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.physics import MODELS, PairModel, PairParams, get_model
from glassfail_core.physics.numpy_engine import NumpyEngine
from glassfail_core.physics.reference import energy_forces_reference, per_atom_energy, stress


def test_registry_and_table():
    m = get_model()
    assert m is MODELS["rhh"] and get_model(m) is m
    assert m.params("O", "Si") == PairParams(1.075, -1.0) == m.params("Si", "O")
    assert (m.params("Si", "Si").sigma, m.params("O", "O").q) == (2.25, 0.67)
    assert m.cutoff == 10.0 and m.screening == 5.649
    with pytest.raises(InputError, match="unknown model 'bks'"):
        get_model("bks")
    with pytest.raises(ValueError, match="lacks parameters for the pair O-O"):
        PairModel("x", {("Si", "Si"): (1, 1), ("Si", "O"): (1, 1)}, screening=1.0, cutoff=5.0)


@pytest.mark.parametrize("pair", [("Si", "Si"), ("Si", "O"), ("O", "O")])
def test_shifted_force_continuous_at_cutoff(pair):
    m = get_model()
    p = m.params(*pair)
    rc = m.cutoff
    r = np.array([rc - 1e-7, rc, rc + 1e-7, 12.0])
    e, de = m.shifted(r, p.sigma, p.q)
    assert abs(e[0]) < 1e-12 and abs(de[0]) < 1e-7  # value and slope go to zero
    assert e[1:].tolist() == [0.0, 0.0, 0.0] and de[1:].tolist() == [0.0, 0.0, 0.0]
    # derivative consistent with the energy just inside the cutoff
    h = 1e-5
    r0 = rc - 0.3
    fd = (m.shifted(r0 + h, p.sigma, p.q)[0] - m.shifted(r0 - h, p.sigma, p.q)[0]) / (2 * h)
    assert fd == pytest.approx(m.shifted(r0, p.sigma, p.q)[1], rel=1e-7)


def test_forces_are_minus_gradient(disordered):
    g = disordered
    e0, f = energy_forces_reference(g)
    h = 1e-5
    rng = np.random.default_rng(3)
    atoms = rng.choice(len(g), 12, replace=False)
    for a in atoms:
        for ax in range(2):
            p = np.array(g.positions)
            p[a, ax] += h
            ep = energy_forces_reference(g, positions=p)[0]
            p[a, ax] -= 2 * h
            em = energy_forces_reference(g, positions=p)[0]
            fd = -(ep - em) / (2 * h)
            assert fd == pytest.approx(f[a, ax], rel=1e-6, abs=1e-8)
    assert np.abs(f).max() > 0.1  # a configuration with real forces, not a minimum


def test_per_atom_energy_sums_to_total(disordered):
    e, _ = energy_forces_reference(disordered)
    ea = per_atom_energy(disordered)
    assert ea.shape == (len(disordered),)
    assert ea.sum() == pytest.approx(e, rel=1e-12)


def test_numpy_engine_matches_reference_and_survives_moves(disordered):
    eng = NumpyEngine(disordered)
    e0, f0 = energy_forces_reference(disordered)
    e, f = eng.energy_forces()
    assert e == pytest.approx(e0, rel=1e-13) and np.abs(f - f0).max() < 1e-11
    # move atoms beyond half the skin: the list must be rebuilt, results still exact
    p = np.array(disordered.positions) + [0.6, -0.3] + np.random.default_rng(1).normal(0, 0.03, (len(p0 := disordered.positions), 2))
    eng.set_state(p)
    e1, f1 = eng.energy_forces()
    e2, f2 = energy_forces_reference(disordered, positions=p)
    assert e1 == pytest.approx(e2, rel=1e-13) and np.abs(f1 - f2).max() < 1e-10 * np.abs(f2).max()
    assert eng.n_rebuilds == 2


def test_stress_is_energy_derivative_over_area(small_relaxed):
    g = small_relaxed
    s = stress(g)
    h = 1e-6
    for ax in range(2):
        scale = np.ones(2)
        scale[ax] = 1 + h
        ep = energy_forces_reference(g.with_positions(g.positions * scale, cell=g.cell * scale))[0]
        scale[ax] = 1 - h
        em = energy_forces_reference(g.with_positions(g.positions * scale, cell=g.cell * scale))[0]
        assert (ep - em) / (2 * h) / g.area == pytest.approx(s[ax, ax], abs=1e-9)
