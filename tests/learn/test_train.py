"""Training on a tiny dataset: the loss falls, a killed training resumes exactly, the evaluation is complete."""

import json

import numpy as np
import pytest
import torch

from glassfail_core.cli.main import main
from glassfail_core.dataset import load_dataset
from glassfail_core.errors import InputError
from glassfail_core.learn.checkpoint import load_model
from glassfail_core.learn.data import GlassImages, records
from glassfail_core.learn.images import Augment
from glassfail_core.learn.train import train, train_steps

from .conftest import FAST


def test_a_few_epochs_lower_the_loss(tiny_model):
    path, res = tiny_model
    losses = [h["train_loss"] for h in res.history]
    assert len(losses) == FAST["epochs"] and min(losses[1:]) < losses[0]
    assert (path / "model.safetensors").is_file() and (path / "evaluation" / "report.json").is_file()
    cfg = load_model(path).config
    assert set(cfg["intervals"]["halfwidth"]) == set(cfg["targets"])
    assert cfg["training"]["dataset_identity"] and cfg["training"]["content_hash"]
    assert "failure_strain" in cfg["test_metrics"]


def test_killed_training_resumes_exactly(tiny_dataset, tiny_model, tmp_path):
    threads = torch.get_num_threads()
    try:
        job = train_steps(tiny_dataset, tmp_path / "m", evaluate=False, **FAST)
        epochs = 0
        for ev in job:  # "kill" after the second epoch's checkpoint
            epochs += "val_loss" in ev.data
            if epochs == 2:
                job.close()
                break
        res = train(tiny_dataset, tmp_path / "m", evaluate=False, **FAST)
    finally:
        torch.set_num_threads(threads)
    assert res.resumed_from == 2
    full = tiny_model[1].history
    assert [h["train_loss"] for h in res.history] == pytest.approx([h["train_loss"] for h in full], rel=1e-5)
    with pytest.raises(InputError, match="another training"):
        train(tiny_dataset, tmp_path / "m", evaluate=False, **dict(FAST, seed=1))


def test_augmented_items_move_the_label_maps(tiny_dataset, tiny_model):
    cfg = load_model(tiny_model[0]).config
    recs = [r for r in records(load_dataset(tiny_dataset), "train") if len(r.first_break)]
    data = GlassImages(recs, cfg, augment=True, seed=0)
    r = recs[0]
    for aug in (Augment(), Augment(True, False, (5.0, 2.5)), Augment(False, True, (17.2, 9.9))):
        item = data.item(0, aug)
        m = item["maps"][1].numpy()
        k = np.unravel_index(int(np.argmax(m)), m.shape)
        ps = np.array(r.glass.cell) / np.array(m.shape[::-1])
        xy = (np.array([k[1], k[0]]) + 0.5) * ps
        want = aug.apply(r.first_break, r.glass.cell)[0]
        d = (xy - want + r.glass.cell / 2) % r.glass.cell - r.glass.cell / 2
        assert np.all(np.abs(d) <= ps)
        assert item["image"].shape[-2:] == tuple(2 * s for s in m.shape)


def test_evaluate_report_and_cli(tiny_dataset, tiny_model, tmp_path, capsys):
    path, _ = tiny_model
    with pytest.raises(SystemExit) as ex:
        main(["evaluate", str(path), str(tiny_dataset), "--split", "test", "-o", str(tmp_path / "r"), "--json"])
    assert ex.value.code == 0
    rep = json.loads(capsys.readouterr().out)
    fs = rep["scalars"]["failure_strain"]
    assert {"r2", "pearson_r2", "mae", "spearman", "by_tercile"} <= set(fs["model"])
    assert {"mean", "linear_s2", "ridge", "gbr", "linear_response"} <= set(fs["baselines"]) and "coverage" in fs
    assert "linear_response" in rep["scalars"]["first_break_strain"]["baselines"]
    site = rep["sites"]["failure_site"]
    assert {"median", "within_5A", "within_10A", "nearest_bond", "mass_within_5A"} <= set(site["model"])
    assert {"random", "highest_energy_atom"} <= set(site["baselines"])
    assert (tmp_path / "r" / "report.json").is_file() and any(p.endswith(".png") for p in rep["plots"])


