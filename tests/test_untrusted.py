"""Untrusted files: nothing glassfail reads can run code (no pickle anywhere, ``np.load(allow_pickle=False)``, no
``torch.load``), and no file name read from a file leads outside its folder."""

import ast
import json
import os
import pathlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import glassfail_core
from glassfail_core.errors import InputError, StructureFileError
from glassfail_core.io import read
from glassfail_core.io.paths import inside

from .fuzz import seeds

SRC = [Path(glassfail_core.__file__).parent, Path(glassfail_core.__file__).parent.parent / "napari_glassfail"]
#: Modules whose import alone means unpickling somewhere.
PICKLERS = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve", "_pickle"}


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            yield (owner.id if isinstance(owner, ast.Name) else None), node.func.attr, node


def _keyword(node, name):
    for k in node.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant):
            return k.value.value
    return "missing"


def test_the_source_never_unpickles():
    """Every np.load has allow_pickle=False, no torch.load without weights_only=True, no pickle-based module or
    reader (pickle, dill, joblib, pandas.read_pickle...) anywhere in src/."""
    problems = []
    files = [p for root in SRC for p in root.rglob("*.py")]
    assert len(files) > 50
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = lambda n: f"{path.relative_to(SRC[0].parent)}:{n.lineno}"  # noqa: E731
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                problems += [f"{where(node)} imports {a.name}" for a in node.names if a.name.split(".")[0] in PICKLERS]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PICKLERS:
                problems.append(f"{where(node)} imports from {node.module}")
        for owner, attr, node in _calls(tree):
            if owner in ("np", "numpy") and attr == "load" and _keyword(node, "allow_pickle") is not False:
                problems.append(f"{where(node)} np.load without allow_pickle=False")
            if owner == "torch" and attr == "load" and _keyword(node, "weights_only") is not True:
                problems.append(f"{where(node)} torch.load without weights_only=True")
            if attr in ("read_pickle", "to_pickle") or (owner == "yaml" and attr in ("load", "unsafe_load")):
                problems.append(f"{where(node)} {owner}.{attr}")
    assert not problems, "\n".join(problems)


class _Payload:
    """Unpickling this creates ``marker`` (what a hostile file would do with os.system instead)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("untrusted")
    return {"model": seeds.model_seed(root), "dataset": seeds.dataset_seed(root), "run": seeds.run_seed(root)}


def _copy(src, tmp_path):
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def _plant_npz(path, key, marker):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[key] = np.array([_Payload(marker), None], dtype=object)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_pickles_planted_in_npz_files_are_refused_and_never_run(folders, tmp_path):
    marker = tmp_path / "pwned"
    ds = _copy(folders["dataset"], tmp_path)
    _plant_npz(ds / "samples" / "000000.npz", "positions", marker)
    with pytest.raises(StructureFileError, match="damaged sample file"):
        read(ds, "dataset").sample(0)
    run = _copy(folders["run"], tmp_path)
    _plant_npz(run / "curves.npz", "stresses", marker)
    with pytest.raises(StructureFileError, match="not a readable glassfail run folder"):
        read(run, "run")
    assert not marker.exists()


def test_a_torch_pickle_in_place_of_the_weights_is_refused_and_never_run(folders, tmp_path):
    import torch

    marker = tmp_path / "pwned"
    model = _copy(folders["model"], tmp_path)
    torch.save({"w": _Payload(marker)}, model / "model.safetensors")  # a torch.save zip, i.e. a pickle
    with pytest.raises(StructureFileError, match="safetensors"):
        read(model, "model")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "maps/../../x.npz", "C:\\Windows\\x.npz",
                                  "", "a\x00b"])
def test_names_read_from_files_stay_inside_their_folder(tmp_path, name):
    with pytest.raises(InputError, match="refused|not a file name"):
        inside(tmp_path, name, what="maps_file of batch.csv")


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "secret.npz").write_bytes(b"")
    os.symlink(tmp_path / "secret.npz", tmp_path / "out" / "maps.npz")
    with pytest.raises(InputError, match="leads outside"):
        inside(tmp_path / "out", "maps.npz")
    (tmp_path / "out" / "maps").mkdir()
    assert inside(tmp_path / "out", "maps/./a.npz") == tmp_path / "out" / "maps" / "a.npz"


def test_a_dataset_index_naming_paths_is_refused(folders, tmp_path):
    import pandas as pd

    ds = _copy(folders["dataset"], tmp_path)
    t = pd.read_parquet(ds / "index.parquet")
    for bad in ("../../etc/passwd", "/etc/passwd"):
        t.assign(index=[bad]).to_parquet(ds / "index.parquet", index=False)
        with pytest.raises(StructureFileError, match="not counts"):
            read(ds, "dataset")


def test_a_model_config_naming_paths_reads_nothing_but_its_own_two_files(folders, tmp_path, monkeypatch):
    """A config may carry any extra keys (names, provenance); none of them is ever opened."""
    import builtins

    from glassfail_core.learn.checkpoint import fingerprint

    model = _copy(folders["model"], tmp_path)
    cfg = json.loads((model / "config.json").read_text())
    cfg.update(weights="../../etc/passwd", dataset="/etc/shadow", name="../../evil")
    cfg["fingerprint"] = fingerprint(cfg)
    (model / "config.json").write_text(json.dumps(cfg))
    opened, real_open = [], builtins.open

    def spy(file, *a, **k):
        opened.append(os.fspath(file) if isinstance(file, (str, os.PathLike)) else file)
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    m = read(model, "model")
    monkeypatch.undo()
    assert m.name == "../../evil"  # only a label
    outside = [p for p in opened if isinstance(p, str) and not p.startswith(str(model)) and "site-packages" not in p
               and not p.startswith(("/usr", "/proc", "/sys"))]
    assert not outside, outside
