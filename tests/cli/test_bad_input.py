"""Every subcommand given bad input: a missing file, a folder, an unreadable file, a file of the wrong kind and
numbers out of range — exit status 2 and one line on stderr (no traceback) that names what to fix.

One table (:data:`COMMANDS`): each row is a command line with ``{IN}`` where the input goes, the kind of input it
takes, and an out-of-range option. The commands run in-process (``glassfail_core.cli.main.main``), so a case that
is not refused before work starts would show up as a slow or passing case, not as a hidden subprocess.

"Unreadable": ``chmod 000``. Where that does not stop reads (root, detected by a probe file), the open itself is made
to fail with EACCES instead (``open``/``io.open`` patched for that one path) — the error a user without the right
gets. To run the chmod cases as root: ``setpriv --bounding-set=-dac_override,-dac_read_search pytest ...``.
"""

import builtins
import errno
import io
import os
import shutil
from pathlib import Path

import pytest

from glassfail_core.cli.main import COMMANDS, COMMANDS_LOADED, _load, main

from ..fuzz import seeds

#: name → (command line, input kind, out-of-range arguments, the word the out-of-range message must name).
#: Input kinds: "structure", "micrograph", "either" (structure or micrograph), "dataset", "model", "folder" (a
#: folder of inputs), "output" (the argument is where results go), None (no input argument).
TABLE = {
    "info": (["info", "{IN}"], "structure", ["--cell", "0x5"], "--cell"),
    "convert": (["convert", "{IN}", "{TMP}/out.extxyz"], "structure", ["--cell", "-1,5"], "--cell"),
    "energy": (["energy", "{IN}"], "structure", ["--cell", "0,0"], "--cell"),
    "relax": (["relax", "{IN}", "{TMP}/out.extxyz"], "structure", ["--fmax", "-1"], "--fmax"),
    "deform": (["deform", "{IN}", "-o", "{TMP}/run"], "structure", ["--step", "-0.01"], "--step"),
    "detect": (["detect", "{IN}", "--pixel-size", "0.3", "-o", "{TMP}/d.extxyz"], "micrograph", ["--pixel-size", "-1"], "--pixel-size"),
    "render": (["render", "{IN}", "-o", "{TMP}/r.tif"], "structure", ["--pixel-size", "0"], "--pixel-size"),
    "rings": (["rings", "{IN}"], "structure", ["--cutoff", "-1"], "--cutoff"),
    "generate": (["generate", "-o", "{TMP}/g.extxyz"], None, ["--variance", "-1"], "--variance"),
    "dataset build": (["dataset", "build", "{IN}"], "output", ["--n", "-1"], "--n"),
    "dataset info": (["dataset", "info", "{IN}"], "dataset", None, None),
    "dataset show": (["dataset", "show", "{IN}", "0"], "dataset", ["99999"], "99999"),
    "train": (["train", "{IN}", "--out", "{TMP}/model"], "dataset", ["--epochs", "0"], "--epochs"),
    "evaluate": (["evaluate", "{MODEL}", "{IN}"], "dataset", ["--limit", "-1"], "--limit"),
    "predict": (["predict", "{IN}", "--model", "{MODEL}"], "either", ["--pixel-size", "-2"], "--pixel-size"),
    "batch": (["batch", "{IN}", "--out", "{TMP}/batch", "--model", "{MODEL}"], "folder", ["--workers", "-1"],
              "--workers"),
    "explain": (["explain", "{IN}", "--out", "{TMP}/ex", "--model", "{MODEL}"], "either", ["--copies", "-1"],
                "--copies"),
    "interpret": (["interpret", "{IN}", "--out", "{TMP}/in", "--model", "{MODEL}"], "dataset", ["--copies", "0"],
                  "--copies"),
    "demo": (["demo", "--out", "{TMP}/demo", "--model", "{IN}"], "model", None, None),
    "view": (["view", "{IN}"], "either", None, None),
}
CASES = ("missing", "folder", "unreadable", "wrong_kind", "numbers")


def _chmod_blocks_reads() -> bool:
    """Whether ``chmod 000`` stops this process reading a file (not for root, unless it lost CAP_DAC_OVERRIDE)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        probe = Path(d) / "probe"
        probe.write_text("x")
        probe.chmod(0)
        try:
            probe.read_text()
        except PermissionError:
            return True
        finally:
            probe.chmod(0o600)
    return False


#: True where permissions do not stop reads (root): the unreadable cases then make the open itself fail.
PERMISSIONS_IGNORED = not _chmod_blocks_reads()


def test_the_table_covers_every_subcommand():
    if not COMMANDS_LOADED:
        COMMANDS_LOADED.update(_load())
    names = set()
    for name, cmd in COMMANDS_LOADED.items():
        subs = getattr(cmd, "commands", None)
        names |= {f"{name} {s}" for s in subs} if subs else {name}
    assert names == set(TABLE), f"add the new subcommands to TABLE: {sorted(names ^ set(TABLE))}"
    assert len(COMMANDS) == len(COMMANDS_LOADED)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Valid inputs of every kind (small), and junk of every kind."""
    root = tmp_path_factory.mktemp("bad_input")
    seeds.structure_seeds(root)  # s.extxyz, s.xyz, s.data
    seeds.micrograph_seeds(root)  # m.tif, m.dm3
    model = seeds.model_seed(root)
    dataset = seeds.dataset_seed(root)
    (root / "inputs").mkdir()
    shutil.copy(root / "s.extxyz", root / "inputs" / "s.extxyz")
    return {"structure": root / "s.extxyz", "micrograph": root / "m.tif", "either": root / "s.extxyz",
            "model": model, "dataset": dataset, "folder": root / "inputs", "output": root / "new_dataset",
            "root": root}


