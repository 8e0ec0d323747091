"""Training: ``train_steps(dataset_dir, out_dir, ...)`` — a job yielding progress, returning a :class:`TrainResult`.

Deterministic with a seed (on one machine and thread count): the initial weights come from the seed, epoch ``e``'s
order, augmentations, noise and dropout from ``(seed, e)``. Every epoch ends with the validation loss (un-augmented
images, fixed noise), the resumable state in ``out_dir/checkpoint/`` (:mod:`.state`) and early stopping after
``patience`` epochs without improvement. The learning rate follows a cosine from ``lr`` to ``lr/20`` over
``epochs`` (a function of the epoch alone, so resuming needs no scheduler state).

At the end the best weights are kept; the 90 % intervals are calibrated by split conformal prediction on the
validation split (:func:`~.metrics.conformal_halfwidth`, stored in the config); the model is saved in ``out_dir``
(:func:`~.checkpoint.save_model`) and evaluated on the test split into ``out_dir/evaluation/``
(:func:`~.evaluate.evaluate_steps`), whose headline numbers go into the config as ``test_metrics``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError
from ..progress import Job, Progress
from .checkpoint import Model, save_model
from .data import MAPS, TARGETS, GlassImages, batches, collate, content_hash, image_stats, records, target_stats
from .images import DEFAULT_INPUT, input_shape
from .metrics import conformal_halfwidth
from .model import DEFAULT_ARCHITECTURE, build_network
from .state import load_state, restore, save_state

__all__ = ["TrainParams", "TrainResult", "train_steps", "train", "loss_terms"]


@dataclass(frozen=True)
class TrainParams:
    """Everything that decides a training (its identity is these plus the dataset's)."""

    targets: tuple = TARGETS
    maps: tuple = MAPS
    epochs: int = 60
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 15
    seed: int = 0
    map_weight: float = 2.0
    level: float = 0.9
    limit: Optional[int] = None
    architecture: dict = field(default_factory=lambda: dict(DEFAULT_ARCHITECTURE))
    input: dict = field(default_factory=lambda: dict(DEFAULT_INPUT))
    name: str = "glassfail-cnn"
    version: str = "0.1"

    def __post_init__(self):
        targets = tuple(self.targets)
        bad = [t for t in targets if t not in TARGETS] + [m for m in self.maps if m not in MAPS]
        if bad or not targets:
            raise InputError(f"unknown or no target(s) {', '.join(bad)}; choose from {', '.join(TARGETS + MAPS)}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1 or not self.lr > 0:
            raise InputError("epochs, batch size and patience must be ≥ 1 and the learning rate positive")
        if not 0 < self.level < 1:
            raise InputError(f"the interval level must be in (0, 1), got {self.level}")
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "maps", tuple(self.maps))
        arch = dict(DEFAULT_ARCHITECTURE, **self.architecture)
        arch.update(n_scalars=len(targets), n_maps=max(1, len(self.maps)))
        object.__setattr__(self, "architecture", arch)
        object.__setattr__(self, "input", dict(DEFAULT_INPUT, **self.input))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["targets"], d["maps"] = list(self.targets), list(self.maps)
        return d


@dataclass(frozen=True)
class TrainResult:
    model_dir: str
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    history: list
    wall_s: float
    resumed_from: Optional[int]
    intervals: dict
    test_metrics: dict

    def to_dict(self) -> dict:
        return asdict(self)


def loss_terms(net, batch: dict, map_weight: float):
    """``(total, scalar MSE, map KL)``: MSE of the standardised scalars, KL divergence of the target maps from the
    predicted softmax maps (nats), each averaged over the labels that exist."""
    s, logits = net(batch["image"], batch.get("cells"))
    if "valid" in batch:  # as at inference: the padding of a non-periodic input is no site
        logits = logits.masked_fill(~batch["valid"][:, None], -1e4)  # finite: 0·(-inf) would give NaN below
    sm = batch["scalar_mask"]
    ls = ((s - batch["scalars"]) ** 2 * sm).sum() / sm.sum().clamp(min=1)
    logp = F.log_softmax(logits.flatten(-2), dim=-1)
    t = batch["maps"].flatten(-2)
    kl = (t * (torch.log(t.clamp_min(1e-12)) - logp)).sum(-1)
    mm = batch["map_mask"]
    lm = (kl * mm).sum() / mm.sum().clamp(min=1)
    return ls + map_weight * lm, ls, lm


def _versions() -> dict:
    import platform

    import safetensors

    from .. import __version__
    return {"glassfail": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "safetensors": safetensors.__version__, "python": platform.python_version()}


def _config(p: TrainParams, ds, recs, content_hash) -> dict:
    train = recs["train"]
    inp = dict(p.input, train_shape=list(input_shape(train[0].glass, p.input)))
    var = [r.variance for r in train if np.isfinite(r.variance)]
    return {"name": p.name, "version": p.version, "architecture": p.architecture, "input": inp,
            "targets": list(p.targets), "maps": list(p.maps),
            "normalisation": {"image": image_stats(train, p.input, seed=p.seed),
                              "targets": target_stats(train, p.targets)},
            "train_range": {"variance": [min(var), max(var)] if var else None,
                            "cell": [float(np.min([r.glass.cell for r in train])),
                                     float(np.max([r.glass.cell for r in train]))],
                            "periodic": bool(all(all(r.glass.pbc) for r in train))},
            "training": {"params": p.to_dict(), "dataset": str(ds.root), "dataset_identity": ds.spec.identity(),
                         "dataset_spec": ds.spec.to_dict(), "content_hash": content_hash,
                         "split_seed": ds.spec.seed, "splits": {k: len(v) for k, v in recs.items()},
                         "samples": {k: [int(r.index) for r in v] for k, v in recs.items()},
                         "versions": _versions()}}


def _lr(p: TrainParams, epoch: int) -> float:
    return p.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(epoch, p.epochs) / p.epochs)))


