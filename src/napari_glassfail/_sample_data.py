"""npe2 sample data: a simulated 2D silica glass with its rings, and a synthetic micrograph of a known structure.

The shipped files in ``sample_data/`` (or ``glassfail_core/data/``) are used when present; otherwise the samples
are made on the spot with the core (a honeycomb with a Stone–Wales defect, drawn with ``render_glass``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["sample_glass", "sample_micrograph", "sample_glass_object", "sample_micrograph_object", "SAMPLE_DIRS"]

#: Where shipped sample files are looked for, in order.
SAMPLE_DIRS = (
    Path(__file__).resolve().parents[2] / "sample_data",  # a source checkout (editable install)
    Path(__file__).resolve().parents[1] / "glassfail_core" / "data",  # installed package data
)
GLASS_NAMES = ("glass_s2_0.6.extxyz", "glass_s2_1.0.extxyz", "glass_s2_0.2.extxyz")
#: Shipped (micrograph, its known structure) pairs, by preference.
MICROGRAPH_PAIRS = (("micrograph_spots.tif", "micrograph_truth.extxyz"),)
#: Pixel size (Å) of the micrograph made on the spot: the reference study's 0.32 Å.
PIXEL_SIZE = 0.32


def _find(names):
    for d in SAMPLE_DIRS:
        for n in names:
            if (d / n).is_file():
                return d / n
    return None


def _fallback_glass():
    """A small periodic crystal with one Stone–Wales defect (two 5- and two 7-rings), or the plain crystal."""
    from glassfail_core.generation import stone_wales

    return stone_wales(6, 6)


def sample_glass_object():
    """The sample glass as a :class:`~glassfail_core.glass.Glass` (the shipped file, or one made on the spot)."""
    from glassfail_core.io import read_structure

    path = _find(GLASS_NAMES)
    return read_structure(path) if path is not None else _fallback_glass()


def sample_glass():
    """Layers of the sample glass: cell, rings coloured by size, O and Si points."""
    from ._layers import glass_layer_data

    return glass_layer_data(sample_glass_object(), name="sample glass")


def sample_micrograph_object():
    """``(micrograph, truth)``: a synthetic micrograph and the Glass it shows (the known atoms).

    The shipped micrograph (``sample_data/micrograph_spots.tif`` with ``micrograph_truth.extxyz``) is used when
    present; otherwise the made-on-the-spot sample glass (non-periodic, with a margin) is rendered with the reference
    study's Gaussian spots at 0.32 Å/px and seeded counting noise.
    """
    from glassfail_core.io import read_structure
    from glassfail_core.micrograph import read_micrograph, render_glass

    for image_name, truth_name in MICROGRAPH_PAIRS:
        image, truth = _find((image_name,)), _find((truth_name,))
        if image is not None and truth is not None and image.parent == truth.parent:
            return read_micrograph(image), read_structure(truth)
    return render_glass(_micrograph_truth(), pixel_size=PIXEL_SIZE, seed=0), _micrograph_truth()


def _micrograph_truth():
    """The known structure of the made-on-the-spot micrograph: the sample glass's atoms cut out non-periodic
    (O left without two Si dropped), with a 3 Å margin so that every atom lies whole inside the image."""
    g = _fallback_glass()
    g = g.replace(positions=g.wrapped_positions(), pbc=(False, False))
    g = g.subset(~(g.o_mask & (g.coordination < 2)))  # O that bridged across the periodic boundary
    margin = 3.0
    return g.replace(positions=g.positions + margin, cell=g.cell + 2 * margin)


def sample_micrograph():
    """An Image layer (scale in Å) of a synthetic micrograph; the known structure rides along in its metadata
    (``metadata["glassfail"]["truth"]``)."""
    from ._layers import KEY, micrograph_layer_data

    micrograph, truth = sample_micrograph_object()
    data, kwargs, kind = micrograph_layer_data(micrograph, name="sample micrograph")
    kwargs["metadata"][KEY]["truth"] = truth
    lo, hi = np.percentile(np.asarray(data), [0.5, 99.8])
    kwargs["contrast_limits"] = (float(lo), float(hi) if hi > lo else float(lo) + 1.0)
    return [(data, kwargs, kind)]
