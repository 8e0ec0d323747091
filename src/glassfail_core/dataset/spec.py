"""What a dataset build is: its identity (seed, disorder range, size, shape, protocol) and the per-sample draws.

A build's identity is everything that decides its samples — not how many there are: rerunning a build with a larger
``n`` grows the same dataset, and sample ``i`` is always the same glass strained the same way. Each sample's seed,
target ring-size variance and split are drawn from ``(seed, index)`` alone, so they never change as the dataset
grows, and no sample reaches two splits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Mapping

import numpy as np

from ..errors import InputError

__all__ = ["DatasetSpec", "DEFAULT_PROTOCOL", "SPLITS", "SHAPES"]

#: AQS protocol of the dataset (fields of :class:`~glassfail_core.physics.AQSParams`); the step study in the README
#: chose it.
DEFAULT_PROTOCOL: Mapping = {
    "until": "failure", "step": 0.0025, "refine_step": 0.00025, "max_strain": 0.25, "fmax": 1e-5,
    "failure_fraction": 0.5, "failure_window": 0.015, "precondition": True,
}
#: Split fractions (train, validation, test), assigned by a hash of (seed, index).
SPLITS = (("train", 0.8), ("val", 0.1), ("test", 0.1))
#: Sample shapes: periodic cells, or non-periodic cuts of a relaxed periodic glass pulled by grips.
SHAPES = ("periodic", "disc", "rect")


def _hash_unit(*parts) -> float:
    """A number in [0, 1) from the SHA-256 of ``parts`` (stable across platforms and Python versions)."""
    h = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


@dataclass(frozen=True)
class DatasetSpec:
    """The identity of a dataset build.

    Attributes
    ----------
    seed : int
        Dataset seed; sample ``i`` uses a seed derived from ``(seed, i)``.
    variance : (float, float)
        Range of the target ring-size variance s², drawn uniformly per sample.
    rings : (int, int)
        Ring lattice of each glass (16 × 18 = 1,440 atoms).
    shape : {"periodic", "disc", "rect"}
        Periodic cell, or a non-periodic cut of the relaxed glass (loaded by grips).
    protocol : dict
        AQS parameters (strained along x).
    alpha : float
        Target Aboav–Weaire parameter.

    Examples
    --------
    >>> s = DatasetSpec(seed=0, variance=(0.2, 1.2))
    >>> s.identity() == DatasetSpec(seed=0, variance=(0.2, 1.2)).identity() != DatasetSpec(seed=1).identity()
    True
    >>> 0.2 <= s.sample_variance(7) <= 1.2, s.split(7) in ("train", "val", "test")
    (True, True)
    """

    seed: int = 0
    variance: tuple = (0.2, 1.2)
    rings: tuple = (16, 18)
    shape: str = "periodic"
    protocol: Mapping = field(default_factory=lambda: dict(DEFAULT_PROTOCOL))
    alpha: float = 0.3

    def __post_init__(self):
        try:
            lo, hi = (float(v) for v in self.variance)
            nx, ny = (int(v) for v in self.rings)
        except (TypeError, ValueError):
            raise InputError(f"variance must be two numbers and rings two integers, got {self.variance!r}, "
                             f"{self.rings!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi):
            raise InputError(f"the variance range must be LO:HI with 0 ≤ LO ≤ HI, got {lo:g}:{hi:g}")
        if self.shape not in SHAPES:
            raise InputError(f"shape must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {self.seed!r}")
        object.__setattr__(self, "variance", (lo, hi))
        object.__setattr__(self, "rings", (nx, ny))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "protocol", dict(self.protocol))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["variance"], d["rings"] = list(self.variance), list(self.rings)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "DatasetSpec":
        known = {k: d[k] for k in ("seed", "variance", "rings", "shape", "protocol", "alpha") if k in d}
        return cls(**known)

    def identity(self) -> str:
        """A short hash of everything that decides the samples (16 hex digits)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # ------------------------------------------------------------------------------------------ per sample
    def sample_seed(self, index: int) -> int:
        """The generator seed of sample ``index`` (a 63-bit integer)."""
        return int(np.random.SeedSequence([self.seed, int(index)]).generate_state(2, np.uint64)[0] >> np.uint64(1))

    def sample_variance(self, index: int) -> float:
        """The target s² of sample ``index``, uniform in the range."""
        lo, hi = self.variance
        return float(lo + (hi - lo) * _hash_unit("variance", self.seed, int(index)))

    def split(self, index: int) -> str:
        """``"train"``, ``"val"`` or ``"test"`` for sample ``index`` (80/10/10 by a hash of the seed and index)."""
        u, acc = _hash_unit("split", self.seed, int(index)), 0.0
        for name, frac in SPLITS:
            acc += frac
            if u < acc:
                return name
        return SPLITS[-1][0]
