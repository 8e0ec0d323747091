"""The compiled pair kernel against the NumPy reference path of the same engine."""

from pathlib import Path

import numpy as np
import pytest

from glassfail_core.errors import InputError, SimulationError
from glassfail_core.physics import kernels
from glassfail_core.physics.numpy_engine import NumpyEngine

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "glass_s2_0.6.extxyz"


@pytest.fixture(scope="module")
def glass1440():
    from glassfail_core.io import read_structure

    return read_structure(SAMPLE)


def _pair(glass):
    return NumpyEngine(glass, kernel="numpy"), NumpyEngine(glass, kernel="numba")


def test_numba_is_used_when_installed():
    assert kernels.available()
    assert NumpyEngine.__init__.__defaults__  # the default kernel is "auto"
    from glassfail_core.generation import honeycomb

    assert NumpyEngine(honeycomb(4, 6)).kernel == "numba"
    assert NumpyEngine(honeycomb(4, 6), kernel="numpy").kernel == "numpy"
    with pytest.raises(InputError, match="kernel must be"):
        NumpyEngine(honeycomb(4, 6), kernel="fortran")


@pytest.mark.parametrize("pbc, tilt", [((True, True), 0.0), ((True, False), 0.0), ((False, False), 0.0),
                                       ((True, True), 7.5)])  # a tilt needs both axes periodic
def test_kernel_matches_numpy(glass1440, pbc, tilt):
    g = glass1440.replace(pbc=pbc)
    ref, fast = _pair(g)
    rng = np.random.default_rng(11)
    for scale in (0.0, 0.03, 0.08):
        pos = g.positions + rng.normal(0.0, scale, g.positions.shape)
        for eng in (ref, fast):
            eng.set_state(pos, g.cell, tilt=tilt)
        e0, f0 = ref.energy_forces()
        e1, f1 = fast.energy_forces()
        assert e1 == e0 and np.array_equal(f1, f0)  # bit for bit (asked: 1e-12 relative, 1e-10 eV/Å)
        assert np.array_equal(fast.virial(), ref.virial())
        assert np.array_equal(fast.per_atom_energy(), ref.per_atom_energy())
    assert ref.n_evaluations == fast.n_evaluations == 3


def test_kernel_rebuilds_the_list_like_numpy(glass1440):
    ref, fast = _pair(glass1440)
    p = np.array(glass1440.positions)
    for shift in (0.0, 0.3, 0.7, 1.4):  # beyond half the skin (0.5 Å) the list must be rebuilt
        q = p + [shift, -0.5 * shift]
        e0, f0 = ref.energy_forces(q)
        e1, f1 = fast.energy_forces(q)
        assert e1 == e0 and np.array_equal(f1, f0)
    assert fast.n_rebuilds == ref.n_rebuilds == 3
    # a changed cell rebuilds too
    for eng in (ref, fast):
        eng.set_state(p * 1.01, glass1440.cell * 1.01)
    assert fast.energy() == ref.energy()
    assert fast.n_rebuilds == ref.n_rebuilds == 4


@pytest.mark.parametrize("bad", ["overlap", "nan"])
def test_kernel_reports_collapse_like_numpy(glass1440, bad):
    p = np.array(glass1440.positions)
    if bad == "overlap":
        p[7] = p[8] + [0.1, 0.0]
    else:
        p[7] = np.nan
    messages = []
    for eng in _pair(glass1440):
        eng.energy_forces()  # the pair list is built on the sound structure
        with pytest.raises(SimulationError, match="the minimisation diverged") as err:
            eng.energy_forces(p)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    if bad == "overlap":
        assert "0.1 Å" in messages[0]


def test_minimisation_agrees_between_kernels(glass1440):
    ref, fast = _pair(glass1440)
    p = glass1440.positions + np.random.default_rng(2).normal(0.0, 0.03, glass1440.positions.shape)
    out = []
    for eng in (ref, fast):
        eng.set_state(p)
        out.append(eng.minimize(1e-6))
    a, b = out
    assert a.converged and a.iterations == b.iterations and a.evaluations == b.evaluations
    assert a.energy == b.energy and np.array_equal(a.x, b.x)  # the same path, step by step


@pytest.mark.parametrize("pbc", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("size", [(4, 6), (6, 6), (16, 18)])
def test_cell_list_gives_the_kdtree_pairs_in_order(pbc, size):
    from glassfail_core.generation import honeycomb
    from glassfail_core.neighbors import neighbor_pairs

    g = honeycomb(*size)
    rng = np.random.default_rng(5)
    pos = np.ascontiguousarray(g.positions + rng.normal(0.0, 0.3, g.positions.shape) + [37.0, -55.0])
    reach = min(11.0, 0.5 * min(g.cell) - 1e-9)
    i0, j0, _, _ = neighbor_pairs(pos, g.cell, pbc, reach)
    i1, j1 = kernels.kernels()[2](pos, np.array(g.cell, float), pbc[0], pbc[1], reach)
    assert len(i0) > 0 and np.array_equal(i0, i1) and np.array_equal(j0, j1)
