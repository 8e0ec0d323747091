"""The ``glassfail`` command: exit codes, one-line errors, JSON output (run as a real subprocess)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from glassfail_core import read_structure, write_structure


def glassfail(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "glassfail_core", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    return proc


@pytest.fixture
def sample(crystal, tmp_path):
    return write_structure(crystal.replace(info={"seed": 1}), tmp_path / "crystal.extxyz")


def test_help_on_every_subcommand():
    top = glassfail("--help")
    assert top.returncode == 0
    from glassfail_core.cli.main import _load

    for name in _load():
        assert name in top.stdout
        sub = glassfail(name, "--help")
        assert sub.returncode == 0, (name, sub.stderr)
        assert "Usage: glassfail " + name in sub.stdout


def test_info_table_and_json(sample):
    out = glassfail("info", sample)
    assert out.returncode == 0, out.stderr
    assert "32 Si" in out.stdout.replace("Si 32", "32 Si") and "3: 32" in out.stdout
    js = glassfail("info", sample, "--json")
    d = json.loads(js.stdout)
    assert d["n_si"] == 32 and d["n_o"] == 48 and d["coordination"]["O"] == {"2": 48}
    assert d["pbc"] == [True, True] and d["n_bonds"] == 96
    assert d["bond_length"]["mean"] == pytest.approx(1.525, abs=1e-9)


def test_convert_roundtrip(sample, tmp_path):
    out = glassfail("convert", sample, tmp_path / "c.data")
    assert out.returncode == 0, out.stderr
    back = glassfail("convert", tmp_path / "c.data", tmp_path / "c.extxyz")
    assert back.returncode == 0, back.stderr
    a, b = read_structure(sample), read_structure(tmp_path / "c.extxyz")
    assert np.abs(a.positions - b.positions).max() < 1e-9


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["info", "missing.extxyz"], 2, "missing.extxyz: no such file"),
        (["info", "{bad}"], 2, "not a valid extxyz file"),
        (["info", "{close}"], 2, "closer than 0.5 Å"),
        (["info", "{sample}", "--cell", "abc"], 2, "Invalid value for --cell"),
        (["convert", "{sample}", "out.pdf"], 2, "cannot tell the format"),
        (["nosuchcommand"], 2, "No such command"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, sample, args, code, message):
    bad = tmp_path / "bad.extxyz"
    bad.write_text("3\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3\nSi 0 0 0\n")
    close = tmp_path / "close.xyz"
    close.write_text('2\nLattice="10 0 0 0 10 0 0 0 10" Properties=species:S:1:pos:R:3 pbc="T T F"\nSi 1 1 0\nO 1.2 1 0\n')
    args = [a.format(bad=bad, close=close, sample=sample) for a in args]
    out = glassfail(*args, cwd=tmp_path)
    assert out.returncode == code
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1
