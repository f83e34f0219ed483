"""Value parsers of the command-line options and the error every bad input raises (exit 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


class BadInput(Exception):
    """Raised for invalid options; reported on one line with exit code 2."""


def positive_int(name: str, limit: int | None = None) -> Callable[[str], int]:
    """A parser of an integer in 1..limit (≥ 1 without a limit), naming the option when it fails."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < 1 or (limit is not None and value > limit):
            raise argparse.ArgumentTypeError(
                f"{name} must be in 1..{limit}, got {value}" if limit else f"{name} must be ≥ 1, got {value}"
            )
        return value

    return parse


def positive_float(name: str, *, allow_zero: bool = False) -> Callable[[str], float]:
    """A parser of a finite number > 0 (≥ 0 with ``allow_zero``), naming the option when it fails."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number {'≥' if allow_zero else '>'} 0, got {text}")
        return value

    return parse


def unit_interval(name: str) -> Callable[[str], float]:
    """A parser of a number in the open interval (0, 1), naming the option when it fails."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not 0.0 < value < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must lie in the open interval (0, 1), got {text}")
        return value

    return parse
