"""Fuzzed folders: model folders (config.json + model.safetensors), dataset folders (dataset.json, sample files,
index.parquet) and AQS run folders (result.json + curves.npz), through the IO registry's readers."""

import json
import shutil

import numpy as np
import pytest
from hypothesis import strategies as st

from glassfail_core.io import read

from .harness import check_reader, fuzz, json_mutated, mutated, npz_mutated, save_npz


@pytest.fixture(scope="session")
def folder_seeds(seed_root):
    from .seeds import dataset_seed, model_seed, run_seed

    root = seed_root / "folders"
    root.mkdir()
    return {"model": model_seed(root), "dataset": dataset_seed(root), "run": run_seed(root)}


def _fresh_copy(seed, work_dir, name):
    case = work_dir / name
    if case.exists():
        shutil.rmtree(case)
    shutil.copytree(seed, case)
    return case


def _npz_arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _mutate_member(data, case, member, all_seeds):
    """Mutate one file of a folder: its bytes, its parsed content (JSON / npz / parquet), or its presence."""
    path = case / member
    how = data.draw(st.sampled_from(["bytes", "structured", "structured", "missing", "folder"]), label="how")
    if how == "missing":
        path.unlink()
    elif how == "folder":
        path.unlink()
        path.mkdir()
    elif how == "bytes":
        path.write_bytes(data.draw(mutated(path.read_bytes(), tuple(all_seeds.values())), label="bytes"))
    elif path.suffix == ".json":
        obj = data.draw(json_mutated(json.loads(path.read_text())), label="json")
        if member == "config.json" and isinstance(obj, dict) and data.draw(st.booleans(), label="refingerprint"):
            from glassfail_core.learn.checkpoint import fingerprint

            obj["fingerprint"] = fingerprint(obj)  # a consistent tampering: only the deeper checks can refuse it
        path.write_text(json.dumps(obj, allow_nan=True))
    elif path.suffix == ".npz":
        save_npz(path, data.draw(npz_mutated(_npz_arrays(path)), label="npz"))
    elif path.suffix == ".parquet":
        import pandas as pd

        t = pd.read_parquet(path)
        col = data.draw(st.sampled_from(list(t.columns)), label="column")
        op = data.draw(st.sampled_from(["drop", "odd", "dup", "extra"]), label="op")
        if op == "drop":
            t = t.drop(columns=[col])
        elif op == "odd":
            t[col] = [data.draw(st.sampled_from([-1, 10 ** 12, "x", None, float("nan"), "ok"]))] * len(t)
        elif op == "dup":
            t = pd.concat([t, t])
        else:
            t = pd.concat([t, t.assign(index=data.draw(st.sampled_from([1, 999_999, -3])))])
        t.to_parquet(path, index=False)
    elif path.suffix == ".safetensors":
        from safetensors.torch import load_file, save_file
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata()
        tensors = load_file(str(path))
        key = data.draw(st.sampled_from(sorted(tensors)), label="tensor")
        op = data.draw(st.sampled_from(["drop", "shape", "nan", "dtype", "extra"]), label="op")
        import torch

        if op == "drop":
            del tensors[key]
        elif op == "shape":
            tensors[key] = torch.zeros(tuple(tensors[key].shape) + (2,))
        elif op == "nan":
            t = tensors[key].clone().float()
            t.view(-1)[0] = float("nan")
            tensors[key] = t
        elif op == "dtype":
            tensors[key] = tensors[key].to(torch.float64)
        else:
            tensors["evil.weight"] = torch.zeros(3)
        save_file(tensors, str(path), metadata=meta)


def _read_model(p):
    return read(p, "model")


def _valid_model(m):
    import torch

    assert all(torch.isfinite(v).all() for v in m.network.state_dict().values() if v.is_floating_point())


def _read_dataset(p):
    ds = read(p, "dataset")
    len(ds)
    for split in (None, "train", "val", "test"):
        ds.indices(split)
    for i in ds.indices()[:3]:
        s = ds.sample(i)
        assert len(s.glass) > 0
        s.to_dict()
    return ds


def _read_run(p):
    r = read(p, "run")
    r.to_dict()
    return r


MEMBERS = {"model": ("config.json", "model.safetensors"),
           "dataset": ("dataset.json", "samples/000000.npz", "index.parquet"),
           "run": ("result.json", "curves.npz")}
READERS = {"model": (_read_model, _valid_model), "dataset": (_read_dataset, None), "run": (_read_run, None)}


@pytest.mark.parametrize("kind", sorted(MEMBERS))
@fuzz
def test_mutated_folders(kind, folder_seeds, all_seeds, work_dir, data):
    case = _fresh_copy(folder_seeds[kind], work_dir, kind)
    for member in data.draw(st.lists(st.sampled_from(MEMBERS[kind]), min_size=1, max_size=2, unique=True),
                            label="members"):
        _mutate_member(data, case, member, all_seeds)
    read_fn, valid = READERS[kind]
    check_reader(kind, read_fn, case, valid)
