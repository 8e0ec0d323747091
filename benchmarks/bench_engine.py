"""Benchmark: AQS tension past the stress maximum — the NumPy engine and minimiser, before and after, side by side.

Run:  .venv/bin/python benchmarks/bench_engine.py [--samples s2_0.6,seed:1,...] [--variants before,kernel,after]
                                                   [--before REV] [--separation 0.5]

Variants (each sample runs every variant in turn, each in a fresh process on one thread):

* ``before``: the sources of git revision ``--before`` (default ``a40df27``, before the compiled kernel and the
  preconditioned minimiser), unpacked with ``git archive`` into a temporary folder;
* ``kernel``: this tree as it is: compiled (numba) pair kernel, plain L-BFGS (``precondition=False``, the default);
* ``after``: this tree with ``NumpyEngine.precondition = True`` (compiled kernel, Exp-preconditioned L-BFGS).

Samples: ``s2_0.2``, ``s2_0.6``, ``s2_1.0`` (``sample_data/glass_s2_*.extxyz``) or ``seed:S`` (``generate_glass(
rings=(16, 18), variance=0.6, seed=S)``, generated once by this tree and written to a temporary file, so every
variant strains the same input). The protocol is ``AQSParams(until="complete", separation_fraction=0.5)`` (the
stress has halved after the maximum), everything else at its default.

The table gives per run: CPU and wall seconds, minimisations, force evaluations, L-BFGS iterations per
minimisation before/after the first break, and the labels (first break strain and bond, strain and value of the
stress maximum, the first bond broken after the maximum); then, per variant, the ratios to the first variant and
the label differences.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------------ worker
def worker(variant, sample, separation):
    """Strain ``sample`` (an extxyz path) with the code on ``sys.path``; print one JSON line."""
    import numpy as np

    from glassfail_core.io import read_structure
    from glassfail_core.physics import AQSParams, deform
    from glassfail_core.physics.numpy_engine import NumpyEngine

    if variant == "after":  # preconditioning is opt-in (engine.precondition); the AQS run does not set it yet
        init = NumpyEngine.__init__

        def preconditioned(self, *a, **k):
            init(self, *a, **k)
            self.precondition = True

        NumpyEngine.__init__ = preconditioned
    log = []
    minimize = NumpyEngine.minimize

    def counted(self, *a, **k):
        res = minimize(self, *a, **k)
        log.append((float(self._cell[0]), res.iterations, res.evaluations))
        return res

    NumpyEngine.minimize = counted
    glass = read_structure(sample)
    params = AQSParams(until="complete", separation_fraction=separation, platform="numpy")
    c0, t0 = time.process_time(), time.perf_counter()
    res = deform(glass, params)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    lx0 = float(glass.cell[0])
    eps = np.array([c / lx0 - 1.0 for c, _, _ in log])
    its = np.array([i for _, i, _ in log], float)
    evs = np.array([e for _, _, e in log], float)
    fb = res.rupture_strain if res.rupture_strain is not None else np.inf
    early = eps < fb - 1e-9
    after = [b for b in res.breaks if b["strain"] > res.max_stress_strain + 1e-12]
    print(json.dumps({
        "variant": variant, "cpu": cpu, "wall": wall, "n_min": len(log), "n_eval": int(evs.sum()),
        "it_before": float(its[early].mean()) if early.any() else 0.0,
        "it_after": float(its[~early].mean()) if (~early).any() else 0.0,
        "ev_per_it": float(evs.sum() / max(its.sum(), 1)),
        "first_strain": res.rupture_strain, "first_bond": list(res.broken_bond or ()),
        "max_strain": res.max_stress_strain, "max_stress": res.max_stress,
        "after_bond": [after[0]["si"], after[0]["o"]] if after else [],
        "after_strain": after[0]["strain"] if after else None,
        "separated": res.separated, "end_strain": float(res.strains[-1]), "n_breaks": len(res.breaks),
    }))


# ------------------------------------------------------------------------------------------------ driver
def _before_tree(rev, tmp):
    dest = Path(tmp) / "before"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def _samples(names, tmp):
    out = []
    for name in names:
        if name.startswith("seed:"):
            from glassfail_core.generation import generate_glass
            from glassfail_core.io import write_structure

            path = Path(tmp) / f"glass_seed{name[5:]}.extxyz"
            write_structure(generate_glass(rings=(16, 18), variance=0.6, seed=int(name[5:])), path)
            out.append((name, path))
        else:
            out.append((name, ROOT / "sample_data" / f"glass_{name}.extxyz"))
    return out


def _run(variant, sample, separation, src):
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=str(src))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", variant, str(sample), "--separation",
           str(separation)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{variant} on {sample} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(v):
    if v is None:
        return "—"
    if isinstance(v, list):
        return "–".join(str(x) for x in v) or "—"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default="s2_0.2,s2_0.6,s2_1.0,seed:1,seed:2")
    ap.add_argument("--variants", default="before,kernel,after")
    ap.add_argument("--before", default="a40df27", help="git revision of the 'before' variant")
    ap.add_argument("--separation", type=float, default=0.5)
    ap.add_argument("--worker", nargs=2, metavar=("VARIANT", "SAMPLE"))
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker[0], a.worker[1], a.separation)
        return
    variants = a.variants.split(",")
    cols = ["sample", "variant", "cpu_s", "wall_s", "n_min", "n_eval", "it/min<1st", "it/min>1st", "1st ε", "1st bond",
            "max ε", "σ_max", "after-max bond", "at ε"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {v: (_before_tree(a.before, tmp) if v == "before" else ROOT / "src") for v in variants}
        print(" | ".join(cols), flush=True)
        for name, path in _samples(a.samples.split(","), tmp):
            for v in variants:
                r = _run(v, path, a.separation, srcs[v])
                r["sample"] = name
                rows.append(r)
                print(" | ".join(_fmt(x) for x in (
                    name, v, r["cpu"], r["wall"], r["n_min"], r["n_eval"], r["it_before"], r["it_after"],
                    r["first_strain"], r["first_bond"], r["max_strain"], r["max_stress"], r["after_bond"],
                    r["after_strain"])), flush=True)
    base = variants[0]
    print(f"\nratios to '{base}' (sums over samples) and labels equal to '{base}' (count of samples):")
    print("variant | cpu ratio | evals ratio | s CPU/sample | samples/core-hour | same 1st break | same max ε | "
          "same after-max bond")
    by = {(r["sample"], r["variant"]): r for r in rows}
    names = sorted({r["sample"] for r in rows})
    for v in variants:
        cpu = sum(by[s, v]["cpu"] for s in names)
        ev = sum(by[s, v]["n_eval"] for s in names)
        cpu0 = sum(by[s, base]["cpu"] for s in names)
        ev0 = sum(by[s, base]["n_eval"] for s in names)
        same1 = sum(by[s, v]["first_strain"] == by[s, base]["first_strain"]
                    and by[s, v]["first_bond"] == by[s, base]["first_bond"] for s in names)
        samem = sum(abs(by[s, v]["max_strain"] - by[s, base]["max_strain"]) < 1e-9 for s in names)
        samea = sum(by[s, v]["after_bond"] == by[s, base]["after_bond"] for s in names)
        per = cpu / len(names)
        print(f"{v} | {cpu0 / cpu:.2f}x | {ev0 / ev:.2f}x | {per:.1f} | {3600 / per:.0f} | {same1}/{len(names)} | "
              f"{samem}/{len(names)} | {samea}/{len(names)}")


if __name__ == "__main__":
    main()
