"""Benchmark: Grad-CAM of one 128² image on one CPU core, the augmentation-averaged map, its convergence with the
number of copies, and captum against a Grad-CAM computed by hand from hooks.

Input: ``sample_data/glass_s2_0.6.extxyz`` (1,440 atoms, periodic, drawn at 128 × 128 px). Model: ``--model DIR``,
else the shipped model, else the default architecture with seeded random weights (times depend on the
architecture only; the convergence of a trained model's maps is what matters, so pass one when there is one).

1. One Grad-CAM map (captum, after the model is loaded; forward through the encoder, gradient down to the layer,
   weighting and upsampling; the image already drawn) at every stage, best of ``--repeat``; target ≤ 50 ms.
2. captum against hooks: the largest absolute difference of the signed maps, and relative to the map's range.
3. The averaged map of ``explain`` (``DEFAULT_COPIES`` copies: drawing, Grad-CAM, undoing each copy), wall time;
   target ≤ 2 s.
4. Convergence: the map of the first N copies against a reference of ``--reference`` further copies (disjoint
   from the first ones): relative L2 error and Pearson r, for N = 1, 2, 4, … .

    .venv/bin/python benchmarks/bench_explain.py
    .venv/bin/python benchmarks/bench_explain.py --model MODEL_DIR --reference 256
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from glassfail_core.explain.explanation import DEFAULT_COPIES
from glassfail_core.explain.gradcam import (LAYERS, apply_variant, averaged_cam, gradcam_captum, gradcam_hooks,
                                            resolve_layer, upsample)
from glassfail_core.io import read_structure
from glassfail_core.learn.images import render_input

ROOT = Path(__file__).resolve().parents[1]


def load(model_dir):
    from glassfail_core.learn.checkpoint import Model, load_model
    from glassfail_core.learn.data import MAPS, TARGETS
    from glassfail_core.learn.images import DEFAULT_INPUT
    from glassfail_core.learn.model import DEFAULT_ARCHITECTURE, build_network
    from glassfail_core.learn.predict import DEFAULT_MODEL_DIR

    for d in (model_dir, DEFAULT_MODEL_DIR):
        if d is not None and (Path(d) / "config.json").is_file():
            return load_model(d), str(d)
    torch.manual_seed(0)
    cfg = {"architecture": dict(DEFAULT_ARCHITECTURE), "input": dict(DEFAULT_INPUT), "targets": list(TARGETS),
           "maps": list(MAPS), "normalisation": {"image": {"mean": 40.0, "std": 90.0},
                                                 "targets": {t: {"mean": 0.0, "std": 1.0} for t in TARGETS}}}
    return Model(build_network(cfg["architecture"]).eval(), cfg), "default architecture, random weights (seed 0)"


def best_of(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--structure", default=str(ROOT / "sample_data" / "glass_s2_0.6.extxyz"))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--reference", type=int, default=256, help="copies of the convergence reference")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, what = load(args.model)
    net, cfg = model.network.eval(), model.config
    glass = read_structure(args.structure)
    img, frame = render_input(glass, cfg["input"], noise=False)
    im = cfg["normalisation"]["image"]
    x = torch.from_numpy(((img - im["mean"]) / im["std"]).astype(np.float32))[None, None]
    print(f"# glassfail explain benchmark — {platform.processor() or platform.machine()}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"# model: {what}; input {args.structure} ({len(glass)} atoms) drawn at {img.shape[0]} × {img.shape[1]} px")
    t_render = best_of(lambda: render_input(glass, cfg["input"], noise=False), 5)

    print("\n## one Grad-CAM map (captum; image drawn), and captum vs hooks")
    print(f"{'layer':<8} {'map':>7} {'captum ms':>10} {'hooks ms':>9} {'max |Δ|':>10} {'rel Δ':>9}")
    for name in LAYERS:
        _, module = resolve_layer(net, name, x.shape)

        def one():
            cam = gradcam_captum(net, x, module, 0)
            return upsample(apply_variant(cam, "relu"), x.shape[-2:], True)

        one()
        tc = best_of(one, args.repeat)
        th = best_of(lambda: gradcam_hooks(net, x, module, 0), args.repeat)
        a, b = gradcam_captum(net, x, module, 0), gradcam_hooks(net, x, module, 0)
        diff = float((a - b).abs().max())
        rel = diff / max(float(a.max() - a.min()), 1e-30)
        print(f"{name:<8} {a.shape[-2]:>3}×{a.shape[-1]:<3} {tc * 1e3:>10.1f} {th * 1e3:>9.1f} {diff:>10.2e} "
              f"{rel:>9.1e}")
    print(f"(drawing the image: {t_render * 1e3:.1f} ms)")

    print(f"\n## the averaged map of explain ({DEFAULT_COPIES} copies, default layer, all four variants)")
    t0 = time.perf_counter()
    cam = averaged_cam(model, glass, variants=("relu", "abs", "neg", "signed"), copies=DEFAULT_COPIES)
    t_avg = time.perf_counter() - t0
    print(f"layer {cam.layer} (stride {cam.stride}): {t_avg:.2f} s "
          f"({t_avg / DEFAULT_COPIES * 1e3:.1f} ms per copy, drawing and undoing included)")

    n_max = 128
    total = n_max + args.reference
    print(f"\n## convergence: first N copies vs a reference of {args.reference} further copies "
          f"({total} copies drawn)")
    t0 = time.perf_counter()
    big = averaged_cam(model, glass, variants=("relu", "abs"), copies=total, keep_copies=True)
    print(f"({time.perf_counter() - t0:.1f} s)")
    print(f"{'N':>5} " + " ".join(f"{v + ' L2':>10} {v + ' r':>8}" for v in ("relu", "abs")))
    refs = {v: big.per_copy[v][n_max:].mean(axis=0) for v in ("relu", "abs")}
    n = 1
    while n <= n_max:
        cells = []
        for v in ("relu", "abs"):
            est, ref = big.per_copy[v][:n].mean(axis=0), refs[v]
            err = np.linalg.norm(est - ref) / np.linalg.norm(ref)
            r = np.corrcoef(est.ravel(), ref.ravel())[0, 1]
            cells.append(f"{err:>10.3f} {r:>8.4f}")
        print(f"{n:>5} " + " ".join(cells))
        n *= 2


if __name__ == "__main__":
    main()
