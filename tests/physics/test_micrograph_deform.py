"""Issue 7, micrograph part: structures detected in images, prepared (tests in test_prepare.py), are deformed to
failure; deformation events carry the configuration."""

import json
from pathlib import Path

import numpy as np
import pytest

from glassfail_core.io import read_structure
from glassfail_core.physics import AQSParams, deform, deform_steps, relax
from glassfail_core.progress import run

from .test_prepare import detected, prepared  # noqa: F401 - the shipped micrograph's detection, prepared

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
FAST = dict(step=0.01, refine_step=0.002, fmax=1e-5, platform="NumPy")


# ------------------------------------------------------------------------------------------------ deformation
def test_detected_structure_deforms_to_first_break(prepared):
    """The issue's test: a micrograph-derived glass (prepared) breaks under tension along x with grips."""
    g, _ = prepared
    res = deform(g, AQSParams(**FAST))
    assert res.info["grips"] == 11.0 and res.info["periodic_loading"] is False
    assert res.rupture_strain is not None and 0.02 < res.rupture_strain < 0.2
    assert res.rupture_strain == pytest.approx(0.068, abs=1e-12) and res.broken_bond == (222, 580)  # measured
    si, o = res.broken_bond
    assert [si, o] in g.bonds.tolist() and res.breaks[0]["length"] > 2.2
    x, y = res.location_initial
    lo, hi = g.positions.min(axis=0), g.positions.max(axis=0)
    assert lo[0] + 11.0 <= x <= hi[0] - 11.0 and lo[1] <= y <= hi[1]  # between the grips
    assert res.n_broken[0] == 0 and res.forces[1] > 0
    assert res.forces[1] == pytest.approx(0.042663, rel=1e-3)  # eV/Å at ε = 0.01, measured


def test_events_carry_the_configuration(small_relaxed, tmp_path):
    events = []
    res = run(deform_steps(small_relaxed, AQSParams(**FAST), run_dir=tmp_path), on_progress=events.append)
    states = {}
    for ev in events:
        d = ev.data
        assert d["positions"].shape == (len(small_relaxed), 2) and not d["positions"].flags.writeable
        assert not d["cell"].flags.writeable and d["n_broken"] == len(d["broken"])
        states[d["state"]] = d
    assert sorted(states) == list(range(len(res.strains)))
    last = states[len(res.strains) - 1]
    assert last["strain"] == res.strains[-1] and last["cell"][0] == pytest.approx(
        small_relaxed.cell[0] * (1 + res.rupture_strain))
    with np.load(tmp_path / "configs.npz") as z:
        np.testing.assert_array_equal(last["positions"], z["final_positions"])
    assert set(last["broken"]) == {(b["si"], b["o"]) for b in res.breaks}
    assert states[0]["broken"] == ()


def test_events_at_an_angle_are_in_the_input_frame(prepared):
    g, _ = prepared
    flake = g.subset(g.positions[:, 0] < g.positions[:, 0].min() + 30)  # a crop, to keep it quick
    from glassfail_core.generation.shapes import remove_dangling

    flake = relax(remove_dangling(flake), fmax=1e-5)
    events = []
    run(deform_steps(flake, AQSParams(**FAST, angle=30, max_strain=0.02, relax_first=False)),
        on_progress=events.append)
    first = events[0].data
    np.testing.assert_allclose(first["positions"], flake.positions, atol=1e-9)  # rotated back exactly
    np.testing.assert_array_equal(first["cell"], flake.cell)
    last = events[-1].data
    # stretched along 30°: the sample's extent projected on that direction grew by about the strain
    u = np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
    grow = np.ptp(last["positions"] @ u) / np.ptp(flake.positions @ u) - 1
    assert 0.005 < grow < 0.03


# ------------------------------------------------------------------------------------------------ CLI
def _cli(argv, capsys):
    from glassfail_core.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_detect_then_deform_prepares(tmp_path, capsys):
    d = tmp_path / "d.extxyz"
    code, _, _ = _cli(["detect", str(SAMPLES / "micrograph_spots.tif"), "-o", str(d)], capsys)
    assert code == 0
    run_dir = tmp_path / "run"
    args = ["deform", str(d), "-o", str(run_dir), "--step", "0.01", "--refine-step", "0.002", "--platform", "NumPy"]
    code, out, _ = _cli(args, capsys)
    assert code == 0, out
    flat = "".join(out.split())  # rich wraps long lines
    assert "prepare(detectedinamicrograph)" in flat and "closedringsunchanged" in flat
    assert "firstbreakatstrain" in flat and "prepared.extxyz" in flat
    prepared = read_structure(run_dir / "prepared.extxyz")
    rep = json.loads((run_dir / "prepare.json").read_text())
    assert rep["topology_unchanged"] and rep["n_atoms_out"] == len(prepared)
    result = json.loads((run_dir / "result.json").read_text())
    assert result["info"]["n_atoms"] == len(prepared)
    # again: the prepared structure is reused and the finished run read back
    code, out, _ = _cli(args + ["--json"], capsys)
    again = json.loads(out)
    assert code == 0 and again["prepare"]["reused"] and again["rupture_strain"] == result["rupture_strain"]
    # --no-prepare deforms the detection as it is (its dangling border atoms included)
    code, out, _ = _cli(["deform", str(d), "-o", str(tmp_path / "raw"), "--no-prepare", "--max-strain", "0.01",
                         "--platform", "NumPy", "--json"], capsys)
    raw = json.loads(out)
    assert code == 0 and "prepare" not in raw and raw["info"]["n_atoms"] == len(read_structure(d))
    assert not (tmp_path / "raw" / "prepared.extxyz").exists()


@pytest.mark.slow
def test_shipped_micrograph_to_complete_failure(prepared):
    """The README run (reference steps, on towards separation): the relaxed glass flake fails in steps — first
    break early, the largest stress well after it, many bonds broken and the stress fallen far below its peak by
    ε = 0.3 (README: 17 bonds, peak 0.137 N/m at ε ≈ 0.12, down to 11 %)."""
    g, _ = prepared
    res = deform(g, AQSParams(until="complete", max_strain=0.3))
    assert res.rupture_strain is not None and res.complete
    assert res.max_stress_strain > res.rupture_strain
    assert len(res.breaks) >= 10
    assert res.stresses[-1] < 0.25 * res.max_stress
    strains = [b["strain"] for b in res.breaks]
    assert strains == sorted(strains) and strains[0] == res.rupture_strain
