"""Benchmark: glassfail's ring finder against ``matscipy.rings.ring_statistics`` (shortest-path rings).

Networks: periodic Si–O honeycombs with one Stone–Wales defect per ~100 rings, relaxed with a bond-and-angle
spring model (``tests/rings/networks.py``), from 10³ to 10⁶ atoms. For each size: the time to find the bonds
(``Glass.bonds``), to find the rings with the planarity check (``find_rings``) and without it
(``check=False``), and the statistics; matscipy's time (with the same bonds: cutoff 2.2 Å, rings up to 12 Si)
where it finishes in reasonable time (its graph distances are all-pairs: memory and time grow as N²); and
whether both give the same ring-size counts.

    .venv/bin/python benchmarks/bench_rings.py                      # 1e3 .. 1e6, matscipy up to 2.5e4 atoms
    .venv/bin/python benchmarks/bench_rings.py --sizes 1000 10000 --matscipy-max 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rings"))

from networks import stone_wales  # noqa: E402

from glassfail_core.rings import find_rings, ring_statistics  # noqa: E402


def network(n_atoms, seed=0):
    """A Stone–Wales-defected honeycomb with about ``n_atoms`` atoms (5 per ring)."""
    rings = max(int(round(n_atoms / 5)), 16)
    nx = max(int(round(np.sqrt(rings))), 4)
    ny = max(2 * int(round(rings / nx / 2)), 4)
    n_def = max(1, nx * ny // 100)
    iters = 300 if nx * ny <= 20000 else 60
    return stone_wales(nx, ny, n_def, seed=seed, relax_iters=iters)


def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def matscipy_counts(glass, max_si=12):
    from matscipy.rings import ring_statistics as ms_rings

    from glassfail_core.io import glass_to_atoms

    atoms = glass_to_atoms(glass)
    cut = glass.bond_cutoff()  # Si–O pairs only, as glassfail bonds them
    c = ms_rings(atoms, {(14, 8): cut, (8, 14): cut}, maxlength=2 * max_si + 1)
    return {k // 2: int(v) for k, v in enumerate(c) if v and k % 2 == 0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    ap.add_argument("--matscipy-max", type=float, default=2.5e4, help="largest network given to matscipy (atoms)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (1 for 1e6 atoms)")
    args = ap.parse_args(argv)

    rows = []
    for size in args.sizes:
        g, expected = network(int(size))
        rep = args.repeat if len(g) < 5e5 else 1
        t_bonds, _ = best_of(lambda: g.replace().bonds, rep)
        _ = g.bonds
        t_rings, rs = best_of(lambda: find_rings(g), rep)
        t_nocheck, _ = best_of(lambda: find_rings(g, check=False), rep)
        t_stats, st = best_of(lambda: (ring_statistics(rs), rs.per_atom())[0], rep)
        ok_expected = st.counts == expected
        row = dict(n=len(g), rings=st.n_rings, bonds=t_bonds, ours=t_rings, nocheck=t_nocheck, stats=t_stats,
                   exact=ok_expected, ms=None, same=None)
        if len(g) <= args.matscipy_max:
            t_ms, counts = best_of(lambda: matscipy_counts(g), 1)
            row.update(ms=t_ms, same=counts == st.counts)
        rows.append(row)
        print(f"# {len(g)} atoms done: {row}", file=sys.stderr, flush=True)

    print(f"\nMachine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}; best of {args.repeat} (1 at 1e6). Times in seconds.\n")
    print("| atoms | rings | bonds (`Glass.bonds`) | `find_rings` | `find_rings(check=False)` | stats + per-atom "
          "| matscipy | matscipy / ours | counts = expected | counts = matscipy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|")
    for r in rows:
        ms = "—" if r["ms"] is None else f"{r['ms']:.3f}"
        ratio = "—" if r["ms"] is None else f"{r['ms'] / r['ours']:.0f}×"
        same = "—" if r["same"] is None else ("yes" if r["same"] else "**no**")
        print(f"| {r['n']:,} | {r['rings']:,} | {r['bonds']:.3f} | {r['ours']:.3f} | {r['nocheck']:.3f} | "
              f"{r['stats']:.3f} | {ms} | {ratio} | {'yes' if r['exact'] else '**no**'} | {same} |")
    return rows


if __name__ == "__main__":
    main()
