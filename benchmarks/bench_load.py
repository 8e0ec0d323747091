"""Benchmark: memory and time under load — a batch over 1,000 files, rings of 10⁶ atoms, detection on 8k × 8k.

Each case runs in a process of its own; its peak resident memory is that process's ``ru_maxrss`` (``os.wait4``),
so one case's memory never hides another's.

* ``batch``: ``glassfail batch FOLDER -o OUT`` (default tasks: detect + predict with the shipped model, in one
  process) over folders of N small structures (the 8 × 8-ring crystal of ``sample_data``, each copy translated by
  a random shift and a micrograph-free read), N = 100, 300, 1000 by default: peak RSS side by side, wall time and
  time per file. Bounded memory means the peak does not grow with N.
* ``rings``: :func:`~glassfail_core.rings.find_rings` and the ring statistics of a periodic glass of about N atoms
  (``sample_data/glass_s2_0.6.extxyz``, 1,440 atoms, tiled k × k to at least N; default N = 10⁶: 27 × 27,
  1,049,760 atoms): time of the bonds, the rings,
  the statistics; peak RSS.
* ``detect``: :func:`~glassfail_core.micrograph.detect_atoms` on a P × P image (default 8192): a rendered
  micrograph of the same glass (0.32 Å/px, spots) tiled to P × P; time, atoms found, peak RSS.

    .venv/bin/python benchmarks/bench_load.py                          # all three, default sizes
    .venv/bin/python benchmarks/bench_load.py batch --files 100 300 1000
    .venv/bin/python benchmarks/bench_load.py rings --atoms 1000000
    .venv/bin/python benchmarks/bench_load.py detect --pixels 8192

Prints one Markdown table per case (and the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
GLASS = SAMPLES / "glass_s2_0.6.extxyz"


def measured(cmd, env=None):
    """Run ``cmd``; (return code, stdout, wall seconds, peak RSS in MiB) of that process alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, **(env or {})})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out, time.perf_counter() - t0, usage.ru_maxrss / 1024  # Linux: kB


