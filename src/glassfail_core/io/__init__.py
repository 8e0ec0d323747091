"""Reading and writing everything glassfail handles, through one registry (:mod:`.registry`).

=============  =====================================================  ===========================================
kind           formats                                                entry points
=============  =====================================================  ===========================================
structure      extxyz, xyz, LAMMPS data, LAMMPS dump                  :func:`read_structure`, :func:`write_structure`
micrograph     TIFF, PNG/JPEG, dm3/dm4, emd, ser                      :func:`read_micrograph`, :func:`write_micrograph`
run            AQS run folder (result.json, curves.npz, ...)          :func:`read_run_result`, :func:`write_run_result`
rings          ring table (CSV)                                       :func:`write_rings_csv`
dataset        dataset folder (dataset.json, samples/, index)         :func:`glassfail_core.dataset.load_dataset`
model          model folder (safetensors + JSON config)               (the learning package)
=============  =====================================================  ===========================================

:func:`read` / :func:`write` pick the format from a folder's marker file, a file's first bytes or its extension;
a file glassfail cannot tell is one :class:`~.registry.UnknownFormatError` (an
:class:`~glassfail_core.errors.InputError`) that names it.
"""

from .registry import FileFormat, UnknownFormatError, find_format, formats, read, read_input, register, write
from .structures import STRUCTURE_FORMATS, glass_to_atoms, guess_format, read_structure, write_structure

__all__ = ["read", "write", "read_input", "find_format", "formats", "register", "FileFormat", "UnknownFormatError",
           "read_structure", "write_structure", "guess_format", "glass_to_atoms", "STRUCTURE_FORMATS",
           "read_micrograph", "write_micrograph", "count_frames", "iter_micrographs",
           "read_run_result", "write_run_result", "write_rings_csv"]

_LAZY = {  # loaded on first use (micrographs import the micrograph package, runs the physics)
    "read_micrograph": "micrographs", "write_micrograph": "micrographs", "count_frames": "micrographs",
    "iter_micrographs": "micrographs", "read_run_result": "runs", "write_run_result": "runs",
    "write_rings_csv": "rings",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(name)
