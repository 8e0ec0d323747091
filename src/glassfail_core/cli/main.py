"""The ``glassfail`` command. One module per subcommand; each registers itself in :data:`COMMANDS`.

Exit codes: 0 success; 2 a user error (bad option, bad file, bad structure) with a one-line message;
1 a failure of the work itself (e.g. a diverging simulation); 130 interrupted.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from ..errors import Cancelled, GlassfailError, InputError

# Subcommand modules (glassfail_core.cli.<name>), each defining a click command called ``command``.
COMMANDS = ["info", "convert", "energy", "relax", "deform", "detect", "render", "rings", "generate", "dataset", "train",
            "evaluate", "predict"]


class _Group(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS_LOADED)

    def get_command(self, ctx, name):
        return COMMANDS_LOADED.get(name)


def _load():
    out = {}
    for mod in COMMANDS:
        m = importlib.import_module(f"glassfail_core.cli.{mod}")
        out[m.command.name] = m.command
    return out


COMMANDS_LOADED: dict = {}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="napari-glassfail", prog_name="glassfail")
def cli(verbose, quiet):
    """glassfail: predict where and when 2D silica glass breaks, and explain why.

    Units: Å, eV, dimensionless strain, 2D stress in eV/Å².
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv=None):
    """Entry point: run the CLI, turning glassfail's errors into one-line messages and exit codes."""
    from .common import err_console

    if not COMMANDS_LOADED:
        COMMANDS_LOADED.update(_load())
    try:
        cli.main(args=argv, prog_name="glassfail", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("Aborted.")
        sys.exit(130)
    except click.ClickException as exc:  # usage errors: BadParameter, missing arguments, ...
        exc.show()
        sys.exit(exc.exit_code)
    except Cancelled as exc:
        err_console.print(f"[yellow]Stopped:[/] {exc}")
        sys.exit(130)
    except InputError as exc:
        err_console.print(f"[red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except GlassfailError as exc:
        err_console.print(f"[red]Failed:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
