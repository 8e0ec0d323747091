"""Golden labels of small AQS runs with the default protocol: the values themselves, not only their kind.

Pinned here (issue 19, "tests that can fail"): the first broken bond and its strain of a small generated glass and
of the ``small_relaxed`` crystal with the default :class:`AQSParams` (coarse step 0.005, refinement 0.0005), the
strain grid of the refined interval after each event, and the failure labels of a short ``until="failure"`` run.
Switching the refinement off moves the first break of the glass from 0.0525 to 0.055 and that of the crystal to
another bond at 0.15; every number below was measured on the double-precision NumPy engine (the platform is named
so that a GPU machine runs the same engine).
"""

import json

import numpy as np
import pytest

from glassfail_core.dataset import labels_from_result
from glassfail_core.physics import AQSParams, deform

STEP, REFINE = 0.005, 0.0005
NUMPY = dict(platform="NumPy")


@pytest.fixture(scope="module")
def glass():
    """A 6 × 6-ring generated glass (180 atoms, ring-size variance 0.61), relaxed to zero stress."""
    from glassfail_core.generation import generate

    g = generate((6, 6), 0.6, seed=1, platform="NumPy")
    assert (len(g), g.info["ring_counts"]) == (180, {"4": 1, "5": 8, "6": 17, "7": 10})  # the sample pinned below
    return g


def _grid_steps(strains):
    """Consecutive strain differences, rounded to the 1e-9 of the strain grid."""
    return np.round(np.diff(strains), 9).tolist()


def test_default_protocol_is_the_reference_one():
    p = AQSParams()
    assert (p.step, p.refine_step, p.until, p.fmax, p.break_length) == (STEP, REFINE, "first", 1e-5, 2.2)
    assert (p.drop_tol, p.failure_fraction, p.failure_window, p.refine_all_breaks) == (1e-5, 0.5, 0.015, True)


def test_golden_first_break_of_a_small_glass(glass):
    r = deform(glass, AQSParams(**NUMPY))
    assert r.rupture_strain == pytest.approx(0.0525, abs=1e-12) and r.broken_bond == (25, 104)
    assert r.location_initial == pytest.approx((1.456, 6.941), abs=1e-3)
    assert r.location == pytest.approx((1.700, 6.957), abs=1e-3)  # the midpoint in the loaded sample
    # coarse steps up to the last state before the event (0.05), then the refined interval in steps of 0.0005
    assert _grid_steps(r.strains) == [STEP] * 10 + [REFINE] * 5
    assert r.strains[10] == pytest.approx(0.05, abs=1e-12)
    assert r.n_broken.tolist() == [0] * 15 + [1]
    # the bond snaps within one refined step: from below 2.2 Å to far beyond
    assert r.breaks[0]["length"] == pytest.approx(5.159, abs=1e-3)
    assert r.info["longest_intact_bond_at_first_break"] == pytest.approx(1.615, abs=1e-3)
    assert r.peak_strain == pytest.approx(0.052, abs=1e-12)
    assert r.peak_stress == pytest.approx(0.0102473, rel=1e-4)
    assert r.stresses[1] == pytest.approx(0.00107695, rel=1e-4)  # the elastic slope: 0.215 eV/Å² per unit strain


def test_golden_first_break_of_the_small_crystal(small_relaxed):
    r = deform(small_relaxed, AQSParams(**NUMPY))
    assert r.rupture_strain == pytest.approx(0.146, abs=1e-12) and r.broken_bond == (58, 136)
    assert _grid_steps(r.strains) == [STEP] * 29 + [REFINE] * 2
    assert r.strains[29] == pytest.approx(0.145, abs=1e-12)


def test_golden_failure_labels_of_a_small_glass(glass):
    """``until="failure"``: every break is refined (the grid around each is 0.0005), the run ends one failure window
    after the stress halved, and the dataset's labels come out as measured."""
    r = deform(glass, AQSParams(until="failure", **NUMPY))
    assert r.complete and not r.separated
    assert [(b["strain"], b["si"], b["o"]) for b in r.breaks] == [
        (pytest.approx(0.0525, abs=1e-12), 25, 104), (pytest.approx(0.084, abs=1e-12), 2, 73),
        (pytest.approx(0.1015, abs=1e-12), 48, 126)]
    steps = _grid_steps(r.strains)
    # three refined intervals (0.05–0.055, 0.08–0.085, 0.1–0.105), coarse steps elsewhere, up to 0.12
    assert steps == [STEP] * 10 + [REFINE] * 10 + [STEP] * 5 + [REFINE] * 10 + [STEP] * 3 + [REFINE] * 10 \
        + [STEP] * 3
    assert r.strains[-1] == pytest.approx(0.12, abs=1e-12)
    lab = labels_from_result(r)
    assert lab.first_break_strain == pytest.approx(0.0525, abs=1e-12) and lab.first_break_bond == (25, 104)
    assert lab.failure_strain == pytest.approx(0.0835, abs=1e-12)
    assert lab.max_stress == pytest.approx(0.0103893, rel=1e-4)
    assert lab.failure_bond == (2, 73) and lab.failure_site == pytest.approx((1.346, 0.683), abs=1e-3)
    assert [(c["si"], c["o"]) for c in lab.crack] == [(2, 73), (48, 126)]
    assert lab.half_stress_strain == pytest.approx(0.1015, abs=1e-12)
    assert lab.n_breaks_before_max == 1 and not lab.capped
    assert lab.largest_drop == {"strain": pytest.approx(0.0525, abs=1e-12), "drop": pytest.approx(0.00473, rel=1e-3)}


