"""``glassfail explain`` and ``glassfail interpret`` from the command line."""

import json
from pathlib import Path

import pytest

from glassfail_core.cli.main import main

DATA = Path(__file__).resolve().parents[2] / "sample_data"


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_explain_writes_its_files(capsys, tiny_model_dir, tmp_path):
    code, out, err = run(capsys, "explain", DATA / "glass_s2_0.6.extxyz", "-o", tmp_path, "--model", tiny_model_dir,
                         "--copies", 2, "--variant", "abs", "--layer", "stage1", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["layer"] == "stage1" and d["variant"] == "abs" and d["copies"] == 2
    for name in ("heatmap.png", "heatmap.tif", "atoms.csv", "atoms.extxyz", "rings.csv", "explanation.json"):
        assert Path(d["files"][name]).is_file()
    code, out, err = run(capsys, "explain", DATA / "glass_s2_0.6.extxyz", "-o", tmp_path / "t", "--model",
                         tiny_model_dir, "--copies", 1)
    assert code == 0 and "Grad-CAM (relu) at stage2, 1 copies" in out


def test_refusals(capsys, tiny_model_dir, tmp_path):
    code, _, err = run(capsys, "explain", DATA / "glass_s2_0.6.extxyz", "-o", tmp_path, "--model", tiny_model_dir,
                       "--layer", "head")
    assert code == 2 and "unknown layer" in err
    code, _, err = run(capsys, "interpret", tmp_path / "nothing", "-o", tmp_path / "r", "--model", tiny_model_dir)
    assert code == 2 and "no such dataset folder" in err
