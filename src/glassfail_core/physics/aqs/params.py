"""Parameters of an AQS run (:class:`AQSParams`), checked when made."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Mapping, Optional

from ...errors import InputError

__all__ = ["AQSParams", "STRAIN_TOL", "MAX_STRAIN"]

#: Two strains closer than this are the same (round-off of the strain grid).
STRAIN_TOL = 1e-12
#: The largest ``max_strain`` accepted: beyond 100 % strain no network survives (silica breaks near 0.1), so a
#: larger value is a typo (``--max-strain 50`` for 0.50) that would only grind through thousands of empty steps.
MAX_STRAIN = 1.0


@dataclass(frozen=True)
class AQSParams:
    """Parameters of an AQS run (all lengths Å, strains dimensionless, stresses eV/Å², forces eV/Å).

    Attributes
    ----------
    step, refine_step : float
        Coarse and refined strain increments (0.005, 0.0005). ``refine_step = 0`` disables refinement.
    max_strain : float
        Stop here whatever happened.
    axis : {"x", "y"}
        Loading axis (after rotation by ``angle``).
    transverse : {"fixed", "relaxed"}
        Transverse cell edge held, or relaxed to zero transverse stress after each step (periodic only).
    until : {"first", "failure", "complete"}
        Stop at the first broken Si–O bond; past failure (the stress has fallen below ``failure_fraction`` of its
        maximum after a break: the dataset's rule, see :mod:`glassfail_core.dataset.labels`); or strain on until the
        sample separates (stress below ``separation_fraction`` of its maximum).
    fmax : float
        Force tolerance of every minimisation (max per-atom |F|).
    break_length : float
        Si–O length above which an initial bond is broken (2.2 Å; see the module docstring).
    drop_tol : float
        A stress decrease larger than this between two steps counts as a drop.
    separation_fraction : float
        ``until="complete"`` stops once the stress is below this fraction of its maximum (after a break).
    failure_fraction, failure_window : float
        ``until="failure"`` stops once the stress has fallen below ``failure_fraction`` of its maximum so far (after
        a break) and has not risen above that maximum again within ``failure_window`` of strain.
    mode : {"tension", "shear"}
        Uniaxial tension or simple shear: periodic (Lees–Edwards, a sample periodic along x and y loaded without
        grips; ``axis`` is the shear direction, ``"x"``: ``x += γ·y``) or with grips (``axis`` joins the grips,
        the moving grip is displaced across it).
    angle : float
        Loading direction in degrees from x (non-periodic samples; 0/90/180/270 also on periodic ones).
    grips : float or None
        Grip width in Å; ``None`` = automatic (none for a periodic loading axis, 11 Å ≈ 2 ring diameters
        otherwise).
    relax_first : bool
        Minimise the input before straining.
    refine_all_breaks : bool
        With ``until="complete"``, refine every step that breaks bonds (not only the first event).
    transverse_tol : float
        ``transverse="relaxed"``: the transverse stress (eV/Å²) counted as zero.
    max_iterations : int
        Iteration limit of every minimisation.
    precondition : bool
        Minimise with the NumPy engine's Exp-preconditioned L-BFGS (~4× fewer force evaluations; the same first
        break, while avalanches after it may settle in other minima: the dataset protocol uses it, its labels are
        checked against halved strain steps in the README).
    platform, threads, model
        Engine choice (:func:`glassfail_core.physics.engines.make_engine`).
    """

    step: float = 0.005
    refine_step: float = 0.0005
    max_strain: float = 0.3
    axis: str = "x"
    transverse: str = "fixed"
    until: str = "first"
    fmax: float = 1e-5
    break_length: float = 2.2
    drop_tol: float = 1e-5
    separation_fraction: float = 0.05
    failure_fraction: float = 0.5
    failure_window: float = 0.015
    mode: str = "tension"
    angle: float = 0.0
    grips: Optional[float] = None
    relax_first: bool = True
    refine_all_breaks: bool = True
    transverse_tol: float = 1e-5
    max_iterations: int = 20000
    precondition: bool = False
    platform: Optional[str] = None
    threads: Optional[int] = None
    model: str = "rhh"

    def __post_init__(self):
        def pos(name, allow_zero=False):
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
            if not ok:
                raise InputError(f"AQSParams.{name} must be a {'non-negative' if allow_zero else 'positive'} "
                                 f"number, got {v!r}")

        for name in ("step", "max_strain", "fmax", "break_length", "transverse_tol"):
            pos(name)
        for name in ("refine_step", "drop_tol", "separation_fraction", "failure_window"):
            pos(name, allow_zero=True)
        if self.refine_step >= self.step:
            raise InputError(f"AQSParams.refine_step ({self.refine_step}) must be smaller than step ({self.step})")
        if self.max_strain > MAX_STRAIN:
            raise InputError(f"AQSParams.max_strain ({self.max_strain}) is beyond {MAX_STRAIN:g} ({MAX_STRAIN:.0%} "
                             "strain), where no network survives; silica breaks near 0.1, give at most "
                             f"{MAX_STRAIN:g}")
        if self.max_strain < self.step:
            raise InputError(f"AQSParams.max_strain ({self.max_strain}) is smaller than one step ({self.step})")
        choices = {"axis": ("x", "y"), "transverse": ("fixed", "relaxed"), "until": ("first", "failure", "complete"),
                   "mode": ("tension", "shear")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InputError(f"AQSParams.{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        if not (isinstance(self.angle, (int, float)) and math.isfinite(self.angle)):
            raise InputError(f"AQSParams.angle must be a finite number of degrees, got {self.angle!r}")
        if self.grips is not None and not (isinstance(self.grips, (int, float)) and self.grips > 0):
            raise InputError(f"AQSParams.grips must be a positive width in Å (or None), got {self.grips!r}")
        if self.break_length <= 1.7:
            raise InputError(f"AQSParams.break_length ({self.break_length} Å) must exceed the Si–O bond (~1.6 Å)")
        if not self.separation_fraction < 1:
            raise InputError("AQSParams.separation_fraction must be below 1")
        if not (isinstance(self.failure_fraction, (int, float)) and 0 < self.failure_fraction < 1):
            raise InputError(f"AQSParams.failure_fraction must be between 0 and 1, got {self.failure_fraction!r}")
        if int(self.max_iterations) < 1:
            raise InputError("AQSParams.max_iterations must be at least 1")

    def to_dict(self) -> dict:
        """The parameters as a plain dict (JSON-ready).

        >>> AQSParams(until="complete").to_dict()["until"]
        'complete'
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> "AQSParams":
        """Parameters from :meth:`to_dict`'s output; unknown keys (e.g. from a newer version) are ignored.

        >>> AQSParams.from_dict({"step": 0.01, "future_option": 1}).step
        0.01
        """
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
