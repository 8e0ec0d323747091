"""The reference study's recipe (ResNet, MSE, Adam, per-sample median) as a baseline on a dataset's test split.

    python benchmarks/recipe_baseline.py DATASET -o OUT_DIR [--match MODEL_DIR] [--images N] [--width 32]

``--match MODEL_DIR`` trains on as many images as that model saw (its epochs run × training samples). Writes
OUT_DIR/recipe.json, which ``glassfail evaluate MODEL_DIR DATASET --recipe OUT_DIR/recipe.json`` reports as the
``resnet_recipe`` baseline; prints the recipe's metrics per target.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from glassfail_core.dataset import load_dataset
from glassfail_core.learn.data import records
from glassfail_core.learn.metrics import scalar_metrics
from glassfail_core.learn.recipe import recipe_steps
from glassfail_core.progress import run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--match", help="model folder whose number of training images to match")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--copies", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args(argv)
    images = a.images
    if images is None:
        if not a.match:
            ap.error("give --images or --match MODEL_DIR")
        cfg = json.loads((Path(a.match) / "config.json").read_text())
        images = int(cfg["training"]["epochs_run"]) * int(cfg["training"]["splits"]["train"])

    def show(ev):
        if ev.total and ev.done == ev.total or ev.stage == "recipe" and int(ev.done) % 320 < 16:
            print(f"{ev.stage} {int(ev.done)}/{ev.total}: {ev.message}", file=sys.stderr, flush=True)

    run(recipe_steps(a.dataset, a.out, images=images, width=a.width, copies=a.copies, threads=a.threads), show)
    d = json.loads((Path(a.out) / "recipe.json").read_text())
    test = {r.index: r for r in records(load_dataset(a.dataset), "test")}
    print(f"recipe: width {d['width']}, {d['parameters']:,} parameters, {d['images_seen']} images, "
          f"{d['copies']} copies per test sample, {d['wall_s']:.0f} s")
    print("| target | R² | Pearson r² | MAE |\n|---|---|---|---|")
    for t in d["targets"]:
        idx = [int(i) for i in d["per_sample"] if int(i) in test and test[int(i)].scalars.get(t) is not None]
        y = np.array([test[i].scalars[t] for i in idx])
        p = np.array([d["per_sample"][str(i)][t] for i in idx])
        m = scalar_metrics(y, p)
        print(f"| {t} | {m['r2']:.3f} | {m['pearson_r2']:.3f} | {m['mae']:.4g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
