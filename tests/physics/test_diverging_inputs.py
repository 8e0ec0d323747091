"""Inputs that would make a simulation diverge are refused before it starts, or reported with the step and the
atoms: atoms too close (a noisy detection), absurd strains, a minimisation that blows up mid-run."""

import numpy as np
import pytest

from glassfail_core.cli.main import main
from glassfail_core.errors import InputError, SimulationError, StructureError, StructureFileError
from glassfail_core.generation import honeycomb
from glassfail_core.glass import Glass
from glassfail_core.io import read_structure, write_structure
from glassfail_core.physics import AQSParams, deform, prepare
from glassfail_core.physics.aqs.params import MAX_STRAIN


def _cli(argv, capsys):
    with pytest.raises(SystemExit) as ex:
        main([str(a) for a in argv])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    return ex.value.code, err


@pytest.fixture
def too_close(tmp_path):
    """A 6 × 6-ring crystal file whose last O sits 0.3 Å from Si 0 (written without the Glass's own check)."""
    g = honeycomb(6, 6)
    pos = g.positions.copy()
    pos[-1] = pos[0] + [0.3, 0.0]
    bad = Glass(pos, g.species, g.cell, pbc=g.pbc, validate=False)
    return write_structure(bad, tmp_path / "close.extxyz"), len(g) - 1


def test_atoms_0_3_A_apart_are_refused_before_any_run(too_close, tmp_path, capsys):
    path, j = too_close
    with pytest.raises(StructureFileError, match=rf"atoms 0 \(Si\) and {j} \(O\) are 0.3 Å apart"):
        read_structure(path)
    for argv in (["deform", path, "-o", tmp_path / "run"], ["relax", path, tmp_path / "relaxed.extxyz"]):
        code, err = _cli(argv, capsys)
        assert code == 2 and len(err) == 1, err
        assert f"atoms 0 (Si) and {j} (O) are 0.3 Å apart" in err[0]
    assert not (tmp_path / "run").exists() and not (tmp_path / "relaxed.extxyz").exists()


def test_a_noisy_overlap_is_refused_by_deform_and_repaired_by_prepare():
    """0.7 Å (above the file check's 0.5 Å, below the model's 0.8 Å): deform names the pair before the run;
    prepare removes the spurious atom and says which and why."""
    g = honeycomb(6, 6)
    pos = g.positions.copy()
    j = len(g) - 1
    pos[j] = pos[0] + [0.7, 0.0]
    noisy = g.with_positions(pos)
    with pytest.raises(StructureError, match=rf"atoms 0 \(Si\) and {j} \(O\) overlap: 0.700 Å apart"):
        deform(noisy, AQSParams(until="first", max_strain=0.05))
    fixed, report = prepare(noisy)
    assert report.removed == {"overlap": 1}
    assert report.removed_atoms[0]["index"] == j and report.removed_atoms[0]["reason"] == "overlap"
    assert report.min_distance_after > 1.4 and len(fixed) == len(g)  # the missing bridging O was put back


@pytest.mark.parametrize("strain", [50, 1.5, float("inf"), float("nan"), -0.1])
def test_absurd_strains_are_refused_before_the_run(strain):
    with pytest.raises(InputError, match="max_strain"):
        AQSParams(max_strain=strain)
    assert AQSParams(max_strain=MAX_STRAIN).max_strain == MAX_STRAIN


def test_max_strain_50_on_the_command_line(tmp_path, capsys):
    path = write_structure(honeycomb(6, 6), tmp_path / "c.extxyz")
    code, err = _cli(["deform", path, "-o", tmp_path / "run", "--max-strain", "50"], capsys)
    assert code == 2 and len(err) == 1, err
    assert "--max-strain (50.0) is beyond 1" in err[0] and "AQSParams" not in err[0]
    assert not (tmp_path / "run").exists()


def test_a_divergence_during_the_run_names_the_step_and_the_atoms(small_relaxed, monkeypatch):
    """The engine's own report (which atoms collapsed) gets the strain and step it happened at."""
    from glassfail_core.physics import numpy_engine, openmm_backend

    calls = {"n": 0}

    def patched(real):
        def minimize(self, *a, **k):
            calls["n"] += 1
            if calls["n"] == 3:
                raise SimulationError("the minimisation diverged: atoms 12 and 57 collapsed to 0.01 Å (NaN or "
                                      "overlapping atoms; the model or the structure is unphysical)")
            return real(self, *a, **k)
        return minimize

    monkeypatch.setattr(numpy_engine.NumpyEngine, "minimize", patched(numpy_engine.NumpyEngine.minimize))
    monkeypatch.setattr(openmm_backend.OpenMMEngine, "minimize", patched(openmm_backend.OpenMMEngine.minimize))
    with pytest.raises(SimulationError) as err:
        deform(small_relaxed, AQSParams(until="first", step=0.01, refine_step=0.0, max_strain=0.2))
    msg = str(err.value)
    assert msg.startswith("at strain 0.0200 (step 2): ") and "atoms 12 and 57 collapsed" in msg, msg
    assert np.isfinite(float(msg.split()[2]))
