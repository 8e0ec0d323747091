"""Running a model on one glass: flip-averaged scalars and probability maps, the sites they point at.

The four flips (none, x, y, both) are symmetries of tension along x: the glass is drawn four times, the network
runs once on the batch, the scalars are averaged and each probability map is flipped back before averaging (a flip
of a seamless periodic image, or of a window centred on the sample, is exactly the map ``x → L − x``). Maps are
masked outside the sample's box on non-periodic inputs before the softmax.

On inputs much larger than the training cells the scalars are computed per region: the network's per-cell scalars
(:meth:`~.model.GlassNet.local_scalars`) are averaged over windows of the training image size, and the failure
strain of the input is the minimum over the windows (the weakest region breaks first), reported with its region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch.nn import functional as F

from .images import Augment, Frame, render_input

__all__ = ["Inference", "infer", "infer_image", "top_sites", "mass_within", "distance"]

FLIPS = ((False, False), (True, False), (False, True), (True, True))


@dataclass(frozen=True)
class Inference:
    """Scalars (original units), probability maps on ``frame`` (the input's own frame), the image frame, and the
    region (x0, y0, x1, y1) the scalars come from when the input was split into regions (else None)."""

    scalars: dict
    maps: dict
    frame: Frame
    image_frame: Frame
    region: Optional[tuple] = None


    def to_dict(self) -> dict:
        """Scalars, frames and region (the maps' shapes only; the arrays are in :attr:`maps`)."""
        return {"scalars": dict(self.scalars), "maps": {k: list(v.shape) for k, v in self.maps.items()},
                "frame": self.frame.to_dict(), "image_frame": self.image_frame.to_dict(),
                "region": None if self.region is None else [float(v) for v in self.region]}


def _standardise(img, config):
    im = config["normalisation"]["image"]
    return (img - im["mean"]) / im["std"]


def _unstandardise(values, config) -> dict:
    out = {}
    for c, t in enumerate(config["targets"]):
        st = config["normalisation"]["targets"][t]
        out[t] = float(values[c]) * st["std"] + st["mean"]
    return out


def _unflip(arr, flips):
    """Mean over the batch of ``arr`` (B, ..., H, W), each copy flipped back."""
    out = []
    for a, (fx, fy) in zip(arr, flips):
        out.append(torch.flip(a, [d for d, f in ((-1, fx), (-2, fy)) if f]) if (fx or fy) else a)
    return torch.stack(out).mean(dim=0)


def _cell_weights(net, frame: Frame, dev):
    """(1, 1, H/stride, W/stride) weights of the network's cells: 1 inside the sample, 0 on the background padding
    of a non-periodic input (a cell counts when its centre lies in the sample's box)."""
    m = frame.scaled(net.stride).mask()
    if not m.any():
        m = np.ones_like(m)
    return torch.from_numpy(m.astype(np.float32))[None, None].to(dev)


def _regional(net, x, config, frame: Frame, flips):
    """``(scalars, region)``: the scalars averaged over the sample's own cells (the padding of a non-periodic input
    left out), and — on inputs much larger than the training cells — those of the weakest training-size window
    with that window (Å); region None otherwise. None when the input is periodic and not larger (the plain mean)."""
    train = config["input"].get("train_shape")
    h, w = x.shape[-2:]
    large = bool(train) and (h >= 1.5 * train[0] or w >= 1.5 * train[1])
    if frame.periodic and not large:
        return None
    s = net.stride
    loc = _unflip(net.local_scalars(x), flips)[None]
    wts = _cell_weights(net, frame, x.device)
    if not large:
        mean = (loc * wts).sum(dim=(-2, -1)) / wts.sum()
        return _unstandardise(mean[0].cpu().numpy(), config), None
    wh, ww = min(h, train[0]) // s, min(w, train[1]) // s
    if frame.periodic:
        loc = torch.cat([loc, loc[..., :wh - 1, :]], dim=-2) if wh > 1 else loc
        loc = torch.cat([loc, loc[..., :, :ww - 1]], dim=-1) if ww > 1 else loc
        wts = torch.ones_like(loc[:, :1])
    num = F.avg_pool2d(loc * wts, (wh, ww), stride=1)[0]  # (T, rows, cols)
    den = F.avg_pool2d(wts, (wh, ww), stride=1)[0, 0]
    pooled = num / den.clamp(min=1e-6)
    k = config["targets"].index("failure_strain") if "failure_strain" in config["targets"] else 0
    score = torch.where(den >= 0.5, pooled[k], torch.full_like(den, float("inf")))  # windows mostly on the sample
    if not torch.isfinite(score).any():
        score = pooled[k]
    r, c = np.unravel_index(int(torch.argmin(score)), tuple(score.shape))
    vals = _unstandardise(pooled[:, r, c].cpu().numpy(), config)
    x0 = frame.origin[0] + c * s * frame.pixel_size[0]
    y0 = frame.origin[1] + r * s * frame.pixel_size[1]
    return vals, (x0, y0, x0 + ww * s * frame.pixel_size[0], y0 + wh * s * frame.pixel_size[1])


@torch.no_grad()
def infer(model, glass, *, tta: bool = True, noise: bool = False, seed=0) -> Inference:
    """Scalars and maps of ``glass`` (see the module docstring); ``noise`` draws Poisson noise (seeded)."""
    cfg = model.config
    flips = FLIPS if tta else FLIPS[:1]
    imgs, base = [], None
    for fx, fy in flips:
        img, fr = render_input(glass, cfg["input"], aug=Augment(fx, fy), noise=noise,
                               seed=[int(seed), int(fx), int(fy)])
        imgs.append(_standardise(img, cfg))
        base = fr if base is None else base
    return _forward(model, imgs, base, flips)


@torch.no_grad()
def infer_image(model, image, frame: Frame, *, tta: bool = True) -> Inference:
    """Scalars and maps of an image already at the model's pixel size (``--direct``): its grey levels are
    standardised by its own mean and spread, and the flips are flips of the image about its centre."""
    img = np.asarray(image, np.float64)
    sd = float(img.std())
    img = (img - img.mean()) / (sd if sd > 0 else 1.0)
    flips = FLIPS if tta else FLIPS[:1]
    imgs = [img[::-1 if fy else 1, ::-1 if fx else 1] for fx, fy in flips]
    return _forward(model, imgs, frame, flips)


def _forward(model, imgs, base: Frame, flips) -> Inference:
    """The network on the flipped copies ``imgs`` of one input whose unflipped frame is ``base``."""
    cfg, net = model.config, model.network
    net.eval()
    dev = next(net.parameters()).device
    x = torch.from_numpy(np.stack(imgs).astype(np.float32))[:, None].to(dev)
    scal, logits = net(x)
    mframe = base.scaled(int(cfg["input"]["map_stride"]))
    valid = torch.from_numpy(mframe.mask()).to(dev)
    logits = logits.masked_fill(~valid, float("-inf"))
    prob = torch.softmax(logits.flatten(-2), dim=-1).reshape(logits.shape).cpu().numpy()
    acc = _unflip(torch.from_numpy(prob.astype(np.float64)), flips).numpy()
    maps = {name: acc[c].astype(np.float32) for c, name in enumerate(cfg.get("maps", []))}
    scalars = _unstandardise(scal.mean(dim=0).cpu().numpy(), cfg)
    region = None
    reg = _regional(net, x, cfg, base, flips)
    if reg is not None:
        scalars, region = reg  # region None: the sample's own cells of a non-periodic input
    return Inference(scalars, maps, mframe, base, region)


def distance(frame: Frame, a, b) -> np.ndarray:
    """Distances (Å) between points ``a`` (N, 2) and ``b`` (M, 2), minimum image on periodic frames: (N, M)."""
    return np.hypot(*np.moveaxis(frame.displacement(np.asarray(a, float).reshape(-1, 2), b), -1, 0))


def _pixel_xy(frame: Frame) -> np.ndarray:
    x, y = frame.centres()
    return np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)


def mass_within(prob: np.ndarray, frame: Frame, xy, radius: float) -> float:
    """Probability mass of ``prob`` within ``radius`` Å of the point ``xy``."""
    d = distance(frame, _pixel_xy(frame), [xy])[:, 0]
    return float(prob.ravel()[d <= radius].sum())


def top_sites(prob: np.ndarray, frame: Frame, k: int = 3, radius: float = 5.0) -> list:
    """The ``k`` strongest modes of a probability map: ``[{"xy": [x, y], "probability": mass within radius}]``.

    Each mode is the most probable remaining pixel; pixels within ``2·radius`` of it are then left out, so modes are
    distinct places. Periodic frames give sites wrapped into the cell.
    """
    p = np.asarray(prob, dtype=np.float64).ravel().copy()
    xy = _pixel_xy(frame)
    out = []
    for _ in range(int(k)):
        if not p.max() > 0:
            break
        j = int(np.argmax(p))
        d = distance(frame, xy, xy[j:j + 1])[:, 0]
        site = xy[j].copy()
        if frame.periodic:
            site = np.mod(site - np.asarray(frame.origin), frame.extent) + np.asarray(frame.origin)
        out.append({"xy": [float(site[0]), float(site[1])],
                    "probability": float(np.asarray(prob, np.float64).ravel()[d <= radius].sum())})
        p[d <= 2 * radius] = 0.0
    return out
