"""`predict` on a 1,440-atom structure on one core, after the model is loaded (the issue's bar: ≤ 1 s).

    python benchmarks/bench_predict.py [--model MODEL_DIR] [--repeat 5]

Side by side in one run: the whole prediction with the four flips (default), without them, and its parts (drawing
the four images; the network on the batch of four), median of ``repeat`` runs each, torch on one thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from glassfail_core.io import read_structure
from glassfail_core.learn.images import Augment, render_input
from glassfail_core.learn.infer import FLIPS
from glassfail_core.learn.predict import _resolve_model, predict

ROOT = Path(__file__).resolve().parents[1]


def _median_s(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--structure", default=str(ROOT / "sample_data" / "glass_s2_0.6.extxyz"))
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    g = read_structure(a.structure)
    m = _resolve_model(a.model)
    predict(g, m)  # warm-up (numba, caches)
    inp = m.config["input"]
    imgs = np.stack([render_input(g, inp, aug=Augment(fx, fy), noise=False)[0] for fx, fy in FLIPS])
    x = torch.from_numpy(imgs.astype(np.float32))[:, None]
    net = m.network.eval()

    def forward():
        with torch.no_grad():
            net(x)

    rows = [("predict, 4 flips (default)", _median_s(lambda: predict(g, m), a.repeat)),
            ("predict, no flips (tta=False)", _median_s(lambda: predict(g, m, tta=False), a.repeat)),
            ("  draw the 4 images", _median_s(lambda: [render_input(g, inp, aug=Augment(fx, fy), noise=False)
                                                      for fx, fy in FLIPS], a.repeat)),
            ("  network on the batch of 4", _median_s(forward, a.repeat))]
    print(f"{len(g)} atoms, image {imgs.shape[1]}×{imgs.shape[2]} px, torch {torch.__version__} on 1 thread, "
          f"median of {a.repeat}")
    print("| step | s | ratio to the default |\n|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {t / rows[0][1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
