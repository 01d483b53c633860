"""Argument types the management commands share."""

import argparse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a limit, a count)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value
