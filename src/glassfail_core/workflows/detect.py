"""Detect, then rings: the atoms of a micrograph and the rings of the network they form."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional

from ..errors import StructureError
from ..glass import Glass
from ..micrograph.detection import detect_steps
from ..progress import Job, Progress, run
from ..rings import RingSet, RingStats, find_rings, ring_statistics

__all__ = ["Detection", "detect_rings_steps", "detect_rings"]


@dataclass(frozen=True)
class Detection:
    """Atoms found in a micrograph and, when they form a network, its rings.

    Attributes
    ----------
    glass : Glass
        The detected atoms (non-periodic, in Å, with per-atom ``confidence``); may be empty.
    ringset : RingSet or None
        Rings of the detected network; None when there are too few atoms or the analysis was refused.
    stats : RingStats or None
        :func:`~glassfail_core.rings.ring_statistics` of ``ringset``.
    rings_note : str or None
        Why there are no rings (one line), when there are none.
    """

    glass: Glass
    ringset: Optional[RingSet] = None
    stats: Optional[RingStats] = None
    rings_note: Optional[str] = None

    def to_dict(self) -> dict:
        """JSON-ready: each part as its own ``to_dict()`` (None where absent)."""
        return {"glass": self.glass.to_dict(), "ringset": self.ringset.to_dict() if self.ringset else None,
                "stats": self.stats.to_dict() if self.stats else None, "rings_note": self.rings_note}


def _rings(glass: Glass):
    if glass.n_si < 3:
        return None, None, "too few atoms for rings"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ringset = find_rings(glass)
        except StructureError as exc:  # the atoms stand; only the ring analysis is refused
            return None, None, f"rings not analysed: {exc}"
    return ringset, ring_statistics(ringset), None


def detect_rings_steps(micrograph, **params) -> Job[Detection]:
    """Find the atoms of ``micrograph`` (:func:`~glassfail_core.micrograph.detect_steps`, with its own progress),
    then the rings of their network. ``params`` are those of ``detect_steps``.

    A network whose rings cannot be analysed (too few atoms, crossing bonds) still returns its atoms, with the
    reason in :attr:`Detection.rings_note`.
    """
    yield Progress("detect", 0, None, "detecting atoms")
    glass = yield from detect_steps(micrograph, **params)
    if len(glass) == 0:
        return Detection(glass, rings_note="too few atoms for rings")
    yield Progress("rings", 0, 1, f"{len(glass)} atoms; finding rings", data={"n_atoms": len(glass)})
    ringset, stats, note = _rings(glass)
    yield Progress("rings", 1, 1, note or f"{stats.n_rings} rings")
    return Detection(glass, ringset, stats, note)


def detect_rings(micrograph, **params) -> Detection:
    """:func:`detect_rings_steps` run to completion."""
    return run(detect_rings_steps(micrograph, **params))
