"""Sample generation: presets (crystal, defects) and amorphous networks by dual-lattice bond switching."""

from .presets import DEFAULT_SI_SI, honeycomb

__all__ = ["honeycomb", "DEFAULT_SI_SI"]
