"""Exceptions and warnings raised by glassfail.

Two kinds of failure are told apart everywhere, from the Python API to the command line:

* :class:`InputError` — the user gave something wrong (a broken file, a bad parameter, an impossible
  structure). The CLI prints its one-line message and exits with status 2.
* :class:`GlassfailError` (other subclasses) — the input was fine but the work failed (a minimisation that
  diverged, a simulation that produced NaN). The CLI prints the message and exits with status 1.
"""

from __future__ import annotations

__all__ = [
    "GlassfailError",
    "InputError",
    "StructureError",
    "StructureFileError",
    "SimulationError",
    "Cancelled",
    "GlassfailWarning",
]


class GlassfailError(Exception):
    """Base class of every error glassfail raises on purpose."""


class InputError(GlassfailError, ValueError):
    """Bad input from the user: a parameter, a file or a structure that cannot be used."""


class StructureError(InputError):
    """A structure that is not a valid 2D silica configuration (NaN, overlapping atoms, bad cell...)."""


class StructureFileError(InputError):
    """A structure or image file that cannot be read or written.

    The message always names the file and the problem.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class SimulationError(GlassfailError):
    """A simulation that could not proceed (diverging minimisation, NaN energies...)."""


class Cancelled(GlassfailError):
    """Long work stopped at the user's request; what was finished has been kept."""


class GlassfailWarning(UserWarning):
    """Something the user should know, where glassfail had to guess (e.g. a cell inferred from positions)."""
