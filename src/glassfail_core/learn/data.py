"""The torch Dataset over a built dataset: augmented images, standardised scalar targets and target maps.

One item of :class:`GlassImages` is a dict of tensors::

    image        (1, H, W)  the glass drawn by :func:`~.images.render_input`, standardised
    scalars      (T,)       targets standardised with the training split's mean and std (0 where missing)
    scalar_mask  (T,)       1 where the label exists
    maps         (M, h, w)  target maps at the map head's resolution, each summing to 1 (0 where missing)
    map_mask     (M,)       1 where the label exists
    cells        (H/s, W/s) 1 on the encoder cells (stride s) of the sample, 0 on a non-periodic input's padding:
                            the scalars pool over these, as at inference
    valid        (h, w)     bool, the map pixels on the sample (the others are masked out of the softmax)
    index        ()         the sample's index in the dataset

Training items are augmented (flips in x and y, a uniform translation, fresh Poisson noise), drawn from
``(seed, epoch, index)`` so an epoch is the same whenever it is run; evaluation items are the plain image with noise
from ``(seed, index)``. Images of one batch must have one size: :func:`batches` groups samples by image shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..errors import InputError
from ..glass import Glass
from ..neighbors import wrap
from .images import DEFAULT_INPUT, Augment, input_shape, random_augment, render_input, site_map

__all__ = ["TARGETS", "MAPS", "Record", "records", "content_hash", "target_stats", "image_stats", "GlassImages",
           "batches", "collate"]

#: Scalar targets a model can learn (labels of :mod:`glassfail_core.dataset.labels`).
TARGETS = ("failure_strain", "max_stress", "first_break_strain")
#: Map targets: the failure crack's bonds, and the first broken bond.
MAPS = ("crack", "first_break")


@dataclass(frozen=True)
class Record:
    """What learning needs of one sample (kept in memory: a few hundred kB per 1,440-atom glass)."""

    index: int
    glass: Glass
    scalars: dict
    crack: np.ndarray
    first_break: np.ndarray
    failure_site: Optional[tuple]
    variance: float
    split: str

    def to_dict(self) -> dict:
        """Labels and metadata (the glass itself left out)."""
        return {"index": self.index, "n_atoms": len(self.glass), "scalars": dict(self.scalars),
                "crack": self.crack.tolist(), "first_break": self.first_break.tolist(),
                "failure_site": None if self.failure_site is None else list(self.failure_site),
                "variance": self.variance, "split": self.split}

    def sites(self, name: str) -> np.ndarray:
        return self.crack if name == "crack" else self.first_break


def _record(sample, variance) -> Record:
    lab = sample.labels
    crack = np.array([b["site"] for b in lab.get("crack") or []], dtype=float).reshape(-1, 2)
    fb = lab.get("first_break_site")
    first = np.array([fb], dtype=float).reshape(-1, 2) if fb is not None else np.zeros((0, 2))
    scal = {k: (None if lab.get(k) is None else float(lab[k])) for k in TARGETS}
    fs = lab.get("failure_site")
    return Record(sample.index, sample.glass, scal, crack, first, None if fs is None else tuple(fs),
                  float(variance) if variance is not None else float("nan"), sample.split)


def records(ds, split: Optional[str] = None, limit: Optional[int] = None, indices=None) -> list:
    """Records of a :class:`~glassfail_core.dataset.Dataset` (one split, at most ``limit`` samples; or exactly the
    samples ``indices``)."""
    if indices is not None:
        idx = [int(i) for i in indices]
    else:
        idx = ds.indices(split)[:limit] if limit else ds.indices(split)
    t = ds.table.set_index("index")
    out = []
    for i in idx:
        v = t.loc[i, "variance"] if "variance" in t.columns else None
        out.append(_record(ds.sample(i), None if v is None or not np.isfinite(v) else float(v)))
    return out


def content_hash(ds, idx) -> str:
    """SHA-256 (16 hex digits) of the sample files ``idx`` of ``ds``, in index order: what a model was trained on."""
    h = hashlib.sha256()
    for i in sorted(idx):
        h.update(f"{i}:".encode())
        h.update(ds.store.sample_path(i).read_bytes())
    return h.hexdigest()[:16]


def target_stats(recs, targets) -> dict:
    """Mean and standard deviation of each scalar target over ``recs`` (the training split)."""
    out = {}
    for t in targets:
        v = np.array([r.scalars[t] for r in recs if r.scalars.get(t) is not None], dtype=float)
        if len(v) < 2:
            raise InputError(f"the training split has {len(v)} sample(s) with {t}; at least 2 are needed")
        out[t] = {"mean": float(v.mean()), "std": float(max(v.std(ddof=1), 1e-12)), "n": int(len(v)),
                  "min": float(v.min()), "max": float(v.max())}
    return out


def image_stats(recs, inp=DEFAULT_INPUT, *, n: int = 16, seed: int = 0) -> dict:
    """Pixel mean and standard deviation of noisy training renders (at most ``n`` samples)."""
    vals = [render_input(r.glass, inp, seed=[seed, r.index])[0] for r in recs[:n]]
    flat = np.concatenate([v.ravel() for v in vals]).astype(np.float64)
    return {"mean": float(flat.mean()), "std": float(max(flat.std(), 1e-6))}


class GlassImages(torch.utils.data.Dataset):
    """Images and targets of a list of :class:`Record` for a model ``config`` (see the module docstring)."""

    def __init__(self, recs, config: dict, *, augment: bool, seed: int = 0, noise: bool = True):
        self.recs = list(recs)
        self.config = config
        self.augment, self.seed, self.noise, self.epoch = bool(augment), int(seed), bool(noise), 0
        self.inp = config["input"]
        self.targets = list(config["targets"])
        self.maps = list(config.get("maps", MAPS))
        self.norm = config["normalisation"]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.recs)

    def shape(self, k: int) -> tuple:
        r = self.recs[k]
        return input_shape(self._cut(r, self.augmentation(k)) if self.is_cut(k) else r.glass, self.inp)

    def augmentation(self, k: int) -> Augment:
        r = self.recs[k]
        if not self.augment:
            return Augment()
        rng = np.random.default_rng([self.seed, self.epoch, r.index, 1])
        return random_augment(rng, r.glass.cell, translate=all(r.glass.pbc))

    def is_cut(self, k: int) -> bool:
        """Whether item ``k`` is drawn this epoch as a non-periodic window (``input["cut_fraction"]`` of the
        periodic training items): the cell, translated, cut out of its periodic surroundings — what a micrograph
        shows. The labels stay those of the periodic glass."""
        r = self.recs[k]
        frac = float(self.inp.get("cut_fraction", 0.0))
        if not (self.augment and frac > 0 and all(r.glass.pbc)):
            return False
        return bool(np.random.default_rng([self.seed, self.epoch, r.index, 3]).random() < frac)

    @staticmethod
    def _cut(r: Record, aug: Augment) -> Glass:
        pos = wrap(aug.apply(r.glass.positions, r.glass.cell), r.glass.cell, r.glass.pbc)
        return Glass(pos, r.glass.species, r.glass.cell, pbc=(False, False), validate=False)

    def item(self, k: int, aug: Optional[Augment] = None) -> dict:
        """Item ``k`` with augmentation ``aug`` (default: the epoch's own draw)."""
        r = self.recs[k]
        cut = aug is None and self.is_cut(k)
        aug = self.augmentation(k) if aug is None else aug
        noise_seed = [self.seed, self.epoch if self.augment else 0, r.index, 2]
        if cut:  # the window's atoms are already moved; sites are moved and wrapped the same way below
            img, frame = render_input(self._cut(r, aug), self.inp, noise=self.noise, seed=noise_seed)
        else:
            img, frame = render_input(r.glass, self.inp, aug=aug, noise=self.noise, seed=noise_seed)
        im = self.norm["image"]
        img = (img - im["mean"]) / im["std"]
        mframe = frame.scaled(int(self.inp["map_stride"]))
        maps, mmask = np.zeros((len(self.maps),) + mframe.shape, np.float32), np.zeros(len(self.maps), np.float32)
        for c, name in enumerate(self.maps):
            pts = aug.apply(r.sites(name), r.glass.cell)
            if cut:
                pts = wrap(pts, r.glass.cell, r.glass.pbc)
            m = site_map(pts, mframe, float(self.inp["map_sigma"])) if len(pts) else None
            if m is not None and cut:  # no target mass on the padding, where the logits are masked
                m = m * mframe.mask()
                m = m / m.sum() if m.sum() > 0 else None
            if m is not None:
                maps[c], mmask[c] = m, 1.0
        scal, smask = np.zeros(len(self.targets), np.float32), np.zeros(len(self.targets), np.float32)
        for c, t in enumerate(self.targets):
            v = r.scalars.get(t)
            if v is not None:
                st = self.norm["targets"][t]
                scal[c], smask[c] = (v - st["mean"]) / st["std"], 1.0
        cells = frame.scaled(int(self.inp["stride"])).mask()
        return {"image": torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))[None],
                "cells": torch.from_numpy(cells.astype(np.float32)), "valid": torch.from_numpy(mframe.mask()),
                "scalars": torch.from_numpy(scal), "scalar_mask": torch.from_numpy(smask),
                "maps": torch.from_numpy(maps), "map_mask": torch.from_numpy(mmask),
                "index": torch.tensor(r.index)}

    def __getitem__(self, k: int) -> dict:
        return self.item(k)


def batches(data: GlassImages, batch_size: int, rng: Optional[np.random.Generator] = None) -> list:
    """Positions of ``data`` in batches of one image shape (shuffled by ``rng``, else in order; when shuffled, a
    last batch of one sample joins the one before it)."""
    groups: dict = {}
    order = rng.permutation(len(data)) if rng is not None else np.arange(len(data))
    for k in order:
        groups.setdefault(data.shape(int(k)), []).append(int(k))
    out = []
    for g in groups.values():
        chunks = [g[i:i + batch_size] for i in range(0, len(g), batch_size)]
        if rng is not None and len(chunks) > 1 and len(chunks[-1]) == 1:  # batch norm needs 2 samples to train
            last = chunks.pop()
            chunks[-1] = chunks[-1] + last
        out += chunks
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def collate(items) -> dict:
    """Stack items of one image shape into a batch."""
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}
