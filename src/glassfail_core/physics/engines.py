"""Choosing an engine: the NumPy double-precision engine or an OpenMM platform, behind one interface.

Every engine offers ``set_state(positions, cell, tilt=None)``, ``energy_forces()``, ``minimize(fmax, ...)``
(returning a :class:`~glassfail_core.physics.minimize.MinimizeResult`), ``positions()`` and ``cell``. A nonzero
Lees–Edwards ``tilt`` (periodic simple shear) is supported by the NumPy engine only; OpenMM engines refuse it.
:func:`energy_forces` evaluates a Glass once on the chosen engine.

Which platform serves which purpose (measured on a 1,440-atom network, one CPU core, OpenMM 8.6.1):

=============  ==========================  ======================  =================================================
platform       precision                   one evaluation          used for
=============  ==========================  ======================  =================================================
``NumPy``      double (agrees with OpenMM  ~3–4.5 ms               default without a GPU: relaxation, AQS, all
               Reference to 1e-13)                                 exact checks; reaches max|F| ≤ 1e-8 eV/Å
``Reference``  double                      ~13 ms                  independent check of the model in OpenMM (1e-10)
``CPU``        single (positions too:      ~7 ms (4 ms, 2 threads)  speed comparisons; forces noisy at ~2e-4 eV/Å,
               ~4e-6 Å at 90 Å)                                    so every minimisation is finished in double
``CUDA`` …     mixed                       (GPU)                   default when present; finished in double
=============  ==========================  ======================  =================================================
"""

from __future__ import annotations

from ..errors import InputError
from .models import get_model
from .reference import check_glass

__all__ = ["energy_forces", "make_engine", "platform_names", "resolve_platform", "resolve_tilt_platform"]


def platform_names() -> list:
    """Engines usable here, in the order ``platform=None`` prefers them."""
    from .openmm_backend import available_platforms

    omm = available_platforms()
    gpu = [p for p in omm if p in ("CUDA", "HIP", "OpenCL")]
    return gpu + ["NumPy"] + [p for p in omm if p not in gpu]


def resolve_platform(platform=None) -> str:
    """Canonical platform name (case-insensitive); ``None``/``"auto"`` → a GPU platform if any, else NumPy."""
    if platform is None or str(platform).lower() == "auto":
        try:
            return platform_names()[0]
        except Exception:  # OpenMM missing or broken: NumPy still works
            return "NumPy"
    if str(platform).lower() == "numpy":
        return "NumPy"
    names = platform_names()
    match = {n.lower(): n for n in names}
    if str(platform).lower() not in match:
        raise InputError(f"platform {platform!r} is not available here; available: {', '.join(names)}")
    return match[str(platform).lower()]


def resolve_tilt_platform(platform=None) -> str:
    """The platform for a tilted (Lees–Edwards) cell: NumPy when chosen automatically; an explicitly asked OpenMM
    platform is refused (it does not support tilted cells, see :mod:`.openmm_backend`)."""
    name = resolve_platform(platform)
    if name == "NumPy":
        return name
    if platform is not None and str(platform).lower() != "auto":
        from .openmm_backend import TILT_UNSUPPORTED

        raise InputError(f"platform {platform!r}: {TILT_UNSUPPORTED}")
    return "NumPy"


def make_engine(glass, *, model="rhh", platform=None, threads=None, fixed=None, precondition=False):
    """An engine for ``glass`` on ``platform`` (see the table above); ``precondition`` asks the NumPy engine for
    its Exp-preconditioned minimiser (OpenMM platforms ignore it)."""
    name = resolve_platform(platform)
    if name == "NumPy":
        from .numpy_engine import NumpyEngine

        return NumpyEngine(glass, model, fixed=fixed, precondition=precondition)
    from .openmm_backend import OpenMMEngine

    return OpenMMEngine(glass, model, platform=name, threads=threads, fixed=fixed)


def energy_forces(glass, *, model="rhh", platform=None, threads=None):
    """Total energy (eV) and forces ``(N, 2)`` (eV/Å) of ``glass``.

    ``platform=None`` uses the double-precision NumPy engine on a CPU-only machine (a GPU OpenMM platform when
    one exists); ``"Reference"``, ``"CPU"``, ``"CUDA"``, ``"OpenCL"`` force an OpenMM platform.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> e, f = energy_forces(honeycomb(4, 6), platform="NumPy")
    >>> round(e, 4), f.shape
    (-39.328, (120, 2))
    """
    model = get_model(model)
    check_glass(glass, model, require_bonds=False)
    eng = make_engine(glass, model=model, platform=platform, threads=threads)
    return eng.energy_forces()
