"""``glassfail rings``: JSON keys, CSV, table, exit codes."""

import csv
import json
from pathlib import Path

import pytest

from glassfail_core.cli.main import main
from glassfail_core.io import write_structure

from tests.rings.networks import stone_wales


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.fixture
def sw_file(tmp_path):
    g, expected = stone_wales(10, 10, 2, seed=6)
    path = tmp_path / "sw.extxyz"
    write_structure(g, path)
    return path, expected, g


def test_json_keys_and_counts(capsys, sw_file):
    path, expected, _ = sw_file
    code, out, err = run(capsys, "rings", str(path), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {"counts", "mean", "mu2", "alpha", "n_rings", "open_rings"} <= set(d)
    assert d["counts"] == {str(k): v for k, v in expected.items()}
    assert d["n_rings"] == 100 and d["open_rings"] == 0 and d["euler"] == 0
    assert d["mean"] == 6.0


def test_table_and_csv(capsys, sw_file, tmp_path):
    path, expected, _ = sw_file
    out_csv = tmp_path / "rings.csv"
    code, out, err = run(capsys, "rings", str(path), "--csv", str(out_csv))
    assert code == 0, err
    assert "Aboav" in out and "V − E + F" in out and "= 0" in out
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 100 and sum(r["size"] == "5" for r in rows) == expected[5]


def test_crop_reports_open_rings(capsys, sw_file, tmp_path):
    _, _, g = sw_file
    crop = g.subset(g.positions[:, 0] < 20).replace(pbc=False)
    p = tmp_path / "crop.extxyz"
    write_structure(crop, p)
    code, out, _ = run(capsys, "rings", str(p), "--json")
    d = json.loads(out)
    assert code == 0 and d["open_rings"] > 0 and d["euler"] == 2 and 0 < d["n_rings"] < 100
    assert (d["n_rings"], d["open_rings"], d["counts"]) == (27, 26, {"6": 27})  # the defects lie outside the crop


def test_cutoff_option(capsys, sw_file):
    path, _, _ = sw_file
    code, _, err = run(capsys, "rings", str(path), "--cutoff", "0.5")
    assert code == 2 and "no bonds" in err
    code, _, err = run(capsys, "rings", str(path), "--cutoff", "-1")
    assert code == 2 and "--cutoff" in err


def test_missing_file_is_a_user_error(capsys, tmp_path):
    code, _, err = run(capsys, "rings", str(tmp_path / "nope.xyz"))
    assert code == 2 and "nope.xyz" in err and "Traceback" not in err


SAMPLES = sorted(p for ext in ("extxyz", "xyz", "data", "lammpstrj", "dump")
                 for p in (Path(__file__).resolve().parents[2] / "sample_data").glob(f"*.{ext}"))


#: Closed rings of every shipped structure (all periodic: no open ring, ⟨n⟩ = 6).
SAMPLE_RINGS = {"crystal_8x8.extxyz": 64, "glass_s2_0.2.extxyz": 288, "glass_s2_0.6.extxyz": 288,
                "glass_s2_1.0.extxyz": 288, "micrograph_truth.extxyz": 144, "stone_wales_8x8.extxyz": 64,
                "glass_8x8_s2_0.6.extxyz": 64}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_shipped_structure_sample(capsys, path):
    code, out, err = run(capsys, "rings", str(path), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_rings"] > 0 and d["mean"] is not None
    assert (d["n_rings"], d["open_rings"], d["euler"]) == (SAMPLE_RINGS[path.name], 0, 0)  # periodic samples
    assert d["mean"] == pytest.approx(6.0, abs=1e-12)
