"""Relaxation: positions at fixed cell to a force tolerance, and optionally the cell to zero stress.

Cell relaxation alternates a position minimisation with an update of the periodic cell edges from the virial
stress: a quasi-Newton (Broyden) step on ``σ_aa(L_x, L_y) = 0`` with the positions scaled affinely, starting from a
2D stiffness guess of 5 eV/Å². It converges ``|σ_xx|, |σ_yy| ≤ stress_tol`` (default 1e-5 eV/Å²) in typically
5–10 cycles. Only periodic axes change; the cell stays orthorhombic (σ_xy is reported, not relaxed).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, SimulationError
from ..progress import Progress
from .models import get_model
from .reference import check_glass

__all__ = ["relax_steps", "relax", "affine_response"]

_STIFFNESS_GUESS = 5.0  # eV/Å², 2D biaxial modulus scale of this model (~80 N/m)


def _check_params(fmax, stress_tol, max_cycles):
    if not (np.isfinite(fmax) and fmax > 0):
        raise InputError(f"fmax must be a positive force in eV/Å, got {fmax!r}")
    if not (np.isfinite(stress_tol) and stress_tol > 0):
        raise InputError(f"stress_tol must be a positive stress in eV/Å², got {stress_tol!r}")
    if int(max_cycles) < 1:
        raise InputError(f"max_cycles must be at least 1, got {max_cycles!r}")


def relax_steps(glass, *, cell=False, fmax=1e-6, stress_tol=1e-5, model="rhh", platform=None, threads=None,
                max_cycles=60, max_iterations=20000):
    """Relax ``glass`` (generator yielding :class:`Progress`; returns the relaxed :class:`Glass`).

    Parameters
    ----------
    glass : Glass
    cell : bool
        Also relax the periodic cell edges to zero normal stress.
    fmax : float
        Force tolerance, max per-atom |F| in eV/Å (reached exactly: minimisation finishes in double precision).
    stress_tol : float
        Tolerance on |σ_xx| and |σ_yy| in eV/Å² (with ``cell=True``).
    model, platform, threads
        See :func:`glassfail_core.physics.engines.make_engine`.
    max_cycles : int
        Largest number of position/cell cycles.

    The relaxed Glass carries ``info["relax"]`` = {energy, fmax, stress, cycles, platform, model, cell_before}.
    """
    from ..glass import Glass
    from .engines import make_engine

    model = get_model(model)
    _check_params(fmax, stress_tol, max_cycles)
    check_glass(glass, model, require_bonds=False)
    if cell and not any(glass.pbc):
        raise InputError("cell=True needs at least one periodic axis; a non-periodic sample has no cell to relax")
    eng = make_engine(glass, model=model, platform=platform, threads=threads)
    pos, L = np.array(glass.positions), np.array(glass.cell, float)
    axes = [a for a in range(2) if glass.pbc[a]] if cell else []
    J = np.eye(2) * _STIFFNESS_GUESS  # dσ/dε (per axis), Broyden-updated
    prev = None
    cycles = 0
    sig = np.zeros((2, 2))
    for cycles in range(1, int(max_cycles) + 1):
        eng.set_state(pos, L)
        res = eng.minimize(fmax, max_iterations=max_iterations)
        pos = np.array(res.x)
        _check_collapse(pos, L, glass, cycles)
        sig = _virial(eng, pos, L, model, glass) / (L[0] * L[1])
        s = np.array([sig[0, 0], sig[1, 1]])
        worst = max((abs(s[a]) for a in axes), default=0.0)
        yield Progress("relax", cycles, None if axes else 1,
                       f"cycle {cycles}: E={res.energy:.6f} eV, max|F|={res.fmax:.2e} eV/Å, |σ|={worst:.2e} eV/Å²",
                       {"energy": res.energy, "fmax": res.fmax, "stress": worst, "cycle": cycles})
        if not res.converged and res.fmax > 10 * fmax:
            raise SimulationError(
                f"relaxation did not reach max|F| ≤ {fmax:g} eV/Å (stopped at {res.fmax:.3g} eV/Å: {res.message})"
            )
        if not axes or worst <= stress_tol:
            break
        # Broyden update of the 2x2 stiffness from the previous cycle
        eps_now = np.log(L)
        if prev is not None:
            de, ds = eps_now - prev[0], s - prev[1]
            if de @ de > 0:
                J = J + np.outer(ds - J @ de, de) / (de @ de)
        prev = (eps_now, s)
        step = np.zeros(2)
        sub = np.array(axes)
        Jsub = J[np.ix_(sub, sub)]
        try:
            step[sub] = -np.linalg.solve(Jsub, s[sub])
        except np.linalg.LinAlgError:
            step[sub] = -s[sub] / _STIFFNESS_GUESS
        step = np.clip(step, -0.02, 0.02)
        scale = np.exp(step)
        L = L * scale
        pos = pos * scale
        for a in axes:
            if L[a] <= 2 * model.cutoff:
                raise SimulationError(f"cell relaxation shrank L{'xy'[a]} to {L[a]:.2f} Å, below 2 r_c")
    else:
        if axes and worst > stress_tol:
            raise SimulationError(
                f"cell relaxation did not converge in {max_cycles} cycles (|σ| = {worst:.3g} eV/Å² > {stress_tol:g})"
            )
    info = dict(glass.info)
    info["relax"] = {
        "energy": res.energy, "fmax": res.fmax, "stress": sig.tolist(), "cycles": cycles, "cell": bool(cell),
        "platform": eng.platform_name, "model": model.name, "cell_before": np.asarray(glass.cell).tolist(),
    }
    out = glass.replace(positions=pos, cell=L, info=info)
    return out.replace(positions=out.wrapped_positions())


def _check_collapse(pos, L, glass, cycle):
    from ..neighbors import neighbor_pairs
    from .reference import OVERLAP_DISTANCE

    i, j, _, d = neighbor_pairs(pos, L, glass.pbc, OVERLAP_DISTANCE)
    if len(i):
        k = int(np.argmin(d))
        raise SimulationError(
            f"minimisation collapsed atoms {int(i[k])} ({glass.species[i[k]]}) and {int(j[k])} "
            f"({glass.species[j[k]]}) to {d[k]:.3f} Å (cycle {cycle}): the model or the structure is unphysical"
        )


def _virial(eng, pos, L, model, glass):
    from .numpy_engine import NumpyEngine

    if isinstance(eng, NumpyEngine):
        return eng.virial(pos)
    ne = eng._double_engine()
    ne.set_state(pos, L)
    return ne.virial(pos)


def relax(glass, **kwargs):
    """Relax ``glass`` and return the new Glass (see :func:`relax_steps` for the parameters).

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = relax(honeycomb(4, 6), cell=True)
    >>> round(float(g.cell[0] / (4 * 3 ** 0.5)), 3)   # relaxed Si–Si distance, Å
    3.015
    """
    from ..progress import run

    return run(relax_steps(glass, **kwargs))


def affine_response(glass, strain: float, *, fmax: float = 1e-5):
    """``(affine, relaxed)``: ``glass`` stretched affinely by ``strain`` along x (positions and cell), and that
    glass with its positions relaxed at the stretched cell — the linear response the non-affine displacements and
    the most-stretched-bond indicator are read from. ``glass`` should be relaxed already."""
    if not glass.pbc[0]:
        raise InputError("an affine stretch along x needs a cell periodic along x to hold it")
    scale = np.array([1.0 + float(strain), 1.0])
    affine = glass.with_positions(glass.positions * scale, glass.cell * scale)
    return affine, relax(affine, fmax=fmax)
