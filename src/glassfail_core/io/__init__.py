"""Reading and writing glassfail's inputs and outputs (structures here; micrographs in ``micrographs``)."""

from .structures import STRUCTURE_FORMATS, glass_to_atoms, guess_format, read_structure, write_structure

__all__ = ["read_structure", "write_structure", "guess_format", "glass_to_atoms", "STRUCTURE_FORMATS"]
