"""Failure labels of one AQS run: what "failure" means in glassfail, defined once.

In the Roy–Heyde–Heuer model the first broken Si–O bond is usually not the failure of a disordered glass: it comes
at ε ≈ 0.015–0.05 as a local event while the stress keeps rising; more single breaks follow, the stress reaches its
maximum later and then declines in steps as a crack runs. So a run is strained past its stress maximum and these
labels are read from its whole history (curve + every broken bond in order):

``first_break_strain``, ``first_break_site``, ``first_break_bond``
    The reference study's label: strain of the first broken Si–O bond (an initially bonded pair longer than the
    break length, 2.2 Å), its ``(si, o)`` indices, and the bond's midpoint in the undeformed frame (Å).
``max_stress``, ``failure_strain``
    The strength: the global maximum σ_max of the stress–strain curve (eV/Å²) and its strain ε_max.
``crack``
    The failure crack: the bonds broken after the stress maximum (strain > ε_max) up to and including the point
    where the stress first falls below ``fraction`` × σ_max (or the sample separates), in order, each with its
    strain and undeformed-frame midpoint.
``failure_site``, ``failure_bond``
    The crack's start: the first bond broken after ε_max (None when the run stopped before one broke).
``half_stress_strain``
    The first strain after ε_max where σ < ``fraction`` × σ_max (None: not reached before the strain cap).
``n_breaks_before_max``, ``largest_drop``, ``separated``, ``separation_strain``
    Breaks at strains ≤ ε_max; the largest stress decrease between consecutive points (``{"strain", "drop"}``);
    whether and where the sample separated.
``capped``
    The run ended (strain cap) before the stress fell below ``fraction`` × σ_max: the crack may be incomplete.

The same names are used by ``glassfail deform --json``, the dataset, the models and the predictions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["FailureLabels", "failure_labels", "labels_from_result", "FAILURE_FRACTION"]

#: The failure crack runs until the stress first falls below this fraction of its maximum.
FAILURE_FRACTION = 0.5


@dataclass(frozen=True)
class FailureLabels:
    """Labels of one run (see the module docstring for every definition)."""

    first_break_strain: Optional[float]
    first_break_site: Optional[tuple]
    first_break_bond: Optional[tuple]
    max_stress: float
    failure_strain: float
    failure_site: Optional[tuple]
    failure_bond: Optional[tuple]
    crack: list = field(default_factory=list)
    half_stress_strain: Optional[float] = None
    n_breaks_before_max: int = 0
    largest_drop: dict = field(default_factory=dict)
    separated: bool = False
    separation_strain: Optional[float] = None
    capped: bool = False
    fraction: float = FAILURE_FRACTION

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("first_break_site", "first_break_bond", "failure_site", "failure_bond"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    def summary(self) -> str:
        """Two lines for a human."""
        fb = ("no bond broke" if self.first_break_strain is None else
              f"first break at ε = {self.first_break_strain:.4f} at ({self.first_break_site[0]:.2f}, "
              f"{self.first_break_site[1]:.2f}) Å")
        site = ("no bond broke after the maximum" if self.failure_site is None else
                f"crack of {len(self.crack)} bond(s) from ({self.failure_site[0]:.2f}, {self.failure_site[1]:.2f}) Å")
        return (f"{fb}; {self.n_breaks_before_max} break(s) before the maximum\n"
                f"failure: σ_max = {self.max_stress:.5f} eV/Å² at ε = {self.failure_strain:.4f}; {site}"
                + (" (strain cap reached before the stress halved)" if self.capped else ""))


def _site(b):
    return (float(b["location_initial"][0]), float(b["location_initial"][1]))


def failure_labels(strains: Sequence[float], stresses: Sequence[float], breaks: Sequence[dict], *,
                   fraction: float = FAILURE_FRACTION, separated: bool = False,
                   separation_strain: Optional[float] = None) -> FailureLabels:
    """Labels from a stress–strain curve and the broken bonds in order.

    Parameters
    ----------
    strains, stresses : (K,) arrays
        The curve, strain increasing.
    breaks : list of dict
        Every broken bond in order, each with ``si``, ``o``, ``strain`` and ``location_initial`` (undeformed-frame
        midpoint, Å), as in ``FractureResult.breaks``.
    fraction : float
        The crack runs until σ < fraction × σ_max.
    separated, separation_strain
        As recorded by the run.

    Examples
    --------
    >>> eps = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
    >>> sig = [0.0, 0.004, 0.006, 0.007, 0.005, 0.003]
    >>> br = [{"si": 1, "o": 2, "strain": 0.02, "location_initial": [5.0, 6.0]},
    ...       {"si": 3, "o": 4, "strain": 0.04, "location_initial": [10.0, 1.0]},
    ...       {"si": 5, "o": 6, "strain": 0.05, "location_initial": [11.0, 1.5]}]
    >>> lab = failure_labels(eps, sig, br)
    >>> lab.first_break_strain, lab.failure_strain, lab.max_stress, lab.failure_site, lab.half_stress_strain
    (0.02, 0.03, 0.007, (10.0, 1.0), 0.05)
    >>> len(lab.crack), lab.n_breaks_before_max
    (2, 1)
    """
    e = np.asarray(strains, dtype=float)
    s = np.asarray(stresses, dtype=float)
    if e.ndim != 1 or e.shape != s.shape or len(e) == 0:
        raise InputError("strains and stresses must be 1-D arrays of the same non-zero length")
    if not 0 < fraction < 1:
        raise InputError(f"fraction must be between 0 and 1, got {fraction}")
    k = int(np.argmax(s))
    eps_max, sig_max = float(e[k]), float(s[k])
    below = np.nonzero((np.arange(len(s)) > k) & (s < fraction * sig_max))[0]
    half = float(e[below[0]]) if len(below) else None
    end = half if half is not None else (separation_strain if separated else None)
    crack = [dict(b, site=list(_site(b))) for b in breaks
             if b["strain"] > eps_max and (end is None or b["strain"] <= end + 1e-12)]
    crack = [{"si": int(b["si"]), "o": int(b["o"]), "strain": float(b["strain"]), "site": b["site"]} for b in crack]
    first = breaks[0] if len(breaks) else None
    drops = np.diff(s)
    j = int(np.argmin(drops)) if len(drops) else -1
    largest = ({"strain": float(e[j + 1]), "drop": float(-drops[j])} if j >= 0 and drops[j] < 0 else {})
    return FailureLabels(
        first_break_strain=None if first is None else float(first["strain"]),
        first_break_site=None if first is None else _site(first),
        first_break_bond=None if first is None else (int(first["si"]), int(first["o"])),
        max_stress=sig_max, failure_strain=eps_max,
        failure_site=tuple(crack[0]["site"]) if crack else None,
        failure_bond=(crack[0]["si"], crack[0]["o"]) if crack else None,
        crack=crack, half_stress_strain=half,
        n_breaks_before_max=sum(1 for b in breaks if b["strain"] <= eps_max),
        largest_drop=largest, separated=bool(separated),
        separation_strain=None if separation_strain is None else float(separation_strain),
        capped=half is None and not separated, fraction=float(fraction),
    )


def labels_from_result(result, *, fraction: float = FAILURE_FRACTION) -> FailureLabels:
    """:func:`failure_labels` of a :class:`~glassfail_core.physics.FractureResult`."""
    return failure_labels(result.strains, result.stresses, result.breaks, fraction=fraction,
                          separated=result.separated, separation_strain=result.separation_strain)