@torch.no_grad()
def _val_loss(net, data, p, dev):
    net.eval()
    tot, n = np.zeros(3), 0
    for b in batches(data, p.batch_size):
        batch = {k: v.to(dev) for k, v in collate([data[k] for k in b]).items()}
        tot += np.array([float(t) for t in loss_terms(net, batch, p.map_weight)]) * len(b)
        n += len(b)
    return tot / max(n, 1)


def _calibrate(model, recs, level) -> dict:
    from .infer import infer

    res = {t: [] for t in model.config["targets"]}
    for r in recs:
        out = infer(model, r.glass)
        for t in res:
            if r.scalars.get(t) is not None:
                res[t].append(r.scalars[t] - out.scalars[t])
    half, exact = {}, {}
    for t, v in res.items():
        half[t], exact[t] = conformal_halfwidth(np.abs(v), level)
    return {"level": level, "method": "split-conformal on the validation split (flip-averaged predictions)",
            "halfwidth": half, "exact": exact, "n_calibration": {t: len(v) for t, v in res.items()}}


def _linear_response_fit(train, val, level) -> Optional[dict]:
    """:func:`~.baselines.fit_linear_response` on the training split, calibrated on the validation split."""
    from .baselines import fit_linear_response, linear_response

    def pairs(recs):
        out = []
        for r in recs:
            ks, y = linear_response(r.glass)["strains"], r.scalars.get("first_break_strain")
            out.append((ks[0] if len(ks) else np.nan, np.nan if y is None else y))
        return out

    return fit_linear_response(pairs(train), pairs(val), level)


