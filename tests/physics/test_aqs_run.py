"""The rooms of the AQS package: the loading geometry, the result labels, the run that owns its refinement."""

import numpy as np
import pytest

from glassfail_core.physics import AQSParams, FractureResult, deform_steps
from glassfail_core.physics.aqs.checkpoint import input_hash
from glassfail_core.physics.aqs.loading import Loading, rotation, working_glass
from glassfail_core.physics.aqs.run import AQSRun, Step

FAST = dict(step=0.01, refine_step=0.002, fmax=1e-5)


def test_rotation_is_exact_at_right_angles_and_frame_maps_back(small_relaxed):
    for a in (0, 90, 180, 270):
        R = rotation(a)
        assert set(np.unique(R).tolist()) <= {-1.0, 0.0, 1.0}
    np.testing.assert_allclose(rotation(30) @ rotation(-30), np.eye(2), atol=1e-15)
    g = small_relaxed.replace(pbc=(False, False))
    wg, frame, axis, grips = working_glass(g, AQSParams(angle=30))
    assert axis == 0 and grips == 11.0 and not frame.is_identity
    np.testing.assert_allclose(frame.to_user(wg.positions), g.positions, atol=1e-12)


def test_loading_increments(small_relaxed):
    g = small_relaxed
    per = Loading(g, *working_glass(g, AQSParams())[1:], "tension")
    pos, cell = per.increment(g.positions, np.asarray(g.cell, float), 0.0, 0.01)
    assert cell[0] == pytest.approx(g.cell[0] * 1.01) and cell[1] == g.cell[1]
    np.testing.assert_allclose(pos[:, 0], g.positions[:, 0] * 1.01)
    wg, frame, axis, grips = working_glass(g, AQSParams(grips=8.0))
    gr = Loading(wg, frame, axis, grips, "tension")
    pos, _ = gr.increment(wg.positions, np.asarray(wg.cell, float), 0.0, 0.01)
    d = pos - wg.positions
    np.testing.assert_array_equal(d[gr.left], 0.0)
    np.testing.assert_allclose(d[gr.right, 0], 0.01 * gr.L_free)
    assert gr.info()["n_grip_atoms"] == int(gr.fixed.sum())
    sh = Loading(g, *working_glass(g, AQSParams(mode="shear"))[1:], "shear")
    assert sh.periodic_shear and sh.shear_axis == "x" and abs(sh.tilt_at(0.9)) <= g.cell[0] / 2
    assert sh.cell_vectors(g.cell, 1.5)[1].tolist() == [1.5, g.cell[1]]


def test_result_labels_from_curves():
    breaks = [{"si": 1, "o": 2, "strain": 0.03, "length": 4.0, "location": [0, 1], "location_initial": [0, 1]}]
    r = FractureResult.from_curves(strains=[0.0, 0.01, 0.02, 0.03], stresses=[0.0, 0.002, 0.003, 0.001],
                                   energies=[0.0] * 4, n_broken=[0, 0, 0, 1], breaks=breaks)
    assert (r.rupture_strain, r.broken_bond, r.peak_strain, r.peak_stress) == (0.03, (1, 2), 0.02, 0.003)
    assert r.largest_drop == {"strain": 0.03, "drop": pytest.approx(0.002)}
    assert r.forces.shape == (0,) and r.n_broken.dtype.kind == "i"


def test_input_hash_ignores_the_engine_only(small_relaxed):
    h = input_hash(small_relaxed, AQSParams())
    assert h == input_hash(small_relaxed, AQSParams(platform="NumPy", threads=2))
    assert h != input_hash(small_relaxed, AQSParams(step=0.01))


def test_run_owns_stepping_and_refinement(small_relaxed):
    p = AQSParams(**FAST)
    run = AQSRun(small_relaxed, p)
    run.start()
    steps = list(run.steps())
    assert all(isinstance(s, Step) for s in steps)
    refining = [s for s in steps if not s.recorded]
    assert len(refining) == 1 and "refining" in refining[0].message  # the first break's interval, once
    assert sum(s.recorded for s in steps) == len(run.strains) - 1  # one recorded point per recorded step
    assert run.breaks and list(run.steps()) == []  # ended at the first break: nothing more
    # the refined interval is on the fine grid, the coarse one before it
    k = np.flatnonzero(np.diff(run.strains) < 0.01 - 1e-9)
    assert len(k) and np.allclose(np.diff(run.strains)[k], 0.002)
    # deform_steps only drives it: the same states, the same result
    job = deform_steps(small_relaxed, p)
    events = []
    try:
        while True:
            events.append(next(job))
    except StopIteration as stop:
        res = stop.value
    assert [e.message for e in events[1:]] == [s.message for s in steps]
    np.testing.assert_array_equal(res.strains, run.strains)
    assert res.to_dict(arrays=False)["breaks"] == run.result(True).breaks


def test_break_order_in_one_step(small_relaxed, monkeypatch):
    """Bonds broken in the same step: first the one that was longest before the step (the closest to snapping),
    ties broken by the length after it (longest first)."""
    run = AQSRun(small_relaxed, AQSParams(platform="NumPy"))
    run.start()
    nb = len(run.bonds)
    before, after = np.full(nb, 1.6), np.full(nb, 1.6)
    before[[3, 7, 9]] = [1.9, 1.95, 1.9]
    after[[3, 7, 9]] = [3.0, 2.5, 4.0]
    monkeypatch.setattr(run, "bond_lengths", lambda pos, cell, tilt=0.0: (before, None))
    st = {"lengths": after}
    assert run._break_order(np.array([3, 7, 9]), st).tolist() == [7, 9, 3]
    assert run._break_order(np.array([3, 7]), st).tolist() == [7, 3]
    assert run._break_order(np.array([3, 9]), st).tolist() == [9, 3]
    assert run._break_order(np.array([9]), st).tolist() == [9]