def test_until_failure_through_the_cli(glass, tmp_path, capsys):
    """``glassfail deform --until failure --json`` (run by default: the one CLI run past the first break) gives the
    labels pinned above."""
    from glassfail_core.cli.main import main
    from glassfail_core.io import write_structure

    path = tmp_path / "glass.extxyz"
    write_structure(glass, path)
    with pytest.raises(SystemExit) as exc:
        main(["deform", str(path), "-o", str(tmp_path / "run"), "--until", "failure", "--platform", "NumPy",
              "--json"])
    d = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and d["complete"] and d["params"]["until"] == "failure"
    assert d["first_break_strain"] == pytest.approx(0.0525, abs=1e-12) and d["first_break_bond"] == [25, 104]
    assert d["failure_strain"] == pytest.approx(0.0835, abs=1e-12) and d["failure_bond"] == [2, 73]
    assert d["half_stress_strain"] == pytest.approx(0.1015, abs=1e-12) and not d["capped"]
    assert [(c["si"], c["o"]) for c in d["crack"]] == [(2, 73), (48, 126)]
    assert d["max_stress"] == pytest.approx(0.0103893, rel=1e-4)


def test_until_complete_separates_the_small_crystal(small_relaxed):
    """``until="complete"``: the crystal fails in three avalanches (7 bonds at 0.146, 2 at 0.1765, 1 at 0.213) and
    separates at 0.213; each avalanche's interval is refined."""
    r = deform(small_relaxed, AQSParams(until="complete", **NUMPY))
    assert r.separated and r.separation_strain == pytest.approx(0.213, abs=1e-12)
    strains = [round(b["strain"], 9) for b in r.breaks]
    assert strains == [0.146] * 7 + [0.1765] * 2 + [0.213]
    # in one step, first the bond that was longest before it (then the longest after it)
    assert [(b["si"], b["o"]) for b in r.breaks] == [(58, 136), (48, 84), (37, 73), (57, 135), (32, 140), (14, 86),
                                                     (23, 131), (25, 97), (60, 96), (54, 167)]
    assert r.stresses[-1] <= 0.05 * r.max_stress and r.max_stress_strain == pytest.approx(0.1455, abs=1e-12)
    steps = _grid_steps(r.strains)
    assert steps == [STEP] * 29 + [REFINE] * 10 + [STEP] * 5 + [REFINE] * 10 + [STEP] * 6 + [REFINE] * 6


def test_switches_of_the_protocol(glass, small_relaxed):
    """What each switch of the protocol does to the small glass: no refinement (the break moves to the coarse
    grid), a strain cap (the run stops exactly there), drops ignored (the break alone triggers the refinement), only
    the first event refined (later breaks on the coarse grid; the failure window counted from the first point below
    half the maximum), and separation looked for only with ``until="complete"``."""
    coarse = deform(glass, AQSParams(refine_step=0.0, **NUMPY))
    assert coarse.rupture_strain == pytest.approx(0.055, abs=1e-12) and coarse.broken_bond == (25, 104)
    assert _grid_steps(coarse.strains) == [STEP] * 11
    capped = deform(glass, AQSParams(max_strain=0.03, **NUMPY))
    assert capped.complete and capped.rupture_strain is None
    assert capped.strains[-1] == 0.03 and _grid_steps(capped.strains) == [STEP] * 6
    no_drops = deform(glass, AQSParams(drop_tol=1.0, **NUMPY))
    assert no_drops.rupture_strain == pytest.approx(0.0525, abs=1e-12) and no_drops.broken_bond == (25, 104)
    assert _grid_steps(no_drops.strains) == [STEP] * 10 + [REFINE] * 5
    first_only = deform(glass, AQSParams(until="failure", refine_all_breaks=False, **NUMPY))
    assert [(round(b["strain"], 9), b["si"], b["o"]) for b in first_only.breaks] == [
        (0.0525, 25, 104), (0.085, 2, 73), (0.105, 48, 126)]
    assert _grid_steps(first_only.strains) == [STEP] * 10 + [REFINE] * 10 + [STEP] * 13
    assert first_only.strains[-1] == pytest.approx(0.12, abs=1e-12)  # 0.105 + failure_window 0.015
    late = deform(small_relaxed, AQSParams(until="failure", failure_window=0.1, **NUMPY))
    assert not late.separated and late.separation_strain is None and len(late.breaks) == 10
    assert late.strains[-1] == pytest.approx(0.25, abs=1e-12)  # on past 0.213, where until="complete" stops
