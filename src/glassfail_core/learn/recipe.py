"""The reference study's recipe as a baseline: a plain ResNet regressor, MSE, Adam, per-sample median of 64 copies.

Font-Clos et al. trained a ResNet50 from scratch on their synthetic micrographs (64 augmented copies of each
sample), with an MSE loss and Adam, and predicted the per-sample median over the copies. A ResNet50 costs about two
hours per epoch at 128² on this CPU, so without a GPU the same recipe runs here with a ResNet-18-depth network
(:class:`ResNetRegressor`: 7 × 7 stem of stride 2, max-pooling, four stages of two basic blocks, zero padding — no
circular padding, no map head, one linear output per scalar target) at half ResNet-18's widths, trained on the same
number of images as the model it is compared with (``images``: training images drawn, each a fresh augmented copy
as in our training: flips, translation, Poisson noise — the recipe's 64 stored copies per sample are equivalent
draws). Test predictions are the median over ``copies`` augmented copies of each test image.

``recipe_steps`` writes ``recipe.json`` (per-sample predictions on the test split, the dataset identity, images
seen, wall time); :func:`~.evaluate.evaluate_steps` reads it as the ``resnet_recipe`` baseline (``--recipe``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._atomic import write_json
from ..errors import InputError
from ..progress import Job, Progress
from .data import TARGETS, GlassImages, batches, collate, image_stats, records, target_stats
from .images import DEFAULT_INPUT, input_shape

__all__ = ["ResNetRegressor", "recipe_steps", "read_recipe"]


class _Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.short = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNetRegressor(nn.Module):
    """ResNet-18 topology (zero padding) with a linear head of ``n_out`` scalars.

    >>> net = ResNetRegressor(n_out=3, width=8).eval()
    >>> tuple(net(torch.zeros(2, 1, 64, 64)).shape)
    (2, 3)
    """

    def __init__(self, n_out: int = 3, width: int = 32, depths=(2, 2, 2, 2)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], width
        for k, d in enumerate(depths):
            c = width * 2 ** k
            blocks += [_Basic(cin if i == 0 else c, c, 2 if (i == 0 and k > 0) else 1) for i in range(d)]
            cin = c
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, int(n_out))

    def forward(self, x):
        return self.head(self.body(self.stem(x)).mean(dim=(-2, -1)))


def _config(train, targets, seed) -> dict:
    inp = dict(DEFAULT_INPUT, train_shape=list(input_shape(train[0].glass, DEFAULT_INPUT)))
    return {"input": inp, "targets": list(targets), "maps": [],
            "normalisation": {"image": image_stats(train, DEFAULT_INPUT, seed=seed),
                              "targets": target_stats(train, targets)}}


def recipe_steps(dataset_dir, out_dir, *, images: int, width: int = 32, copies: int = 64, batch_size: int = 16,
                 lr: float = 1e-3, seed: int = 0, threads: Optional[int] = None, limit: Optional[int] = None,
                 targets=TARGETS) -> Job[dict]:
    """Train the recipe on the training split for ``images`` images and predict the test split into
    ``out_dir/recipe.json`` (see the module docstring). Returns what it wrote."""
    from ..dataset import load_dataset

    if images < 1 or copies < 1 or width < 1:
        raise InputError("images, copies and width must be ≥ 1")
    if threads is not None:
        torch.set_num_threads(int(threads))
    t0 = time.perf_counter()
    ds = load_dataset(dataset_dir)
    train, test = records(ds, "train", limit), records(ds, "test", limit)
    if len(train) < 2 or not test:
        raise InputError(f"{dataset_dir}: the recipe needs ≥ 2 training and ≥ 1 test sample(s)")
    torch.manual_seed(seed)
    cfg = _config(train, targets, seed)
    net = ResNetRegressor(len(targets), width)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    data = GlassImages(train, cfg, augment=True, seed=seed)
    seen, epoch = 0, 0
    while seen < images:
        data.set_epoch(epoch)
        net.train()
        for b in batches(data, batch_size, np.random.default_rng([seed, epoch, 7])):
            b = b[:max(2, images - seen)] if images - seen < len(b) else b
            batch = collate([data[j] for j in b])
            m = batch["scalar_mask"]
            loss = ((net(batch["image"]) - batch["scalars"]) ** 2 * m).sum() / m.sum().clamp(min=1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(b)
            yield Progress("recipe", min(seen, images), images, f"epoch {epoch + 1}, MSE {float(loss.detach()):.3f}")
            if seen >= images:
                break
        epoch += 1
    net.eval()
    tdata = GlassImages(test, cfg, augment=True, seed=seed + 1)
    per_sample = {}
    with torch.no_grad():
        for k, r in enumerate(test):
            outs = []
            for c in range(copies):
                tdata.set_epoch(c)
                outs.append(net(tdata[k]["image"][None])[0].numpy())
            med = np.median(np.stack(outs), axis=0)
            per_sample[str(r.index)] = {t: float(med[i]) * cfg["normalisation"]["targets"][t]["std"]
                                        + cfg["normalisation"]["targets"][t]["mean"] for i, t in enumerate(targets)}
            yield Progress("recipe test", k + 1, len(test), f"sample {r.index}")
    out = {"recipe": "ResNet-18 depth, zero padding, MSE, Adam, per-sample median of augmented copies",
           "width": width, "images_seen": seen, "copies": copies, "lr": lr, "batch_size": batch_size, "seed": seed,
           "dataset_identity": ds.spec.identity(), "targets": list(targets),
           "parameters": int(sum(p.numel() for p in net.parameters())), "per_sample": per_sample,
           "wall_s": time.perf_counter() - t0}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_json(Path(out_dir) / "recipe.json", out)
    return out


def read_recipe(path, dataset_identity: str) -> dict:
    """The recipe's per-sample test predictions ``{index: {target: value}}`` from ``recipe.json`` (a folder or the
    file), refused when they were made on another dataset."""
    import json

    p = Path(path)
    p = p / "recipe.json" if p.is_dir() else p
    try:
        d = json.loads(p.read_text())
        per, ident = d["per_sample"], d["dataset_identity"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{p}: not a recipe baseline file of glassfail ({exc.__class__.__name__})") from None
    if ident != dataset_identity:
        raise InputError(f"{p} was made on another dataset ({ident}, not {dataset_identity})")
    return {int(k): v for k, v in per.items()}
