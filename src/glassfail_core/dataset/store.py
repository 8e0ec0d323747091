"""A dataset folder on disk: the build's spec, one compressed file per sample, failure records and the index.

Layout of ``DIR``::

    dataset.json              the build's spec and identity (see :mod:`.spec`)
    samples/000123.npz        one sample: the relaxed initial structure (float64), the curves (float32), every
                              broken bond, the labels and the metadata (JSON strings) — written atomically
    failed/000124.json        why a sample could not be made (retried by the next build)
    index.parquet             one row per sample: seed, s² target and achieved, α, p(n), every label, split,
                              status, engine, timings, versions (rebuilt from the files, written atomically)

Reading never unpickles (``np.load(allow_pickle=False)``); a damaged sample file is reported and rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import atomic_path, write_json, write_npz
from ..errors import InputError, StructureFileError
from ..glass import Glass
from .spec import DatasetSpec

__all__ = ["DatasetStore", "SAMPLE_KEYS", "sample_arrays"]

SPEC_FILE, INDEX_FILE = "dataset.json", "index.parquet"
#: Arrays every sample file holds.
SAMPLE_KEYS = ("positions", "species", "cell", "pbc", "strains", "stresses", "energies", "n_broken",
               "break_bonds", "break_strains", "break_sites", "labels", "meta")


def _species_codes(glass: Glass) -> np.ndarray:
    return (np.asarray(glass.species) == "O").astype(np.uint8)


class DatasetStore:
    """Files of one dataset folder. ``DatasetStore.create(dir, spec)`` for a build, ``DatasetStore(dir)`` to read."""

    def __init__(self, root):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root} is a file, not a dataset folder")
        spec_path = self.root / SPEC_FILE
        if not spec_path.is_file():
            raise InputError(f"{self.root} is not a glassfail dataset (no {SPEC_FILE})")
        try:
            d = json.loads(spec_path.read_text())
            self.spec = DatasetSpec.from_dict(d["spec"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            text = " ".join(str(exc).split())[:200]
            raise StructureFileError(spec_path, f"not a dataset description ({type(exc).__name__}: {text})") from None

    @classmethod
    def create(cls, root, spec: DatasetSpec) -> "DatasetStore":
        """Open ``root`` for a build of ``spec``: a new (or empty) folder, or one holding the same build."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise InputError(f"{root} is a file, not a dataset folder")
        spec_path = root / SPEC_FILE
        if spec_path.is_file():
            store = cls(root)
            if store.spec.identity() != spec.identity():
                raise InputError(
                    f"{root} holds a different build (identity {store.spec.identity()}: seed {store.spec.seed}, "
                    f"s² {store.spec.variance[0]:g}:{store.spec.variance[1]:g}, rings "
                    f"{store.spec.rings[0]}x{store.spec.rings[1]}, shape {store.spec.shape}); choose another folder")
            return store
        if root.is_dir() and any(p.name != ".gitkeep" for p in root.iterdir()):
            raise InputError(f"{root} is not empty and is not a glassfail dataset; choose another folder")
        write_json(spec_path, {"format": "glassfail-dataset", "version": 1, "identity": spec.identity(),
                               "spec": spec.to_dict()})
        return cls(root)

    # ------------------------------------------------------------------------------------------ paths
    def sample_path(self, index: int) -> Path:
        return self.root / "samples" / f"{int(index):06d}.npz"

    def failure_path(self, index: int) -> Path:
        return self.root / "failed" / f"{int(index):06d}.json"

    def indices(self, kind: str = "samples") -> list:
        """Indices with a file under ``samples/`` (or ``failed/``)."""
        folder = self.root / kind
        if not folder.is_dir():
            return []
        out = []
        for p in folder.iterdir():
            if p.name.startswith(".") or not p.stem.isdigit():
                continue
            out.append(int(p.stem))
        return sorted(out)

    # ------------------------------------------------------------------------------------------ writing
    def write_sample(self, index: int, arrays: dict) -> Path:
        """Write one sample's arrays (see :func:`sample_arrays`) atomically; clears an old failure record."""
        path = self.sample_path(index)
        write_npz(path, **arrays)
        fail = self.failure_path(index)
        if fail.exists():
            fail.unlink()
        return path

    def write_failure(self, index: int, record: dict) -> Path:
        path = self.failure_path(index)
        write_json(path, {"index": int(index), **record})
        return path

    # ------------------------------------------------------------------------------------------ reading
    def read_sample(self, index: int) -> dict:
        """The arrays of sample ``index`` with ``labels`` and ``meta`` decoded; StructureFileError if damaged."""
        path = self.sample_path(index)
        if not path.is_file():
            raise InputError(f"sample {index} is not in {self.root}")
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: z[k] for k in SAMPLE_KEYS}
            d["labels"] = json.loads(str(d["labels"]))
            d["meta"] = json.loads(str(d["meta"]))
            _check_sample(d)
        except Exception as exc:  # noqa: BLE001 - zip, key, JSON and value errors all mean "damaged"
            text = " ".join(str(exc).split())[:200]
            raise StructureFileError(path, f"damaged sample file ({type(exc).__name__}: {text})") from None
        return d

    def is_valid(self, index: int) -> bool:
        """True when sample ``index``'s file exists and reads completely."""
        try:
            self.read_sample(index)
        except (InputError, StructureFileError):
            return False
        return True

    def glass(self, index: int) -> Glass:
        """The relaxed initial structure of sample ``index`` (full precision)."""
        d = self.read_sample(index)
        species = np.where(d["species"] == 1, "O", "Si")
        glass_info = d["meta"].get("glass_info", {})
        if not isinstance(glass_info, dict):
            raise StructureFileError(self.sample_path(index), "damaged sample file (meta.glass_info is not a mapping)")
        return Glass(d["positions"], species, d["cell"], pbc=tuple(bool(b) for b in d["pbc"]),
                     info={"dataset_sample": int(index), **glass_info})

    def read_failure(self, index: int) -> Optional[dict]:
        try:
            return json.loads(self.failure_path(index).read_text())
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------------------------------ index
    def write_index(self, rows: list) -> Path:
        """Write the index table atomically (Parquet through pandas/pyarrow)."""
        import pandas as pd

        path = self.root / INDEX_FILE
        table = pd.DataFrame(rows)
        if len(table):
            table = table.sort_values("index").reset_index(drop=True)
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        return path


