"""``glassfail dataset build``: one task per sample on ``dask.distributed``, results written as they arrive.

Each task runs :func:`glassfail_core.workflows.sample.make_sample` on a worker (generate → relax → AQS past failure →
labels) and returns compact arrays; this process writes each sample file atomically as soon as its task finishes,
so Ctrl-C, a killed process or a lost worker loses only the samples in flight. A rerun skips finished samples,
recomputes damaged files and retries failed ones. Workers: a ``LocalCluster`` of single-threaded processes by
default, any running scheduler when its address is given (``tcp://host:8786``), or ``workers=0`` for this process
alone (debugging).
"""

from __future__ import annotations

import platform as _platform
import time
from dataclasses import dataclass
from typing import Optional

from ..distributed import CONNECT_TIMEOUT, map_unordered  # noqa: F401 - CONNECT_TIMEOUT stays importable here
from ..errors import InputError
from ..progress import Job, Progress, run
from .spec import DatasetSpec
from .store import DatasetStore, sample_arrays

__all__ = ["build_steps", "build", "compute_sample", "BuildSummary", "index_row"]

#: The index table is rewritten after this many finished samples (and at the end).
INDEX_EVERY = 10


@dataclass(frozen=True)
class BuildSummary:
    """What a build did: samples made now, already there, failed (with reasons), and the folder."""

    root: str
    made: int
    kept: int
    failed: int
    total: int
    wall_s: float
    reasons: dict

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _versions() -> dict:
    import numpy

    from .. import __version__
    from ..generation.amorphous import GENERATOR_VERSION

    return {"glassfail": __version__, "generator": GENERATOR_VERSION, "numpy": numpy.__version__,
            "python": _platform.python_version()}


def compute_sample(spec_dict: dict, index: int, platform: str = "NumPy") -> dict:
    """Make one sample (on a worker): ``{"index", "status", "reason", "arrays", "timings"}``; never raises for a
    sample that cannot be made."""
    from ..workflows.sample import make_sample

    spec = DatasetSpec.from_dict(spec_dict)
    t0 = time.perf_counter()
    out = make_sample(spec, index, platform=platform)
    timings = {**out.timings, "total_s": time.perf_counter() - t0}
    if out.status != "ok":
        return {"index": index, "status": "failed", "reason": out.reason, "timings": timings,
                "target_variance": spec.sample_variance(index), "seed": spec.sample_seed(index)}
    g = out.glass
    meta = {"index": index, "seed": spec.sample_seed(index), "target_variance": spec.sample_variance(index),
            "split": spec.split(index), "engine": out.result.info.get("platform"), "timings": timings,
            "protocol": dict(out.result.params), "versions": _versions(), "n_minimisations":
                out.result.info.get("n_minimisations"),
            "glass_info": {k: g.info[k] for k in ("variance", "alpha", "ring_counts", "ring_distribution",
                                                  "generator_version", "seed", "attempt") if k in g.info}}
    return {"index": index, "status": "ok", "arrays": sample_arrays(g, out.result, out.labels, meta),
            "timings": timings}


def index_row(index: int, labels: dict, meta: dict, n_atoms: int) -> dict:
    """One row of the index table from a sample's labels and metadata."""
    gi = meta.get("glass_info", {})
    row = {"index": int(index), "status": "ok", "reason": "", "split": meta.get("split"),
           "seed": meta.get("seed"), "target_variance": meta.get("target_variance"),
           "variance": gi.get("variance"), "alpha": gi.get("alpha"), "n_atoms": int(n_atoms),
           "engine": meta.get("engine"), "total_s": meta.get("timings", {}).get("total_s"),
           "generate_s": meta.get("timings", {}).get("generate_s"),
           "deform_s": meta.get("timings", {}).get("deform_s"),
           "glassfail_version": meta.get("versions", {}).get("glassfail"),
           "generator_version": gi.get("generator_version")}
    for n in range(4, 11):
        row[f"p{n}"] = float(gi.get("ring_distribution", {}).get(str(n), 0.0))
    for k in ("first_break_strain", "max_stress", "failure_strain", "half_stress_strain", "n_breaks_before_max",
              "separated", "capped"):
        row[k] = labels.get(k)
    for k in ("first_break_site", "failure_site"):
        site = labels.get(k)
        row[f"{k}_x"], row[f"{k}_y"] = (site if site is not None else (None, None))
    row["n_crack"] = len(labels.get("crack", []))
    return row


