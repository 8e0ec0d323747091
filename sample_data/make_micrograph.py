"""Make the shipped synthetic micrograph and its ground truth.

    .venv/bin/python sample_data/make_micrograph.py

writes, next to this script,

* ``micrograph_truth.extxyz`` — the structure (periodic): a relaxed amorphous sample from ``generate_glass``
  (12 × 12 rings, s² = 1.0, seed 2022) when the
  generator is available, otherwise a 12 × 12-ring honeycomb crystal with every atom
  moved by N(0, 0.08 Å) per axis (seed 2022);
* ``micrograph_spots.tif`` — its ``render_glass(style="spots", pixel_size=0.25, seed=2022)`` image, float32,
  calibrated (ImageJ ``unit=nm`` + resolution tags; glassfail's own metadata);

so that ``glassfail detect sample_data/micrograph_spots.tif -o found.extxyz`` can be checked against the truth.
"""

from pathlib import Path

import numpy as np

from glassfail_core.io import write_structure
from glassfail_core.micrograph import render_glass, write_micrograph

HERE = Path(__file__).resolve().parent
SEED = 2022


def truth():
    try:
        from glassfail_core.generation import generate_glass
    except ImportError:
        generate_glass = None
    if generate_glass is not None:
        return generate_glass(rings=(12, 12), variance=1.0, seed=SEED)
    from glassfail_core.generation import honeycomb

    g = honeycomb(12, 12)
    rng = np.random.default_rng(SEED)
    g = g.with_positions(g.positions + rng.normal(0.0, 0.08, g.positions.shape))
    return g.replace(info={**g.info, "displacement_sigma": 0.08, "seed": SEED})


def main():
    g = truth()
    write_structure(g, HERE / "micrograph_truth.extxyz")
    m = render_glass(g, pixel_size=0.25, style="spots", seed=SEED)
    m = m.replace(info={**m.info, "structure": "micrograph_truth.extxyz"})
    write_micrograph(m, HERE / "micrograph_spots.tif")
    print(f"wrote micrograph_truth.extxyz ({g.n_si} Si, {g.n_o} O) and micrograph_spots.tif {m}")


if __name__ == "__main__":
    main()