def _wrong_kind(kind, inputs, tmp):
    """A valid file of another kind under a name that the command takes."""
    if kind == "structure":
        p = tmp / "image.extxyz"
        shutil.copy(inputs["micrograph"], p)  # a TIFF named like a structure file
    elif kind == "either":  # (a renamed TIFF would be recognised by its first bytes, and rightly read)
        p = tmp / "weights.png"
        shutil.copy(inputs["model"] / "model.safetensors", p)  # a model's weights named like an image
    elif kind == "micrograph":
        p = tmp / "glass.tif"
        shutil.copy(inputs["structure"], p)  # a structure file named like an image
    elif kind == "dataset":
        p = tmp / "model_not_dataset"
        shutil.copytree(inputs["model"], p)
    elif kind == "model":
        p = tmp / "dataset_not_model"
        shutil.copytree(inputs["dataset"], p)
    elif kind == "folder":
        p = tmp / "a_structure.extxyz"  # a file where a folder of inputs is expected
        shutil.copy(inputs["structure"], p)
    else:  # "output": an existing file where a new folder should be made
        p = tmp / "a_file.extxyz"
        shutil.copy(inputs["structure"], p)
    return p


def _run(argv, capsys):
    with pytest.raises(SystemExit) as ex:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def _argv(template, path, inputs, tmp):
    return [a.replace("{IN}", str(path)).replace("{TMP}", str(tmp)).replace("{MODEL}", str(inputs["model"]))
            for a in template]


@pytest.fixture
def deny_reads(monkeypatch):
    """``deny(path)``: reading ``path`` fails with EACCES — chmod 000, or, as root (who reads anyway), every
    ``open``/``io.open`` of it."""
    def deny(path):
        if not PERMISSIONS_IGNORED:
            os.chmod(path, 0)
            return
        real_open, real_io_open = builtins.open, io.open
        targets = {str(path)} | ({str(p) for p in path.rglob("*")} if path.is_dir() else set())

        def guarded(real):
            def opener(file, *a, **k):
                if isinstance(file, (str, os.PathLike)) and os.fspath(file) in targets:
                    raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
                return real(file, *a, **k)
            return opener

        monkeypatch.setattr(builtins, "open", guarded(real_open))
        monkeypatch.setattr(io, "open", guarded(real_io_open))

    return deny


def _one_line(code, out, err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert "Traceback" not in err and "Traceback" not in out, err
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    return lines[0]


def _applies(name, case) -> bool:
    """A command without an input file has only its numbers to get wrong; one without numbers, only its files."""
    _, kind, numbers, _ = TABLE[name]
    return (kind is not None) if case != "numbers" else (numbers is not None)


@pytest.mark.timeout(120)  # a case accepted by mistake would start real work
@pytest.mark.parametrize("name,case", [(n, c) for n in sorted(TABLE) for c in CASES if _applies(n, c)])
def test_bad_input(name, case, inputs, tmp_path, capsys, deny_reads):
    template, kind, numbers, option = TABLE[name]
    if case == "missing":
        path = tmp_path / ("missing.extxyz" if kind not in ("dataset", "model", "folder", "output") else "missing")
        expect = "missing"
        if kind == "output":  # a folder to make under a "folder" that is a file: it cannot be made
            (tmp_path / "missing").write_text("a file, not a folder\n")
            path = tmp_path / "missing" / "ds"
    elif case == "folder":
        path = tmp_path / ("folder.extxyz" if kind in ("structure", "either") else "folder.tif")
        path.mkdir()
        if kind in ("dataset", "model", "folder"):
            path = tmp_path / "empty_folder"  # an empty folder: not a dataset / model; no inputs in it
            path.mkdir()
        elif kind == "output":
            path = tmp_path / "other_folder"  # a folder holding something else: not a place to build in
            path.mkdir()
            (path / "notes.txt").write_text("someone else's\n")
        expect = path.name
    elif case == "unreadable" and kind == "output":
        if PERMISSIONS_IGNORED:  # root writes into any folder: nothing to refuse, and no open() to make fail
            pytest.skip("an output folder under a locked parent: root writes there anyway; checked when not root")
        path = tmp_path / "locked_parent" / "ds"
        path.parent.mkdir()
        os.chmod(path.parent, 0o500)  # readable, not writable
        expect = "locked_parent"
    elif case == "unreadable":
        src = inputs[kind]
        path = tmp_path / ("locked" + src.suffix)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, path)
        deny_reads(path)
        expect = path.name
    elif case == "wrong_kind":
        path = _wrong_kind(kind, inputs, tmp_path)
        expect = path.name
    else:
        path = inputs.get(kind) if kind else None
        template = template + numbers
        expect = option
    argv = _argv(template, path if path is not None else "", inputs, tmp_path)
    try:
        code, out, err = _run(argv, capsys)
    finally:
        if case == "unreadable" and not PERMISSIONS_IGNORED:
            os.chmod(path if kind != "output" else path.parent, 0o700)
    line = _one_line(code, out, err)
    assert expect in line, f"the message should name {expect!r}: {line}"
