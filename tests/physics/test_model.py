import dataclasses

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


#: The parameter table of /work/shared/reference/potential-2d-silica.md (Roy–Heyde–Heuer 2D silica), written out.
TABLE = {("Si", "Si"): (2.250, 1.500), ("Si", "O"): (1.075, -1.000), ("O", "O"): (0.900, 0.670)}
LAMBDA, R_C = 5.649, 10.0


def _written_out(r, sigma, q):
    """V(r) = (σ/r)^12 + (q/r) exp(−r/λ), shifted force at r_c: V(r) − V(r_c) − V′(r_c)(r − r_c), 0 beyond."""
    def v(x):
        return (sigma / x) ** 12 + q / x * np.exp(-x / LAMBDA)

    def dv(x):
        return -12 * sigma ** 12 / x ** 13 - q * np.exp(-x / LAMBDA) * (1 / x ** 2 + 1 / (LAMBDA * x))

    return np.where(r < R_C, v(r) - v(R_C) - dv(R_C) * (r - R_C), 0.0), np.where(r < R_C, dv(r) - dv(R_C), 0.0)


def test_every_parameter_is_the_reference_table():
    m = get_model("rhh")
    assert m.species == ("Si", "O") and m.energy_unit == "eV"
    assert (m.screening, m.cutoff) == (LAMBDA, R_C)
    for (a, b), (sigma, q) in TABLE.items():
        assert (m.params(a, b).sigma, m.params(a, b).q) == (sigma, q), (a, b)
        assert m.params(b, a) == m.params(a, b)
    sig, q = m.tables()
    np.testing.assert_array_equal(sig, [[2.25, 1.075], [1.075, 0.9]])
    np.testing.assert_array_equal(q, [[1.5, -1.0], [-1.0, 0.67]])
    d = m.to_dict()
    assert d["pairs"] == {"Si-Si": {"sigma": 2.25, "q": 1.5}, "Si-O": {"sigma": 1.075, "q": -1.0},
                          "O-O": {"sigma": 0.9, "q": 0.67}}
    assert (d["screening"], d["cutoff"]) == (5.649, 10.0)


@pytest.mark.parametrize("pair", list(TABLE))
def test_pair_energy_against_the_written_out_formula(pair):
    """Short range (1.2, 1.6 Å: the r⁻¹² wall and the Si–O bond), medium range (3, 6 Å) and beyond the cutoff."""
    m = get_model()
    sigma, q = TABLE[pair]
    r = np.array([1.2, 1.6, 3.0, 6.0, 9.5, 10.0, 11.0])
    e_ref, de_ref = _written_out(r, sigma, q)
    np.testing.assert_allclose(m.energy(r, *pair), e_ref, rtol=1e-12, atol=1e-15)
    p = m.params(*pair)
    e, de = m.shifted(r, p.sigma, p.q)
    np.testing.assert_allclose(e, e_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(de, de_ref, rtol=1e-12, atol=1e-15)


def test_pair_energies_pinned():
    """A few numbers of the shifted-force model, pinned (eV): the Si–O bond well, the Si–Si and O–O walls."""
    m = get_model()
    assert float(m.energy(np.array([1.6]), "Si", "O")[0]) == pytest.approx(-0.405720, abs=1e-6)
    assert float(m.energy(np.array([3.0]), "Si", "Si")[0]) == pytest.approx(0.250586, abs=1e-6)
    assert float(m.energy(np.array([1.2]), "O", "O")[0]) == pytest.approx(0.443931, abs=1e-6)
    assert float(m.energy(np.array([2.6]), "O", "O")[0]) == pytest.approx(0.127839, abs=1e-6)


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


def test_model_objects_are_frozen_and_checked():
    m = get_model()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.cutoff = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.params("Si", "O").sigma = 1.0
    assert m.masses == {"Si": 28.0855, "O": 15.999}  # g/mol, for dynamics
    pairs = {("Si", "Si"): (1.0, 1.0), ("Si", "O"): (1.0, -1.0), ("O", "O"): (1.0, 1.0)}
    for bad in (dict(cutoff=0.0, screening=1.0), dict(cutoff=5.0, screening=0.0), dict(cutoff=-1.0, screening=1.0),
                dict(cutoff=5.0, screening=-2.0)):
        with pytest.raises(ValueError, match="must be positive"):
            PairModel("x", pairs, **bad)
    small = PairModel("x", pairs, cutoff=0.5, screening=0.5)  # any positive length is a length
    assert (small.cutoff, small.screening, small.params("O", "Si")) == (0.5, 0.5, PairParams(1.0, -1.0))


def test_types_and_unknown_species():
    m = get_model()
    np.testing.assert_array_equal(m.types(["Si", "O", "O", "Si"]), [0, 1, 1, 0])
    np.testing.assert_array_equal(m.types(np.array(["O"])), [1])
    with pytest.raises(InputError, match=r"no parameters for species \['Ge'\]"):
        m.types(["Si", "Ge", "O"])
    for a, b in (("Si", "Ge"), ("Ge", "O"), ("C", "C")):
        with pytest.raises(InputError, match="handles species"):
            m.params(a, b)
