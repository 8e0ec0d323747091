"""The reference recipe baseline: trains, predicts the test split by per-sample medians, and joins the report."""

import json

import numpy as np
import pytest
import torch

from glassfail_core.errors import InputError
from glassfail_core.learn.evaluate import evaluate
from glassfail_core.learn.recipe import ResNetRegressor, read_recipe, recipe_steps
from glassfail_core.progress import run


def test_resnet_regressor_has_resnet18_depth():
    net = ResNetRegressor(n_out=3, width=64)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1)]
    assert len(convs) == 17  # the stem and 16 convolutions of 8 basic blocks: ResNet-18's 17 + the head
    assert sum(p.numel() for p in net.parameters()) == pytest.approx(11.17e6, rel=0.01)  # ResNet-18, 1 channel


def test_recipe_trains_predicts_and_joins_the_report(tiny_dataset, tiny_model, tmp_path):
    out = run(recipe_steps(tiny_dataset, tmp_path, images=24, width=8, copies=3, batch_size=4))
    d = json.loads((tmp_path / "recipe.json").read_text())
    assert d["images_seen"] == 24 and out["per_sample"] == d["per_sample"] and d["per_sample"]
    assert all(np.isfinite(v) for p in d["per_sample"].values() for v in p.values())
    rep = evaluate(tiny_model[0], tiny_dataset, recipe=tmp_path / "recipe.json", plots=False)
    got = rep["scalars"]["failure_strain"]["baselines"]["resnet_recipe"]
    assert got["n"] == len(d["per_sample"]) == rep["n"]
    truth = {r["index"]: r["truth"]["failure_strain"] for r in rep["per_sample"]}
    mae = np.mean([abs(d["per_sample"][str(i)]["failure_strain"] - y) for i, y in truth.items()])
    assert got["mae"] == pytest.approx(mae, rel=1e-9)
    with pytest.raises(InputError, match="another dataset"):
        read_recipe(tmp_path, "0000")
