"""Sample generation: presets (crystal, Stone–Wales defect), amorphous networks by dual-lattice bond switching,
and non-periodic shapes cut from periodic samples.

Public interface::

    generate(rings=(16, 18), variance=1.0, *, alpha=0.3, max_ring=10, seed=None, relax=True, ...) -> Glass
    generate_steps(...) -> Job[Glass]          (same arguments; yields Progress)
    generate_glass                              (the old name of generate)
    GenerationParams                            (every knob, frozen, .to_dict())
    honeycomb(nx, ny, ...), stone_wales(nx, ny, ...)  presets
    cut_shape(glass, shape="rect" | "disc" | "notch", ...) -> Glass (non-periodic, no dangling atoms)
    target_distribution(variance, max_ring) -> (sizes, p)
"""

from .amorphous import GENERATOR_VERSION, GenerationParams, generate, generate_glass, generate_steps, parse_rings
from .presets import DEFAULT_SI_SI, honeycomb, stone_wales
from .shapes import SHAPES, cut_shape
from .targets import target_distribution

__all__ = [
    "honeycomb", "stone_wales", "DEFAULT_SI_SI",
    "generate", "generate_steps", "generate_glass", "GenerationParams", "GENERATOR_VERSION", "parse_rings",
    "cut_shape", "SHAPES", "target_distribution",
]
