"""``glassfail batch``: a folder of three files and a broken one, resumed, as JSON and on two workers; bad arguments
give one line and exit 2."""

import csv
import json
import subprocess
import sys

import pytest

from glassfail_core.cli.main import main
from tests.workflows.batch_inputs import BROKEN, GOOD, batch_folder, untrained_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return untrained_model(tmp_path_factory.mktemp("model") / "m")


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*map(str, argv)])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _rows(out):
    with open(out / "batch.csv", newline="") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


def test_folder_to_table_then_resumed(tmp_path, model, capsys):
    folder, out = batch_folder(tmp_path / "in"), tmp_path / "out"
    code, text, err = _run(["batch", folder, "-o", out, "--model", model], capsys)
    assert code == 0, err
    assert "3 file(s) done (3 now, 0 before), 1 failed, of 4" in text and f"failed: {BROKEN}:" in text
    rows = _rows(out)
    assert [rows[n]["status"] for n in GOOD] == ["ok"] * 3 and rows[BROKEN]["status"] == "failed"
    code, text, err = _run(["batch", folder, "-o", out, "--model", model, "--json"], capsys)
    d = json.loads(text)
    assert code == 0 and (d["done"], d["kept"], d["failed"], d["total"]) == (0, 3, 1, 4)
    assert d["errors"] == {BROKEN: rows[BROKEN]["error"]}


def test_detect_only_on_micrographs_needs_no_model(tmp_path, capsys):
    folder, out = batch_folder(tmp_path / "in"), tmp_path / "out"
    code, text, err = _run(["batch", folder, "--pattern", "*.tif", "-o", out, "--tasks", "detect", "--json"], capsys)
    d = json.loads(text)
    assert code == 0 and d["done"] == 1 and d["total"] == 1 and d["tasks"] == ["detect"]
    assert _rows(out)["micrograph_spots.tif"]["atoms_file"] == "atoms/micrograph_spots.tif.extxyz"


def test_two_local_workers(tmp_path, model, capsys):
    folder, out = batch_folder(tmp_path / "in"), tmp_path / "out"
    code, text, err = _run(["batch", folder, "-o", out, "--model", model, "--workers", "2", "--json"], capsys)
    d = json.loads(text)
    assert code == 0 and (d["done"], d["failed"]) == (3, 1)
    assert set(_rows(out)) == {*GOOD, BROKEN}


@pytest.mark.parametrize("args, message", [
    ([], "Missing argument 'FOLDER'"),
    (["{missing}", "-o", "{out}"], "does not exist"),
    (["{folder}"], "Missing option"),
    (["{folder}", "-o", "{nodir}/out"], "does not exist; create it first"),
    (["{folder}", "-o", "{afile}"], "is a file"),
    (["{folder}", "-o", "{out}", "--tasks", "detect,dance"], "unknown task(s) dance"),
    (["{folder}", "-o", "{out}", "--pattern", "*.none"], "matches '*.none'"),
    (["{folder}", "-o", "{out}", "--pixel-size", "0"], "must be positive"),
    (["{folder}", "-o", "{out}", "--workers", "-1"], "must be ≥ 0"),
    (["{folder}", "-o", "{out}", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    (["{folder}", "-o", "{out}", "--model", "{missing}"], "no such model folder"),
    (["{folder}", "-o", "{out}", "--tasks", "detect", "--scheduler", "tcp://127.0.0.1:9"],
     "cannot reach the Dask scheduler"),
])
def test_bad_arguments_one_line_exit_2(tmp_path, args, message):
    folder = batch_folder(tmp_path / "in")
    (tmp_path / "afile").write_text("x")
    fill = dict(folder=folder, out=tmp_path / "out", missing=tmp_path / "missing", nodir=tmp_path / "nodir",
                afile=tmp_path / "afile")
    proc = subprocess.run([sys.executable, "-m", "glassfail_core", "batch", *(a.format(**fill) for a in args)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: ") and message in proc.stderr, proc.stderr
    assert proc.stdout == "" and not (tmp_path / "out").exists()
