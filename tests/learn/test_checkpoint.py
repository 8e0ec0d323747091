"""Models are files, not pickles: save → load gives the same predictions; bad files are refused in one line."""

import json
import shutil

import pytest
import torch

from glassfail_core.io import read
from glassfail_core.learn.checkpoint import Model, ModelFileError, fingerprint, load_model, save_model
from glassfail_core.learn.model import DEFAULT_ARCHITECTURE, build_network
from glassfail_core.learn.train import TrainParams


def _config():
    p = TrainParams()
    return {"name": "test", "version": "0", "architecture": p.architecture, "input": dict(p.input),
            "targets": list(p.targets), "maps": list(p.maps),
            "normalisation": {"image": {"mean": 50.0, "std": 100.0},
                              "targets": {t: {"mean": 0.1, "std": 0.02} for t in p.targets}}}


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(3)
    cfg = _config()
    net = build_network(cfg["architecture"]).eval()
    save_model(Model(net, cfg), tmp_path / "m")
    return tmp_path / "m", net


def test_save_load_gives_identical_outputs(saved):
    path, net = saved
    m = load_model(path)
    x = torch.randn(2, 1, 32, 48)
    with torch.no_grad():
        for a, b in zip(net(x), m.network(x)):
            assert torch.equal(a, b)
    assert m.sha256 and len(m.sha256) == 64 and m.config["fingerprint"] == fingerprint(m.config)
    assert isinstance(read(path, "model"), Model)  # through the IO registry
    assert load_model(path / "config.json").sha256 == m.sha256


def test_a_non_model_file_is_refused(tmp_path, saved):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x80\x04not a model")
    with pytest.raises(ModelFileError, match="not a glassfail model"):
        load_model(junk)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "config.json").write_text('{"a": 1}')
    with pytest.raises(ModelFileError, match="not a glassfail model config"):
        load_model(folder)
    path, _ = saved
    (path / "model.safetensors").write_bytes(b"PK\x03\x04" + bytes(100))  # e.g. a torch.save zip
    with pytest.raises(ModelFileError, match="safetensors"):
        load_model(path)


def test_a_truncated_safetensors_file_is_refused(saved):
    path, _ = saved
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="damaged or truncated") as err:
        load_model(path)
    assert "\n" not in str(err.value)


def test_wrong_shapes_and_edited_configs_are_refused(saved):
    path, _ = saved
    cfg = json.loads((path / "config.json").read_text())
    wider = dict(cfg, architecture=dict(cfg["architecture"], widths=[32, 32, 64, 128]))
    (path / "config.json").write_text(json.dumps(wider))
    with pytest.raises(ModelFileError, match="weights do not fit the architecture: .* has shape"):
        load_model(path)
    edited = dict(cfg, normalisation=dict(cfg["normalisation"], image={"mean": 0.0, "std": 1.0}))
    (path / "config.json").write_text(json.dumps(edited))
    with pytest.raises(ModelFileError, match="changed after the model was saved"):
        load_model(path)


def test_weights_of_another_model_are_refused(saved, tmp_path):
    path, _ = saved
    other = _config()
    other["targets"] = other["targets"][:1]
    other["normalisation"]["targets"] = {other["targets"][0]: {"mean": 0.0, "std": 1.0}}
    other["architecture"] = dict(DEFAULT_ARCHITECTURE, n_scalars=1)
    save_model(Model(build_network(other["architecture"]), other), tmp_path / "o")
    shutil.copy(tmp_path / "o" / "model.safetensors", path / "model.safetensors")
    with pytest.raises(ModelFileError, match="do not fit|different models"):
        load_model(path)
    with pytest.raises(ModelFileError, match="no such model folder"):
        load_model(tmp_path / "missing")
