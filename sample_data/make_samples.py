"""Rebuild the generated structures shipped in sample_data/ (deterministic: same files every time).

    .venv/bin/python sample_data/make_samples.py            # relaxed with the physics engine
    .venv/bin/python sample_data/make_samples.py --no-relax # bond switching + bonded pre-relaxation only

Writes ``glass_s2_0.2.extxyz``, ``glass_s2_0.6.extxyz``, ``glass_s2_1.0.extxyz`` (16 × 18 rings, 1,440 atoms,
seed 7; relaxed by the model, positions and cell) and the presets ``crystal_8x8.extxyz`` and
``stone_wales_8x8.extxyz`` (as built, unrelaxed); each file records in its metadata
the command-equivalent parameters (``glassfail generate -o FILE --rings 16x18 --variance S2 --seed 7``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassfail_core.generation import generate_glass, honeycomb, stone_wales
from glassfail_core.io import write_structure

HERE = Path(__file__).resolve().parent
VARIANCES = (0.2, 0.6, 1.0)
SEED = 7


def main(argv=None):
    ap = argparse.ArgumentParser(description="rebuild sample_data/ structures")
    ap.add_argument("--no-relax", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    relax = not args.no_relax
    for v in VARIANCES:
        g = generate_glass((16, 18), v, seed=SEED, relax=relax)
        path = write_structure(g, args.out / f"glass_s2_{v:.1f}.extxyz")
        print(f"{path.name}: s²={g.info['variance']:.4f} α={g.info['alpha']:.3f} attempt {g.info['attempt'] + 1} "
              f"rings {g.info['ring_counts']}")
    # the presets are shipped as built (ideal geometry), for teaching: `glassfail relax` them to see the model act
    write_structure(honeycomb(8, 8), args.out / "crystal_8x8.extxyz")
    write_structure(stone_wales(8, 8, relax=False), args.out / "stone_wales_8x8.extxyz")
    print("crystal_8x8.extxyz, stone_wales_8x8.extxyz")


if __name__ == "__main__":
    main()
