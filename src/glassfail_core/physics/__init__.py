"""Physics engine: the Roy–Heyde–Heuer 2D silica model, relaxation and athermal quasistatic loading to failure.

Energies are in eV (the model's energy unit is assumed to be eV; see :mod:`.models`), lengths in Å, forces in
eV/Å, 2D stresses in eV/Å² (tension positive). OpenMM is imported only when an OpenMM platform is used.

Public interface::

    MODELS, get_model(name="rhh") -> PairModel
    energy_forces(glass, *, model="rhh", platform=None) -> (energy, forces)
    per_atom_energy(glass, *, model="rhh") -> (N,) eV      (½ Σ_j V_ij)
    stress(glass, *, model="rhh") -> (2, 2) eV/Å²          (virial)
    relax_steps(glass, *, cell=False, fmax=1e-6, stress_tol=1e-5, ...) -> Job[Glass];  relax(glass, **same)
    AQSParams, deform_steps(glass, params, *, run_dir=None) -> Job[FractureResult];  deform(glass, params)
    FractureResult (.to_dict(), .save(run_dir), FractureResult.load(run_dir))
    prepare_steps(glass) -> Job[(Glass, PrepareReport)];  prepare(glass) -> (Glass, PrepareReport)
    prepare_for_simulation                                   (the old name of prepare)
"""

from __future__ import annotations

from .aqs import AQSParams, FractureResult, deform, deform_steps
from .engines import energy_forces, make_engine, platform_names, resolve_platform
from .models import MODELS, PairModel, PairParams, get_model
from .prepare import PrepareReport, needs_preparation, prepare, prepare_for_simulation, prepare_steps, structure_hash
from .reference import check_glass, per_atom_energy, stress
from .relax import relax, relax_steps

__all__ = [
    "MODELS", "PairModel", "PairParams", "get_model",
    "energy_forces", "per_atom_energy", "stress", "check_glass",
    "relax_steps", "relax",
    "AQSParams", "FractureResult", "deform_steps", "deform",
    "make_engine", "platform_names", "resolve_platform",
    "prepare_steps", "prepare", "prepare_for_simulation", "needs_preparation", "PrepareReport", "structure_hash",
]

