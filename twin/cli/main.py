"""Entry point of the ``twin`` command. Each subcommand lives in its own module with
``add_parser(subparsers)`` and ``run(args) -> int``; messages go to stderr, data to stdout."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from twin import __version__
from twin.errors import TwinError

#: subcommand modules, in help order
COMMANDS = [
    "twin.cli.cmd_import",
    "twin.cli.cmd_info",
    "twin.cli.cmd_query",
    "twin.cli.cmd_export",
    "twin.cli.cmd_render",
    "twin.cli.cmd_bookmark",
    "twin.cli.cmd_tour",
    "twin.cli.cmd_movie",
    "twin.cli.cmd_links",
    "twin.cli.cmd_plugins",
    "twin.cli.cmd_demo",
    "twin.cli.cmd_batch",
]


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``twin`` parser. Given ``argv`` naming a command, only that command's module is imported
    (start-up time: each module imports what its command needs; docs/stack.md)."""
    parser = argparse.ArgumentParser(prog="twin", description="Smart City Twin: a digital twin of a city in one DuckDB file.")
    parser.add_argument("--version", action="version", version=f"smartcity-twin {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = _command_module(argv)
    for name in COMMANDS if wanted is None else [wanted]:
        module = importlib.import_module(name)
        command = module.add_parser(sub)
        command.set_defaults(_run=module.run)
    return parser


def _command_module(argv: list[str] | None) -> str | None:
    """The module of the command ``argv`` names (its first word not starting with ``-``), or None."""
    words = [word for word in argv or [] if not word.startswith("-")]
    module = f"twin.cli.cmd_{words[0]}" if words else None
    return module if module in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failed, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from twin.deferred import defer

    defer("matplotlib.pyplot")  # pyvista imports it and never uses it here: 0.3 s (docs/startup.md)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args._run(args) or 0)
    except TwinError as exc:
        from twin.printable import visible  # names from a project or a file: control characters shown, not run

        print(f"twin {args.command}: error: {visible(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"twin {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `twin query ... | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
