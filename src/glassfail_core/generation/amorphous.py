"""Amorphous 2D silica by Monte Carlo bond switching on the dual lattice (the reference study's method).

Pipeline of :func:`generate_steps`:

1. the dual lattice of the crystal: ``nx × ny`` rings on a periodic triangular lattice;
2. Metropolis bond switching (:mod:`.montecarlo`) at a temperature falling geometrically from ``t_start`` to
   ``t_end`` over ``sweeps`` sweeps (a sweep = one attempt per dual edge), then zero-temperature sweeps until the
   ring-size variance is within ``variance_tolerance`` and α within ``alpha_tolerance`` of their targets; the ring
   lattice is spring-relaxed after every sweep (:meth:`.DualLattice.smooth`, never folding a triangle);
3. dual → Si–O network (:func:`.network.dual_to_network`) and a bonded pre-relaxation at fixed cell;
4. with ``relax=True``: the cell is shrunk by ``shrink`` and the physics engine relaxes positions and cell
   (:func:`glassfail_core.physics.relax_steps`); every Si must keep 3 and every O 2 bonds (the built topology
   exactly), otherwise the sample is rejected and the next attempt starts from a new random stream.

Why the Monte Carlo has a geometric stage (``w_e``): with the topological objective alone, the switched networks
were topologically fine but mechanically frustrated — dislocation pairs made by the switches glide apart at no cost,
leaving the ring lattice strained by up to ~10 % per axis and locally much more. The physics engine then broke Si–O
bonds in relaxation even at s² = 0.2 (6 bonds lost for 16 × 18 rings, seed 7; 11–14 at fixed cell), although the
overall stress was compressive; neither the natural cell nor a topology-restrained relaxation cured it. Adding the
local elastic energy of the ring lattice to the acceptance (a delayed-acceptance Metropolis stage, see
:mod:`.montecarlo`) keeps every switch mechanically reasonable, as in the WWW and Morley–Wilson methods, at the
cost of ~1.5× the switching time. Measured (``benchmarks/bench_generate.py``: 16 × 18 rings, defaults, seeds
1–3 at s² = 0.2, 0.6, 1.0, 1.2): 10 of 12 samples relaxed with every Si–O bond intact on the first attempt, the
other two on the second; with ``w_e = 0`` seed 7 lost bonds at every variance. ``w_e = 2`` works as well but stiffens
the statistics (α drifts to 0.36–0.47 at s² = 0.2); ``w_p = 3`` (was 1) keeps p(n) within a few rings per size of
the target now that the geometric stage favours symmetric 5/7 populations.

Everything random comes from one ``numpy.random.Generator`` seeded with ``(seed, attempt)``: the same arguments
and seed give the same file.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..errors import InputError, SimulationError
from ..glass import Glass
from ..progress import Progress, run
from .dual import DualLattice
from .montecarlo import Objective, run_chunk
from .network import bonded_relax, dual_to_network, topology_intact
from .presets import DEFAULT_SI_SI
from .targets import MIN_RING, check_targets, target_distribution

__all__ = ["GenerationParams", "generate_steps", "generate", "generate_glass", "GENERATOR_VERSION", "parse_rings"]

#: Bumped whenever the same seed and parameters would give a different structure.
GENERATOR_VERSION = "2.0"


@dataclass(frozen=True)
class GenerationParams:
    """Every knob of the generator (the defaults reproduce the reference study's setting at our model's scale).

    Attributes
    ----------
    rings : (int, int)
        Dual lattice columns × rows (``ny`` even, both ≥ 4); 16 × 18 gives 576 Si + 864 O.
    variance : float
        Target ring-size variance ``s²`` (0 gives the crystal).
    alpha : float
        Target Aboav–Weaire parameter.
    max_ring : int
        Largest ring allowed (smallest is 4).
    si_si : float
        Si–Si distance of the starting crystal (Å); sets the cell before relaxation.
    sweeps, t_start, t_end : int, float, float
        Annealing schedule of the bond switching.
    quench_sweeps : int
        Largest number of zero-temperature sweeps after annealing.
    smooth_iterations : int
        Spring-relaxation steps of the ring lattice after every sweep.
    w_p, w_s, w_a, w_g : float
        Weights of the objective: distribution, variance, α, and local topological charge
        (``Σ_i (q_i + Σ_{j~i} q_j)²``, which keeps 5- and 7-rings from gathering into strained clusters).
    w_e : float
        Weight (1/Å²) of the local elastic energy of the ring lattice in the second, geometric acceptance stage
        (0 switches it off: the topological objective alone, generator 1.0's behaviour).
    variance_tolerance, alpha_tolerance : float
        Required |achieved − target| for s² (an error when missed) and the aim for α (recorded, soft).
    natural_cell : bool
        Before building the Si–O network, set the cell to the ring lattice's natural (unstrained) orthorhombic
        cell (:meth:`.DualLattice.natural_cell`): bond switching on the torus leaves the lattice strained by up to
        ~10 % per axis in its original cell. Off by default (keeps generator 1.0 output): on its own it did not stop
        bonds breaking in the physics relaxation.
    relax : bool
        Relax with the physics engine (positions and cell).
    shrink : float
        Cell scale applied before the physics relaxation (a slightly compressed start keeps bonds intact).
    fmax, stress_tol : float
        Tolerances of the physics relaxation (eV/Å, eV/Å²).
    max_attempts : int
        Samples tried before giving up when relaxation breaks bonds.
    platform : str or None
        Physics engine platform (None: the engine's default).
    """

    rings: tuple = (16, 18)
    variance: float = 1.0
    alpha: float = 0.3
    max_ring: int = 10
    si_si: float = DEFAULT_SI_SI
    sweeps: int = 100
    t_start: float = 1.0
    t_end: float = 0.01
    quench_sweeps: int = 50
    smooth_iterations: int = 5
    w_p: float = 3.0
    w_s: float = 20.0
    w_a: float = 10.0
    w_g: float = 0.3
    w_e: float = 1.0
    variance_tolerance: float = 0.05
    alpha_tolerance: float = 0.05
    natural_cell: bool = False
    relax: bool = True
    shrink: float = 0.98
    fmax: float = 1e-4
    stress_tol: float = 1e-5
    max_attempts: int = 5
    platform: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "rings", parse_rings(self.rings))
        nx, ny = self.rings
        check_targets(self.variance, self.alpha, self.max_ring, nx * ny, tolerance=self.variance_tolerance)
        for name in ("sweeps", "quench_sweeps", "smooth_iterations", "max_attempts"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < (1 if name == "max_attempts" else 0):
                raise InputError(f"{name} must be a non-negative integer (max_attempts ≥ 1), got {v!r}")
        for name in ("si_si", "t_start", "t_end", "fmax", "stress_tol", "shrink", "variance_tolerance",
                     "alpha_tolerance"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a positive number, got {v!r}")
        for name in ("w_p", "w_s", "w_a", "w_g", "w_e"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be a number ≥ 0, got {v!r}")
        if not 0.8 <= self.shrink <= 1.2:
            raise InputError(f"shrink must be between 0.8 and 1.2, got {self.shrink!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rings"] = list(self.rings)
        return d


def parse_rings(rings) -> tuple:
    """``(nx, ny)``, ``"16x18"`` or ``"16,18"`` → ``(16, 18)``, checked (both ≥ 4, ``ny`` even).

    Examples
    --------
    >>> parse_rings("16x18")
    (16, 18)
    """
    if isinstance(rings, str):
        try:
            parts = [int(p) for p in rings.lower().replace("×", "x").replace(",", "x").split("x")]
        except ValueError:
            raise InputError(f"rings must look like 16x18 (columns x rows), got {rings!r}") from None
    else:
        try:
            parts = list(rings)
        except TypeError:
            raise InputError(f"rings must be two integers (columns, rows), got {rings!r}") from None
    if len(parts) != 2 or any(isinstance(p, bool) or int(p) != p for p in parts):
        raise InputError(f"rings must be two integers (columns, rows), got {rings!r}")
    nx, ny = (int(p) for p in parts)
    if nx < 4 or ny < 4:
        raise InputError(f"rings must be at least 4 × 4, got {nx} × {ny}")
    if ny % 2:
        raise InputError(f"the number of ring rows must be even for a periodic sample, got {ny}")
    if nx * ny > 512 * 512:
        raise InputError(f"rings {nx} × {ny} is too large (at most 512 × 512 rings)")
    return nx, ny


def _resolve_seed(seed) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _switching(lat: DualLattice, p: GenerationParams, rng, attempt: int):
    """Anneal then quench the bond switching; yields progress; returns (accepted, attempted, sweeps run)."""
    nx, ny = p.rings
    sizes, target_p = target_distribution(p.variance, p.max_ring)
    obj = Objective(lat.n_nodes, target_p, sizes, p.variance, p.alpha, w_p=p.w_p, w_s=p.w_s, w_a=p.w_a,
                    w_g=p.w_g, w_e=p.w_e, si_si=p.si_si)
    total = p.sweeps + p.quench_sweeps
    accepted = attempted = 0
    m = lat.n_edges
    done = 0
    for s in range(total):
        annealing = s < p.sweeps
        if annealing:
            T = p.t_start * (p.t_end / p.t_start) ** (s / max(1, p.sweeps - 1))
            # α and charge-screening terms switch on over the first half of the annealing: the first switches
            # out of the crystal (isolated 5-7-5-7 defects, α ≫ 0.3) must not be blocked in small lattices
            ramp = min(1.0, s / max(1.0, 0.5 * p.sweeps))
            obj.w_a, obj.w_g = ramp * p.w_a, ramp * p.w_g
        else:
            T = 0.0
            obj.w_a, obj.w_g = p.w_a, p.w_g
            if (abs(lat.variance - p.variance) <= 0.5 * p.variance_tolerance
                    and abs(lat.alpha - p.alpha) <= p.alpha_tolerance):
                break
        picks = rng.integers(0, m, m).tolist()
        unif = rng.random(m).tolist()
        unif2 = rng.random(m).tolist() if p.w_e else None
        accepted += run_chunk(lat, obj, picks, unif, T, min_ring=MIN_RING, uniforms2=unif2)
        attempted += m
        if p.smooth_iterations:
            lat.smooth(p.smooth_iterations)
        done = s + 1
        yield Progress("switch", done, total, f"attempt {attempt + 1}: s²={lat.variance:.3f} α={lat.alpha:.3f}",
                       {"variance": lat.variance, "alpha": lat.alpha, "T": T, "attempt": attempt + 1})
    return accepted, attempted, done


def generate_steps(rings=(16, 18), variance: float = 1.0, *, alpha: float = 0.3, max_ring: int = 10, seed=None,
                   relax: bool = True, **options):
    """Generate an amorphous periodic 2D silica network (a generator of :class:`Progress`; returns the Glass).

    Parameters
    ----------
    rings : (int, int) or str
        Dual lattice columns × rows, e.g. ``(16, 18)`` or ``"16x18"``.
    variance : float
        Target ring-size variance s²; 0 gives the crystal.
    alpha : float
        Target Aboav–Weaire parameter.
    max_ring : int
        Largest ring size allowed.
    seed : int, optional
        Random seed (drawn and recorded when None).
    relax : bool
        Final relaxation with the physics engine (positions and cell).
    **options
        Any other field of :class:`GenerationParams`.

    Returns
    -------
    Glass
        Periodic, Si first then O; ``info`` records the generator version, seed, attempt, parameters, target and
        achieved s², α and ring-size counts.

    Raises
    ------
    InputError
        Bad or unreachable parameters (before any work).
    SimulationError
        When ``max_attempts`` samples all missed the variance or lost bonds in relaxation.
    """
    try:
        p = GenerationParams(rings=rings, variance=variance, alpha=alpha, max_ring=max_ring, relax=relax, **options)
    except TypeError as exc:
        raise InputError(f"unknown generation option: {exc}") from None
    seed = _resolve_seed(seed)
    relax_job = None
    if p.relax:
        from ..physics import relax_steps as relax_job  # (physics imports generation's presets: imported here)
    nx, ny = p.rings
    if p.relax:
        _check_relaxable(p)
    failures = []
    for attempt in range(p.max_attempts):
        rng = np.random.default_rng([seed, attempt])
        if p.variance == 0:
            from .presets import honeycomb

            glass, top = honeycomb(nx, ny, si_si=p.si_si), None
            lat = None
            mc = {"accepted": 0, "attempted": 0, "sweeps": 0}
        else:
            lat = DualLattice(nx, ny, p.si_si)
            lat.reset_statistics(p.max_ring)
            acc, att, sw = yield from _switching(lat, p, rng, attempt)
            mc = {"accepted": acc, "attempted": att, "sweeps": sw}
            if abs(lat.variance - p.variance) > p.variance_tolerance:
                failures.append(f"attempt {attempt + 1}: variance {lat.variance:.4f} missed the target")
                continue
            if p.natural_cell:
                lx, ly, _ = lat.natural_cell()
                lat.rescale(lx, ly)
            lat.smooth(10 * max(1, p.smooth_iterations))
            if not lat.is_embedded():
                failures.append(f"attempt {attempt + 1}: the ring lattice folded")
                continue
            yield Progress("network", 0, 1, "building the Si–O network")
            net, top = dual_to_network(lat)
            glass = bonded_relax(net.replace(validate=False), top, si_o=0.5 * p.si_si, cell=False)
            if not topology_intact(glass, top):
                failures.append(f"attempt {attempt + 1}: bonded pre-relaxation lost bonds")
                continue
            glass = Glass(glass.positions, glass.species, glass.cell, pbc=(True, True), info=glass.info)
        if p.relax:
            start = glass.with_positions(glass.positions * p.shrink, cell=np.asarray(glass.cell) * p.shrink)
            try:
                glass = yield from relax_job(start, cell=True, fmax=p.fmax, stress_tol=p.stress_tol,
                                             platform=p.platform)
            except SimulationError as exc:  # e.g. a small cell whose relaxation does not settle: next attempt
                failures.append(f"attempt {attempt + 1}: relaxation failed ({exc})")
                continue
            intact = topology_intact(glass, top) if top is not None else _ideal_coordination(glass)
            if not intact:
                failures.append(f"attempt {attempt + 1}: relaxation broke Si–O bonds")
                continue
        info = dict(glass.info)
        info.update(_metadata(p, seed, attempt, lat, mc))
        return glass.replace(info=info)
    raise SimulationError(
        f"no acceptable sample in {p.max_attempts} attempts (rings {nx}×{ny}, s²={p.variance:g}, seed {seed}): "
        + "; ".join(failures)
    )


def _check_relaxable(p: GenerationParams):
    """Before any work: the periodic cell the physics relaxation starts from must exceed twice the model's cutoff
    on both axes (minimum image); say which ring counts would do, or to skip the relaxation."""
    from ..physics.models import get_model
    from .presets import honeycomb

    per_ring = np.asarray(honeycomb(2, 2, si_si=p.si_si).cell, float) / 2.0 * p.shrink
    cell = per_ring * np.asarray(p.rings, float)
    cutoff = get_model("rhh").cutoff
    need = 2.0 * cutoff * 1.08  # the relaxation shrinks a small amorphous cell by up to ~4 % more
    if (cell > need).all():
        return
    nx_min = int(np.floor(need / per_ring[0])) + 1
    ny_min = int(np.floor(need / per_ring[1])) + 1
    ny_min += ny_min % 2  # rows come in pairs on the torus
    raise InputError(
        f"{p.rings[0]} × {p.rings[1]} rings make a {cell[0]:.1f} × {cell[1]:.1f} Å cell, too small to relax with the "
        f"model (periodic edges must stay above twice its {cutoff:g} Å cutoff): use at least "
        f"{max(nx_min, 4)} × {max(ny_min, 4)} rings, or --no-relax (relax=False)")


def _ideal_coordination(glass: Glass) -> bool:
    c = glass.coordination
    return bool(np.all(c[glass.si_mask] == 3) and np.all(c[glass.o_mask] == 2))


def _metadata(p: GenerationParams, seed: int, attempt: int, lat, mc) -> dict:
    sizes, target_p = target_distribution(p.variance, p.max_ring)
    if lat is None:
        counts = {6: p.rings[0] * p.rings[1]}
        var, alpha = 0.0, float("nan")
    else:
        counts = lat.distribution()
        var, alpha = lat.variance, lat.alpha
    n = sum(counts.values())
    return {
        "generator": "glassfail dual-lattice bond switching",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "attempt": int(attempt),
        "rings": list(p.rings),
        "target_variance": float(p.variance),
        "variance": float(var),
        "target_alpha": float(p.alpha),
        "alpha": None if math.isnan(alpha) else float(alpha),
        "max_ring": int(p.max_ring),
        "ring_counts": {str(k): int(v) for k, v in sorted(counts.items())},
        "ring_distribution": {str(k): v / n for k, v in sorted(counts.items())},
        "target_distribution": {str(int(k)): float(v) for k, v in zip(sizes, target_p) if v > 0},
        "monte_carlo": dict(mc),
        "relaxed": bool(p.relax),
        "params": p.to_dict(),
    }


def generate(rings=(16, 18), variance: float = 1.0, *, alpha: float = 0.3, max_ring: int = 10, seed=None,
             relax: bool = True, on_progress=None, **options) -> Glass:
    """:func:`generate_steps` run to completion (``on_progress`` receives each :class:`Progress`).

    Examples
    --------
    >>> g = generate((8, 8), 0.5, seed=1, relax=False)
    >>> g.n_si, g.n_o, round(g.info["variance"], 3)
    (128, 192, 0.5)
    """
    return run(generate_steps(rings, variance, alpha=alpha, max_ring=max_ring, seed=seed, relax=relax, **options),
               on_progress=on_progress)


#: The old name of :func:`generate` (the README and external scripts use it).
generate_glass = generate
