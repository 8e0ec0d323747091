"""What the user typed, checked before work starts, and the core's messages in the CLI's words.

The core speaks Python (``AQSParams.step must be a positive number``, ``give cell= / --cell``, ``raise max_ring``);
:func:`cli_words` names the option of the running command instead (``--step``, ``--input-cell``, ``--max-ring``),
and :func:`speak_cli` applies it to every error a command raises. The ``output_*`` callbacks refuse, while the
options are parsed, an output whose format glassfail cannot write or whose folder does not exist.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Mapping, Optional

import click

from ..errors import InputError

__all__ = ["cli_words", "speak_cli", "option_names", "output_file", "output_folder", "check_model", "check_cell"]

# "cell= / --cell", "check_scale=False / --no-scale-check", "pixel_size=..., or --pixel-size on the command line",
# "frame= (--frame)": a Python keyword and the option that sets it
_PAIR = re.compile(r"\b(\w+)=(?:\.\.\.|False|True)?(?:\s*/\s*(--[\w-]+)|,\s*or\s+(--[\w-]+)(?:\s+on the command "
                   r"line)?|\s*\((--[\w-]+)\))")
_PARAMS = re.compile(r"\b[A-Z]\w*Params\.(\w+)")  # "AQSParams.step"
_SNAKE = re.compile(r"(?<![-\w./])([a-z]+(?:_[a-z0-9]+)+)(?![\w=/-]|\.\w)")  # "max_ring" (not in a path)
_VALUE = re.compile(r"(?<![-\w./])([a-z]\w*) (?=\([-+\d.e]+\))")  # "than step (0.005)"


def option_names(command: Optional[click.Command] = None) -> dict:
    """Python parameter name → the long option that sets it, for ``command`` (default: the running command)."""
    if command is None:
        ctx = click.get_current_context(silent=True)
        command = ctx.command if ctx is not None else None
    names = {}
    for p in getattr(command, "params", ()):
        if isinstance(p, click.Option):
            longs = [o for o in p.opts if o.startswith("--")]
            if longs and p.name:
                names[p.name] = longs[0]
    return names


def cli_words(message: str, names: Optional[Mapping[str, str]] = None) -> str:
    """``message`` with the Python names of parameters replaced by the options of the running command.

    Examples
    --------
    >>> names = {"step": "--step", "refine_step": "--refine-step", "cell": "--input-cell", "max_ring": "--max-ring"}
    >>> cli_words("AQSParams.refine_step (0.01) must be smaller than step (0.005)", names)
    '--refine-step (0.01) must be smaller than --step (0.005)'
    >>> cli_words("cell inferred from the atom positions (give cell= / --cell to set it)", names)
    'cell inferred from the atom positions (give --input-cell to set it)'
    >>> cli_words("no calibration; give the pixel size in Å/px (pixel_size=..., or --pixel-size on the command line)")
    'no calibration; give the pixel size in Å/px (--pixel-size)'
    >>> cli_words("the variance stays below 2.1; raise max_ring or lower the variance", names)
    'the variance stays below 2.1; raise --max-ring or lower the variance'
    >>> cli_words("/data/max_ring/a.xyz: max_ring_x is max_ring.", names)
    '/data/max_ring/a.xyz: max_ring_x is --max-ring.'
    """
    names = option_names() if names is None else dict(names)

    def pair(m):
        return names.get(m.group(1)) or next(g for g in m.groups()[1:] if g)

    out = _PAIR.sub(pair, str(message))
    out = _PARAMS.sub(lambda m: names.get(m.group(1), "--" + m.group(1).replace("_", "-")), out)
    out = _SNAKE.sub(lambda m: names.get(m.group(1), m.group(1)), out)
    return _VALUE.sub(lambda m: names[m.group(1)] + " " if m.group(1) in names else m.group(0), out)


def speak_cli(command: click.Command) -> click.Command:
    """Make ``command`` (and the subcommands of a group) raise its :class:`InputError`\\ s in the CLI's words."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            speak_cli(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_speaks_cli", False):
        return command

    @functools.wraps(callback)
    def speaking(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except InputError as exc:
            words = cli_words(str(exc), option_names(command))
            if words == str(exc):
                raise
            raise InputError(words) from None

    speaking._speaks_cli = True
    command.callback = speaking
    return command


def _folder_exists(path: Path, hint: str):
    parent = path.parent
    if not parent.exists():
        raise click.BadParameter(f"folder {parent} does not exist; create it first (or write elsewhere)",
                                 param_hint=hint)
    if not parent.is_dir():
        raise click.BadParameter(f"{parent} is a file, not a folder", param_hint=hint)
    target = path if path.is_dir() else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise click.BadParameter(f"cannot write in {target} (permission denied); choose another folder",
                                 param_hint=hint)


def _hint(param) -> str:
    if isinstance(param, click.Option):
        return [o for o in param.opts if o.startswith("--")][0]
    return param.human_readable_name


def output_file(kind: str = "structure"):
    """A click callback for a file to write: a format glassfail writes (from the extension) and a folder that
    exists; refused before any work otherwise."""
    def check(ctx, param, value):
        if value is None:
            return value
        from ..io import find_format, formats

        path = Path(value)
        hint = _hint(param)
        if path.is_dir():
            raise click.BadParameter(f"{path} is a folder; give a file name", param_hint=hint)
        if kind is not None:
            try:
                find_format(path, kind, for_writing=True)
            except InputError:
                exts = sorted({e for f in formats(kind) if f.writer for e in f.extensions})
                raise click.BadParameter(f"glassfail cannot write a {kind} with the extension "
                                         f"{path.suffix or '(none)'!r}; use {', '.join(exts)}", param_hint=hint) from None
        _folder_exists(path, hint)
        return value

    return check


def output_folder(ctx, param, value):
    """A click callback for a folder to write into: made if missing (that is what was asked), but inside a folder
    that exists; a file of that name is refused."""
    if value is None:
        return value
    path = Path(value)
    hint = _hint(param)
    if path.exists() and not path.is_dir():
        raise click.BadParameter(f"{path} is a file; give a folder", param_hint=hint)
    _folder_exists(path, hint)
    return value


def check_model(name: str, hint: str = "--model"):
    """The interatomic model ``name`` (refused before any work when unknown)."""
    from ..physics import get_model

    try:
        return get_model(name)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


#: Two atoms closer than this (Å) after a cell given by the user are a cell too small for the structure
#: (the shortest bond, Si–O, is 1.6 Å).
MIN_DISTANCE = 1.2


def check_cell(glass, hint: str = "--cell"):
    """Refuse a cell given on the command line that folds atoms onto each other (closer than 1.2 Å)."""
    from ..neighbors import neighbor_pairs

    i, j, _, d = neighbor_pairs(glass.positions, glass.cell, glass.pbc, MIN_DISTANCE)
    if len(d):
        k = int(d.argmin())
        a, b = int(i[k]), int(j[k])
        raise click.BadParameter(
            f"{glass.cell[0]:g} × {glass.cell[1]:g} Å puts {glass.species[a]} {a} and {glass.species[b]} {b} "
            f"{d[k]:.2f} Å apart ({len(d)} pair(s) closer than {MIN_DISTANCE} Å; a Si–O bond is 1.6 Å): the cell "
            f"is smaller than the structure", param_hint=hint)
    return glass
