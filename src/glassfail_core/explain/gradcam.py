"""Grad-CAM of a glassfail network for one scalar target, at one layer, averaged over augmented copies.

Grad-CAM (Selvaraju et al. 2017) weighs the feature maps ``A_k`` of a layer by the mean gradient of the target
over the map, ``α_k = mean_ij ∂y/∂A_k,ij``, and sums: ``S = Σ_k α_k A_k``. It is computed by
:class:`captum.attr.LayerGradCam` (:func:`gradcam_captum`); :func:`gradcam_hooks` does the same by hand with a
forward hook and ``torch.autograd.grad`` (the tests and the benchmark check they agree to 1e-6).

Variants (:data:`VARIANTS`), applied to ``S`` on the layer's grid before upsampling:

``"relu"``    ``ReLU(S)``: standard Grad-CAM, where the features raise the prediction;
``"abs"``     ``|S|``: the reference study's variant (Font-Clos et al. 2022), raising or lowering it;
``"neg"``     ``ReLU(−S)``: Grad-CAM of the negated target, where the features lower the prediction (for the
              failure strain: what makes the glass fail early);
``"signed"``  ``S`` itself.

Layers (:data:`LAYERS`): the encoder's ``"stem"`` (stride 2), ``"stage1"`` (4), ``"stage2"`` (8) and
``"stage3"`` (16); any encoder module by its dotted name (``"stages.1.0.conv2"``) also works, its stride read
from the map's size. Default: the deepest stage whose map is at least 16 × 16 (for a 128² image ``stage2``; for a
48² training cell of 6 × 6 rings ``stem``). At ``stage3`` the signed map is an exact additive split of the
prediction (the scalar head is linear after global average pooling: ``Σ S = y − bias``).

Units: the map is multiplied by the target's training standard deviation and divided by ``stride²``, so that it
is in the target's units per input pixel (at ``stage3``, the signed map's pixels sum to the prediction minus the
head's bias, in strain or eV/Å²).

Upsampling to the input's pixels is :meth:`captum.attr.LayerAttribution.interpolate` (``"bilinear"`` by
default, on a map padded by one cell circularly on periodic inputs so the edges wrap; ``"nearest"`` as the
reference study), then every copy is put back in the input's frame (:func:`~.resample.undo`, which also corrects
the half-stride offset of upsampled maps) and the copies are averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError
from ..learn.images import Frame, render_input
from .resample import copy_augments, undo

__all__ = ["LAYERS", "VARIANTS", "UPSAMPLING", "CamMaps", "resolve_layer", "default_layer", "gradcam_captum",
           "gradcam_hooks", "apply_variant", "upsample", "averaged_cam", "scalar_function"]

#: Encoder stages by name, with their stride.
LAYERS = {"stem": 2, "stage1": 4, "stage2": 8, "stage3": 16}
#: Heatmap variants (see the module docstring).
VARIANTS = ("relu", "abs", "neg", "signed")
UPSAMPLING = ("bilinear", "nearest")
#: Smallest map side (cells) of the default layer.
MIN_CELLS = 16


def default_layer(shape) -> str:
    """The deepest stage whose map is at least 16 × 16 cells for an image of ``shape`` (else ``"stem"``).

    >>> default_layer((128, 128)), default_layer((48, 48)), default_layer((256, 384))
    ('stage2', 'stem', 'stage3')
    """
    h, w = (int(v) for v in shape[-2:])
    for name in ("stage3", "stage2", "stage1"):
        if h // LAYERS[name] >= MIN_CELLS and w // LAYERS[name] >= MIN_CELLS:
            return name
    return "stem"


def resolve_layer(net, layer: Optional[str], shape) -> tuple:
    """``(name, module)`` of a layer of ``net`` (a stage name, a dotted encoder module name, or None: default)."""
    name = default_layer(shape) if layer is None else str(layer)
    if name == "stem":
        return name, net.stem
    if name in LAYERS:
        return name, net.stages[int(name[-1]) - 1]
    modules = dict(net.named_modules())
    if name not in modules or not (name.startswith("stem.") or name.startswith("stages.")):
        raise InputError(f"unknown layer {name!r}: choose {', '.join(LAYERS)} or an encoder module such as "
                         f"'stages.1.0.conv2'")
    return name, modules[name]


def scalar_function(net, index: int):
    """``x → y[:, index]``: the network's scalar output ``index`` (the encoder and scalar head only)."""

    def forward(x):
        pooled = net.encode(x)[-1].mean(dim=(-2, -1))
        return net.head(net.dropout(pooled))[:, index]

    return forward


