"""Benchmark of the amorphous generator (bond switching + network + bonded pre-relaxation, no physics relaxation).

A second table (``--relaxed``, on by default) runs the whole product at the default size: generation followed by
the physics relaxation (positions and cell, fmax 1e-4 eV/Å), with the number of attempts it took (an attempt whose
relaxation breaks a Si–O bond is rejected) and the relaxation time.

Prints a Markdown table: size, target variance, wall time, achieved s², α, accepted switches; and, in the same run,
the time per switch attempt of the incremental Monte Carlo against the recompute-everything reference
(:func:`glassfail_core.generation.montecarlo.run_chunk_naive`) on the same moves.

    .venv/bin/python benchmarks/bench_generate.py            # default: 16x18 at 0.2/0.6/1.0/1.2, 32x32, 64x64
    .venv/bin/python benchmarks/bench_generate.py --large    # adds 128x128
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from glassfail_core.generation import generate_glass  # noqa: E402
from glassfail_core.generation.dual import DualLattice  # noqa: E402
from glassfail_core.generation.montecarlo import Objective, run_chunk, run_chunk_naive  # noqa: E402
from glassfail_core.generation.targets import target_distribution  # noqa: E402


def bench_generate(cases, seed=7):
    rows = []
    for rings, var in cases:
        t = time.perf_counter()
        g = generate_glass(rings, var, seed=seed, relax=False)
        dt = time.perf_counter() - t
        i = g.info
        rows.append((f"{rings[0]}×{rings[1]}", rings[0] * rings[1], len(g), var, dt, i["variance"], i["alpha"],
                     i["monte_carlo"]["accepted"], i["monte_carlo"]["attempted"], i["attempt"] + 1))
    return rows


def bench_per_attempt(rings, variance=1.0, n_attempts=2000, seed=3):
    """Seconds per attempt, incremental vs naive, on the same disordered lattice and the same moves."""
    out = {}
    sizes, p = target_distribution(variance, 10)
    for name, runner in (("incremental", run_chunk), ("naive", run_chunk_naive)):
        lat = DualLattice(*rings)
        lat.reset_statistics(10)
        obj = Objective(lat.n_nodes, p, sizes, variance, 0.3)
        rng = np.random.default_rng(seed)
        for _ in range(20):  # disorder it first with the fast code
            m = lat.n_edges
            run_chunk(lat, obj, rng.integers(0, m, m).tolist(), rng.random(m).tolist(), 0.3)
            lat.smooth(5)
        picks = rng.integers(0, lat.n_edges, n_attempts).tolist()
        unif = rng.random(n_attempts).tolist()
        t = time.perf_counter()
        runner(lat, obj, picks, unif, 0.3)
        out[name] = (time.perf_counter() - t) / n_attempts
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="also 128x128 rings (about 2 minutes)")
    ap.add_argument("--no-relaxed", dest="relaxed", action="store_false",
                    help="skip the table of physics-relaxed samples (16x18, seeds 1-3)")
    args = ap.parse_args()
    cases = [((16, 18), v) for v in (0.2, 0.6, 1.0, 1.2)] + [((32, 32), 1.0), ((64, 64), 1.0)]
    if args.large:
        cases.append(((128, 128), 1.0))
    print(f"# bench_generate — {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"one process\n")
    print("| rings | N rings | atoms | target s² | time (s) | achieved s² | α | accepted | attempted | tries |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = bench_generate(cases)
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.4f} | {r[6]:.3f} | {r[7]} | {r[8]} | {r[9]} |")
    base = [r for r in rows if r[0] == "16×18"]
    per_ring = [(r[1], r[4] / r[1] * 1e3) for r in rows if r[3] == 1.0]
    print("\ncost per ring at s² = 1.0 (ms): " + ", ".join(f"{n} rings: {c:.2f}" for n, c in per_ring))
    print("\n| rings | incremental (µs/attempt) | naive recompute (µs/attempt) | speed-up |")
    print("|---|---|---|---|")
    for rings in ((16, 18), (64, 64)):
        t = bench_per_attempt(rings)
        print(f"| {rings[0]}×{rings[1]} | {t['incremental'] * 1e6:.1f} | {t['naive'] * 1e6:.1f} | "
              f"{t['naive'] / t['incremental']:.0f}× |")
    assert all(abs(r[5] - r[3]) <= 0.05 for r in base)
    if args.relaxed:
        bench_relaxed()


def bench_relaxed(variances=(0.2, 0.6, 1.0, 1.2), seeds=(1, 2, 3)):
    """Generation + physics relaxation at 16×18: attempts needed and time, every Si–O bond checked."""
    print("\nWith the physics relaxation (16×18 rings, positions and cell; a sample whose relaxation breaks a Si–O bond "
          "is rejected and the next attempt runs):\n")
    print("| target s² | seed | attempts | achieved s² | α | total time (s) | relaxation cycles | final max|F| (eV/Å) |")
    print("|---|---|---|---|---|---|---|---|")
    for v in variances:
        for seed in seeds:
            t = time.perf_counter()
            g = generate_glass((16, 18), v, seed=seed, relax=True)
            dt = time.perf_counter() - t
            c = g.coordination
            assert (c[g.si_mask] == 3).all() and (c[g.o_mask] == 2).all()
            i, r = g.info, g.info["relax"]
            print(f"| {v:.1f} | {seed} | {i['attempt'] + 1} | {i['variance']:.4f} | {i['alpha']:.3f} | {dt:.1f} | "
                  f"{r['cycles']} | {r['fmax']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
