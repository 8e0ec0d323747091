import json

import pytest

from glassfail_core.cli.main import main
from glassfail_core.io import read_structure


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_generate_writes_sample_with_metadata(tmp_path, capsys):
    out = tmp_path / "g.extxyz"
    code, stdout, _ = _run(["generate", "-o", str(out), "--rings", "8x8", "--variance", "0.6", "--seed", "7",
                            "--no-relax", "--json", "-q"], capsys)
    assert code == 0
    summary = json.loads(stdout)
    assert summary["n_si"] == 128 and summary["seed"] == 7 and abs(summary["variance"] - 0.6) <= 0.05
    g = read_structure(out)
    assert g.info["target_variance"] == 0.6 and g.info["generator_version"]
    first = out.read_bytes()
    _run(["generate", "-o", str(out), "--rings", "8x8", "--variance", "0.6", "--seed", "7", "--no-relax", "-q"],
         capsys)
    assert out.read_bytes() == first


def test_presets_and_shapes(tmp_path, capsys):
    code, stdout, _ = _run(["generate", "-o", str(tmp_path / "sw.extxyz"), "--preset", "stone-wales", "--rings",
                            "6x6", "--no-relax", "--json"], capsys)
    assert code == 0 and json.loads(stdout)["n_si"] == 72
    code, stdout, _ = _run(["generate", "-o", str(tmp_path / "c.extxyz"), "--preset", "crystal", "--rings", "8x8",
                            "--no-relax", "--shape", "disc", "--json"], capsys)
    assert code == 0 and json.loads(stdout)["pbc"] == [False, False]


@pytest.mark.parametrize("args, text", [
    (["--rings", "16x17"], "even"),
    (["--variance", "-1"], "variance"),
    (["--variance", "9"], "unreachable"),
    (["--max-ring", "5"], "--max-ring must be"),  # the option typed, not the Python name
])
def test_bad_input_exit_2(tmp_path, capsys, args, text):
    out = tmp_path / "x.extxyz"
    code, _, err = _run(["generate", "-o", str(out), "--no-relax", "-q"] + args, capsys)
    assert code == 2 and text in err and not out.exists()


def test_bad_extension(tmp_path, capsys):
    code, _, err = _run(["generate", "-o", str(tmp_path / "x.png"), "--rings", "4x4", "--no-relax", "-q"], capsys)
    assert code == 2 and "extension" in err
