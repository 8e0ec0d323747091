"""Pieces shared by every ``glassfail`` subcommand: error handling, JSON output, progress bars, options."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from .._atomic import json_default
from ..errors import Cancelled, InputError
from ..progress import Progress, run

__all__ = ["console", "err_console", "emit_json", "run_with_progress", "structure_argument", "json_option",
           "load_structure", "parse_cell"]


def _consoles():
    """Consoles for stdout and stderr that never hard-wrap a line.

    In a terminal, tables fit the window and long lines are left to the terminal's own soft wrap. When a stream is
    piped or redirected, rich would otherwise break every line at 80 columns and pad it with spaces; scripts reading
    the output get one logical line per line instead (and no colour codes, which rich drops off a terminal).
    """
    from rich.console import Console

    def make(stream, stderr):
        try:
            piped = not stream.isatty()
        except (AttributeError, ValueError):
            piped = True
        return Console(stderr=stderr, soft_wrap=True, width=_PIPE_WIDTH if piped else None)

    return make(sys.stdout, False), make(sys.stderr, True)


_PIPE_WIDTH = 400  # wide enough that no table of ours is squeezed when the output is piped


console, err_console = _consoles()


def emit_json(obj) -> None:
    """Print ``obj`` as JSON on stdout (and nothing else: the output is machine-readable)."""
    click.echo(json.dumps(obj, indent=2, default=json_default))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table.")


def parse_cell(value):
    """``"LXxLY"`` or ``"LX,LY"`` (Å) → (Lx, Ly)."""
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.lower().replace("x", ",").split(",")]
        if len(parts) != 2 or min(parts) <= 0:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"expected two positive lengths in Å like 85.1x81.7, got {value!r}", param_hint="--cell")
    return tuple(parts)


def parse_type_map(value):
    """``"1=Si,2=O"`` → {1: "Si", 2: "O"}."""
    if value is None:
        return None
    try:
        out = {}
        for item in value.split(","):
            k, v = item.split("=")
            out[int(k)] = v.strip()
    except ValueError:
        raise click.BadParameter(f"expected TYPE=SPECIES pairs like 1=Si,2=O, got {value!r}", param_hint="--type-map")
    return out


def structure_argument(name="structure"):
    return click.argument(name, type=click.Path(dir_okay=False, path_type=Path))


def load_structure(path, *, cell=None, layer="top", type_map=None, frame=0):
    """Read a structure for a command, turning warnings into one-line notes on stderr."""
    import warnings

    from ..io import read_structure

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        glass = read_structure(path, cell=cell, layer=layer, type_map=type_map, frame=frame)
    for w in caught:
        err_console.print(f"[yellow]note:[/] {w.message}")
    return glass


def run_with_progress(job, *, description="working", quiet=False, fields=None, on_event=None):
    """Drive a progress generator with a rich progress bar; Ctrl-C closes the job cleanly.

    ``fields`` maps keys of ``Progress.data`` to format strings shown after the bar, e.g.
    ``{"strain": "ε={:.4f}", "stress": "σ={:.4g} eV/Å²"}``. An event whose data has a ``note`` prints it as a line
    of its own. ``on_event`` is called with every event (a front end's own display). Raises :class:`Cancelled` on
    Ctrl-C (after the job has kept what it finished).
    """
    from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn, TimeElapsedColumn

    fields = fields or {}
    bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
              TextColumn("{task.fields[extra]}"), console=err_console, disable=quiet, transient=False)

    def show(ev: Progress):
        if ev.data.get("note") and not quiet:  # a line worth keeping (e.g. "resumed ..."), above the bar
            bar.console.print(f"[dim]{ev.data['note']}[/]")
        if on_event is not None:
            on_event(ev)
        extra = "  ".join(fmt.format(ev.data[k]) for k, fmt in fields.items() if k in ev.data)
        if ev.message and not extra:
            extra = ev.message
        bar.update(task, completed=ev.done, total=ev.total, extra=extra, description=ev.stage or description)

    try:
        with bar:
            task = bar.add_task(description, total=None, extra="")
            return run(job, on_progress=show)
    except KeyboardInterrupt:
        job.close()
        raise Cancelled("interrupted (Ctrl-C); finished work was kept") from None
