"""Find Si and O atoms in a micrograph and return them as a non-periodic :class:`~glassfail_core.glass.Glass`.

Method (every length is given in Å and converted with the micrograph's pixel size)
-----------------------------------------------------------------------------------
1. **Polarity**: atoms brighter or darker than the background — from the sign of the skewness of the
   background-flattened image (sparse atoms make a long tail on their side), or set with ``invert=``.
2. **Scale check**: the brightest spots' nearest-neighbour spacing is measured in *pixels*
   (:func:`estimate_pixel_size`, scale-normalised LoG); if ``expected_si_si`` Å divided by it disagrees with the
   given pixel size by more than ``scale_tolerance``, an :class:`~glassfail_core.errors.InputError` suggests the
   likely pixel size (a wrong scale makes atoms overlap or fall apart, and every later step would be wrong).
3. **Background flattening**: subtract the background *under* the atoms: the 10th percentile of 4 Å blocks,
   blurred by ``background_sigma`` and interpolated back (cheap even at 0.05 Å/px). The gaps between atoms then
   sit at zero, and the noise level is measured there (MAD of neighbour differences).
4. **Si**: Gaussian matched filter of width ``atom_sigma``; local maxima at least ``min_separation`` apart
   (``skimage.feature.peak_local_max``) and ``5 / sensitivity`` noise standard deviations high; spots fainter than
   ``relative_threshold`` × the typical Si spot are dropped. Sub-pixel position: a separable three-point
   log-parabola (exact for a Gaussian spot) on the filtered image. Weak spots (below 1.4 × the threshold, where
   noise peaks live) are kept only where the network of the strong spots has a gap for them: two strong Si
   nearby at a bonding distance and one bond short, or other weak spots (a noise peak inside a ring has only
   fully bonded Si around).
5. **O** (``species`` "auto" or "si-o"): the fitted Si spots are subtracted, the residual is filtered at
   ``o_sigma``, and maxima ≥ ``o_min_separation`` apart, 1.1–2.3 Å from a Si, are O candidates. "auto" keeps them
   when at least half of the Si–Si bonds show one near their midpoint ("si-o"); otherwise it falls back to
   **geometry** ("si-only"): Si–Si bonds are the pairs ``min_bond_ratio``–1.3 × ``expected_si_si`` apart, the
   shortest first, at most three per Si, never crossing another bond or nearly parallel to one at the same Si
   (two Si both near the image edge bonded only up to 1.15 × ``expected_si_si``), and an O is placed at each
   bond midpoint. In "si-o" mode bonds with no O seen get one placed
   at the midpoint too (``arrays["inferred"]``). ``info["species_mode"]`` says which way was used.
6. Large images are processed in tiles of ``tile`` pixels overlapping by ``overlap`` Å; each tile keeps the atoms
   of its own core region, so tiles never duplicate or drop atoms.

Per-atom output arrays: ``confidence`` (0..1: detection margin over the noise threshold × brightness relative to
the typical spot of its species; for O placed by geometry, the lower confidence of its two Si), ``intensity``
(filtered peak height in noise units) and ``inferred`` (True for O placed by geometry).

Modules: :mod:`.pipeline` (parameters and the steps in order), :mod:`.scale` (1–2), :mod:`.filters` and
:mod:`.tiles` (3, 6), :mod:`.spots` (4–5), :mod:`.network` (the Si–Si network of 4–5).
"""

from .network import TIGHT_BOND  # noqa: F401 - the constants stay importable from here
from .pipeline import SPECIES_MODES  # noqa: F401
from .pipeline import DetectParams, detect, detect_atoms, detect_steps
from .scale import estimate_pixel_size
from .spots import WEAK_Z  # noqa: F401

__all__ = ["DetectParams", "detect_steps", "detect", "detect_atoms", "estimate_pixel_size"]