def train_steps(dataset_dir, out_dir, *, device: str = "cpu", threads: Optional[int] = None,
                evaluate: bool = True, **params) -> Job[TrainResult]:
    """Train a model on the dataset in ``dataset_dir`` into ``out_dir`` (see the module docstring).

    ``params`` are the fields of :class:`TrainParams` (``targets``, ``epochs``, ``seed``, ``batch_size``, ``lr``,
    ``patience``, ``limit`` ...). An unfinished training in ``out_dir`` with the same identity resumes; a finished
    one is returned as it is; another training's folder is refused.
    """
    from ..dataset import load_dataset

    p = TrainParams(**params)
    if threads is not None:
        torch.set_num_threads(int(threads))
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available to this torch")
    t0 = time.perf_counter()
    ds = load_dataset(dataset_dir)
    yield Progress("load", 0, None, "reading samples")
    recs = {s: records(ds, s, p.limit) for s in ("train", "val", "test")}
    if len(recs["train"]) < 2 or not recs["val"]:
        raise InputError(f"{dataset_dir}: training needs ≥ 2 training and ≥ 1 validation sample(s), found "
                         f"{len(recs['train'])} and {len(recs['val'])}")
    out = Path(out_dir)
    identity = {"params": p.to_dict(), "dataset_identity": ds.spec.identity(),
                "samples": {k: [r.index for r in v] for k, v in recs.items()}}
    prior = load_state(out)
    if prior is None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and holds no training of glassfail; choose another folder")
    if prior is not None and prior[0].get("identity") != identity:
        raise InputError(f"{out} holds another training (other parameters or dataset); choose another folder")
    torch.manual_seed(p.seed)
    if prior is None:
        config = _config(p, ds, recs, content_hash(ds, [r.index for v in recs.values() for r in v]))
        info = {"identity": identity, "config": config, "epoch": -1, "history": [], "best_epoch": -1,
                "best_val": None, "bad_epochs": 0, "complete": False, "elapsed_s": 0.0}
    else:
        info = prior[0]
        config = info["config"]
    net = build_network(config["architecture"]).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=p.lr, weight_decay=p.weight_decay)
    best = {k: v.detach().clone() for k, v in net.state_dict().items()}
    resumed = None
    if prior is not None:
        best = restore(net, opt, prior[1])
        resumed = info["epoch"] + 1
        yield Progress("train", 0, None, f"resumed after epoch {info['epoch'] + 1}",
                       data={"note": f"resumed {out} after epoch {info['epoch'] + 1} of {p.epochs}"})
    train_data = GlassImages(recs["train"], config, augment=True, seed=p.seed)
    val_data = GlassImages(recs["val"], config, augment=False, seed=p.seed)
    per_epoch = len(batches(train_data, p.batch_size))
    elapsed0 = info["elapsed_s"]
    while not info["complete"] and info["epoch"] + 1 < p.epochs and info["bad_epochs"] < p.patience:
        e = info["epoch"] + 1
        torch.manual_seed(p.seed * 1_000_003 + e)
        train_data.set_epoch(e)
        for g in opt.param_groups:
            g["lr"] = _lr(p, e)
        net.train()
        tot, n = np.zeros(3), 0
        for k, b in enumerate(batches(train_data, p.batch_size, np.random.default_rng([p.seed, e, 7]))):
            batch = {key: v.to(dev) for key, v in collate([train_data[j] for j in b]).items()}
            terms = loss_terms(net, batch, p.map_weight)
            opt.zero_grad(set_to_none=True)
            terms[0].backward()
            opt.step()
            tot += np.array([float(t.detach()) for t in terms]) * len(b)
            n += len(b)
            yield Progress("train", e * per_epoch + k + 1, p.epochs * per_epoch, f"epoch {e + 1}/{p.epochs}",
                           data={"epoch": e + 1, "batch_loss": float(terms[0].detach())})
        tr, va = tot / max(n, 1), _val_loss(net, val_data, p, dev)
        improved = info["best_val"] is None or va[0] < info["best_val"]
        if improved:
            best = {k: v.detach().clone() for k, v in net.state_dict().items()}
            info.update(best_val=float(va[0]), best_epoch=e, bad_epochs=0)
        else:
            info["bad_epochs"] += 1
        info["elapsed_s"] = elapsed0 + time.perf_counter() - t0
        row = {"epoch": e + 1, "train_loss": float(tr[0]), "train_scalar": float(tr[1]), "train_map": float(tr[2]),
               "val_loss": float(va[0]), "val_scalar": float(va[1]), "val_map": float(va[2]), "lr": _lr(p, e),
               "elapsed_s": info["elapsed_s"]}
        info["history"].append(row)
        info["epoch"] = e
        save_state(out, net, best, opt, info)
        yield Progress("train", (e + 1) * per_epoch, p.epochs * per_epoch, f"epoch {e + 1}: train "
                       f"{tr[0]:.4f}, val {va[0]:.4f}" + (" (best)" if improved else ""), data=row)
    if not info["complete"]:
        yield Progress("calibrate", 0, None, "conformal intervals on the validation split")
        net.load_state_dict(best)
        net.eval()
        config["intervals"] = _calibrate(Model(net, config), recs["val"], p.level)
        yield Progress("calibrate", 0, None, "the linear-response first-break strain (one relaxation per sample)")
        config["linear_response"] = _linear_response_fit(recs["train"], recs["val"], p.level)
        config["training"].update(epochs_run=info["epoch"] + 1, best_epoch=info["best_epoch"] + 1,
                                  best_val_loss=info["best_val"], history=info["history"],
                                  wall_s=info["elapsed_s"])
        save_model(Model(net, config), out)
        if evaluate and recs["test"]:
            config["test_metrics"] = yield from _final_evaluation(out, dataset_dir, p.limit)
            save_model(Model(net, config), out)
        info.update(complete=True, config=config)
        save_state(out, net, best, opt, info)
    config = info["config"]
    return TrainResult(str(out), info["epoch"] + 1, info["best_epoch"] + 1, info["best_val"], info["history"],
                       info["elapsed_s"], resumed, config.get("intervals", {}), config.get("test_metrics", {}))


def _final_evaluation(out: Path, dataset_dir, limit) -> Job[dict]:
    from .evaluate import evaluate_steps

    report = yield from evaluate_steps(out, dataset_dir, split="test", out_dir=out / "evaluation", limit=limit)
    return report.get("headline", {})


def train(dataset_dir, out_dir, **kw) -> TrainResult:
    """:func:`train_steps` run to completion."""
    from ..progress import run

    return run(train_steps(dataset_dir, out_dir, **kw))