#: Shape of every numeric array of a sample file (-1: any length).
_SHAPES = {"positions": (-1, 2), "species": (-1,), "cell": (2,), "pbc": (2,), "strains": (-1,), "stresses": (-1,),
           "energies": (-1,), "n_broken": (-1,), "break_bonds": (-1, 2), "break_strains": (-1,),
           "break_sites": (-1, 2)}


def _check_sample(d: dict) -> None:
    """Raise ValueError when a decoded sample's arrays or JSON parts do not have the layout :func:`sample_arrays`
    writes (a damaged or hand-edited file)."""
    for k, shape in _SHAPES.items():
        v = d[k]
        if v.dtype.kind not in "fiub" or v.ndim != len(shape) or any(
                want not in (-1, got) for want, got in zip(shape, v.shape)):
            raise ValueError(f"{k} has shape {v.shape} and type {v.dtype}, expected {shape} numbers")
    if len(d["species"]) != len(d["positions"]):
        raise ValueError(f"{len(d['species'])} species for {len(d['positions'])} positions")
    for k in ("labels", "meta"):
        if not isinstance(d[k], dict):
            raise ValueError(f"{k} is not a JSON object")


def sample_arrays(glass: Glass, result, labels, meta: dict) -> dict:
    """The compact arrays of one sample: float64 structure, float32 curves, the breaks, labels and meta as JSON."""
    from .._atomic import json_default

    br = result.breaks
    return {
        "positions": np.asarray(glass.positions, dtype=np.float64),
        "species": _species_codes(glass),
        "cell": np.asarray(glass.cell, dtype=np.float64),
        "pbc": np.asarray(glass.pbc, dtype=bool),
        "strains": np.asarray(result.strains, dtype=np.float32),
        "stresses": np.asarray(result.stresses, dtype=np.float32),
        "energies": np.asarray(result.energies, dtype=np.float64),
        "n_broken": np.asarray(result.n_broken, dtype=np.int32),
        "break_bonds": np.array([[b["si"], b["o"]] for b in br], dtype=np.int32).reshape(-1, 2),
        "break_strains": np.array([b["strain"] for b in br], dtype=np.float64),
        "break_sites": np.array([b["location_initial"] for b in br], dtype=np.float64).reshape(-1, 2),
        "labels": np.array(json.dumps(labels.to_dict(), default=json_default)),
        "meta": np.array(json.dumps(meta, default=json_default)),
    }
