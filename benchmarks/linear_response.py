"""The first break is linear response: how well one relaxation predicts the AQS first-break strain and site.

    python benchmarks/linear_response.py DATASET [--n N]

For every finished sample of DATASET (or the first ``n``): stretch the relaxed glass affinely by 0.5 % along x,
relax it at that cell (:func:`glassfail_core.learn.baselines.linear_response`), and compare with the labels of the
full AQS run: the strain ``lr_strain`` at which the first bond would reach 2.2 Å at its linear rate against the
first-break strain (squared Pearson r, Spearman, the least-squares line, and R² of that line fitted on the training
split and applied to the test split), and the most-stretched bond against the first broken one (distance). The same
correlations for the failure strain and σ_max show what linear response does not tell. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import pearsonr, spearmanr

from glassfail_core.dataset import load_dataset
from glassfail_core.learn.baselines import linear_response
from glassfail_core.neighbors import minimum_image


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--n", type=int, default=None)
    a = ap.parse_args(argv)
    ds = load_dataset(a.dataset)
    idx = ds.indices()[: a.n] if a.n else ds.indices()
    rows, t0 = [], time.perf_counter()
    for i in idx:
        s = ds.sample(i)
        lab = s.labels
        if lab.get("first_break_strain") is None:
            continue
        lr = linear_response(s.glass)
        if not len(lr["strains"]):
            continue
        d = minimum_image(np.asarray(lr["site"]) - np.asarray(lab["first_break_site"]), s.glass.cell, s.glass.pbc)
        rows.append((s.split, lr["strains"][0], lab["first_break_strain"], lab["failure_strain"], lab["max_stress"],
                     float(np.hypot(*np.ravel(d)[:2]))))
    wall = time.perf_counter() - t0
    split = np.array([r[0] for r in rows])
    x, fb, fs, sm, dist = (np.array([r[k] for r in rows], float) for k in range(1, 6))
    print(f"{len(rows)} samples of {a.dataset}, {wall:.0f} s ({wall / max(len(rows), 1):.2f} s per glass)\n")
    print("| label | Pearson r² with lr_strain | Spearman |")
    print("|---|---:|---:|")
    for name, y in (("first-break strain", fb), ("failure strain ε_max", fs), ("strength σ_max", sm)):
        print(f"| {name} | {pearsonr(x, y)[0] ** 2:.3f} | {spearmanr(x, y)[0]:+.3f} |")
    slope, icpt = np.polyfit(x, fb, 1)
    print(f"\nline over all samples: first-break strain ≈ {slope:.4f} · lr_strain {icpt:+.4f}")
    tr, te = split == "train", split == "test"
    if tr.sum() >= 3 and te.any():
        s2, i2 = np.polyfit(x[tr], fb[tr], 1)
        p = s2 * x[te] + i2
        r2 = 1 - ((p - fb[te]) ** 2).sum() / ((fb[te] - fb[te].mean()) ** 2).sum()
        print(f"fitted on the training split ({tr.sum()}), on the test split ({te.sum()}): R² {r2:.3f}, "
              f"MAE {np.abs(p - fb[te]).mean():.4f}")
    print(f"most-stretched bond = first broken bond: {np.mean(dist < 0.01):.0%} of samples; within 5 Å: "
          f"{np.mean(dist <= 5):.0%}; median distance {np.median(dist):.1f} Å")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
