"""Synthetic micrographs of a Glass: the reference study's Gaussian-spot recipe and a contrast-transfer TEM model.

Both styles share the pixel ↔ Å convention of :class:`~glassfail_core.micrograph.Micrograph` (pixel centres at
``(index + 0.5) * pixel_size``), so that images from simulation and from the microscope share one scale (Å/px).

``style="spots"`` (the reference study, Font-Clos et al. 2022)
    every Si a Gaussian spot of peak height ``si_counts`` = 800 counts and σ = 0.5 Å, every O one of 100 counts and
    σ = 0.3 Å, on a uniform ``background`` (counts); each pixel holds the spot's *average over the pixel* (so fine
    pixels see the stated peak heights, coarse pixels a correctly blurred spot); then Poisson counting noise at
    ``dose`` times these counts.
``style="tem"`` (a documented weak-phase HRTEM model; abTEM is not needed)
    1. phase object: the projected potential of each atom column is a Gaussian of peak phase ``tem_phase[s]``
       (rad) and width ``tem_sigma[s]`` (Å); the exit wave is ψ = exp(i φ(r));
    2. lens: Ψ(k) is multiplied by the contrast transfer function H(k) = A(k) E(k) exp(-i χ(k)), with
       χ(k) = π λ k² (½ C_s λ² k² − Δf) (Δf > 0 is underfocus), the temporal-coherence envelope
       E(k) = exp(−½ (π λ Δ k²)²) for focal spread Δ, and a hard objective aperture A(k) = [k ≤ k_max];
    3. intensity I = |ψ ⊛ h|² (≈ 1 away from atoms), times the electron dose per pixel
       (``tem_dose`` e⁻/Å² × pixel area), then Poisson noise.
    The defaults (80 kV, C_s = −5 µm, Δf = −52 Å: negative-C_s imaging at the Scherzer-like over-focus
    √(4/3·|C_s|·λ), passing spacings down to 0.9 Å; focal spread 10 Å) show atoms as bright spots, Si columns
    brighter than O, as in aberration-corrected images of 2D silica. C_s = +5 µm with Δf = +52 Å (Scherzer
    underfocus) gives dark atoms on a bright background.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from ..errors import InputError
from ..glass import Glass, require_glass
from .image import Micrograph

__all__ = ["render_glass", "render_periodic", "periodic_pixels", "PeriodicImage", "SpotParams", "TEMParams",
           "electron_wavelength"]


@dataclass(frozen=True)
class SpotParams:
    """The reference recipe: Gaussian spots (peak counts, σ in Å) on a uniform background (counts)."""

    si_counts: float = 800.0
    si_sigma: float = 0.5
    o_counts: float = 100.0
    o_sigma: float = 0.3
    background: float = 20.0

    def to_dict(self):
        return dict(self.__dict__)


@dataclass(frozen=True)
class TEMParams:
    """Weak-phase HRTEM: column phases (rad) and widths (Å), lens (kV, C_s in Å, Δf in Å, focal spread Å,
    aperture Å⁻¹) and dose (e⁻/Å²)."""

    voltage_kv: float = 80.0
    cs: float = -5e4
    defocus: float = -52.0
    focal_spread: float = 10.0
    k_max: float = 1.1
    si_phase: float = 0.30
    o_phase: float = 0.15
    si_sigma: float = 0.40
    o_sigma: float = 0.35
    dose: float = 1e4

    def to_dict(self):
        return dict(self.__dict__)


def electron_wavelength(voltage_kv: float) -> float:
    """Relativistic electron wavelength in Å.

    >>> round(float(electron_wavelength(80.0)), 5)
    0.04176
    """
    v = voltage_kv * 1e3
    return 12.2643 / np.sqrt(v * (1.0 + 0.97845e-6 * v))


def _default_pixels(length, pixel_size, periodic):
    """Pixels along one axis: a free axis is covered entirely (``ceil``); a periodic axis gets ``floor(L / px)``
    pixels, so that the image never extends past one period (a wider image would show the atoms of one edge a
    second time at the other, and detection would find them twice)."""
    n = length / pixel_size
    return max(1, int(np.floor(n + 1e-6)) if periodic else int(np.ceil(n - 1e-6)))


def _frame(glass, pixel_size, shape, origin):
    if shape is None:
        w = _default_pixels(glass.cell[0], pixel_size, glass.pbc[0])
        h = _default_pixels(glass.cell[1], pixel_size, glass.pbc[1])
        shape = (h, w)
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise InputError(f"shape must be two positive pixel counts (H, W), got {shape}")
    if shape[0] * shape[1] > 2**28:
        raise InputError(f"image of {shape[0]} × {shape[1]} px is too large to render; use a larger pixel_size")
    return shape, (float(origin[0]), float(origin[1]))


def _images(glass, positions, shape, pixel_size, origin, margin):
    """Positions plus their periodic images that can touch the window (free axes: as they are)."""
    pos = np.asarray(positions, float)
    lo = np.array(origin) - margin
    hi = np.array(origin) + np.array([shape[1], shape[0]]) * pixel_size + margin
    idx = np.arange(len(pos))
    for ax in range(2):
        if not glass.pbc[ax]:
            continue
        L = glass.cell[ax]
        wrapped = np.mod(pos[:, ax], L)
        n0 = int(np.floor((lo[ax] - L) / L))
        n1 = int(np.ceil(hi[ax] / L))
        parts, ids = [], []
        for n in range(n0, n1 + 1):
            p = pos.copy()
            p[:, ax] = wrapped + n * L
            keep = (p[:, ax] >= lo[ax]) & (p[:, ax] < hi[ax])
            parts.append(p[keep])
            ids.append(idx[keep])
        pos, idx = np.concatenate(parts), np.concatenate(ids)
    return pos, idx


def _splat(out, xy, amplitude, sigma, pixel_size, origin, wrap=(False, False)):
    """Add pixel-averaged Gaussians ``amplitude·exp(-r²/2σ²)`` centred at ``xy`` (Å) into ``out`` (H, W).

    ``pixel_size`` is one number or ``(px_x, px_y)``; an axis with ``wrap`` set adds what falls past one edge at the
    other (the image is then one period of a periodic cell), otherwise it is cut off.
    """
    if len(xy) == 0:
        return out
    h, w = out.shape
    px, py = (pixel_size, pixel_size) if np.ndim(pixel_size) == 0 else pixel_size
    col = (xy[:, 0] - origin[0]) / px - 0.5
    row = (xy[:, 1] - origin[1]) / py - 0.5

    def weights(centre, p):
        half = int(np.ceil(4.5 * sigma / p)) + 1
        off = np.arange(-half, half + 1)
        s = sigma / p
        norm = np.sqrt(2 * np.pi) * s  # pixel average of exp(-x²/2s²) = norm · ΔΦ
        base = np.floor(centre + 0.5).astype(np.int64)
        idx = base[:, None] + off[None, :]
        d = idx - centre[:, None]
        wts = (ndtr((d + 0.5) / s) - ndtr((d - 0.5) / s)) * norm
        return idx, wts

    ci, wx = weights(col, px)
    ri, wy = weights(row, py)
    if wrap[0]:
        ci = np.mod(ci, w)
    else:
        wx = wx * ((ci >= 0) & (ci < w))
        ci = np.clip(ci, 0, w - 1)
    if wrap[1]:
        ri = np.mod(ri, h)
    else:
        wy = wy * ((ri >= 0) & (ri < h))
        ri = np.clip(ri, 0, h - 1)
    amp = np.broadcast_to(np.asarray(amplitude, float), (len(xy),))
    vals = amp[:, None, None] * wy[:, :, None] * wx[:, None, :]
    flat = ri[:, :, None] * w + ci[:, None, :]
    out += np.bincount(flat.ravel(), weights=vals.ravel(), minlength=h * w).reshape(h, w)
    return out


def _species_groups(glass):
    return {"Si": glass.si_mask, "O": glass.o_mask}


def _render_spots(glass, shape, pixel_size, origin, p: SpotParams):
    img = np.full(shape, p.background, dtype=np.float64)
    margin = 5 * max(p.si_sigma, p.o_sigma)
    for sp, mask in _species_groups(glass).items():
        amp, sig = (p.si_counts, p.si_sigma) if sp == "Si" else (p.o_counts, p.o_sigma)
        if amp == 0 or not mask.any():
            continue
        xy, _ = _images(glass, glass.positions[mask], shape, pixel_size, origin, margin)
        _splat(img, xy, amp, sig, pixel_size, origin)
    return img


def _render_tem(glass, shape, pixel_size, origin, p: TEMParams):
    lam = electron_wavelength(p.voltage_kv)
    # Pad so that the FFT's wrap-around does not fold one edge onto the other (objective-lens blur ~ a few Å).
    pad = int(np.ceil(8.0 / pixel_size))
    big = (shape[0] + 2 * pad, shape[1] + 2 * pad)
    borigin = (origin[0] - pad * pixel_size, origin[1] - pad * pixel_size)
    phase = np.zeros(big)
    margin = 5 * max(p.si_sigma, p.o_sigma)
    for sp, mask in _species_groups(glass).items():
        amp, sig = (p.si_phase, p.si_sigma) if sp == "Si" else (p.o_phase, p.o_sigma)
        if amp == 0 or not mask.any():
            continue
        xy, _ = _images(glass, glass.positions[mask], big, pixel_size, borigin, margin)
        _splat(phase, xy, amp, sig, pixel_size, borigin)
    wave = np.fft.ifft2(np.fft.fft2(np.exp(1j * phase)) * _full_ctf(big, pixel_size, lam, p))
    intensity = np.abs(wave) ** 2
    intensity = intensity[pad:pad + shape[0], pad:pad + shape[1]]
    return intensity * p.dose * pixel_size**2


def _full_ctf(big, pixel_size, lam, p):
    ky = np.fft.fftfreq(big[0], d=pixel_size)
    kx = np.fft.fftfreq(big[1], d=pixel_size)
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    chi = np.pi * lam * k2 * (0.5 * p.cs * lam**2 * k2 - p.defocus)
    env = np.exp(-0.5 * (np.pi * lam * p.focal_spread * k2) ** 2) * (k2 <= p.k_max**2)
    return env * np.exp(-1j * chi)


def render_glass(glass: Glass, *, pixel_size: float = 0.32, style: str = "spots", noise: bool = True,
                 seed=None, dose: float = 1.0, shape=None, origin=(0.0, 0.0), spots: SpotParams | None = None,
                 tem: TEMParams | None = None, offset=(0.0, 0.0)) -> Micrograph:
    """Render a Glass as a synthetic micrograph.

    Parameters
    ----------
    glass : Glass
        Periodic axes are drawn with the periodic images of atoms near the edges, so the image tiles.
    pixel_size : float
        Å per pixel.
    style : {"spots", "tem"}
        The reference study's Gaussian spots, or the weak-phase HRTEM model (see the module docstring).
    noise : bool
        Add Poisson counting noise.
    seed : int or numpy Generator, optional
        For the noise.
    dose : float
        Multiplies every expected count before the noise (lower = noisier; 1 = the reference recipe).
    shape : (H, W), optional
        Image size in pixels. Default: at most one period of the cell: ``floor(L / pixel_size)`` pixels along a
        periodic axis (the image covers ``[0, n·pixel_size)``, never more than the period ``L``, so no atom is
        shown twice; the uncovered sliver, under one pixel wide, is recorded in ``info["uncovered"]``) and
        ``ceil(L / pixel_size)`` along a free axis. The pixel size is never changed.
    origin : (x0, y0)
        Å coordinates of the image's top-left corner (default (0, 0), the cell's corner).
    spots, tem : SpotParams, TEMParams, optional
        Style parameters (defaults as documented).
    offset : (dx, dy)
        Å added to every atom before drawing (a sub-pixel translation of the sample under a fixed pixel grid).

    Returns
    -------
    Micrograph
        float32 counts; ``info`` records the style, its parameters, dose, noise and seed.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> m = render_glass(honeycomb(2, 2), pixel_size=0.5, seed=0)
    >>> m.shape  # one period of the 10.57 × 9.15 Å cell, never more
    (18, 21)
    >>> bool(m.image.max() > 500)
    True
    """
    require_glass(glass)
    try:
        pixel_size = float(pixel_size)
    except (TypeError, ValueError):
        raise InputError(f"pixel_size must be a number (Å/px), got {pixel_size!r}") from None
    if not (np.isfinite(pixel_size) and pixel_size > 0):
        raise InputError(f"pixel_size must be positive (Å/px), got {pixel_size}")
    if style not in ("spots", "tem"):
        raise InputError(f"style must be 'spots' or 'tem', got {style!r}")
    if not (np.isfinite(dose) and dose > 0):
        raise InputError(f"dose must be positive, got {dose}")
    shape, origin = _frame(glass, pixel_size, shape, origin)
    glass = _shifted(glass, offset)
    if style == "spots":
        params = spots or SpotParams()
        expected = _render_spots(glass, shape, pixel_size, origin, params)
    else:
        params = tem or TEMParams()
        expected = _render_tem(glass, shape, pixel_size, origin, params)
    expected *= dose
    rng = np.random.default_rng(seed)
    img = rng.poisson(np.clip(expected, 0, None)).astype(np.float32) if noise else expected.astype(np.float32)
    info = {"style": style, "params": params.to_dict(), "dose": float(dose), "noise": bool(noise),
            "seed": _seed_note(seed), "n_si": glass.n_si, "n_o": glass.n_o,
            "units": "counts", "cell": [float(v) for v in glass.cell], "pbc": [bool(v) for v in glass.pbc],
            "uncovered": [float(max(0.0, L - n * pixel_size)) if per else 0.0
                          for L, n, per in zip(glass.cell, (shape[1], shape[0]), glass.pbc)]}
    return Micrograph(img, pixel_size, origin, info)


def _shifted(glass, offset):
    dx, dy = (float(v) for v in offset)
    if not (np.isfinite(dx) and np.isfinite(dy)):
        raise InputError(f"offset must be two finite numbers (Å), got {offset!r}")
    if dx == 0 and dy == 0:
        return glass
    return Glass(glass.positions + [dx, dy], glass.species, glass.cell, pbc=glass.pbc, validate=False)


def _seed_note(seed):
    return seed if isinstance(seed, (int, type(None))) else "generator"


def periodic_pixels(length: float, pixel_size: float, multiple: int = 1) -> int:
    """Pixels along a periodic axis of ``length`` Å: ``round(L / pixel_size)`` rounded to a multiple of ``multiple``.

    >>> periodic_pixels(85.13, 0.65), periodic_pixels(85.13, 0.65, 16), periodic_pixels(81.71, 0.65, 16)
    (131, 128, 128)
    """
    m = int(multiple)
    return max(1, int(round(float(length) / float(pixel_size) / m))) * m


@dataclass(frozen=True, eq=False)
class PeriodicImage:
    """One period of a periodic glass drawn seamlessly: ``image`` (H, W) float32 tiles the plane.

    Pixels are ``pixel_size = (Lx / W, Ly / H)`` Å (nearly square); pixel ``(row, col)`` has its centre at
    ``x = (col + 0.5)·px_x``, ``y = (row + 0.5)·px_y`` in the frame where every atom was moved by ``offset``.
    """

    image: np.ndarray
    pixel_size: tuple
    offset: tuple = (0.0, 0.0)
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Metadata as plain Python (the image itself is left out, as in :meth:`Micrograph.to_dict`)."""
        return {"shape": list(self.image.shape), "pixel_size": [float(v) for v in self.pixel_size],
                "offset": [float(v) for v in self.offset], "info": dict(self.info)}

    def xy_to_px(self, xy) -> np.ndarray:
        """Å ``(..., 2)`` of the glass's own frame → fractional ``(row, col)`` in this image (periodic: wrapped)."""
        xy = np.asarray(xy, dtype=float) + np.asarray(self.offset)
        h, w = self.image.shape
        col = np.mod(xy[..., 0] / self.pixel_size[0] - 0.5, w)
        row = np.mod(xy[..., 1] / self.pixel_size[1] - 0.5, h)
        return np.stack([row, col], axis=-1)


