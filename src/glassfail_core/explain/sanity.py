"""Sanity checks of the heatmaps (Adebayo et al., "Sanity checks for saliency maps", NeurIPS 2018).

A map that does not change when the model's weights or the labels it learned are randomised explains the image,
not the model. Two checks, each reported with its numbers and a verdict (a check that fails is reported, never
hidden):

**Cascading model randomisation** (:func:`cascading_randomisation`)
    The network's layers are re-initialised one after another from the top down (scalar head, stage 3, stage 2,
    stage 1, stem; each keeps the ones above randomised). After each step the Grad-CAM maps of a few samples are
    compared with the trained model's by the Spearman rank correlation of their pixels (``relu``, ``abs`` and
    ``signed`` maps). Expected: the correlation falls. Verdict: *passes* when the mean ρ of the ``relu`` and
    ``abs`` maps is below :data:`CHANGED` (0.5) from the step that randomises the explained layer on.

**Data (label) randomisation** (:func:`label_randomisation`)
    Two small networks (:data:`SMALL`) are trained from the same initial weights for the same epochs on the
    training split: one on the true labels, one on labels permuted between samples; a third on the true labels
    from another seed gives the correlation that the seed alone leaves. Verdict: *passes* when the maps of the
    true-label and random-label networks correlate below :data:`CHANGED` and below the two true-label networks.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch

from ..progress import Job, Progress
from .gradcam import LAYERS, averaged_cam
from .stats import spearman_rows

__all__ = ["cascading_randomisation", "label_randomisation", "map_correlation", "CHANGED", "SMALL", "CASCADE"]

#: Below this mean rank correlation a map counts as changed.
CHANGED = 0.5
#: The architecture of the networks trained for the label randomisation (overrides of the model's).
SMALL = {"widths": [16, 16, 32, 64], "depths": [1, 1, 1], "decoder": 16, "dropout": 0.0}
#: The order of the cascade, top down.
CASCADE = ("head", "stage3", "stage2", "stage1", "stem")
MAP_VARIANTS = ("relu", "abs", "signed")


def map_correlation(a, b) -> float:
    """Spearman ρ of the pixels of two maps (NaN when one is constant)."""
    return float(spearman_rows(np.asarray(a, float).ravel()[None], np.asarray(b, float).ravel())[0])


def _maps(model, glasses, target, layer, copies):
    return [averaged_cam(model, g, target=target, layer=layer, variants=MAP_VARIANTS, copies=copies).maps
            for g in glasses]


def _stage_of(layer: str) -> str:
    """The stage a layer belongs to (``"stages.1.0.conv2"`` → ``"stage2"``).

    >>> _stage_of("stage3"), _stage_of("stem.0"), _stage_of("stages.1.0.conv2")
    ('stage3', 'stem', 'stage2')
    """
    if layer in LAYERS:
        return layer
    if layer.startswith("stem"):
        return "stem"
    return f"stage{int(layer.split('.')[1]) + 1}"


def _compare(ref, other) -> dict:
    out = {}
    for v in MAP_VARIANTS:
        per = [map_correlation(a[v], b[v]) for a, b in zip(ref, other)]
        out[v] = {"mean": float(np.nanmean(per)) if np.isfinite(per).any() else None,
                  "per_sample": [None if not np.isfinite(x) else float(x) for x in per]}
    return out


def _module(net, name):
    return {"head": net.head, "stem": net.stem}.get(name) or net.stages[int(name[-1]) - 1]


def _reinit(module, seed: int) -> None:
    torch.manual_seed(seed)
    for sub in module.modules():
        if hasattr(sub, "reset_parameters"):
            sub.reset_parameters()


def _score(d) -> float:
    vals = [d[v]["mean"] for v in ("relu", "abs") if d[v]["mean"] is not None]
    return float(np.mean(vals)) if vals else float("nan")


def cascading_randomisation(model, glasses, *, target: str = "failure_strain", layer=None, seed: int = 0,
                            copies: int = 4) -> dict:
    """The cascading randomisation check on ``glasses`` (see the module docstring): steps, ρ per step, verdict."""
    from ..learn.checkpoint import Model

    ref = _maps(model, glasses, target, layer, copies)
    net = copy.deepcopy(model.network).eval()
    rand = Model(net, model.config)
    steps = []
    for k, name in enumerate(CASCADE):
        _reinit(_module(net, name), seed + 1 + k)
        net.eval()
        cmp = _compare(ref, _maps(rand, glasses, target, layer, copies))
        steps.append({"randomised": name, "layers": list(CASCADE[:k + 1]), "rho": cmp, "score": _score(cmp)})
    used = averaged_cam(model, glasses[0], target=target, layer=layer, variants=("relu",), copies=1).layer
    explained = _stage_of(used)
    start = CASCADE.index(explained)
    tail = [s["score"] for s in steps[start:]]
    scores = [s["score"] for s in steps]
    passes = bool(all(np.isfinite(t) and t < CHANGED for t in tail))
    return {"n_samples": len(glasses), "copies": copies, "layer": used, "steps": steps,
            "monotone": bool(all(b <= a + 0.05 for a, b in zip(scores, scores[1:]))),
            "passes": passes, "criterion": f"mean ρ (relu, abs) < {CHANGED} from the step that randomises "
                                           f"{explained} on",
            "verdict": ("passes: the maps change when the model is randomised" if passes else
                        "FAILS: the maps stay similar to the trained model's after randomisation")}


def _train_small(recs, config, epochs: int, seed: int, what: str) -> Job:
    from ..learn.data import GlassImages, batches, collate
    from ..learn.model import build_network
    from ..learn.train import loss_terms

    torch.manual_seed(seed)
    net = build_network(config["architecture"])
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    data = GlassImages(recs, config, augment=True, seed=seed)
    losses = []
    for e in range(int(epochs)):
        data.set_epoch(e)
        net.train()
        tot, n = 0.0, 0
        for b in batches(data, 8, np.random.default_rng([seed, e])):
            batch = collate([data[j] for j in b])
            loss = loss_terms(net, batch, 2.0)[1]   # the scalar MSE: the Grad-CAM targets are scalars
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot, n = tot + float(loss.detach()) * len(b), n + len(b)
        losses.append(tot / max(n, 1))
        yield Progress("sanity", e + 1, epochs, f"{what}: epoch {e + 1}/{epochs}, loss {losses[-1]:.3f}")
    return net.eval(), losses


def label_randomisation(model, recs, glasses, *, target: str = "failure_strain", layer=None, epochs: int = 10,
                        seed: int = 0, copies: int = 4) -> Job[dict]:
    """The data randomisation check (see the module docstring): small networks trained on the
    :class:`~glassfail_core.learn.data.Record` list ``recs`` (the training split), maps on ``glasses``."""
    from ..learn.checkpoint import Model

    cfg = copy.deepcopy(model.config)
    cfg["architecture"] = dict(cfg["architecture"], **SMALL)
    perm = np.random.default_rng([seed, 99]).permutation(len(recs))
    shuffled = [dataclasses.replace(r, scalars=recs[j].scalars, crack=recs[j].crack, first_break=recs[j].first_break,
                                    failure_site=recs[j].failure_site) for r, j in zip(recs, perm)]
    small_layer = layer if layer is None or layer in LAYERS else None
    nets = {}
    for key, rs, s in (("true", recs, seed), ("random", shuffled, seed), ("true_seed2", recs, seed + 1)):
        nets[key] = yield from _train_small(rs, cfg, epochs, s, f"{key} labels")
    maps = {k: _maps(Model(n, cfg), glasses, target, small_layer, copies) for k, (n, _) in nets.items()}
    rand, seed2 = _compare(maps["true"], maps["random"]), _compare(maps["true"], maps["true_seed2"])
    sr, s2 = _score(rand), _score(seed2)
    passes = bool(np.isfinite(sr) and sr < CHANGED and (not np.isfinite(s2) or sr < s2))
    return {"n_train": len(recs), "epochs": epochs, "architecture": cfg["architecture"], "n_samples": len(glasses),
            "final_loss": {k: losses[-1] for k, (_, losses) in nets.items()},
            "rho_true_vs_random": rand, "rho_true_vs_seed": seed2, "score_random": sr, "score_seed": s2,
            "passes": passes,
            "criterion": f"mean ρ (relu, abs) true vs random labels < {CHANGED} and < true vs another seed",
            "verdict": ("passes: the maps depend on the labels the network learned" if passes else
                        "FAILS: the maps of a network trained on random labels resemble the true-label maps")}
