"""Periodic simple shear: the Lees–Edwards tilted cell in the neighbour search and the NumPy engine, and AQS shear
runs (first break, refinement, remap, resume, axis y, CLI)."""

import json

import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.neighbors import minimum_image, neighbor_pairs, reduce_tilt, wrap
from glassfail_core.physics import AQSParams, FractureResult, deform, deform_steps, get_model, relax
from glassfail_core.physics.numpy_engine import NumpyEngine
from glassfail_core.progress import run

SHEAR = dict(mode="shear", step=0.01, refine_step=0.002, max_strain=0.6)


@pytest.fixture(scope="module")
def jiggled():
    """A 6 × 6-ring honeycomb (72 Si, 108 O; cell 31.7 × 27.5 Å) with 0.15 Å random displacements, unrelaxed."""
    from glassfail_core.generation import honeycomb

    g = honeycomb(6, 6)
    rng = np.random.default_rng(3)
    return g.with_positions(g.positions + rng.normal(0.0, 0.15, g.positions.shape))


@pytest.fixture(scope="module")
def crystal66():
    """The 6 × 6-ring honeycomb relaxed to zero stress (perfect crystal)."""
    from glassfail_core.generation import honeycomb

    return relax(honeycomb(6, 6), cell=True, fmax=1e-9)


def _image_sum_energy(glass, pos, tilt, images=2):
    """Energy by an explicit sum over lattice images ``m a + n b`` (independent of the minimum image)."""
    model = get_model()
    sig, q = model.tables()
    t = model.types(glass.species)
    lx, ly = glass.cell
    e = 0.0
    for m in range(-images, images + 1):
        for n in range(-images, images + 1):
            d = pos[None, :, :] + np.array([m * lx + n * tilt, n * ly]) - pos[:, None, :]
            r = np.hypot(d[..., 0], d[..., 1])
            if m == 0 and n == 0:
                np.fill_diagonal(r, 2 * model.cutoff)
            e += 0.5 * model.shifted(r, sig[t][:, t], q[t][:, t])[0].sum()
    return e


def _sheared(pos, dgamma):
    """Affine simple shear ``x += dγ·y`` (fractional positions held)."""
    p = np.array(pos, float)
    p[:, 0] += dgamma * p[:, 1]
    return p


# ------------------------------------------------------------------------------------------------ neighbours
def test_tilted_minimum_image_and_wrap():
    assert minimum_image(np.array([1.0, 9.0]), (10.0, 10.0), (True, True), tilt=2.0).tolist() == [-1.0, -1.0]
    np.testing.assert_allclose(wrap(np.array([[1.0, 12.0], [3.0, -1.0]]), (10.0, 10.0), (True, True), tilt=3.0),
                               [[8.0, 2.0], [6.0, 9.0]])
    assert reduce_tilt(7.0, 10.0) == -3.0 and reduce_tilt(5.0, 10.0) == 5.0 and reduce_tilt(-5.0, 10.0) == -5.0
    with pytest.raises(ValueError, match="periodicity along x and y"):
        minimum_image(np.zeros(2), (10.0, 10.0), (True, False), tilt=1.0)


@pytest.mark.parametrize("tilt", [0.0, 4.1, -9.7, 15.848, -15.848, 40.0])
def test_tilted_neighbor_pairs_match_brute_force(jiggled, tilt):
    g, cut = jiggled, 10.0
    i, j, vec, d = neighbor_pairs(g.positions, g.cell, g.pbc, cut, tilt=tilt)
    # brute force: every pair, nearest of the images m a + n b (|m|, |n| ≤ 2)
    lx, ly = g.cell
    p = g.positions
    best = np.full((len(p), len(p)), np.inf)
    for m in range(-2, 3):
        for n in range(-2, 3):
            dd = p[None] + np.array([m * lx + n * tilt, n * ly]) - p[:, None]
            best = np.minimum(best, np.hypot(dd[..., 0], dd[..., 1]))
    bi, bj = np.nonzero(np.triu(best <= cut, k=1))
    assert sorted(zip(i.tolist(), j.tolist())) == sorted(zip(bi.tolist(), bj.tolist()))
    np.testing.assert_allclose(d, best[i, j], atol=1e-10)
    np.testing.assert_allclose(np.hypot(*vec.T), d)