def _failure_row(index: int, rec: dict, spec: DatasetSpec) -> dict:
    return {"index": int(index), "status": "failed", "reason": rec.get("reason", ""), "split": spec.split(index),
            "seed": spec.sample_seed(index), "target_variance": spec.sample_variance(index)}


def _existing(store: DatasetStore, n: int):
    """Rows of the valid samples below ``n``; damaged files are removed (they will be recomputed)."""
    rows, damaged = {}, []
    for i in store.indices("samples"):
        if i >= n:
            continue
        try:
            d = store.read_sample(i)
        except Exception:  # noqa: BLE001 - any damage: recompute
            damaged.append(i)
            store.sample_path(i).unlink(missing_ok=True)
            continue
        rows[i] = index_row(i, d["labels"], d["meta"], len(d["positions"]))
    return rows, damaged


def build_steps(root, spec: DatasetSpec, n: int, *, workers: Optional[int] = None, scheduler: Optional[str] = None,
                platform: str = "NumPy") -> Job[BuildSummary]:
    """Build (or grow, or resume) the dataset ``spec`` in ``root`` up to ``n`` samples.

    Yields one ``dataset`` event per finished sample (``data``: done, failed, total, rate per hour, eta_s).
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise InputError(f"--n must be a positive integer, got {n!r}")
    if workers is not None and (int(workers) != workers or workers < 0):
        raise InputError(f"--workers must be a non-negative integer, got {workers!r}")
    store = DatasetStore.create(root, spec)
    rows, damaged = _existing(store, n)
    todo = [i for i in range(n) if i not in rows]
    t0 = time.perf_counter()
    kept, made, failed, reasons = len(rows), 0, 0, {}
    note = f"{kept} sample(s) already built" + (f"; {len(damaged)} damaged file(s) will be rebuilt" if damaged
                                                 else "")
    yield Progress("dataset", kept, n, note, {"note": note} if kept or damaged else {})

    def record(out):
        nonlocal made, failed
        i = out["index"]
        if out["status"] == "ok":
            store.write_sample(i, out["arrays"])
            d = store.read_sample(i)
            rows[i] = index_row(i, d["labels"], d["meta"], len(d["positions"]))
            made += 1
        else:
            store.write_failure(i, {k: out[k] for k in ("reason", "timings", "target_variance", "seed")})
            rows[i] = _failure_row(i, out, spec)
            reasons[out["reason"]] = reasons.get(out["reason"], 0) + 1
            failed += 1
        if (made + failed) % INDEX_EVERY == 0:  # a snapshot of the folder is consistent even if this process dies
            store.write_index(list(rows.values()))
        elapsed = time.perf_counter() - t0
        rate = (made + failed) / elapsed * 3600 if elapsed > 0 else 0.0
        left = len(todo) - made - failed
        eta = left / rate * 3600 if rate > 0 else None
        return Progress("dataset", kept + made + failed, n,
                        f"{kept + made} done, {failed} failed, {rate:.0f}/h" + (f", ETA {eta / 60:.0f} min" if eta
                                                                                 else ""),
                        {"done": kept + made, "failed": failed, "rate": rate, "eta_s": eta})

    try:
        if not todo:
            return BuildSummary(str(store.root), 0, kept, 0, n, 0.0, {})
        if workers == 0 and scheduler is None:
            for i in todo:
                yield record(compute_sample(spec.to_dict(), i, platform))
        else:
            yield from _distributed(todo, spec, platform, workers, scheduler, record)
    finally:
        store.write_index(list(rows.values()))
    return BuildSummary(str(store.root), made, kept, failed, n, time.perf_counter() - t0, reasons)


def _distributed(todo, spec, platform, workers, scheduler, record):
    n = len(todo)
    for out in map_unordered(compute_sample, [spec.to_dict()] * n, todo, [platform] * n, workers=workers,
                             scheduler=scheduler):
        yield record(out)


def build(root, spec: DatasetSpec, n: int, **kwargs) -> BuildSummary:
    """:func:`build_steps` run to completion."""
    return run(build_steps(root, spec, n, **kwargs))
