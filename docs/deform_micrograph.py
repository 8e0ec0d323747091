"""Deform the glass seen in the shipped micrograph: detect → prepare → AQS tension to the first break (and on).

    .venv/bin/python docs/deform_micrograph.py [--complete] [--out docs/images/micrograph_deformed.png]

Reads ``sample_data/micrograph_spots.tif``, finds the atoms (``detect_atoms``), repairs and relaxes them
(``prepare_for_simulation``: the free edges' dangling atoms go, the ring list is checked), strains the flake along
x between two 11 Å grips with the reference protocol (steps 0.005, refined 0.0005 after an event) to the first
broken Si–O bond (``--complete``: until it separates), and draws ``docs/images/micrograph_deformed.png``: the
micrograph with the detected rings coloured by size and the first broken bond marked, and the stress–strain curve
beside it. Prints the numbers (for the README).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--complete", action="store_true", help="strain on until the sample separates")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "micrograph_deformed.png")
    ap.add_argument("--platform", default=None, help="physics platform (default: automatic)")
    args = ap.parse_args(argv)

    import warnings

    from glassfail_core.errors import GlassfailWarning
    from glassfail_core.micrograph import detect_atoms, read_micrograph
    from glassfail_core.physics import AQSParams, deform
    from glassfail_core.physics.prepare import prepare_for_simulation
    from glassfail_core.rings import find_rings, ring_statistics

    mg = read_micrograph(ROOT / "sample_data" / "micrograph_spots.tif")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlassfailWarning)
        found = detect_atoms(mg)
        rings_found = find_rings(found)
    t_detect = time.perf_counter() - t0
    t0 = time.perf_counter()
    glass, report = prepare_for_simulation(found, platform=args.platform)
    t_prepare = time.perf_counter() - t0
    params = AQSParams(until="complete" if args.complete else "first", platform=args.platform)
    t0 = time.perf_counter()
    res = deform(glass, params)
    t_deform = time.perf_counter() - t0

    _figure(mg, found, rings_found, glass, res, args.out)
    stats = ring_statistics(rings_found)
    print(f"micrograph: {mg.shape[1]} × {mg.shape[0]} px at {mg.pixel_size:g} Å/px")
    print(f"detected {found.n_si} Si, {found.n_o} O; {stats.n_rings} closed rings {dict(sorted(stats.counts.items()))}"
          f" ({t_detect:.1f} s)")
    print(report.summary() + f"  ({t_prepare:.1f} s)")
    print(res.summary())
    print(f"first break at ε = {res.rupture_strain:.4f}, initial location ({res.location_initial[0]:.2f}, "
          f"{res.location_initial[1]:.2f}) Å; peak stress {res.peak_stress * 16.0218:.2f} N/m at ε = "
          f"{res.peak_strain:.4f}; {len(res.breaks)} bond(s) broken"
          + (f", separated at ε = {res.separation_strain:.4f}" if res.separated else ""))
    print(f"deform: {res.info['n_minimisations']} minimisations, {t_deform:.1f} s on {res.info['platform']} "
          f"({len(glass)} atoms, grips {res.info['grips']:g} Å)")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


def _figure(mg, found, rings_found, glass, res, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from glassfail_core.colors import ring_colors
    from glassfail_core.glass import EV_PER_A2_TO_N_PER_M
    from glassfail_core.rings import ring_polygons

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.6), gridspec_kw={"width_ratios": [1.25, 1]})
    h, w = mg.shape
    x0, y0 = mg.origin
    ps = mg.pixel_size
    ax.imshow(mg.image, cmap="gray", extent=(x0, x0 + w * ps, y0 + h * ps, y0), interpolation="nearest")
    polys = ring_polygons(found, rings_found)
    cols = np.asarray(ring_colors(rings_found.sizes), float).reshape(len(polys), -1)
    if cols.shape[1] == 3:
        cols = np.c_[cols, np.ones(len(cols))]
    cols[:, 3] = 0.45
    ax.add_collection(PolyCollection(polys, facecolors=cols, edgecolors="none"))
    for n in sorted(set(int(s) for s in rings_found.sizes)):
        c = np.asarray(ring_colors([n]), float).reshape(-1)[:3]
        ax.plot([], [], "s", color=c, label=f"{n}-ring")
    for k, br in enumerate(res.breaks[1:]):  # later breaks (--complete): the crack path
        p = glass.positions[[br["si"], br["o"]]]
        ax.plot(p[:, 0], p[:, 1], "-", color="#ffb000", lw=2.5, label="later breaks" if k == 0 else None)
    if res.broken_bond is not None:
        si, o = res.broken_bond
        p = glass.positions[[si, o]]
        ax.plot(p[:, 0], p[:, 1], "-", color="#ff2020", lw=2.5)
        ax.plot(*res.location_initial, "o", ms=16, mfc="none", mec="#ff2020", mew=2,
                label=f"first break (ε = {res.rupture_strain:.4f})")
    for xg in (glass.positions[:, 0].min() + res.info["grips"], glass.positions[:, 0].max() - res.info["grips"]):
        ax.axvline(xg, color="#40c0ff", lw=1, ls="--")
    ax.set_xlim(x0, x0 + w * ps)
    ax.set_ylim(y0 + h * ps, y0)
    ax.set_xlabel("x (Å)  — load along x; dashed: inner edges of the grips")
    ax.set_ylabel("y (Å)")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8, ncol=2)
    ax.set_title("detected rings and the first broken Si–O bond", fontsize=10)
    s = res.stresses * EV_PER_A2_TO_N_PER_M
    bx.plot(res.strains, s, ".-", color="k", ms=3, lw=1)
    if res.rupture_strain is not None:
        bx.axvline(res.rupture_strain, color="#ff2020", lw=1, ls="--", label=f"first break ε = {res.rupture_strain:.4f}")
    bx.set_xlabel("strain (grip displacement / free length)")
    bx.set_ylabel("nominal stress (N/m)")
    bx.set_title(f"AQS tension, {len(glass)} atoms, {len(res.breaks)} bond(s) broken", fontsize=10)
    bx.legend(fontsize=8)
    bx.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
