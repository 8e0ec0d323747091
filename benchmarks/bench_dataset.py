"""Dataset production: speed (samples per core-hour, 1 and 2 workers) and the strain-step study of the labels.

Speed (default): builds ``--n`` samples of the default spec (16 × 18 rings, s² 0.2–1.2, until failure) with one
worker and, into another folder, with two workers (LocalCluster), and prints samples per core-hour, the scaling
efficiency and the time split (generation + relaxation, AQS) from the samples' own timings.

Step study (``--study``): for ``--n`` samples, the production protocol against the same runs with every strain step
halved; prints per-sample |Δε_max|, |Δσ_max| (%), the failure-site and first-break-site shifts (minimum image, Å),
and how many samples meet the issue's tolerances (|Δε_max| ≤ 0.0025, |Δσ_max| ≤ 2 %, failure site ≤ 3 Å).

    .venv/bin/python benchmarks/bench_dataset.py --n 8                 # speed, 1 and 2 workers
    .venv/bin/python benchmarks/bench_dataset.py --study --n 20        # step study (reruns at half steps)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from glassfail_core.dataset import DatasetSpec, labels_from_result, load_dataset  # noqa: E402
from glassfail_core.dataset.build import build  # noqa: E402
from glassfail_core.dataset.spec import DEFAULT_PROTOCOL  # noqa: E402
from glassfail_core.generation import generate  # noqa: E402
from glassfail_core.neighbors import minimum_image  # noqa: E402
from glassfail_core.physics import AQSParams, deform  # noqa: E402

TOL = {"eps": 0.0025, "sigma_rel": 0.02, "site": 3.0}


def speed(n, rings, seed):
    rows = []
    for workers in (1, 2):
        spec = DatasetSpec(seed=seed, variance=(0.2, 1.2), rings=rings)
        with tempfile.TemporaryDirectory() as root:
            t = time.perf_counter()
            s = build(root, spec, n, workers=workers)
            wall = time.perf_counter() - t
            tab = load_dataset(root).table
        ok = tab[tab["status"] == "ok"]
        per_core_hour = (s.made + s.failed) / (wall * workers) * 3600
        rows.append((workers, s.made, s.failed, wall, per_core_hour, ok["generate_s"].median(),
                     ok["deform_s"].median(), ok["total_s"].median()))
    base = rows[0][4]
    print("| workers | made | failed | wall (s) | samples / core-hour | efficiency | median generate+relax (s) | "
          "median AQS to failure (s) | median total (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w, made, failed, wall, pch, g, d, tot in rows:
        print(f"| {w} | {made} | {failed} | {wall:.0f} | {pch:.0f} | {pch / base:.2f} | {g:.1f} | {d:.1f} | "
              f"{tot:.1f} |")


def _dist(a, b, glass):
    if a is None or b is None:
        return float("nan")
    d = minimum_image(np.array([[a[0] - b[0], a[1] - b[1]]]), glass.cell, glass.pbc)
    return float(np.hypot(*d[0]))


def study(n, rings, seed, protocol, samples=None):
    spec = DatasetSpec(seed=seed, variance=(0.2, 1.2), rings=rings, protocol=protocol)
    print(f"protocol: {protocol}; half: step and refine_step / 2")
    print("| sample | s² | ε_max | Δε_max | σ_max (eV/Å²) | Δσ_max % | failure-site shift (Å) | first-break shift (Å) "
          "| time (s) prod / half | ok |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|")
    n_ok, t_prod, t_half = 0, 0.0, 0.0
    for i in (samples if samples else range(n)):
        g = generate(rings, spec.sample_variance(i), seed=spec.sample_seed(i), platform="NumPy")
        labs, times = [], []
        for scale in (1.0, 0.5):
            p = dict(protocol, step=protocol["step"] * scale, refine_step=protocol["refine_step"] * scale)
            t = time.perf_counter()
            r = deform(g, AQSParams(**p, platform="NumPy", threads=1))
            times.append(time.perf_counter() - t)
            labs.append(labels_from_result(r, fraction=protocol.get("failure_fraction", 0.5)))
        a, b = labs
        de = abs(a.failure_strain - b.failure_strain)
        ds = abs(a.max_stress - b.max_stress) / a.max_stress
        dsite = _dist(a.failure_site, b.failure_site, g)
        dfb = _dist(a.first_break_site, b.first_break_site, g)
        ok = de <= TOL["eps"] + 1e-12 and ds <= TOL["sigma_rel"] and dsite <= TOL["site"]
        n_ok += ok
        t_prod += times[0]
        t_half += times[1]
        print(f"| {i} | {g.info['variance']:.3f} | {a.failure_strain:.4f} | {de:.4f} | {a.max_stress:.5f} | "
              f"{100 * ds:.2f} | {dsite:.2f} | {dfb:.2f} | {times[0]:.0f} / {times[1]:.0f} | {'yes' if ok else 'no'} |",
              flush=True)
    print(f"\n{n_ok} of {len(samples) if samples else n} within |Δε_max| ≤ {TOL['eps']}, |Δσ_max| ≤ {100 * TOL['sigma_rel']:.0f} %, failure site "
          f"≤ {TOL['site']} Å; AQS time {t_prod:.0f} s (production) vs {t_half:.0f} s (half steps)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--rings", default="16x18")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--study", action="store_true")
    ap.add_argument("--step", type=float, default=DEFAULT_PROTOCOL["step"])
    ap.add_argument("--refine-step", type=float, default=DEFAULT_PROTOCOL["refine_step"])
    ap.add_argument("--samples", default="", help="Comma-separated sample indices (default: 0 … n−1).")
    args = ap.parse_args()
    rings = tuple(int(v) for v in args.rings.split("x"))
    if args.study:
        picked = [int(v) for v in args.samples.split(",") if v.strip()]
        study(args.n, rings, args.seed, dict(DEFAULT_PROTOCOL, step=args.step, refine_step=args.refine_step), picked)
    else:
        speed(args.n, rings, args.seed)


if __name__ == "__main__":
    main()
