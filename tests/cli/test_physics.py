import json

import pytest

from glassfail_core.cli.main import main
from glassfail_core.io import write_structure


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture
def sample(tmp_path, small_relaxed):
    p = tmp_path / "s.extxyz"
    write_structure(small_relaxed, p)
    return p


def test_energy_relax_deform(sample, tmp_path, capsys):
    code, out, _ = _run(["energy", str(sample), "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["n_atoms"] == 180 and d["max_force_eV_per_A"] < 1e-5 and d["energy_eV"] < 0
    assert d["energy_eV"] == pytest.approx(-59.049408, abs=1e-5)
    code, out, _ = _run(["relax", str(sample), str(tmp_path / "r.extxyz"), "--cell", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and abs(d["stress_eV_per_A2"][0][0]) <= 1e-5
    code, out, _ = _run(["deform", str(tmp_path / "r.extxyz"), "-o", str(tmp_path / "run"), "--step", "0.01",
                         "--refine-step", "0.002", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["rupture_strain"] > 0 and len(d["location"]) == 2
    assert d["rupture_strain"] == pytest.approx(0.152, abs=1e-12) and d["broken_bond"] == [58, 136]  # measured
    assert (tmp_path / "run" / "result.json").exists() and (tmp_path / "run" / "curves.npz").exists()


def test_cli_errors(sample, tmp_path, capsys):
    code, _, err = _run(["energy", str(sample), "--platform", "warp"], capsys)
    assert code == 2 and "--platform" in err
    code, _, err = _run(["deform", str(sample), "-o", str(tmp_path / "x"), "--step", "0.001", "--refine-step",
                         "0.01"], capsys)
    assert code == 2 and "--refine-step" in err and "refine_step" not in err  # the option typed
    code, _, err = _run(["deform", str(sample), "-o", str(tmp_path / "y"), "--angle", "30"], capsys)
    assert code == 2 and "non-periodic" in err and not (tmp_path / "y" / "result.json").exists()