# ------------------------------------------------------------------------------------------------ engine
def test_forces_are_minus_energy_gradient_with_tilt(jiggled, rng):
    eng = NumpyEngine(jiggled)
    tilt = 0.23 * jiggled.cell[1]
    eng.set_state(jiggled.positions, jiggled.cell, tilt=tilt)
    e0, f = eng.energy_forces()
    assert e0 == pytest.approx(_image_sum_energy(jiggled, jiggled.positions, tilt), abs=1e-10)
    h = 1e-5
    for k in rng.choice(len(jiggled), 12, replace=False):
        for ax in range(2):
            p = jiggled.positions.copy()
            p[k, ax] += h
            ep = eng.energy_forces(p)[0]
            p[k, ax] -= 2 * h
            em = eng.energy_forces(p)[0]
            assert f[k, ax] == pytest.approx(-(ep - em) / (2 * h), abs=1e-7)
    # per-atom energies sum to the total with the tilt too
    assert eng.per_atom_energy().sum() == pytest.approx(e0, abs=1e-10)


@pytest.mark.parametrize("tilt", [0.0, 6.0, -11.0])
def test_sigma_xy_is_energy_derivative_under_affine_shear(jiggled, tilt):
    eng = NumpyEngine(jiggled)
    lx, ly = jiggled.cell
    eng.set_state(jiggled.positions, jiggled.cell, tilt=tilt)
    sxy = eng.virial()[0, 1] / (lx * ly)
    dg = 1e-6
    eng.set_state(_sheared(jiggled.positions, dg), jiggled.cell, tilt=tilt + dg * ly)
    ep = eng.energy()
    eng.set_state(_sheared(jiggled.positions, -dg), jiggled.cell, tilt=tilt - dg * ly)
    em = eng.energy()
    assert sxy == pytest.approx((ep - em) / (2 * dg) / (lx * ly), rel=1e-6)


def test_tilt_remap_invariance(jiggled):
    eng = NumpyEngine(jiggled)
    lx = jiggled.cell[0]

    def ef(tilt, pos=jiggled.positions):
        eng.set_state(pos, jiggled.cell, tilt=tilt)
        return eng.energy_forces()

    e0, f0 = ef(0.0)
    for t in (lx, -lx, 2 * lx):
        e, f = ef(t)
        assert e == pytest.approx(e0, abs=1e-10) and np.abs(f - f0).max() < 1e-10
    e1, f1 = ef(0.5 * lx)
    e2, f2 = ef(-0.5 * lx)  # the boundary of the reduced range: ±Lx/2 are the same lattice
    assert e1 == pytest.approx(e2, abs=1e-10) and np.abs(f1 - f2).max() < 1e-10
    assert e1 == pytest.approx(_image_sum_energy(jiggled, jiggled.positions, 0.5 * lx), abs=1e-10)
    # a rigid translation changes nothing (the failure mode of OpenMM's triclinic lists seen here)
    e3, _ = ef(0.5 * lx, jiggled.positions + [3.3, 5.0])
    assert e3 == pytest.approx(e1, abs=1e-10)
    with pytest.raises(InputError, match="periodic along x and y"):
        NumpyEngine(jiggled.replace(pbc=(True, False))).set_state(jiggled.positions, tilt=1.0)


def test_openmm_refuses_tilted_cells(jiggled):
    pytest.importorskip("openmm")
    from glassfail_core.physics.openmm_backend import OpenMMEngine

    eng = OpenMMEngine(jiggled, platform="Reference")
    with pytest.raises(InputError, match="NumPy"):
        eng.set_state(jiggled.positions, jiggled.cell, tilt=2.0)


