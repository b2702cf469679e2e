"""Argument parsing that fails the way users expect: one line, exit status 2, no traceback."""
from __future__ import annotations

import argparse
import contextlib

from ..errors import EXIT_USAGE, UsageError

EXIT_OK, EXIT_FOUND = 0, 1
__all__ = ["EXIT_FOUND", "EXIT_OK", "EXIT_USAGE", "Parser", "UsageError", "bounded_int", "comma_list",
           "positive_float"]


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def comma_list(choices, flag):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        if not items:
            raise argparse.ArgumentTypeError(f"{flag} {text!r} is empty; choose from {','.join(choices)}")
        unknown = [item for item in items if item not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"{flag} {text!r}: unknown {','.join(unknown)}; choose from {','.join(choices)}")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"{flag} {text!r} names an item twice")
        return items
    return parse


def bounded_int(flag, low, high=None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} {text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"{flag} {value} must be {span}")
        return value
    return parse


def positive_float(flag):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} {text!r} is not a number") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{flag} {text} must be a positive number of seconds")
        return value
    return parse


_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def duration(flag):
    """``90``, ``90s``, ``15m``, ``2h`` or ``1.5h`` as seconds."""
    def parse(text: str) -> float:
        number, unit = (text[:-1], text[-1]) if text[-1:] in _DURATION_UNITS else (text, "s")
        try:
            value = float(number) * _DURATION_UNITS[unit]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{flag} {text!r} is not a duration; give seconds or a number with s, m or h (90, 15m, 2h)") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{flag} {text} must be a positive duration")
        return value
    return parse


def load_plugins_or_fail(names) -> None:
    """Import the --plugin modules; a bad one is a `PluginError` (one line, exit 2)."""
    from ..grammar.plugins import load_plugins

    load_plugins(names)


@contextlib.contextmanager
def file_errors_as_usage():
    """An `OSError` on the user's files is bad input: one line naming the file. A closed pipe is
    not: it reaches `fuzzgen.cli.main`, which ends quietly, as `cat` does."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise UsageError(f"{where}{error.strerror or error}") from None


def shown(text: str) -> str:
    """``text`` safe to print: control and format characters (newlines, ANSI escapes, bidi
    overrides) and lone surrogates escaped, so a string read from a file cannot forge output
    lines, restyle the terminal, or fail to encode."""
    return "".join(ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
