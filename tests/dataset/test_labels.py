"""Failure labels from hand-made curves whose answers are known."""

import dataclasses

import pytest

from glassfail_core.dataset import failure_labels
from glassfail_core.dataset.labels import FAILURE_FRACTION, FailureLabels
from glassfail_core.errors import InputError


def _b(si, o, strain, x, y):
    return {"si": si, "o": o, "strain": strain, "location_initial": [x, y]}


EPS = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]
SIG = [0.0, 0.004, 0.0055, 0.0072, 0.0070, 0.0050, 0.0034, 0.0020]
BREAKS = [_b(1, 2, 0.015, 5.0, 6.0), _b(3, 4, 0.03, 7.0, 8.0), _b(5, 6, 0.04, 20.0, 1.0),
          _b(7, 8, 0.05, 21.0, 2.0), _b(9, 10, 0.06, 22.0, 3.0), _b(11, 12, 0.07, 23.0, 4.0)]


def test_known_curve():
    lab = failure_labels(EPS, SIG, BREAKS)
    assert lab.first_break_strain == 0.015 and lab.first_break_site == (5.0, 6.0) and lab.first_break_bond == (1, 2)
    assert lab.max_stress == 0.0072 and lab.failure_strain == 0.03
    # a break at ε_max itself is before the maximum, not the crack
    assert lab.n_breaks_before_max == 2
    # the stress first falls below 50 % of 0.0072 (= 0.0036) at ε = 0.06: the crack is the breaks at 0.04 … 0.06
    assert lab.half_stress_strain == 0.06
    assert [c["strain"] for c in lab.crack] == [0.04, 0.05, 0.06]
    assert lab.failure_site == (20.0, 1.0) and lab.failure_bond == (5, 6)
    assert lab.largest_drop == pytest.approx({"strain": 0.05, "drop": 0.002})
    assert not lab.capped and not lab.separated


def test_other_fraction_and_a_capped_run():
    lab = failure_labels(EPS, SIG, BREAKS, fraction=0.3)  # 0.3 × 0.0072 = 0.00216: reached at 0.07
    assert lab.half_stress_strain == 0.07 and len(lab.crack) == 4
    capped = failure_labels(EPS[:6], SIG[:6], BREAKS[:4])
    assert capped.capped and capped.half_stress_strain is None
    assert [c["strain"] for c in capped.crack] == [0.04, 0.05]


def test_no_break_after_the_maximum():
    lab = failure_labels(EPS[:4], SIG[:4], BREAKS[:1])
    assert lab.failure_site is None and lab.crack == [] and lab.capped
    assert lab.to_dict()["failure_site"] is None


def test_separation_ends_the_crack():
    lab = failure_labels(EPS[:6], SIG[:6], BREAKS, separated=True, separation_strain=0.05)
    assert [c["strain"] for c in lab.crack] == [0.04, 0.05] and not lab.capped


def test_bad_curves():
    with pytest.raises(InputError, match="same non-zero length"):
        failure_labels([0.0, 0.1], [0.0], [])
    with pytest.raises(InputError, match="fraction"):
        failure_labels(EPS, SIG, BREAKS, fraction=1.5)


def test_the_failure_fraction_is_one_half_and_strict():
    assert FAILURE_FRACTION == 0.5 and failure_labels(EPS, SIG, BREAKS).fraction == 0.5
    e = [0.0, 0.01, 0.02, 0.03]
    # 0.502 of the maximum is not below one half: the stress halves at 0.03
    assert failure_labels(e, [0.0, 1.0, 0.502, 0.3], []).half_stress_strain == 0.03
    # exactly one half is not below it either (powers of two: exact in binary)
    assert failure_labels(e, [0.0, 0.5, 0.25, 0.125], []).half_stress_strain == 0.03
    # the half-stress point comes after the maximum, never at it (even on a curve below zero)
    assert failure_labels(e[:3], [-0.002, -0.001, -0.003], []).half_stress_strain == 0.02


def test_largest_drop_is_a_decrease():
    e = [0.0, 0.01, 0.02, 0.03]
    assert failure_labels(e, [1.0, 0.5, 0.75, 0.7], []).largest_drop == {"strain": 0.01, "drop": 0.5}  # the first
    assert failure_labels(e, [0.0, 1.0, 1.0, 2.0], []).largest_drop == {}  # a flat step is no drop
    assert failure_labels(e, [0.0, 1.0, 2.0, 3.0], []).largest_drop == {}


def test_one_point_curve_and_bad_fractions():
    lab = failure_labels([0.0], [0.0], [])
    assert (lab.first_break_strain, lab.max_stress, lab.failure_strain, lab.largest_drop) == (None, 0.0, 0.0, {})
    assert lab.capped and lab.crack == [] and lab.half_stress_strain is None
    for f in (0.0, 1.0, -0.5):
        with pytest.raises(InputError, match="fraction must be between 0 and 1"):
            failure_labels(EPS, SIG, BREAKS, fraction=f)
    with pytest.raises(InputError, match="same non-zero length"):
        failure_labels([], [], [])


def test_labels_object_defaults_frozen_and_summary():
    lab = FailureLabels(first_break_strain=None, first_break_site=None, first_break_bond=None, max_stress=0.01,
                        failure_strain=0.05, failure_site=None, failure_bond=None)
    assert (lab.crack, lab.half_stress_strain, lab.n_breaks_before_max, lab.largest_drop) == ([], None, 0, {})
    assert (lab.separated, lab.separation_strain, lab.capped, lab.fraction) == (False, None, False, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lab.max_stress = 1.0
    assert lab.summary() == ("no bond broke; 0 break(s) before the maximum\n"
                             "failure: σ_max = 0.01000 eV/Å² at ε = 0.0500; no bond broke after the maximum")
    assert failure_labels(EPS, SIG, BREAKS).summary() == (
        "first break at ε = 0.0150 at (5.00, 6.00) Å; 2 break(s) before the maximum\n"
        "failure: σ_max = 0.00720 eV/Å² at ε = 0.0300; crack of 3 bond(s) from (20.00, 1.00) Å")
    assert failure_labels(EPS[:6], SIG[:6], BREAKS[:4]).summary().endswith(
        "crack of 2 bond(s) from (20.00, 1.00) Å (strain cap reached before the stress halved)")
