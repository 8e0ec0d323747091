"""Sanity checks of the heatmaps (Adebayo et al., "Sanity checks for saliency maps", NeurIPS 2018).

A map that does not change when the model's weights or the labels it learned are randomised explains the image,
not the model. Two checks, each reported with its numbers and a verdict (a check that fails is reported, never
hidden):

**Cascading model randomisation** (:func:`cascading_randomisation`)
    The network's layers are re-initialised one after another from the top down (scalar head, stage 3, stage 2,
    stage 1, stem; each keeps the ones above randomised). After each step the Grad-CAM maps of a few samples are
    compared with the trained model's by the Spearman rank correlation of their pixels (``relu``, ``abs`` and
    ``signed`` maps). Expected: the correlation falls. A step *leaves the map in place* when the ``abs`` map or
    the ``signed`` map up to its sign (random weights flip signs at will; the ``relu`` map then becomes the
    ``neg`` one) still correlates with the trained model's: ``max(|ρ_abs|, |ρ_signed|) ≥`` :data:`CHANGED` (0.5,
    means over the samples). Verdict: *passes* when no step leaves the map in place; *partly* when some do (they
    are named) but a fully random network does not; *fails* when even a fully random network gives the trained
    model's maps.

**Data (label) randomisation** (:func:`label_randomisation`)
    Two small networks (:data:`SMALL`) are fitted from the same initial weights for the same epochs to part of
    the training split (without augmentation, so that they can fit even random labels): one to the true labels,
    one to labels permuted between samples; a third to the true labels from another seed gives the correlation
    that the seed alone leaves. Verdict: *inconclusive* when the true-label network has not fitted its labels
    (:data:`FITTED`); else *passes* when the maps of the true-label and random-label networks correlate below
    :data:`CHANGED`, with a warning when two true-label networks differ as much (the seed matters as much as the
    labels).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch

from ..progress import Job, Progress
from .gradcam import LAYERS, averaged_cam
from .stats import spearman_rows

__all__ = ["cascading_randomisation", "label_randomisation", "map_correlation", "CHANGED", "FITTED", "SMALL",
           "CASCADE"]

#: Below this mean rank correlation a map counts as changed.
CHANGED = 0.5
#: A network fits its labels when the mean squared error of the standardised target is below this.
FITTED = 0.5
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
    """``max(|ρ_abs|, |ρ_signed|)`` of a comparison (see the module docstring)."""
    vals = [abs(d[v]["mean"]) for v in ("abs", "signed") if d[v]["mean"] is not None]
    return float(max(vals)) if vals else float("nan")


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
    scores = [s["score"] for s in steps]
    kept = [s["randomised"] for s in steps if not (np.isfinite(s["score"]) and s["score"] < CHANGED)]
    if not kept:
        verdict = "passes: the maps change at every step of the randomisation"
    elif kept[-1] != CASCADE[-1]:
        verdict = (f"partly: the maps stay close to the trained model's (mean ρ ≥ {CHANGED}) after the step(s) "
                   f"randomising {', '.join(kept)}; they change once every layer is random")
    else:
        verdict = "FAILS: the maps stay close to the trained model's even with every layer randomised"
    return {"n_samples": len(glasses), "copies": copies, "layer": used, "explained_stage": _stage_of(used),
            "steps": steps, "monotone": bool(all(b <= a + 0.05 for a, b in zip(scores, scores[1:]))),
            "unchanged_after": kept, "passes": not kept,
            "criterion": f"max(|ρ abs|, |ρ signed|) with the trained model's maps < {CHANGED} at every step",
            "verdict": verdict}


def _train_small(recs, config, epochs: int, seed: int, what: str, target: str) -> Job:
    """A small network fitted to ``recs`` (no augmentation: the check asks for networks that fit their labels, true
    or random); returns ``(network, losses, fit)``, ``fit`` the mean squared error of the standardised ``target``
    on ``recs`` in evaluation mode (≈ 1 for a network that learned nothing)."""
    from ..learn.data import GlassImages, batches, collate
    from ..learn.model import build_network
    from ..learn.train import loss_terms

    torch.manual_seed(seed)
    net = build_network(config["architecture"])
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    data = GlassImages(recs, config, augment=False, seed=seed)
    items = [data[k] for k in range(len(data))]
    losses = []
    for e in range(int(epochs)):
        net.train()
        tot, n = 0.0, 0
        for b in batches(data, 8, np.random.default_rng([seed, e])):
            batch = collate([items[j] for j in b])
            loss = loss_terms(net, batch, 2.0)[1]   # the scalar MSE: the Grad-CAM targets are scalars
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot, n = tot + float(loss.detach()) * len(b), n + len(b)
        losses.append(tot / max(n, 1))
        yield Progress("sanity", e + 1, epochs, f"{what}: epoch {e + 1}/{epochs}, loss {losses[-1]:.3f}")
    net.eval()
    k = config["targets"].index(target)
    with torch.no_grad():
        err = [float(((net(b["image"])[0][:, k] - b["scalars"][:, k]) ** 2 * b["scalar_mask"][:, k]).sum())
               for b in (collate([items[j] for j in g]) for g in batches(data, 8))]
    return net, losses, sum(err) / max(len(items), 1)


def label_randomisation(model, recs, glasses, *, target: str = "failure_strain", layer=None, epochs: int = 40,
                        seed: int = 0, copies: int = 4) -> Job[dict]:
    """The data randomisation check (see the module docstring): small networks trained on the
    :class:`~glassfail_core.learn.data.Record` list ``recs`` (part of the training split), maps on ``glasses``."""
    from ..learn.checkpoint import Model

    cfg = copy.deepcopy(model.config)
    cfg["architecture"] = dict(cfg["architecture"], **SMALL)
    perm = np.random.default_rng([seed, 99]).permutation(len(recs))
    shuffled = [dataclasses.replace(r, scalars=recs[j].scalars, crack=recs[j].crack, first_break=recs[j].first_break,
                                    failure_site=recs[j].failure_site) for r, j in zip(recs, perm)]
    small_layer = layer if layer is None or layer in LAYERS else None
    nets = {}
    for key, rs, s in (("true", recs, seed), ("random", shuffled, seed), ("true_seed2", recs, seed + 1)):
        nets[key] = yield from _train_small(rs, cfg, epochs, s, f"{key} labels", target)
    maps = {k: _maps(Model(n[0], cfg), glasses, target, small_layer, copies) for k, n in nets.items()}
    rand, seed2 = _compare(maps["true"], maps["random"]), _compare(maps["true"], maps["true_seed2"])
    sr, s2 = _score(rand), _score(seed2)
    fit = {k: n[2] for k, n in nets.items()}
    if not fit["true"] < FITTED:
        verdict = (f"inconclusive: the true-label network did not fit its training labels in {epochs} epochs "
                   f"(MSE {fit['true']:.2f} of the standardised {target}; ≥ {FITTED})")
        passes = None
    else:
        passes = bool(np.isfinite(sr) and sr < CHANGED)
        verdict = (f"passes: the maps change when the labels are random (max |ρ| {sr:.2f})" if passes else
                   f"FAILS: the maps of a network trained on random labels resemble the true-label maps (max |ρ| "
                   f"{sr:.2f})")
        if np.isfinite(s2) and not sr < s2:
            verdict += (f"; but two true-label networks from different seeds differ as much (max |ρ| {s2:.2f}): the "
                        f"maps of these small networks depend on the seed as much as on the labels")
    return {"n_train": len(recs), "epochs": epochs, "architecture": cfg["architecture"], "n_samples": len(glasses),
            "final_loss": {k: n[1][-1] for k, n in nets.items()}, "fit_mse": fit,
            "rho_true_vs_random": rand, "rho_true_vs_seed": seed2, "score_random": sr, "score_seed": s2,
            "passes": passes,
            "criterion": f"the true-label network fits (MSE < {FITTED}); max(|ρ abs|, |ρ signed|) true vs random "
                         f"labels < {CHANGED}; compared with true vs another seed",
            "verdict": verdict}