def gradcam_captum(net, x, module, index: int) -> torch.Tensor:
    """Signed Grad-CAM ``Σ_k α_k A_k`` of scalar ``index`` at ``module`` by captum: ``(B, 1, h, w)``."""
    from captum.attr import LayerGradCam

    with torch.enable_grad():
        cam = LayerGradCam(scalar_function(net, index), module)
        return cam.attribute(x, relu_attributions=False).detach()


def gradcam_hooks(net, x, module, index: int) -> torch.Tensor:
    """The same map computed by hand: a forward hook keeps ``A``, ``torch.autograd.grad`` gives ``∂y/∂A``."""
    kept = {}
    handle = module.register_forward_hook(lambda mod, inp, out: kept.__setitem__("a", out))
    try:
        with torch.enable_grad():
            y = scalar_function(net, index)(x)
            (grad,) = torch.autograd.grad(y.sum(), kept["a"])
    finally:
        handle.remove()
    alpha = grad.mean(dim=(-2, -1), keepdim=True)
    return (alpha * kept["a"]).sum(dim=1, keepdim=True).detach()


def apply_variant(signed, variant: str):
    """``"relu"``, ``"abs"``, ``"neg"`` or ``"signed"`` of a signed map (torch tensor or NumPy array)."""
    if variant == "relu":
        return signed.clip(min=0)
    if variant == "abs":
        return abs(signed)
    if variant == "neg":
        return (-signed).clip(min=0)
    if variant == "signed":
        return signed
    raise InputError(f"unknown variant {variant!r}; choose {', '.join(VARIANTS)}")


def upsample(cam: torch.Tensor, shape, periodic: bool, mode: str = "bilinear") -> torch.Tensor:
    """``cam`` (B, 1, h, w) upsampled to ``shape`` (H, W) by ``LayerAttribution.interpolate`` (see above)."""
    from captum.attr import LayerAttribution

    if mode not in UPSAMPLING:
        raise InputError(f"unknown upsampling {mode!r}; choose {', '.join(UPSAMPLING)}")
    H, W = (int(v) for v in shape)
    h, w = cam.shape[-2:]
    if H % h or W % w or H // h != W // w:
        raise InputError(f"a {h} × {w} map does not divide the {H} × {W} image evenly")
    s = H // h
    if mode == "nearest" or s == 1:
        return LayerAttribution.interpolate(cam, (H, W), "nearest")
    padded = F.pad(cam, (1, 1, 1, 1), mode="circular" if periodic else "replicate")
    up = LayerAttribution.interpolate(padded, ((h + 2) * s, (w + 2) * s), "bilinear")
    return up[..., s:s + H, s:s + W]


@dataclass(frozen=True, eq=False)
class CamMaps:
    """Averaged heatmaps of one glass (:func:`averaged_cam`).

    Attributes
    ----------
    maps : dict
        ``{variant: (H, W) float64}`` on :attr:`frame` (the un-augmented input image), in the target's units per
        pixel.
    frame : Frame
    layer, target, upsampling : str
    stride : int
        Input pixels per cell of the layer's map.
    augments : list of Augment
        The copies averaged (copy 0 is the input itself).
    per_copy : dict or None
        ``{variant: (n, H, W)}`` every copy's map in the input's frame, when asked for.
    """

    maps: dict
    frame: Frame
    layer: str
    target: str
    stride: int
    upsampling: str
    augments: list = field(default_factory=list)
    per_copy: Optional[dict] = None

    def to_dict(self) -> dict:
        """Everything but the arrays (their shapes instead)."""
        return {"maps": {k: list(v.shape) for k, v in self.maps.items()}, "frame": self.frame.to_dict(),
                "layer": self.layer, "target": self.target, "stride": self.stride, "upsampling": self.upsampling,
                "copies": len(self.augments), "augments": [a.to_dict() for a in self.augments]}


