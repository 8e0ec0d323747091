"""The L-BFGS minimiser: plain and Exp-preconditioned."""

from pathlib import Path

import numpy as np
import pytest

from glassfail_core.physics.minimize import exp_preconditioner, lbfgs
from glassfail_core.physics.numpy_engine import NumpyEngine

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "glass_s2_0.6.extxyz"


@pytest.fixture(scope="module")
def glass1440():
    from glassfail_core.io import read_structure

    return read_structure(SAMPLE)


def _chain(n=60, stiff=1.0, soft=1e-3):
    """Atoms on a line joined by springs, each also tied weakly to its start: an ill-conditioned quadratic."""
    k = np.arange(n - 1)
    x0 = np.stack([np.arange(n, dtype=float), np.zeros(n)], axis=1)

    def fun(x):
        d = x[1:] - x[:-1] - [1.0, 0.0]
        u = x - x0
        e = 0.5 * stiff * float((d ** 2).sum()) + 0.5 * soft * float((u ** 2).sum())
        f = -soft * u
        f[1:] -= stiff * d
        f[:-1] += stiff * d
        return e, f

    return fun, x0, k


def test_exp_preconditioner_is_symmetric_positive_and_inverts():
    rng = np.random.default_rng(0)
    n = 30
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < 0.2
    i, j = i[keep], j[keep]
    r = rng.uniform(1.5, 3.0, len(i))
    P = exp_preconditioner(n, i, j, r, r_nn=1.6)
    dense = P.P.toarray()
    assert np.allclose(dense, dense.T) and np.linalg.eigvalsh(dense).min() > 0.09  # c_stab = 0.1
    v = rng.normal(size=2 * n)
    assert np.allclose(P.dot(P.solve(v)), v)


def test_preconditioned_lbfgs_needs_fewer_steps_on_a_stiff_chain():
    fun, x0, k = _chain()
    start = x0 + np.random.default_rng(1).normal(0.0, 0.1, x0.shape)
    plain = lbfgs(fun, start, fmax=1e-8)
    solve = exp_preconditioner(len(x0), k, k + 1, np.ones(len(k)), r_nn=1.0)
    pre = lbfgs(fun, start, fmax=1e-8, precond=lambda x: solve)
    assert plain.converged and pre.converged
    assert np.abs(pre.x - plain.x).max() < 1e-5 and pre.energy == pytest.approx(plain.energy, abs=1e-12)
    assert pre.evaluations < plain.evaluations / 2


def test_engine_preconditioning_finds_the_same_minimum_faster(glass1440):
    p = glass1440.positions + np.random.default_rng(2).normal(0.0, 0.03, glass1440.positions.shape)
    out = []
    for pre in (False, True):
        eng = NumpyEngine(glass1440, precondition=pre)
        eng.set_state(p)
        out.append(eng.minimize(1e-5))
    plain, pre = out
    assert plain.converged and pre.converged and pre.fmax <= 1e-5
    # the same minimum within the play that max|F| ≤ 1e-5 eV/Å leaves along the soft modes
    assert abs(pre.energy - plain.energy) <= 1e-11 * abs(plain.energy) + 1e-7
    assert np.abs(pre.x - plain.x).max() < 5e-3
    assert pre.evaluations < plain.evaluations / 2


def test_preconditioned_minimisation_is_reproducible_from_the_input(glass1440):
    """A fresh engine on the same Glass minimises a state exactly as a used one does (resumed AQS runs)."""
    p = glass1440.positions * [1.01, 1.0] + np.random.default_rng(3).normal(0.0, 0.01, glass1440.positions.shape)
    cell = glass1440.cell * np.array([1.01, 1.0])
    used = NumpyEngine(glass1440, precondition=True)
    used.minimize(1e-5)  # another state first
    results = []
    for eng in (used, NumpyEngine(glass1440, precondition=True)):
        eng.set_state(p, cell)
        results.append(eng.minimize(1e-5))
    assert results[0].evaluations == results[1].evaluations
    assert np.array_equal(results[0].x, results[1].x)


def test_preconditioning_holds_fixed_atoms(glass1440):
    g = glass1440.replace(pbc=(False, True))
    x = g.positions[:, 0]
    fixed = (x < x.min() + 8.0) | (x > x.max() - 8.0)
    p = g.positions + np.random.default_rng(4).normal(0.0, 0.02, g.positions.shape)
    eng = NumpyEngine(g, fixed=fixed, precondition=True)
    eng.set_state(p)
    res = eng.minimize(1e-5)
    assert res.converged
    assert np.array_equal(res.x[fixed], p[fixed])
    assert np.sqrt((res.forces[~fixed] ** 2).sum(axis=1)).max() <= 1e-5
