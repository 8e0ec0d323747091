"""Tampered model folders (found by tests/fuzz): a config edited *and* re-fingerprinted, so that only the deeper
checks can refuse it, and weights damaged in place — each refused in one line, quickly, without building what the
config asks for. (Wrong shapes, stale fingerprints, foreign weights and truncated files: tests/learn.)"""

import json
import shutil
import time

import pytest

from glassfail_core.learn.checkpoint import ModelFileError, fingerprint, load_model

from .fuzz import seeds


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return seeds.model_seed(tmp_path_factory.mktemp("tampered"))


@pytest.fixture
def model(saved, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(saved, dst)
    return dst


def _retamper(model, **changes):
    cfg = json.loads((model / "config.json").read_text())
    for key, value in changes.items():
        if key.startswith("arch_"):
            cfg["architecture"][key[5:]] = value
        else:
            cfg[key] = value
    cfg["fingerprint"] = fingerprint(cfg)
    (model / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize("changes, match", [
    ({"arch_widths": [10 ** 9] * 4}, "bad architecture|do not fit"),  # ~10^19 weights: never allocated
    ({"arch_widths": [4096] * 4}, "do not fit the architecture"),  # ~10^9 weights: never allocated either
    ({"arch_depths": [10 ** 7] * 3}, "blocks for .* weight tensors"),  # millions of modules: never built
    ({"arch_depths": ["x", 1, 1]}, "depths must be integers"),
    ({"arch_widths": [float("inf")] * 4}, "bad architecture"),
    ({"arch_map_stride": 3}, "bad architecture"),
    ({"architecture": [1, 2]}, "architecture must be a JSON object"),
    ({"normalisation": "none"}, "normalisation must be a JSON object"),
    ({"format_version": "1"}, "format version must be an integer"),
    ({"format_version": 99}, "newer than this glassfail"),
])
def test_a_consistently_tampered_config_is_refused_quickly(model, changes, match):
    _retamper(model, **changes)
    t0 = time.perf_counter()
    with pytest.raises(ModelFileError, match=match) as err:
        load_model(model)
    assert time.perf_counter() - t0 < 10
    assert "\n" not in str(err.value)


def test_weights_holding_nan_are_refused(model):
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    path = model / "model.safetensors"
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata()
    tensors = load_file(str(path))
    tensors["head.bias"] = torch.full_like(tensors["head.bias"], float("nan"))
    save_file(tensors, str(path), metadata=meta)  # same header fingerprint: only the values are damaged
    with pytest.raises(ModelFileError, match=r"NaN or infinite values \(e.g. head.bias\)"):
        load_model(model)
