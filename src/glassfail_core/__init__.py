"""glassfail core: predict where and when 2D silica glass breaks, and explain why.

Headless: this package never imports napari or Qt; heavy dependencies (openmm, torch, captum) are imported only by
the modules that use them. The pipeline reads as: structure (:class:`Glass`, :mod:`.io`) → simulate
(:mod:`.physics`) → labels → render (:mod:`.micrograph`) → learn → explain.
"""

from .errors import Cancelled, GlassfailError, GlassfailWarning, InputError, SimulationError, StructureError, StructureFileError
from .glass import Glass
from .io import read_structure, write_structure

__version__ = "0.1.0"

__all__ = [
    "Glass", "read_structure", "write_structure",
    "GlassfailError", "InputError", "StructureError", "StructureFileError", "SimulationError", "Cancelled",
    "GlassfailWarning", "__version__",
]
