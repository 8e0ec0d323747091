"""The ``glassfail`` command. One module per subcommand; each registers itself in :data:`COMMANDS`.

Exit codes: 0 success; 2 a user error (bad option, bad file, bad structure) with a one-line message;
1 a failure of the work itself (e.g. a diverging simulation); 130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM
(finished work kept either way).
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from ..errors import Cancelled, GlassfailError, InputError

# Subcommand modules (glassfail_core.cli.<name>), each defining a click command called ``command``.
COMMANDS = ["info", "convert", "energy", "relax", "deform", "detect", "render", "rings", "generate", "dataset", "train",
            "evaluate", "predict", "batch", "explain", "interpret", "demo", "view"]


class _Group(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS_LOADED)

    def get_command(self, ctx, name):
        return COMMANDS_LOADED.get(name)


def _load():
    from .options import speak_cli

    out = {}
    for mod in COMMANDS:
        m = importlib.import_module(f"glassfail_core.cli.{mod}")
        out[m.command.name] = speak_cli(m.command)  # the core's errors name this command's options
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
    from .common import set_quiet

    set_quiet(quiet)
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv=None):
    """Entry point: run the CLI, turning glassfail's errors into one-line messages and exit codes."""
    from rich.markup import escape

    from .common import print_error, set_quiet

    if not COMMANDS_LOADED:
        COMMANDS_LOADED.update(_load())
    set_quiet(False)
    try:
        cli.main(args=argv, prog_name="glassfail", standalone_mode=False)
    except click.exceptions.Abort:
        print_error("Aborted.")
        sys.exit(130)
    except click.ClickException as exc:  # usage errors (bad option, missing argument, ...): one line
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None and (
                isinstance(exc, click.MissingParameter) or not isinstance(exc, click.BadParameter)):
            hint = f" (see {exc.ctx.command_path} --help)"
        print_error(f"[red]Error:[/] {escape(exc.format_message())}{hint}")
        sys.exit(exc.exit_code)
    except Cancelled as exc:
        print_error(f"[yellow]Stopped:[/] {escape(str(exc))}")
        sys.exit(getattr(exc, "exit_code", 130))  # 128 + the signal that stopped it (cli.common.Interrupted)
    except InputError as exc:
        print_error(f"[red]Error:[/] {escape(str(exc))}")
        sys.exit(2)
    except GlassfailError as exc:
        print_error(f"[red]Failed:[/] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        print_error("Interrupted.")
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
