"""``make demo``: the main job, end to end, as the commands a user would type.

Each step is a real ``glassfail`` command run in a subprocess, printed before it runs, writing into ``demo_out/``.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path("demo_out")

STEPS = [
    ("A shipped sample (1,440 atoms, ring-size variance 0.6): what is in it", ["info", "{sample}"]),
    ("Its rings: statistics of the network", ["rings", "{sample}"]),
    ("A new amorphous network: dual-lattice bond switching, then relaxed by the model (small, quick)",
     ["generate", "-o", "{out}/generated.extxyz", "--rings", "8x8", "--variance", "0.5", "--seed", "1"]),
    ("Athermal quasistatic tension along x until the first Si–O bond breaks",
     ["deform", "{sample}", "-o", "{out}/run_sample"]),
    ("A synthetic micrograph of the sample (the reference study's Gaussian-spot recipe)",
     ["render", "{sample}", "-o", "{out}/sample.tif", "--pixel-size", "0.32", "--seed", "1"]),
    ("Atoms and rings found in that image", ["detect", "{out}/sample.tif", "-o", "{out}/detected.extxyz"]),
    ("Rings of the detected structure", ["rings", "{out}/detected.extxyz"]),
]


def _sample() -> Path:
    for name in ("glass_s2_0.6.extxyz", "glass_s2_0.2.extxyz"):
        p = ROOT / "sample_data" / name
        if p.exists():
            return p
    found = sorted((ROOT / "sample_data").glob("*.extxyz"))
    if not found:
        raise SystemExit("no sample structure in sample_data/; run `python sample_data/make_samples.py`")
    return found[0]


def main(argv=None) -> int:
    OUT.mkdir(exist_ok=True)
    subs = {"sample": str(_sample()), "out": str(OUT)}
    t0 = time.perf_counter()
    for title, args in STEPS:
        args = [a.format(**subs) for a in args]
        print(f"\n=== {title}\n$ glassfail {shlex.join(args)}", flush=True)
        proc = subprocess.run([sys.executable, "-m", "glassfail_core", *args])
        if proc.returncode != 0:
            print(f"demo step failed with exit code {proc.returncode}", file=sys.stderr)
            return proc.returncode
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s; outputs in {OUT}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