# ------------------------------------------------------------------------------------------------ AQS shear
def test_shear_modulus_linear_and_isotropic(crystal66):
    """σ_xy(γ) of the relaxed crystal is linear at small γ with G > 0, and G = (C11 − C12)/2 as the hexagonal
    symmetry demands (C11, C12 from a relaxed uniaxial strain)."""
    r = deform(crystal66, AQSParams(mode="shear", step=0.002, refine_step=0.0, max_strain=0.01, fmax=1e-8))
    assert r.info["boundary"] == "lees-edwards" and r.rupture_strain is None
    g_fit, s0 = np.polyfit(r.strains, r.stresses, 1)
    assert g_fit > 0 and abs(s0) < 1e-6
    assert np.abs(np.polyval([g_fit, s0], r.strains) - r.stresses).max() < 2e-3 * r.stresses.max()
    np.testing.assert_allclose(r.tilts, r.strains * crystal66.cell[1])
    # σ_xy = dE/dγ / A along the relaxed path
    a = crystal66.cell[0] * crystal66.cell[1]
    assert r.stresses[2] == pytest.approx((r.energies[3] - r.energies[1]) / (r.strains[3] - r.strains[1]) / a,
                                          rel=1e-3)
    eng = NumpyEngine(crystal66)
    eps = 1e-4
    cell = crystal66.cell * [1 + eps, 1.0]
    eng.set_state(crystal66.positions * [1 + eps, 1.0], cell)
    eng.minimize(1e-9)
    c = eng.virial() / (cell[0] * cell[1]) / eps
    assert g_fit == pytest.approx(0.5 * (c[0, 0] - c[1, 1]), rel=0.01)


def test_periodic_shear_first_break(small_relaxed, tmp_path):
    g = small_relaxed
    events = []
    r = run(deform_steps(g, AQSParams(**SHEAR), run_dir=tmp_path / "a"), on_progress=events.append)
    lx, ly = g.cell
    assert r.info["mode"] == "shear" and r.info["periodic_loading"] and r.info["platform"] == "NumPy"
    assert r.info["shear_plane"] == "xy" and r.info["boundary"] == "lees-edwards" and "tilt" in r.info["lees_edwards"]
    assert r.rupture_strain is not None and 0.1 < r.rupture_strain < 0.6
    assert r.rupture_strain == pytest.approx(0.412, abs=1e-12) and r.broken_bond == (0, 108)  # measured
    assert abs(r.rupture_strain / 0.002 - round(r.rupture_strain / 0.002)) < 1e-6  # refined
    si, o = r.broken_bond
    assert [si, o] in g.bonds.tolist() and r.breaks[0]["length"] > 2.2
    assert r.info["longest_intact_bond_at_first_break"] < 2.2
    x, y = r.location
    assert 0 <= x < lx and 0 <= y < ly
    assert r.peak_stress > 0 and r.peak_strain <= r.rupture_strain
    assert r.peak_stress == pytest.approx(0.017114, rel=1e-3) and r.peak_strain == pytest.approx(0.41, abs=1e-12)
    np.testing.assert_allclose(r.tilts, [reduce_tilt(s * ly, lx) for s in r.strains])
    # every event carries the tilt and the lattice; bonds across the y boundary stay intact before the break
    ev = [e for e in events if e.data.get("state", 0) > 0 and not e.data["broken"]][-1]
    d = ev.data
    assert d["tilt"] == pytest.approx(d["strain"] * ly) and d["cell_vectors"][1, 0] == d["tilt"]
    raw = g.positions[g.bonds[:, 1]] - g.positions[g.bonds[:, 0]]
    crossing = np.abs(raw[:, 1]) > ly / 2
    assert crossing.any()
    v = minimum_image(d["positions"][g.bonds[:, 1]] - d["positions"][g.bonds[:, 0]], d["cell"], g.pbc, d["tilt"])
    assert np.hypot(*v.T).max() < 1.9
    # written and read back, tilts included
    back = FractureResult.load(tmp_path / "a")
    np.testing.assert_array_equal(back.tilts, r.tilts)
    assert json.loads((tmp_path / "a" / "result.json").read_text())["info"]["boundary"] == "lees-edwards"
    with np.load(tmp_path / "a" / "configs.npz") as z:
        assert float(z["first_break_tilt"]) == pytest.approx(r.tilts[-1])


