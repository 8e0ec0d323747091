"""How sharply the failure strain is defined: the width of the stress plateau around σ_max.

    python benchmarks/failure_plateau.py DATASET [--within 0.02]

For every finished sample: the strains of the stress–strain curve (up to its ``half_stress_strain`` label, where
the stress first halves after the maximum) at which the stress is within ``--within`` (a fraction) of σ_max;
the plateau width is the largest minus the smallest of them. A width far below the spread of ε_max over the dataset means that ε_max is a sharp label, not
a flat maximum whose position the noise of the protocol decides. ``noise share``: if the label could lie anywhere on
its plateau (uniformly), its variance width²/12 averaged over the samples, as a fraction of the variance of ε_max —
a rough bound on the R² any predictor can reach is one minus it. Prints a Markdown table.
"""

from __future__ import annotations

import argparse

import numpy as np

from glassfail_core.dataset import load_dataset


def plateau_width(strains, stresses, within: float = 0.02, until=None) -> float:
    """Largest minus smallest strain with stress ≥ (1 − within) · max, over the curve up to the strain ``until``
    (the sample's ``half_stress_strain`` label: where the stress first fell below half of its maximum)."""
    e, s = np.asarray(strains, float), np.asarray(stresses, float)
    if until is not None:
        e, s = e[e < until], s[e < until]
    near = e[s >= (1.0 - within) * s.max()]
    return float(near.max() - near.min())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--within", type=float, default=0.02)
    a = ap.parse_args(argv)
    ds = load_dataset(a.dataset)
    widths, eps = [], []
    for i in ds.indices():
        smp = ds.sample(i)
        if smp.labels.get("failure_strain") is None or not len(smp.stresses):
            continue
        widths.append(plateau_width(smp.strains, smp.stresses, a.within, smp.labels.get("half_stress_strain")))
        eps.append(smp.labels["failure_strain"])
    w, eps = np.array(widths), np.array(eps)
    print(f"{len(w)} samples of {a.dataset}; plateau: stress within {a.within:.0%} of σ_max\n")
    share = np.mean(w ** 2 / 12.0) / eps.var()
    print("| median width | p75 | p90 | max | fraction ≤ 0.0025 | std of ε_max | noise share |\n"
          "|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {np.median(w):.4f} | {np.percentile(w, 75):.4f} | {np.percentile(w, 90):.4f} | {w.max():.4f} | "
          f"{np.mean(w <= 0.0025):.2f} | {eps.std():.4f} | {share:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
