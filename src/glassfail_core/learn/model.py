"""The network: a ResNet-style encoder with circular padding, a scalar head and a dense map head.

Every convolution pads circularly, so on a periodic image whose size is a multiple of the total stride the feature
maps are translation-equivariant for shifts by multiples of the stride, and the pooled outputs invariant. Layout
(``widths = (c0, c1, c2, c3)``, ``depths = (d1, d2, d3)``)::

    stem      conv3×3 stride 2 (1 → c0), conv3×3 (c0 → c0)                 stride 2   (64² for a 128² input)
    stage k   d_k basic residual blocks, the first of stride 2 (→ c_k)      stride 4, 8, 16
    scalars   global average pooling of stage 3 → dropout → linear → n_scalars
    maps      feature-pyramid decoder: 1×1 laterals of stem and stages, nearest upsampling, 3×3 convs, down to
              ``map_stride`` (2 by default) → n_maps logits; softmax over the image is done by the loss/inference

Batch normalisation by default (``norm="batch"``; in evaluation a fixed per-channel affine map, so equivariance
holds): with group normalisation every sample's features are re-centred and re-scaled by themselves, and on a
120-sample 6 × 6-ring dataset the scalar head then learned nothing (validation R² ≈ 0 for all three targets,
while the maps were fine); with batch normalisation the scalars reached the ring-statistics baselines.
``norm="group"`` remains available. Because the scalar head is linear after pooling, the scalars are the image
average of a per-cell map (:meth:`GlassNet.local_scalars`), which gives regional predictions on inputs larger
than the training cells.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError

__all__ = ["GlassNet", "DEFAULT_ARCHITECTURE", "build_network"]

#: Default architecture (``config["architecture"]``).
DEFAULT_ARCHITECTURE = {"kind": "glassnet", "in_channels": 1, "widths": [24, 32, 64, 128], "depths": [2, 2, 2],
                        "decoder": 32, "map_stride": 2, "n_scalars": 3, "n_maps": 2, "dropout": 0.1,
                        "norm": "batch"}


def _conv(cin, cout, k=3, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, padding_mode="circular", bias=False)


def _norm(c, kind="group"):
    return nn.BatchNorm2d(c) if kind == "batch" else nn.GroupNorm(8 if c % 8 == 0 else 1, c)


class _Block(nn.Module):
    """Basic residual block (two 3×3 convolutions), circular padding."""

    def __init__(self, cin, cout, stride, norm):
        super().__init__()
        self.conv1, self.n1 = _conv(cin, cout, 3, stride), _norm(cout, norm)
        self.conv2, self.n2 = _conv(cout, cout), _norm(cout, norm)
        self.short = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride=stride, bias=False), _norm(cout, norm))

    def forward(self, x):
        y = F.relu(self.n1(self.conv1(x)))
        y = self.n2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class GlassNet(nn.Module):
    """The network of a glassfail model (see the module docstring).

    ``forward(x)`` with ``x`` of shape (B, 1, H, W), H and W multiples of :attr:`stride`, returns
    ``(scalars (B, n_scalars), map_logits (B, n_maps, H / map_stride, W / map_stride))``.

    Examples
    --------
    >>> net = GlassNet(**DEFAULT_ARCHITECTURE).eval()
    >>> s, m = net(torch.zeros(2, 1, 32, 48))
    >>> tuple(s.shape), tuple(m.shape), net.stride
    ((2, 3), (2, 2, 16, 24), 16)
    """

    def __init__(self, kind="glassnet", in_channels=1, widths=(24, 32, 64, 128), depths=(2, 2, 2), decoder=32,
                 map_stride=2, n_scalars=3, n_maps=2, dropout=0.1, norm="batch"):
        super().__init__()
        if kind != "glassnet":
            raise InputError(f"unknown network kind {kind!r} (this glassfail knows 'glassnet')")
        widths, depths = [int(w) for w in widths], [int(d) for d in depths]
        if len(widths) != 4 or len(depths) != 3 or min(widths) < 1 or min(depths) < 1:
            raise InputError(f"architecture needs 4 widths and 3 depths ≥ 1, got {widths}, {depths}")
        if int(map_stride) not in (1, 2, 4, 8, 16):
            raise InputError(f"map_stride must be 1, 2, 4, 8 or 16, got {map_stride}")
        if norm not in ("group", "batch"):
            raise InputError(f"norm must be 'group' or 'batch', got {norm!r}")
        self.stride, self.map_stride = 16, int(map_stride)
        c0 = widths[0]
        self.stem = nn.Sequential(_conv(in_channels, c0, 3, 2), _norm(c0, norm), nn.ReLU(inplace=True),
                                  _conv(c0, c0), _norm(c0, norm), nn.ReLU(inplace=True))
        stages, cin = [], c0
        for c, d in zip(widths[1:], depths):
            blocks = [_Block(cin if i == 0 else c, c, 2 if i == 0 else 1, norm) for i in range(d)]
            stages.append(nn.Sequential(*blocks))
            cin = c
        self.stages = nn.ModuleList(stages)
        self.dropout = nn.Dropout(float(dropout))
        self.head = nn.Linear(widths[-1], int(n_scalars))
        # decoder: one lateral per level, from stride 16 up to map_stride (stride 1: a last upsampling)
        self.laterals = nn.ModuleList([nn.Conv2d(c, decoder, 1) for c in widths])
        self.smooth = nn.ModuleList([nn.Sequential(_conv(decoder, decoder), _norm(decoder, norm),
                                                   nn.ReLU(inplace=True))
                                     for _ in range(4)])
        self.out = nn.Conv2d(decoder, int(n_maps), 1)

    def encode(self, x):
        """Features of the stem and of each stage (strides 2, 4, 8, 16)."""
        h, w = x.shape[-2:]
        if h % self.stride or w % self.stride:
            raise InputError(f"input {h} × {w} px is not a multiple of the network's stride {self.stride}")
        feats = [self.stem(x)]
        for stage in self.stages:
            feats.append(stage(feats[-1]))
        return feats

    def decode(self, feats):
        """Map logits at ``map_stride`` from the encoder features."""
        p = self.smooth[3](self.laterals[3](feats[3]))
        level_stride = 16
        for k in (2, 1, 0):
            if level_stride <= self.map_stride:
                break
            p = F.interpolate(p, scale_factor=2, mode="nearest") + self.laterals[k](feats[k])
            p = self.smooth[k](p)
            level_stride //= 2
        if self.map_stride == 1:
            p = F.interpolate(p, scale_factor=2, mode="nearest")
        return self.out(p)

    def forward(self, x, cells=None):
        """``(scalars, map logits)``; ``cells`` (B, H/stride, W/stride), optional: weights of the encoder's cells
        in the pooled scalars (1 on the sample, 0 on the padding of a non-periodic input), the plain mean if None."""
        feats = self.encode(x)
        if cells is None:
            pooled = feats[-1].mean(dim=(-2, -1))
        else:
            w = cells[:, None].to(feats[-1].dtype)
            pooled = (feats[-1] * w).sum(dim=(-2, -1)) / w.sum(dim=(-2, -1)).clamp(min=1e-6)
        return self.head(self.dropout(pooled)), self.decode(feats)

    def local_scalars(self, x):
        """Per-cell scalars (B, n_scalars, H/16, W/16): their image mean is ``forward(x)[0]`` in eval mode."""
        f = self.encode(x)[-1]
        return torch.einsum("bchw,sc->bshw", f, self.head.weight) + self.head.bias[None, :, None, None]


def build_network(architecture: dict) -> GlassNet:
    """A :class:`GlassNet` from a config's ``architecture`` (unknown keys refused)."""
    arch = dict(architecture)
    known = set(DEFAULT_ARCHITECTURE)
    extra = set(arch) - known
    if extra:
        raise InputError(f"unknown architecture key(s): {', '.join(sorted(extra))}")
    try:
        return GlassNet(**arch)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"bad architecture ({exc})") from None