def render_periodic(glass: Glass, *, pixel_size: float = 0.65, multiple: int = 1, shape=None,
                    offset=(0.0, 0.0), noise: bool = True, seed=None, dose: float = 1.0,
                    spots: SpotParams | None = None) -> PeriodicImage:
    """Draw exactly one period of a periodic glass in the ``spots`` style, seamlessly (periodic=True wrap).

    Each axis of length ``L`` gets ``n = round(L / pixel_size)`` pixels rounded to a multiple of ``multiple`` (or
    ``shape``), so the pixel size along it is ``L / n``; each spot that crosses an edge continues at the other one.
    The image therefore tiles the plane, and a circular shift of it is a translation of the glass.

    Parameters
    ----------
    glass : Glass
        Periodic along x and y.
    pixel_size : float
        Nominal Å per pixel.
    multiple : int
        Pixel counts are multiples of this (a network's total stride).
    shape : (H, W), optional
        Pixel counts instead of the rounded ones.
    offset : (dx, dy)
        Å added to every atom (wrapped into the cell): a translation of the sample by any amount.
    noise, seed, dose, spots
        As in :func:`render_glass`.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> g = honeycomb(4, 4)
    >>> im = render_periodic(g, pixel_size=0.6, multiple=4, noise=False)
    >>> im.image.shape, [round(p, 4) for p in im.pixel_size]
    ((32, 36), [0.587, 0.5719])
    >>> b = render_periodic(g, pixel_size=0.6, multiple=4, noise=False, offset=(4 * im.pixel_size[0], 0.0))
    >>> bool(np.allclose(np.roll(im.image, 4, axis=1), b.image, atol=1e-3))
    True
    """
    require_glass(glass)
    if not all(glass.pbc):
        raise InputError("render_periodic draws periodic glasses (pbc along x and y); use render_glass for others")
    if not (np.isfinite(pixel_size) and pixel_size > 0) or int(multiple) < 1:
        raise InputError(f"pixel_size must be positive and multiple ≥ 1, got {pixel_size}, {multiple}")
    if not (np.isfinite(dose) and dose > 0):
        raise InputError(f"dose must be positive, got {dose}")
    lx, ly = (float(v) for v in glass.cell)
    if shape is None:
        shape = (periodic_pixels(ly, pixel_size, multiple), periodic_pixels(lx, pixel_size, multiple))
    shape, _ = _frame(glass, pixel_size, shape, (0.0, 0.0))
    pxy = (lx / shape[1], ly / shape[0])
    params = spots or SpotParams()
    moved = np.mod(np.asarray(glass.positions, float) + np.asarray(offset, float), [lx, ly])
    expected = np.full(shape, params.background, dtype=np.float64)
    for sp, mask in _species_groups(glass).items():
        amp, sig = (params.si_counts, params.si_sigma) if sp == "Si" else (params.o_counts, params.o_sigma)
        if amp != 0 and mask.any():
            _splat(expected, moved[mask], amp, sig, pxy, (0.0, 0.0), wrap=(True, True))
    expected *= dose
    rng = np.random.default_rng(seed)
    img = rng.poisson(expected).astype(np.float32) if noise else expected.astype(np.float32)
    info = {"style": "spots", "params": params.to_dict(), "dose": float(dose), "noise": bool(noise),
            "seed": _seed_note(seed), "periodic": True, "cell": [lx, ly], "pixel_size_xy": list(pxy),
            "nominal_pixel_size": float(pixel_size)}
    return PeriodicImage(img, pxy, (float(offset[0]), float(offset[1])), info)
