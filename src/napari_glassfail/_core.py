"""Access to the optional parts of :mod:`glassfail_core` (rings, physics, micrographs, generation).

The plugin is a thin skin over the core. Some core modules are heavy (OpenMM) or may be absent in a partial
install; :func:`core_module` imports them on demand and tells "not there" apart from "broken": a module that is
missing returns ``None`` (the plugin then offers less), a module that fails while importing raises as usual.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Optional

__all__ = ["core_module", "require"]


def core_module(name: str) -> Optional[ModuleType]:
    """``glassfail_core.<name>``, or None when that module (or the attribute the plugin needs) does not exist.

    >>> core_module("colors").ring_color(6)
    (0.8, 0.8, 0.8, 1.0)
    >>> core_module("no_such_module") is None
    True
    """
    full = f"glassfail_core.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name in (full, "glassfail_core." + name.split(".")[0]):
            return None
        raise


def require(name: str, what: str) -> ModuleType:
    """Like :func:`core_module` but raise an :class:`~glassfail_core.errors.InputError` naming ``what`` when the
    module is not installed."""
    from glassfail_core.errors import InputError

    mod = core_module(name)
    if mod is None:
        raise InputError(f"{what} needs glassfail_core.{name}, which is not installed in this environment")
    return mod