def _target_index(cfg, target: str) -> int:
    if target not in cfg["targets"]:
        raise InputError(f"the model has no target {target!r}; it predicts {', '.join(cfg['targets'])}")
    return cfg["targets"].index(target)


def averaged_cam(model, glass, *, target: str = "failure_strain", layer: Optional[str] = None,
                 variants=("relu",), copies: int = 16, upsampling: str = "bilinear", batch: int = 16,
                 keep_copies: bool = False, method: str = "captum") -> CamMaps:
    """Grad-CAM maps of ``glass`` averaged over ``copies`` augmented copies (see the module docstring).

    Parameters
    ----------
    model : learn.checkpoint.Model
    glass : Glass
        Drawn noise-free in the model's input style.
    target : str
        One of the model's scalar targets.
    layer : str, optional
        Stage name or encoder module; default: :func:`default_layer`.
    variants : sequence of str
        Among :data:`VARIANTS`; each copy's map is transformed, then the copies are averaged.
    copies : int
        Augmented copies (non-periodic inputs: at most the 4 flips).
    batch : int
        Copies per network pass (fewer for large images: at most about 2²⁰ pixels per pass).
    keep_copies : bool
        Also return every copy's map (for convergence studies).
    method : {"captum", "hooks"}
        Grad-CAM by captum or by hand.
    """
    for v in variants:
        apply_variant(np.zeros(1), v)  # refuses unknown names before any work
    cfg, net = model.config, model.network
    net.eval()
    index = _target_index(cfg, target)
    inp, im = cfg["input"], cfg["normalisation"]["image"]
    scale = float(cfg["normalisation"]["targets"][target]["std"])
    image0, frame0 = render_input(glass, inp, noise=False)
    name, module = resolve_layer(net, layer, image0.shape)
    augs = copy_augments(copies, glass, tuple(net.stride * p for p in frame0.pixel_size))
    run = gradcam_captum if method == "captum" else gradcam_hooks
    batch = max(1, min(int(batch), (1 << 20) // int(np.prod(image0.shape))))
    dev = next(net.parameters()).device
    sums = {v: np.zeros(frame0.shape) for v in variants}
    kept = {v: [] for v in variants} if keep_copies else None
    stride = None
    for start in range(0, len(augs), batch):
        chunk = augs[start:start + batch]
        imgs, frames = [], []
        for k, a in enumerate(chunk, start):
            img, fr = (image0, frame0) if k == 0 else render_input(glass, inp, aug=a, noise=False)
            imgs.append((img - im["mean"]) / im["std"])
            frames.append(fr)
        x = torch.from_numpy(np.stack(imgs).astype(np.float32))[:, None].to(dev)
        signed = run(net, x, module, index)
        stride = x.shape[-1] // signed.shape[-1]
        for v in variants:
            up = upsample(apply_variant(signed, v), x.shape[-2:], frame0.periodic, upsampling)
            up = up[:, 0].double().cpu().numpy() * (scale / stride ** 2)
            for a, fr, m in zip(chunk, frames, up):
                back = undo(m, fr, a, glass.cell, frame0, (stride - 1) / 2)
                sums[v] += back
                if kept is not None:
                    kept[v].append(back)
    maps = {v: s / len(augs) for v, s in sums.items()}
    per_copy = {v: np.stack(k) for v, k in kept.items()} if kept is not None else None
    return CamMaps(maps, frame0, name, target, int(stride), upsampling, augs, per_copy)