def test_periodic_shear_resume_and_axis_y(small_relaxed, tmp_path):
    g = small_relaxed
    job = deform_steps(g, AQSParams(**SHEAR), run_dir=tmp_path)
    for _ in range(8):
        next(job)
    job.close()
    partial = FractureResult.load(tmp_path)
    assert partial.complete is False and len(partial.tilts) == len(partial.strains) >= 5
    full = deform(g, AQSParams(**SHEAR), run_dir=tmp_path)
    ref = deform(g, AQSParams(**SHEAR))
    assert full.complete and full.rupture_strain == ref.rupture_strain and full.broken_bond == ref.broken_bond
    np.testing.assert_allclose(full.stresses, ref.stresses, rtol=1e-9)
    # shear along y is shear along x of the sample with x and y exchanged
    swapped = g.replace(positions=g.positions[:, ::-1], cell=g.cell[::-1])
    ry = deform(g, AQSParams(**SHEAR, axis="y"))
    rx = deform(swapped, AQSParams(**SHEAR))
    assert ry.rupture_strain == rx.rupture_strain and ry.broken_bond == rx.broken_bond
    np.testing.assert_allclose(ry.location, rx.location[::-1], atol=1e-9)
    np.testing.assert_allclose(ry.stresses, rx.stresses, rtol=1e-9)
    assert ry.info["shear_plane"] == "yx" and ry.info["cell_vectors"][0][1] == pytest.approx(ry.info["tilt"])


def test_periodic_shear_through_the_remap(crystal66):
    """A perfect crystal sheared past γ = Lx / (2 Ly): the tilt jumps by −Lx, the stress does not."""
    lx, ly = crystal66.cell
    r = deform(crystal66, AQSParams(mode="shear", step=0.05, refine_step=0.0, max_strain=0.7))
    assert r.strains[-1] * ly > 0.5 * lx and (np.diff(r.tilts) < 0).sum() == 1
    assert np.abs(r.tilts).max() <= 0.5 * lx
    k = int(np.flatnonzero(np.diff(r.tilts) < 0)[0])
    s = r.stresses
    assert abs(s[k + 1] - s[k]) < 0.1 * abs(s[k]) and r.n_broken[k + 1] == 0


def test_periodic_shear_bad_inputs(small_relaxed):
    with pytest.raises(InputError, match="NumPy"):
        deform(small_relaxed, AQSParams(mode="shear", platform="Reference"))
    with pytest.raises(InputError, match="not available for periodic simple shear"):
        deform(small_relaxed, AQSParams(mode="shear", transverse="relaxed"))


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_periodic_shear(small_relaxed, tmp_path, capsys):
    from glassfail_core.cli.main import main
    from glassfail_core.io import write_structure

    p = tmp_path / "s.extxyz"
    write_structure(small_relaxed, p)

    def cli(*argv):
        with pytest.raises(SystemExit) as exc:
            main([*map(str, argv)])
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    code, out, _ = cli("deform", p, "-o", tmp_path / "run", "--mode", "shear", "--step", "0.01", "--refine-step",
                       "0.002", "--max-strain", "0.6", "--json")
    d = json.loads(out)
    assert code == 0 and d["info"]["mode"] == "shear" and d["info"]["periodic_loading"] is True
    assert d["info"]["boundary"] == "lees-edwards" and d["rupture_strain"] > 0.1 and len(d["location"]) == 2
    assert d["rupture_strain"] == pytest.approx(0.412, abs=1e-12) and d["broken_bond"] == [0, 108]  # as the core
    assert (tmp_path / "run" / "result.json").exists() and (tmp_path / "run" / "curves.npz").exists()
    code, _, err = cli("deform", p, "-o", tmp_path / "x", "--mode", "shear", "--platform", "Reference")
    assert code == 2 and "--platform" in err and "NumPy" in err