def machine() -> str:
    mem = ""
    try:
        kb = int(next(ln for ln in open("/proc/meminfo") if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


# ---------------------------------------------------------------------------------------------------------- batch
def make_folder(folder: Path, n: int, seed: int = 0) -> Path:
    """``n`` copies of the 8 × 8-ring crystal, each translated by a random shift (wrapped into the cell)."""
    from glassfail_core.io import read_structure, write_structure

    folder.mkdir(parents=True, exist_ok=True)
    g = read_structure(SAMPLES / "crystal_8x8.extxyz")
    rng = np.random.default_rng(seed)
    for k in range(n):
        shift = rng.uniform(0, 1, 2) * g.cell
        write_structure(g.with_positions((g.positions + shift) % g.cell), folder / f"s{k:04d}.extxyz")
    return folder


def bench_batch(sizes, tasks):
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        for n in sizes:
            folder = make_folder(Path(tmp) / f"in{n}", n)
            out = Path(tmp) / f"out{n}"
            out.mkdir()
            rc, text, wall, rss = measured([sys.executable, "-m", "glassfail_core", "batch", str(folder), "-o",
                                            str(out), "--tasks", tasks, "--json"])
            s = json.loads(text) if rc == 0 else {}
            rows.append((n, rc, s.get("done", 0), s.get("failed", 0), wall, wall / n, rss))
            print(f"  batch {n}: rc {rc}, {wall:.0f} s, peak {rss:.0f} MiB", file=sys.stderr, flush=True)
    print(f"\n### glassfail batch ({tasks}), one process\n")
    print("| files | exit | done | failed | wall (s) | s / file | peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, rc, done, failed, wall, per, rss in rows:
        print(f"| {n} | {rc} | {done} | {failed} | {wall:.0f} | {per:.2f} | {rss:.0f} |")


# ---------------------------------------------------------------------------------------------------------- rings
def tiled_glass(n_atoms: int):
    """The 1,440-atom glass tiled k × k (periodic) to at least ``n_atoms`` atoms."""
    from glassfail_core.glass import Glass
    from glassfail_core.io import read_structure

    g = read_structure(GLASS)
    k = max(1, int(np.ceil(np.sqrt(n_atoms / len(g)))))
    shifts = np.array([(i, j) for i in range(k) for j in range(k)], float) * g.cell
    pos = (g.positions[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    return Glass(pos, np.tile(g.species, k * k), g.cell * k, pbc=(True, True)), k


def _rings_child(n_atoms: int):
    from glassfail_core.rings import find_rings, ring_statistics

    t0 = time.perf_counter()
    g, k = tiled_glass(n_atoms)
    t1 = time.perf_counter()
    bonds = g.bonds
    t2 = time.perf_counter()
    rings = find_rings(g, bonds=bonds)
    t3 = time.perf_counter()
    stats = ring_statistics(rings)
    t4 = time.perf_counter()
    print(json.dumps({"atoms": len(g), "tiles": k, "rings": len(rings), "build_s": t1 - t0, "bonds_s": t2 - t1,
                      "rings_s": t3 - t2, "stats_s": t4 - t3, "alpha": getattr(stats, "alpha", None)},
                     default=float))


def _children(case, sizes) -> list:
    """``(size, exit code, the child's JSON, wall s, peak RSS MiB)`` of ``case`` run in a process per size."""
    rows = []
    for n in sizes:
        rc, text, wall, rss = measured([sys.executable, __file__, f"_{case}", str(n)], env={"OMP_NUM_THREADS": "1"})
        d = json.loads(text.strip().splitlines()[-1]) if rc == 0 else {}
        rows.append((n, rc, d, wall, rss))
        print(f"  {case} {n}: rc {rc}, {wall:.0f} s, peak {rss:.0f} MiB", file=sys.stderr, flush=True)
    return rows


def bench_rings(sizes):
    rows = _children("rings", sizes)
    print("\n### rings of a tiled periodic glass, one process\n")
    print("| atoms | exit | rings | bonds (s) | find_rings (s) | statistics (s) | wall (s) | peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, rc, d, wall, rss in rows:
        print(f"| {d.get('atoms', n):,} | {rc} | {d.get('rings', 0):,} | {d.get('bonds_s', 0):.1f} | "
              f"{d.get('rings_s', 0):.1f} | {d.get('stats_s', 0):.1f} | {wall:.0f} | {rss:.0f} |")


# --------------------------------------------------------------------------------------------------------- detect
def _detect_child(pixels: int):
    from glassfail_core.io import read_structure
    from glassfail_core.micrograph import detect_atoms, render_glass
    from glassfail_core.micrograph.image import Micrograph

    t0 = time.perf_counter()
    tile = render_glass(read_structure(GLASS), pixel_size=0.32, seed=0)
    reps = (-(-pixels // tile.image.shape[0]), -(-pixels // tile.image.shape[1]))
    image = np.tile(tile.image, reps)[:pixels, :pixels]
    mic = Micrograph(np.ascontiguousarray(image), tile.pixel_size)
    del image
    t1 = time.perf_counter()
    found = detect_atoms(mic)
    t2 = time.perf_counter()
    print(json.dumps({"shape": list(mic.image.shape), "dtype": str(mic.image.dtype), "render_s": t1 - t0,
                      "detect_s": t2 - t1, "atoms": len(found), "si": int(found.n_si)}))


def bench_detect(sizes):
    rows = _children("detect", sizes)
    print("\n### detect_atoms on a tiled rendered micrograph (0.32 Å/px), one process\n")
    print("| pixels | exit | image | atoms found | detect (s) | wall (s) | peak RSS (MiB) |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for p, rc, d, wall, rss in rows:
        print(f"| {p} × {p} | {rc} | {d.get('dtype', '')} | {d.get('atoms', 0):,} | {d.get('detect_s', 0):.0f} | "
              f"{wall:.0f} | {rss:.0f} |")


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "_rings":
        return _rings_child(int(float(argv[1])))
    if argv and argv[0] == "_detect":
        return _detect_child(int(argv[1]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", nargs="?", choices=["all", "batch", "rings", "detect"], default="all")
    ap.add_argument("--files", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--tasks", default="detect,predict")
    ap.add_argument("--atoms", type=float, nargs="+", default=[1e6])
    ap.add_argument("--pixels", type=int, nargs="+", default=[8192])
    a = ap.parse_args(argv)
    print(f"machine: {machine()}")
    if a.case in ("all", "batch"):
        bench_batch(a.files, a.tasks)
    if a.case in ("all", "rings"):
        bench_rings([int(n) for n in a.atoms])
    if a.case in ("all", "detect"):
        bench_detect(a.pixels)


if __name__ == "__main__":
    main()
