"""The detection pipeline: parameters, :func:`detect_steps` / :func:`detect` (the steps are described in
:mod:`glassfail_core.micrograph.detection`), and the final de-duplication."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy.spatial import cKDTree

from ...errors import GlassfailWarning, InputError
from ...glass import Glass
from ...progress import Progress, run
from ...repair import bridge_midpoints
from ..image import Micrograph
from .network import TIGHT_BOND, _bridges, _complete_bonds
from .scale import _centre_crop, _polarity_sign, estimate_pixel_size
from .spots import _bright_class, _confidence, _o_candidates, _si_candidates, _weak_spots_fit
from .tiles import _Tile, _tiles

__all__ = ["DetectParams", "detect_steps", "detect", "detect_atoms"]

SPECIES_MODES = ("auto", "si-only", "si-o")


@dataclass(frozen=True)
class DetectParams:
    """Detection parameters (lengths in Å). See :mod:`glassfail_core.micrograph.detection` for what each step does."""

    species: str = "auto"
    invert: bool | None = None
    sensitivity: float = 1.0
    atom_sigma: float = 0.5
    o_sigma: float = 0.3
    min_separation: float = 2.0
    o_min_separation: float = 1.0
    relative_threshold: float = 0.3
    background_sigma: float = 6.0
    expected_si_si: float = 3.05
    min_bond_ratio: float = 0.85
    check_scale: bool = True
    scale_tolerance: float = 0.3
    fill_missing_o: bool = True
    tile: int = 2048
    overlap: float = 10.0

    def to_dict(self):
        return asdict(self)

    @property
    def z_threshold(self) -> float:
        return 5.0 / self.sensitivity


def _validate(p: DetectParams):
    if p.species not in SPECIES_MODES:
        raise InputError(f"species must be one of {', '.join(SPECIES_MODES)}; got {p.species!r}")
    if p.invert not in (None, True, False):
        raise InputError(f"invert must be True, False or None (auto), got {p.invert!r}")
    for name in ("sensitivity", "atom_sigma", "o_sigma", "min_separation", "o_min_separation", "background_sigma",
                 "expected_si_si", "overlap"):
        v = getattr(p, name)
        if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v!r}")
    if not 0 <= p.relative_threshold < 1:
        raise InputError(f"relative_threshold must be in [0, 1), got {p.relative_threshold!r}")
    if not (isinstance(p.min_bond_ratio, (int, float)) and 0 <= p.min_bond_ratio < 1.3):
        raise InputError(f"min_bond_ratio must be in [0, 1.3), got {p.min_bond_ratio!r}")
    if not 0 < p.scale_tolerance < 1:
        raise InputError(f"scale_tolerance must be in (0, 1), got {p.scale_tolerance!r}")
    if int(p.tile) != p.tile or p.tile < 64:
        raise InputError(f"tile must be an integer ≥ 64 pixels, got {p.tile!r}")


def _border_distance(xy, origin, extent):
    """Distance (Å) of each point to the nearest image edge."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    x0, y0 = origin
    return np.minimum.reduce([xy[:, 0] - x0, x0 + extent[0] - xy[:, 0], xy[:, 1] - y0, y0 + extent[1] - xy[:, 1]])


def _empty(micrograph, info):
    return Glass(np.zeros((0, 2)), np.array([], dtype="<U2"), cell=micrograph.extent, pbc=(False, False), info=info,
                 arrays={"confidence": np.zeros(0), "intensity": np.zeros(0), "inferred": np.zeros(0, bool)})


