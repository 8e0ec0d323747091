"""The files of an AQS run folder: its result, the configurations it ends with, and the checkpoint it resumes from.

A run folder (``glassfail deform IN -o RUN``, ``deform_steps(..., run_dir=RUN)``) holds

=====================  ===============================================================================================
``result.json``        labels, breaks, parameters and run information of a
                       :class:`~glassfail_core.physics.aqs.FractureResult` (``"format": "glassfail-fracture-result/1"``)
``curves.npz``         its curves: strains, stresses, energies, n_broken, forces, displacements, tilts
``configs.npz``        initial, final and first-break positions, cells, bonds, broken flags (the working frame)
``checkpoint.json``    the run's state after its last finished step (strain, refinement, breaks, counters, hash)
``checkpoint.npz``     the arrays of that state (positions, cell, bonds, the curve so far)
=====================  ===============================================================================================

Every file is written atomically (:mod:`glassfail_core._atomic`): a killed run never leaves a half-written one.
Arrays are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Optional, Tuple

import numpy as np

from .._atomic import write_json, write_npz
from ..errors import StructureFileError
from ..physics.aqs import result as _result  # the module (not the class): physics.aqs.result imports this one

__all__ = [
    "RESULT_FORMAT", "write_run_result", "read_run_result", "has_run_result",
    "write_configs", "read_configs", "write_checkpoint", "read_checkpoint",
]

#: The ``format`` tag of ``result.json``.
RESULT_FORMAT = "glassfail-fracture-result/1"

_RESULT, _CURVES, _CONFIGS = "result.json", "curves.npz", "configs.npz"
_CHECKPOINT_META, _CHECKPOINT_ARRAYS = "checkpoint.json", "checkpoint.npz"


def _why(exc) -> str:
    """An exception as one short line (the type, then the message's words)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _read_npz(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: np.array(z[k]) for k in z.files}


def write_run_result(run_dir, result) -> Path:
    """Write ``result`` (a :class:`~glassfail_core.physics.aqs.FractureResult`) as ``result.json`` (labels, breaks,
    params, info) and ``curves.npz`` (curves) in ``run_dir``; return ``run_dir`` as a path.

    >>> import tempfile
    >>> from glassfail_core.physics import FractureResult
    >>> r = FractureResult.from_curves(strains=[0.0, 0.01], stresses=[0.0, 0.002], energies=[-1.0, -0.9],
    ...                                n_broken=[0, 0])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_run_result(write_run_result(d, r))
    >>> back.peak_stress, back.strains.tolist()
    (0.002, [0.0, 0.01])
    """
    run_dir = Path(run_dir)
    write_npz(run_dir / _CURVES, **{k: np.asarray(getattr(result, k)) for k in result._ARRAYS})
    d = result.to_dict(arrays=False)
    d["format"] = RESULT_FORMAT
    write_json(run_dir / _RESULT, d)
    return run_dir


def read_run_result(run_dir) -> "_result.FractureResult":
    """The :class:`~glassfail_core.physics.aqs.FractureResult` written by :func:`write_run_result`.

    Raises :class:`~glassfail_core.errors.StructureFileError` when ``run_dir`` holds no readable result.
    """
    run_dir = Path(run_dir)
    try:
        d = json.loads((run_dir / _RESULT).read_text())
        arrays = _read_npz(run_dir / _CURVES)
    except Exception as exc:  # noqa: BLE001 - OS, JSON, zip, zlib and npy errors all mean "damaged"
        raise StructureFileError(run_dir, f"not a readable glassfail run folder ({_why(exc)})") from None
    if not isinstance(d, dict) or d.get("format", RESULT_FORMAT) != RESULT_FORMAT:
        raise StructureFileError(run_dir / _RESULT, f"not a glassfail run result (format is not {RESULT_FORMAT!r})")
    for k, v in arrays.items():
        if v.dtype.kind not in "fiub":
            raise StructureFileError(run_dir / _CURVES, f"curve {k!r} holds {v.dtype} values, not numbers")
    try:
        return _result.FractureResult.from_dict(d, arrays)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise StructureFileError(run_dir / _RESULT, f"damaged run result ({_why(exc)})") from None


def has_run_result(run_dir) -> bool:
    """Whether ``run_dir`` holds a result file (finished or interrupted; read it with :func:`read_run_result`)."""
    return (Path(run_dir) / _RESULT).exists()


def write_configs(run_dir, **arrays) -> None:
    """Write the run's configurations (``configs.npz``): ``final_positions``, ``final_cell``,
    ``initial_positions``, ``bonds``, ``broken``, optionally ``first_break_positions`` and, for periodic shear,
    ``final_tilt`` and ``first_break_tilt``."""
    write_npz(Path(run_dir) / _CONFIGS, **arrays)


def read_configs(run_dir) -> dict:
    """The arrays of ``configs.npz`` (see :func:`write_configs`) by name.

    Raises :class:`~glassfail_core.errors.StructureFileError` when the file is missing or unreadable.
    """
    path = Path(run_dir) / _CONFIGS
    try:
        return _read_npz(path)
    except Exception as exc:  # noqa: BLE001 - OS, zip, zlib and npy errors all mean "damaged"
        raise StructureFileError(path, f"not readable run configurations ({_why(exc)})") from None


def write_checkpoint(run_dir, meta: Mapping, arrays: Mapping) -> None:
    """Write a checkpoint: ``arrays`` to ``checkpoint.npz``, then ``meta`` (JSON-ready) to ``checkpoint.json``."""
    run_dir = Path(run_dir)
    write_npz(run_dir / _CHECKPOINT_ARRAYS, **arrays)
    write_json(run_dir / _CHECKPOINT_META, dict(meta))


def read_checkpoint(run_dir) -> Optional[Tuple[dict, dict]]:
    """``(meta, arrays)`` of the checkpoint in ``run_dir``, or None when it has none (both files are needed)."""
    run_dir = Path(run_dir)
    meta_p, arr_p = run_dir / _CHECKPOINT_META, run_dir / _CHECKPOINT_ARRAYS
    if not (meta_p.exists() and arr_p.exists()):
        return None
    return json.loads(meta_p.read_text()), _read_npz(arr_p)
