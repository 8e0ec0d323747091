"""The dual lattice: invariants of the triangulation, incremental statistics against recomputation."""

import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.generation.dual import DualLattice, aboav_weaire_fit
from glassfail_core.generation.montecarlo import (Objective, apothems, energy, geometric_delta, local_spring_energy,
                                                  run_chunk, run_chunk_naive)
from glassfail_core.generation.targets import target_distribution


def _random_flips(lat, rng, n, smooth_every=50):
    done = 0
    for k in range(n):
        done += lat.flip(int(rng.integers(lat.n_edges)))
        if k % smooth_every == 0:
            lat.smooth(5)
    return done


def test_crystal_lattice_is_a_torus_triangulation():
    lat = DualLattice(4, 6)
    lat.check()
    assert lat.n_nodes == 24 and lat.n_edges == 72 and len(lat.triangles()) == 48
    assert set(lat.degrees().tolist()) == {6}
    assert lat.variance == 0 and np.isnan(lat.alpha)
    assert lat.is_embedded(0.99)  # all triangles equal


def test_single_switch_makes_two_5_and_two_7():
    lat = DualLattice(6, 6)
    assert lat.flip(0)
    assert sorted(lat.degrees().tolist()).count(5) == 2
    assert sorted(lat.degrees().tolist()).count(7) == 2
    assert lat.variance == pytest.approx(4 / 36)
    lat.check()


def test_incremental_statistics_match_recomputation(rng):
    lat = DualLattice(8, 8)
    accepted = _random_flips(lat, rng, 3000)
    assert accepted > 300
    lat.check()  # counts, Q2, C, neighbour sums, triangles equal a recomputation from scratch
    assert lat.is_embedded()


def test_alpha_identity_equals_weighted_aboav_weaire_fit(rng):
    lat = DualLattice(8, 8)
    _random_flips(lat, rng, 2000)
    deg = lat.degrees()
    direct = aboav_weaire_fit(deg, [[deg[w] for w in lat.nbr[v]] for v in range(lat.n_nodes)])
    assert lat.alpha == pytest.approx(direct, abs=1e-10)


def test_switch_respects_ring_bounds(rng):
    lat = DualLattice(6, 6)
    lat.reset_statistics(max_ring=7)
    _random_flips(lat, rng, 3000)
    deg = lat.degrees()
    assert deg.min() >= 4 and deg.max() <= 7
    assert deg.mean() == 6.0  # Euler on the torus


def test_smoothing_never_folds_the_lattice(rng):
    lat = DualLattice(8, 8)
    for _ in range(20):
        _random_flips(lat, rng, 200, smooth_every=1000)
        lat.smooth(20)
        assert lat.is_embedded()


@pytest.mark.parametrize("w_e", [0.0, 1.0])
def test_fast_and_naive_switching_agree(w_e):
    sizes, p = target_distribution(1.0, 10)
    states = []
    for runner in (run_chunk, run_chunk_naive):
        lat = DualLattice(6, 6)
        lat.reset_statistics(10)
        obj = Objective(lat.n_nodes, p, sizes, 1.0, 0.3, w_e=w_e, si_si=lat.si_si)
        r = np.random.default_rng(3)
        accepted = 0
        for _ in range(5):
            m = lat.n_edges
            accepted += runner(lat, obj, r.integers(0, m, m).tolist(), r.random(m).tolist(), 0.5,
                               uniforms2=r.random(m).tolist())
            lat.smooth(3)
        lat.check()
        states.append((lat.degrees().tolist(), lat.Q2, lat.C, energy(lat, obj), accepted))
    assert accepted > 5
    assert states[0][:3] == states[1][:3] and states[0][4] == states[1][4]
    assert states[0][3] == pytest.approx(states[1][3])


def test_local_spring_energy_of_the_crystal_and_of_a_switch():
    lat = DualLattice(6, 6)
    apo = apothems(lat.si_si, 10)
    # hexagonal rings √3·si_si apart are exactly at rest: apothem(6) = √3/2 · si_si
    adj = {v: [(w, *lat.off[v][w]) for w in lat.nbr[v]] for v in (0, 7)}
    ap = {w: apo[6] for w in range(lat.n_nodes)}
    assert local_spring_energy(lat.px, lat.py, lat.Lx, lat.Ly, adj, ap) == pytest.approx(0.0, abs=1e-20)
    # a Stone–Wales switch in the crystal costs elastic energy; the reverse switch of that defect releases it
    a, b, c, d = lat.flip_candidate(0)
    sca, sad = lat.off[c][a], lat.off[a][d]
    de = geometric_delta(lat.nbr, lat.off, lat.px, lat.py, lat.Lx, lat.Ly, apo, a, b, c, d,
                         (sca[0] + sad[0], sca[1] + sad[1]))
    assert de > 0.1
    assert lat.flip(0)
    a2, b2, c2, d2 = lat.flip_candidate(0)
    assert {a2, b2} == {c, d} and {c2, d2} == {a, b}
    sca, sad = lat.off[c2][a2], lat.off[a2][d2]
    back = geometric_delta(lat.nbr, lat.off, lat.px, lat.py, lat.Lx, lat.Ly, apo, a2, b2, c2, d2,
                           (sca[0] + sad[0], sca[1] + sad[1]))
    assert back < -0.1


@pytest.mark.parametrize("rings", [(3, 4), (4, 5), (2, 2)])
def test_bad_lattice_sizes(rings):
    with pytest.raises(InputError, match="rings|rows"):
        DualLattice(*rings)


def test_natural_cell_recovers_a_homogeneous_strain():
    lat = DualLattice(6, 6)
    L0 = (lat.Lx, lat.Ly)
    lat.rescale(1.08 * L0[0], 0.93 * L0[1])
    Lx, Ly, e = lat.natural_cell()
    assert abs(Lx / L0[0] - 1) < 1e-5 and abs(Ly / L0[1] - 1) < 1e-5
    assert e < 1e-6
    assert lat.is_embedded(0.99)


def test_natural_cell_of_a_switched_lattice_lowers_its_spring_energy(rng):
    lat = DualLattice(8, 8)
    _random_flips(lat, rng, 150)
    Lx, Ly, e_free = lat.natural_cell()
    # the same minimisation with the cell held fixed cannot do better
    lat2_cell = (lat.Lx, lat.Ly)
    lat.rescale(Lx, Ly)
    Lx2, Ly2, e_again = lat.natural_cell()
    assert abs(Lx2 - Lx) < 1e-3 and abs(Ly2 - Ly) < 1e-3
    assert abs(e_again - e_free) < 1e-6 * max(1.0, e_free)
    assert (Lx, Ly) != lat2_cell