def test_evaluate_all_samples_of_another_dataset_fits_baselines_on_the_training_one(tiny_model, tiny_dataset,
                                                                                      tmp_path):
    # A "transfer set": the same dataset copied under another seed would be another identity; here the evaluated
    # dataset is the training one, so the baselines come from it, and split="all" takes every sample.
    from glassfail_core.dataset import load_dataset
    from glassfail_core.learn.evaluate import _training_dataset, evaluate

    ds = load_dataset(tiny_dataset)
    rep = evaluate(tiny_model[0], tiny_dataset, split="all", plots=False, baselines=False)
    assert rep["n"] == int((ds.table["status"] == "ok").sum())
    cfg = {"training": {"dataset_identity": "another", "dataset": str(tiny_dataset)}}
    assert _training_dataset(ds, cfg) is ds  # the named dataset has another identity: fall back to the evaluated
    cfg = {"training": {"dataset_identity": ds.spec.identity(), "dataset": str(tiny_dataset)}}
    assert _training_dataset(ds, cfg) is ds
    from types import SimpleNamespace

    transfer = SimpleNamespace(spec=SimpleNamespace(identity=lambda: "a transfer set"))
    got = _training_dataset(transfer, cfg)  # evaluated elsewhere: the model's own training dataset is found
    assert got is not transfer and got.spec.identity() == ds.spec.identity()


def test_the_model_s_own_samples_are_found_and_evaluated_as_trained(tiny_model, tiny_dataset, tmp_path):
    # A model records the samples of each split; an older model recorded only their counts and the content hash,
    # from which the same samples are recovered (the first of each split) — and refused when a file changed.
    import shutil

    from glassfail_core.learn.evaluate import evaluate, model_samples

    ds = load_dataset(tiny_dataset)
    cfg = load_model(tiny_model[0]).config
    own = model_samples(ds, cfg)
    assert own == {s: ds.indices(s) for s in ("train", "val", "test")} == cfg["training"]["samples"]
    counts_only = dict(cfg, training={k: v for k, v in cfg["training"].items() if k != "samples"})
    assert model_samples(ds, counts_only) == own
    fewer = dict(counts_only, training=dict(counts_only["training"], splits={"train": 1, "val": 1, "test": 1}))
    assert model_samples(ds, fewer) is None  # other samples: another content hash
    rep = evaluate(tiny_model[0], tiny_dataset, split="test", plots=False, baselines=False, as_trained=True)
    assert [r["index"] for r in rep["per_sample"]] == own["test"]
    copy = tmp_path / "ds"
    shutil.copytree(tiny_dataset, copy)
    victim = load_dataset(copy).store.sample_path(own["train"][0])
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the same sample, one byte changed
    victim.write_bytes(bytes(data))
    assert model_samples(load_dataset(copy), cfg) is None
    with pytest.raises(InputError, match="--as-trained"):
        evaluate(tiny_model[0], copy, split="test", plots=False, baselines=False, as_trained=True)


def test_cut_items_are_non_periodic_windows_with_their_labels(tiny_dataset, tiny_model):
    from glassfail_core.learn.images import input_shape, render_input

    recs = records(load_dataset(tiny_dataset), "train")
    cfg = dict(load_model(tiny_model[0]).config)
    cfg["input"] = dict(cfg["input"], cut_fraction=1.0)
    data = GlassImages(recs, cfg, augment=True, seed=0)
    data.set_epoch(3)
    r, aug = recs[0], data.augmentation(0)
    assert data.is_cut(0) and aug.offset != (0.0, 0.0)
    cut = data._cut(r, aug)
    assert cut.pbc == (False, False) and np.all((cut.positions >= 0) & (cut.positions < r.glass.cell))
    assert data.shape(0) == input_shape(cut, cfg["input"]) != input_shape(r.glass, cfg["input"])
    item = data[0]
    _, frame = render_input(cut, cfg["input"], noise=False)
    m = item["maps"][1].numpy()
    mframe = frame.scaled(int(cfg["input"]["map_stride"]))
    k = np.unravel_index(int(np.argmax(m)), m.shape)
    want = np.mod(aug.apply(r.first_break, r.glass.cell)[0], r.glass.cell)  # moved and wrapped like the atoms
    assert np.all(np.abs(mframe.px_to_xy(np.array(k)) - want) <= mframe.pixel_size[0])
    assert item["scalars"].tolist() == GlassImages(recs, load_model(tiny_model[0]).config, augment=True)[0][
        "scalars"].tolist()  # the labels stay the periodic glass's
    # the scalars pool over the sample's own cells and the maps' softmax over its own pixels, as at inference
    cells, valid = item["cells"].numpy(), item["valid"].numpy()
    assert cells.shape == tuple(s // int(cfg["input"]["stride"]) for s in data.shape(0))
    np.testing.assert_array_equal(cells, frame.scaled(int(cfg["input"]["stride"])).mask())
    np.testing.assert_array_equal(valid, mframe.mask())
    assert 0 < cells.sum() < cells.size and 0 < valid.sum() < valid.size  # padding exists and is left out
    assert float(m[~valid].sum()) == 0.0 and abs(float(m.sum()) - 1.0) < 1e-5
    assert GlassImages(recs, load_model(tiny_model[0]).config, augment=True)[0]["cells"].numpy().all()
    assert not GlassImages(recs, cfg, augment=False).is_cut(0)  # never on validation images
