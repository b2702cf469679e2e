"""The `fuzzgen` command: one subcommand per job, all logic in the library."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback

from .. import __version__
from . import export, fuzz, merge, replay, sample, stats, validate
from ..errors import FuzzgenError
from .common import EXIT_USAGE, Parser, file_errors_as_usage, shown

SUBCOMMANDS = (sample, merge, validate, replay, export, stats, fuzz)
EXIT_BROKEN_PIPE = 128 + 13  # killed by SIGPIPE, as `cat` is: what a shell reports for it
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + 2, 128 + 15  # SIGINT, SIGTERM


class VersionAction(argparse.Action):
    """`--version`: looked up only when asked for, so other commands never pay for it."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..jaxcompat import version_report

        print(f"fuzzgen {__version__}; {version_report()}")
        parser.exit()


def build_parser() -> Parser:
    parser = Parser(prog="fuzzgen", description="Grammar-based program fuzzer and IR dataset generator for JAX.")
    parser.add_argument("--version", action=VersionAction, help="print fuzzgen's version, the running, locked "
                        "and supported jax/jaxlib versions, and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    for command in subparsers.choices.values():  # so that an unknown flag points to its command's --help
        command.set_defaults(command_parser=command)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _terminated)
    try:
        with file_errors_as_usage():  # a full disk or an unwritable path: one line naming the file
            return args.handler(args)
    except FuzzgenError as error:  # bad arguments, files or environment: one line, no traceback
        if args.debug:
            traceback.print_exc()
        print(shown(f"fuzzgen: error: {error}"), file=sys.stderr)
        return error.exit_status
    except BrokenPipeError:  # e.g. `fuzzgen replay corpus/ | head -1`: the reader left, as `cat` sees it
        # Point stdout at /dev/null, so that flushing it at exit cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (KeyboardInterrupt, Terminated) as stop:
        # Workers ignore SIGINT and are stopped by the `finally` blocks on the way here, which
        # also remove staged files; a sample run's .partial is kept: it is what --resume continues.
        how, status = ("terminated", EXIT_TERMINATED) if isinstance(stop, Terminated) else ("interrupted", EXIT_INTERRUPTED)
        hint = "; rerun the same command with --resume to continue" if getattr(args, "resume_hint", False) else ""
        print(f"fuzzgen: {how}{hint}", file=sys.stderr)
        return status


class Terminated(BaseException):
    """SIGTERM, raised where the main thread is, so that cleanup runs as for Ctrl-C."""


def _terminated(signum, frame):
    raise Terminated()


if __name__ == "__main__":
    sys.exit(main())
