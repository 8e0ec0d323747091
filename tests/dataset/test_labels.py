"""Failure labels from hand-made curves whose answers are known."""

import pytest

from glassfail_core.dataset import failure_labels
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