def detect_steps(micrograph: Micrograph, **params):
    """Generator form of :func:`detect`: yields :class:`~glassfail_core.progress.Progress` per tile and
    returns the Glass."""
    if not isinstance(micrograph, Micrograph):
        raise InputError(f"micrograph must be a Micrograph (see read_micrograph), got {type(micrograph).__name__}")
    unknown = set(params) - set(DetectParams.__dataclass_fields__)
    if unknown:
        raise InputError(f"unknown detection parameter(s) {sorted(unknown)}; "
                         f"known: {sorted(DetectParams.__dataclass_fields__)}")
    p = DetectParams(**params)
    _validate(p)
    ps = micrograph.pixel_size
    img = micrograph.image
    h, w = img.shape
    ext = micrograph.extent
    info = {"source": micrograph.info.get("source"), "frame": micrograph.info.get("frame"), "pixel_size": ps,
            "origin": list(micrograph.origin), "image_shape": [h, w], "detection": p.to_dict(), "frame_note":
            "positions in the micrograph's Å frame: x = (col + 0.5)·pixel_size + x0, y = (row + 0.5)·pixel_size + y0"}
    min_extent = 2.0 * p.expected_si_si
    if min(h, w) < 8 or min(ext) < min_extent:
        raise InputError(
            f"image too small: {h} × {w} px = {ext[0]:.2f} × {ext[1]:.2f} Å at {ps:g} Å/px; atoms can be found in "
            f"images at least 8 px and {min_extent:.1f} Å (two Si–Si distances) on each side")
    if float(img.max()) == float(img.min()):
        warnings.warn("the image is uniform (one grey level): no atoms found", GlassfailWarning, stacklevel=2)
        info.update(species_mode="none", polarity="none", n_si=0, n_o=0)
        return _empty(micrograph, info)

    # 1. polarity, on a centre crop
    crop = _centre_crop(img).astype(np.float32)
    crop = crop - crop.mean()
    sign = _polarity_sign(crop, p.invert)
    info["polarity"] = "dark atoms" if sign < 0 else "bright atoms"
    info["polarity_auto"] = p.invert is None

    # 2. scale check
    if p.check_scale:
        est = estimate_pixel_size(micrograph, invert=sign < 0, expected_si_si=p.expected_si_si)
        info["scale_check"] = est
        ps_est = est["pixel_size"]
        if np.isfinite(ps_est) and est["n_spots"] >= 8:
            ratio = ps / ps_est
            if abs(math.log(ratio)) > -math.log(1 - p.scale_tolerance):
                sep = est["spacing_px"] * ps
                raise InputError(
                    f"the pixel size looks wrong: at {ps:g} Å/px the brightest spots are {sep:.2f} Å apart, but "
                    f"Si–Si distances are about {p.expected_si_si:g} Å"
                    + (" (atoms would overlap)" if ratio < 1 else " (atoms would be too far apart)")
                    + f"; the image's dominant spacing ({est['spacing_px']:.2f} px) suggests about {ps_est:.3g} Å/px. "
                      f"Give that pixel size, or turn the check off (check_scale=False / --no-scale-check)")

    # 3-4. Si, tile by tile
    overlap_px = int(math.ceil(p.overlap / ps))
    tiles = _tiles((h, w), int(p.tile), overlap_px)
    bg_px = p.background_sigma / ps
    block_px = 4.0 / ps  # wider than an atom, narrower than a ring
    n_steps = 2 * len(tiles)
    rcs, hts, zs, oks = [], [], [], []
    noises = []
    for k, (core, pad) in enumerate(tiles):
        t = _Tile(img, pad, sign, bg_px, block_px, p.atom_sigma / ps)
        noises.append(t.noise)
        rc, ht, z, ok = _si_candidates(t, core, p, ps)
        rcs.append(rc), hts.append(ht), zs.append(z), oks.append(ok)
        yield Progress("detect", k + 1, n_steps, f"Si: tile {k + 1}/{len(tiles)}", {"n_si": int(sum(map(len, rcs)))})
    rc = np.concatenate(rcs)
    ht = np.concatenate(hts)
    z = np.concatenate(zs)
    info["noise_sigma"] = float(np.median(noises))
    if len(rc) == 0:
        warnings.warn("no atoms found (no spot rises above the noise)", GlassfailWarning, stacklevel=2)
        info.update(species_mode="none", n_si=0, n_o=0)
        return _empty(micrograph, info)
    ref = float(np.median(np.sort(ht)[len(ht) // 2:]))
    rel = ht / ref if ref > 0 else np.ones_like(ht)
    keep = (rel >= p.relative_threshold) & _bright_class(ht)
    rc, ht, z, rel = rc[keep], ht[keep], z[keep], rel[keep]
    si_conf = _confidence(z, p.z_threshold, rel, p.relative_threshold)
    si_xy = micrograph.px_to_xy(rc)
    inside = ((si_xy[:, 0] >= micrograph.origin[0]) & (si_xy[:, 0] < micrograph.origin[0] + ext[0])
              & (si_xy[:, 1] >= micrograph.origin[1]) & (si_xy[:, 1] < micrograph.origin[1] + ext[1]))
    rc, ht, z, si_xy, si_conf = rc[inside], ht[inside], z[inside], si_xy[inside], si_conf[inside]
    info["si_reference_height"] = ref
    fits = _weak_spots_fit(si_xy, z, p, edge=_border_distance(si_xy, micrograph.origin, ext) < p.expected_si_si)
    info["n_si_weak_rejected"] = int((~fits).sum())
    rc, ht, z, si_xy, si_conf = rc[fits], ht[fits], z[fits], si_xy[fits], si_conf[fits]

    # 5. O
    sig_px = p.atom_sigma / ps
    amp = 2.0 * ht  # matched filtering halves a spot of the filter's width: the unfiltered amplitude is twice
    x0, y0 = micrograph.origin
    cutoff = 1.3 * p.expected_si_si
    si_edge = _border_distance(si_xy, (x0, y0), ext) < 0.35 * p.expected_si_si
    o_xy, o_conf, o_int = np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    seen_bonds = np.zeros((0, 2), int)
    mode = "si-only" if p.species == "si-only" else None
    if p.species in ("auto", "si-o"):
        orcs, ohts, ozs = [], [], []
        for k, (core, pad) in enumerate(tiles):
            t = _Tile(img, pad, sign, bg_px, block_px, p.atom_sigma / ps)
            orc, oht, oz = _o_candidates(t, core, p, ps, rc, amp, sig_px)
            orcs.append(orc), ohts.append(oht), ozs.append(oz)
            yield Progress("detect", len(tiles) + k + 1, n_steps, f"O: tile {k + 1}/{len(tiles)}")
        orc = np.concatenate(orcs)
        oht = np.concatenate(ohts)
        oz = np.concatenate(ozs)
        cand_xy = micrograph.px_to_xy(orc) if len(orc) else np.zeros((0, 2))
        inside_o = ((cand_xy[:, 0] >= x0) & (cand_xy[:, 0] < x0 + ext[0])
                    & (cand_xy[:, 1] >= y0) & (cand_xy[:, 1] < y0 + ext[1])) if len(cand_xy) else np.zeros(0, bool)
        cand_xy, oht, oz = cand_xy[inside_o], oht[inside_o], oz[inside_o]
        if len(cand_xy):
            oref = float(np.median(np.sort(oht)[len(oht) // 2:]))
            orel = oht / oref if oref > 0 else np.ones_like(oht)
            ok = orel >= p.relative_threshold
            cand_xy, oht, oz, orel = cand_xy[ok], oht[ok], oz[ok], orel[ok]
        keep_o, seen_bonds = _bridges(si_xy, cand_xy, oz, cand_border=_border_distance(
            cand_xy, (x0, y0), ext) < 2.0 if len(cand_xy) else np.zeros(0, bool), cutoff=cutoff)
        cand_xy, oz, orel = cand_xy[keep_o], oz[keep_o], (orel[keep_o] if len(cand_xy) else np.zeros(0))
        all_bonds = _complete_bonds(si_xy, seen_bonds, cutoff, p.min_bond_ratio * p.expected_si_si, edge=si_edge,
                                    edge_max=TIGHT_BOND * p.expected_si_si)
        frac = len(seen_bonds) / max(1, len(all_bonds))
        info["o_seen_fraction"] = float(frac)
        if p.species == "si-o" or frac >= 0.5:
            mode = "si-o"
            o_xy, o_int = cand_xy, oz
            o_conf = _confidence(oz, p.z_threshold, orel, p.relative_threshold) if len(cand_xy) else np.zeros(0)
        else:
            mode = "si-only"
            seen_bonds = np.zeros((0, 2), int)
    info["species_mode"] = mode
    info["species_by"] = "intensity (O spots seen)" if mode == "si-o" else "geometry (O at Si–Si bond midpoints)"
    if mode == "si-o":  # the network completed from the seen bridges above
        bonds = all_bonds
    else:
        bonds = _complete_bonds(si_xy, seen_bonds, cutoff, p.min_bond_ratio * p.expected_si_si, edge=si_edge,
                                edge_max=TIGHT_BOND * p.expected_si_si)
    n_seen = len(seen_bonds)
    missing = bonds[n_seen:] if (mode == "si-only" or p.fill_missing_o) else np.zeros((0, 2), int)
    inferred_xy = bridge_midpoints(si_xy, missing, ext, (False, False))
    inferred_conf = (np.minimum(si_conf[missing[:, 0]], si_conf[missing[:, 1]]) if len(missing) else np.zeros(0))
    info["n_o_seen"] = int(len(o_xy))
    info["n_o_inferred"] = int(len(inferred_xy))
    positions = np.concatenate([si_xy, o_xy, inferred_xy])
    species = np.array(["Si"] * len(si_xy) + ["O"] * (len(o_xy) + len(inferred_xy)), dtype="<U2")
    conf = np.concatenate([si_conf, o_conf, inferred_conf])
    inten = np.concatenate([z, o_int, np.zeros(len(inferred_xy))])
    inferred = np.concatenate([np.zeros(len(si_xy) + len(o_xy), bool), np.ones(len(inferred_xy), bool)])
    positions, species, conf, inten, inferred = _dedupe(positions, species, conf, inten, inferred)
    info.update(n_si=int((species == "Si").sum()), n_o=int((species == "O").sum()),
                mean_confidence=float(conf.mean()) if len(conf) else 0.0)
    inten = np.where(np.isfinite(inten), inten, 0.0)
    return Glass(positions, species, cell=ext, pbc=(False, False), info=info,
                 arrays={"confidence": conf, "intensity": inten, "inferred": inferred})


def _dedupe(positions, species, conf, inten, inferred, min_dist=0.9):
    """Drop the less confident of any two atoms closer than ``min_dist`` Å (e.g. an O seen and one inferred)."""
    if len(positions) < 2:
        return positions, species, conf, inten, inferred
    pairs = cKDTree(positions).query_pairs(min_dist, output_type="ndarray")
    if len(pairs) == 0:
        return positions, species, conf, inten, inferred
    drop = np.zeros(len(positions), bool)
    score = conf + 10.0 * (species == "Si") - 5.0 * inferred
    for i, j in pairs:
        if drop[i] or drop[j]:
            continue
        drop[j if score[i] >= score[j] else i] = True
    k = ~drop
    return positions[k], species[k], conf[k], inten[k], inferred[k]


def detect(micrograph: Micrograph, *, species: str = "auto", invert=None, sensitivity: float = 1.0,
           on_progress=None, **params) -> Glass:
    """Find the atoms of a micrograph; return them as a non-periodic Glass in the micrograph's Å frame.

    Parameters
    ----------
    micrograph : Micrograph
    species : {"auto", "si-only", "si-o"}
        "si-o": Si and O both read from the image (O by intensity after the Si spots are subtracted);
        "si-only": Si from the image, O placed at Si–Si bond midpoints; "auto": "si-o" when O spots are seen on
        at least half the Si–Si bonds, else "si-only".
    invert : bool, optional
        True for dark atoms on a bright background; None detects the polarity.
    sensitivity : float
        Higher finds fainter spots: a spot must rise ``5 / sensitivity`` noise standard deviations above the
        background after matched filtering.
    on_progress : callable, optional
        Receives :class:`~glassfail_core.progress.Progress` events.
    **params
        Any other field of :class:`DetectParams` (``atom_sigma``, ``min_separation``, ``check_scale``, ``tile``...).

    Returns
    -------
    Glass
        Non-periodic; ``cell`` = the image extent in Å; ``arrays``: ``confidence``, ``intensity``, ``inferred``;
        ``info``: pixel size, origin, parameters, polarity, ``species_mode``, counts, scale check.

    Warns
    -----
    GlassfailWarning
        Uniform image or no spot above the noise: an empty Glass (0 atoms) is returned.

    Raises
    ------
    InputError
        Bad parameters, an image too small, or a pixel size inconsistent with the image's spacing (the message
        suggests the likely pixel size).

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.micrograph import render_glass
    >>> g = honeycomb(6, 6)
    >>> found = detect(render_glass(g, pixel_size=0.25, seed=3))
    >>> found.info["species_mode"], found.n_si
    ('si-o', 72)
    """
    job = detect_steps(micrograph, species=species, invert=invert, sensitivity=sensitivity, **params)
    return run(job, on_progress=on_progress)


#: The old name of :func:`detect`.
detect_atoms = detect
