"""Benchmark: atom detection on rendered micrographs of known structures, next to trackpy on the same images.

Ground truth: the shipped amorphous glasses ``sample_data/glass_s2_{0.2,0.6,1.0}.extxyz`` (16 × 18 rings, 576 Si,
864 O; relaxed by the model, positions and cell), and for comparison a crystal row: a periodic honeycomb with
Stone–Wales defects (5- and 7-rings; ``tests/rings/networks.py``), relaxed by the model (positions and cell), with
every atom moved by N(0, 0.05 Å). Images: both styles (``spots``: the reference
recipe; ``tem``: the contrast-transfer model), pixel sizes 0.1–0.4 Å/px, several doses (dose multiplies all counts
before Poisson noise: lower = noisier; the ``tem`` dose unit is 10⁴ e⁻/Å²). A periodic cell is rendered over at
most one period. Scores inside the image less a 1 Å margin: Si recall/precision, Si position RMSE (Å), O recall,
the fraction of the truth's closed rings (entirely inside) found with the same size, and the speed in megapixels
per second (``detect_atoms`` end to end, including the scale check and the O pass).

trackpy (``tp.locate``, Si only: diameter ≈ 6σ, separation 2 Å, the brightest class kept by the same rule as
glassfail) runs on the same images when it is installed (``pip install trackpy``; benchmark-only).

    .venv/bin/python benchmarks/bench_detect.py                       # three glasses + crystal, all settings
    .venv/bin/python benchmarks/bench_detect.py --samples 0.6 crystal --pixel-sizes 0.2 0.32 --styles spots
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rings"))

from glassfail_core.micrograph import detect_atoms, render_glass  # noqa: E402
from glassfail_core.micrograph.accuracy import compare_rings, match_atoms  # noqa: E402

DOSES = {"spots": (1.0, 0.2, 0.05), "tem": (10.0, 1.0, 0.2)}


ROOT = Path(__file__).resolve().parents[1]


def truth(sample, rings, seed):
    """(Glass, description) for a sample name: a variance of the shipped glasses, or "crystal"."""
    if sample != "crystal":
        from glassfail_core.io import read_structure

        path = ROOT / "sample_data" / f"glass_s2_{sample}.extxyz"
        return read_structure(path), f"amorphous glass s²={sample} ({path.name})"
    from networks import stone_wales

    from glassfail_core.physics import relax

    g, _ = stone_wales(rings, rings, n_defects=max(1, rings * rings // 60), seed=seed)
    g = relax(g, cell=True, fmax=1e-4, platform="NumPy")  # the defects' 5- and 7-rings at the model's geometry
    rng = np.random.default_rng(seed)
    g = g.with_positions(g.positions + rng.normal(0.0, 0.05, g.positions.shape))
    return g, "crystal: honeycomb + Stone–Wales, relaxed by the model, + N(0, 0.05 Å)"


def run_trackpy(m, glass_truth):
    try:
        import trackpy as tp
    except ImportError:
        return None
    tp.quiet()
    ps = m.pixel_size
    diameter = int(np.ceil(3.0 / ps)) | 1  # odd, ≈ 6σ of a Si spot
    t0 = time.perf_counter()
    f = tp.locate(m.image, diameter, separation=2.0 / ps, preprocess=True)
    mass = f["mass"].to_numpy()
    ref = np.median(np.sort(mass)[len(mass) // 2:]) if len(mass) else 0.0
    f = f[mass >= 0.3 * ref]
    dt = time.perf_counter() - t0
    from glassfail_core import Glass

    xy = m.px_to_xy(np.stack([f["y"].to_numpy(), f["x"].to_numpy()], axis=1))
    found = Glass(xy, ["Si"] * len(xy), cell=m.extent, pbc=False, validate=False,
                  info={"origin": list(m.origin)})
    s = match_atoms(glass_truth, found)
    return {"recall": s["recall"], "precision": s["precision"], "rmse": s["rmse"], "mps": m.megapixels / dt}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", nargs="+", default=["0.2", "0.6", "1.0", "crystal"],
                    help="s² of the shipped glasses (0.2, 0.6, 1.0) and/or 'crystal'")
    ap.add_argument("--rings", type=int, default=18, help="crystal size in rings per side (even)")
    ap.add_argument("--pixel-sizes", type=float, nargs="+", default=[0.1, 0.2, 0.32, 0.4])
    ap.add_argument("--styles", nargs="+", default=["spots", "tem"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"# glassfail detect_atoms vs trackpy — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}\n")
    for sample in args.samples:
        g, kind = truth(sample, args.rings, args.seed)
        print(f"\n## {kind}: {g.n_si} Si, {g.n_o} O, cell {g.cell[0]:.1f} × {g.cell[1]:.1f} Å\n")
        _table(g, args)


def _table(g, args):
    print("| style | Å/px | dose | MP | mode | Si recall | Si precision | Si RMSE Å | O recall | rings same | "
          "MP/s | trackpy Si R / P / RMSE | trackpy MP/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for style in args.styles:
        for ps in args.pixel_sizes:
            for dose in DOSES[style]:
                m = render_glass(g, pixel_size=ps, style=style, dose=dose, seed=args.seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    try:
                        f = detect_atoms(m)
                        err = None
                    except Exception as exc:  # report, keep going
                        f, err = None, f"{type(exc).__name__}: {exc}"
                    dt = time.perf_counter() - t0
                if f is None:
                    print(f"| {style} | {ps} | {dose} | {m.megapixels:.2f} | failed: {err[:60]} |")
                    continue
                si = match_atoms(g, f)
                o = match_atoms(g, f, species="O")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # over-coordinated atoms in noisy detections
                    r = compare_rings(g, f)
                tp = run_trackpy(m, g)
                tps = (f"{tp['recall']:.4f} / {tp['precision']:.4f} / {tp['rmse']:.3f} | {tp['mps']:.2f}"
                       if tp else "not installed | –")
                print(f"| {style} | {ps} | {dose:g} | {m.megapixels:.2f} | {f.info['species_mode']} | "
                      f"{si['recall']:.4f} | {si['precision']:.4f} | {si['rmse']:.3f} | {o['recall']:.3f} | "
                      f"{r['agreement']:.3f} ({r['n_rings'] or 'non-planar'}) | {m.megapixels / dt:.2f} | {tps} |",
                      flush=True)


if __name__ == "__main__":
    main()
