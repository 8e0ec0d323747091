"""Reading a built dataset: ``load_dataset(DIR)`` → the index table and lazy per-sample access."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, StructureFileError
from .store import INDEX_FILE, DatasetStore

__all__ = ["Dataset", "load_dataset", "Sample"]


@dataclass(frozen=True)
class Sample:
    """One labelled sample: the relaxed initial structure, its labels, curves and breaks."""

    index: int
    glass: object
    labels: dict
    meta: dict
    strains: np.ndarray
    stresses: np.ndarray
    energies: np.ndarray
    break_bonds: np.ndarray
    break_strains: np.ndarray
    break_sites: np.ndarray

    @property
    def split(self) -> str:
        return self.meta.get("split", "")

    def to_dict(self) -> dict:
        """Every field as JSON-ready values (the structure as :meth:`Glass.to_dict`, arrays as lists)."""
        d = {"index": int(self.index), "glass": self.glass.to_dict(), "labels": dict(self.labels),
             "meta": dict(self.meta)}
        for name in ("strains", "stresses", "energies", "break_bonds", "break_strains", "break_sites"):
            d[name] = np.asarray(getattr(self, name)).tolist()
        return d


class Dataset:
    """A dataset folder opened for reading.

    Attributes
    ----------
    table : pandas.DataFrame
        The index: one row per sample (``status`` "ok" or "failed").
    spec : DatasetSpec
    """

    def __init__(self, root):
        self.store = DatasetStore(root)
        self.root = self.store.root
        self.spec = self.store.spec
        path = self.root / INDEX_FILE
        if not path.is_file():
            raise InputError(f"{self.root} has no {INDEX_FILE} yet (run glassfail dataset build)")
        self.table = _read_index(path)

    def __len__(self) -> int:
        return int((self.table["status"] == "ok").sum()) if len(self.table) else 0

    def indices(self, split=None) -> list:
        """Indices of the finished samples (of one split: "train", "val" or "test")."""
        t = self.table[self.table["status"] == "ok"]
        if split is not None:
            t = t[t["split"] == split]
        return [int(i) for i in t["index"]]

    def sample(self, index: int) -> Sample:
        d = self.store.read_sample(index)
        return Sample(int(index), self.store.glass(index), d["labels"], d["meta"], d["strains"], d["stresses"],
                      d["energies"], d["break_bonds"], d["break_strains"], d["break_sites"])

    def __iter__(self):
        for i in self.indices():
            yield self.sample(i)


def _read_index(path):
    """The index table, checked: readable Parquet with integer ``index``, ``status`` and ``split`` columns."""
    import pandas as pd

    redo = "run glassfail dataset build on the folder again to rebuild it from the sample files"
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises OSError, ArrowInvalid, ... on a damaged file
        text = " ".join(str(exc).split())[:160]
        raise StructureFileError(path, f"damaged dataset index ({type(exc).__name__}: {text}); {redo}") from None
    missing = [c for c in ("index", "status", "split") if c not in table.columns]
    if missing:
        raise StructureFileError(path, f"dataset index lacks column(s) {', '.join(missing)}; {redo}")
    if len(table):
        idx = pd.to_numeric(table["index"], errors="coerce")
        if idx.isna().any() or (idx < 0).any() or (idx != idx.round()).any():
            raise StructureFileError(path, f"dataset index holds sample numbers that are not counts; {redo}")
        table = table.assign(index=idx.astype(np.int64))
    return table


def load_dataset(root) -> Dataset:
    """Open the dataset in folder ``root`` (see :mod:`glassfail_core.dataset.store` for its layout)."""
    if not Path(root).exists():
        raise InputError(f"{root}: no such dataset folder")
    return Dataset(root)
