"""One labelled sample of a dataset: generate → relax → (cut) → strain along x past failure → labels.

Pure and self-contained (no files, no Dask): the dataset builder runs it on workers and writes what it returns.
A sample that cannot be made (a relaxation that loses bonds in every attempt, a run that fails) is returned as a
failure with its one-line reason, never raised, so a build never stops on one sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

from ..dataset.labels import FailureLabels, labels_from_result
from ..dataset.spec import DatasetSpec
from ..errors import GlassfailError
from ..generation import cut_shape, generate_steps
from ..glass import Glass
from ..physics.aqs import AQSParams, FractureResult, deform_steps
from ..progress import Job, Progress, run

__all__ = ["SampleOutcome", "make_sample_steps", "make_sample", "sample_params"]


@dataclass(frozen=True)
class SampleOutcome:
    """A made sample (``status == "ok"``: glass, result, labels) or a failure (``reason``)."""

    index: int
    status: str
    reason: str = ""
    glass: Optional[Glass] = None
    result: Optional[FractureResult] = None
    labels: Optional[FailureLabels] = None
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: the parts as their ``to_dict()`` (None where absent).

        >>> SampleOutcome(3, "failed", reason="no bond broke").to_dict()["reason"]
        'no bond broke'
        """
        return {"index": int(self.index), "status": self.status, "reason": self.reason,
                "glass": self.glass.to_dict() if self.glass is not None else None,
                "result": self.result.to_dict() if self.result is not None else None,
                "labels": self.labels.to_dict() if self.labels is not None else None, "timings": dict(self.timings)}


def sample_params(spec: DatasetSpec, platform: str = "NumPy") -> AQSParams:
    """The AQS parameters of the dataset's protocol (tension along x)."""
    return AQSParams(**{**spec.protocol, "axis": "x", "mode": "tension", "platform": platform, "threads": 1})


def make_sample_steps(spec: DatasetSpec, index: int, *, platform: str = "NumPy") -> Job[SampleOutcome]:
    """Make sample ``index`` of ``spec`` (see the module docstring)."""
    seed, variance = spec.sample_seed(index), spec.sample_variance(index)
    timings = {}
    t0 = time.perf_counter()
    try:
        glass = yield from generate_steps(spec.rings, variance, alpha=spec.alpha, seed=seed, platform=platform)
        if spec.shape != "periodic":
            glass = cut_shape(glass, spec.shape)
        timings["generate_s"] = time.perf_counter() - t0
        yield Progress("sample", 1, 2, f"sample {index}: generated ({len(glass)} atoms)")
        t1 = time.perf_counter()
        result = yield from deform_steps(glass, sample_params(spec, platform))
        timings["deform_s"] = time.perf_counter() - t1
    except GlassfailError as exc:
        return SampleOutcome(index, "failed", reason=str(exc).splitlines()[0], timings=timings)
    labels = labels_from_result(result, fraction=float(spec.protocol.get("failure_fraction", 0.5)))
    if labels.first_break_strain is None:
        return SampleOutcome(index, "failed", reason=f"no bond broke before the strain cap "
                             f"{result.params.get('max_strain')}", glass=glass, result=result, timings=timings)
    yield Progress("sample", 2, 2, f"sample {index}: done")
    return SampleOutcome(index, "ok", glass=glass, result=result, labels=labels, timings=timings)


def make_sample(spec: DatasetSpec, index: int, *, platform: str = "NumPy") -> SampleOutcome:
    """:func:`make_sample_steps` run to completion."""
    return run(make_sample_steps(spec, index, platform=platform))
