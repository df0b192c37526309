"""What `gradstep train`'s flags accept: the choices, and argparse types for numbers and sizes.

A bad value raises argparse.ArgumentTypeError, so argparse exits with status 2 and a message
that names what is allowed.
"""

from __future__ import annotations

import argparse
import math

LOSS_CHOICES = ("hinge", "bce", "cross_entropy", "mse", "l1", "huber")
OPTIMIZER_CHOICES = ("sgd", "adam", "adamw")
SCHEDULE_CHOICES = ("linear", "cosine", "constant")
ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "linear")
INIT_CHOICES = ("micrograd", "scaled")


def hidden_sizes(text: str) -> list[int]:
    """Comma-separated layer sizes such as 16,16; '' or 0 for no hidden layer."""
    text = text.strip()
    if text in ("", "0"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 16,16"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def count(text: str) -> int:
    """A whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def number(text: str) -> float:
    """A finite float."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return x


def positive(text: str) -> float:
    x = number(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return x


def non_negative(text: str) -> float:
    x = number(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


def fraction(text: str) -> float:
    """A fraction in [0, 1), such as the share of samples held out for testing."""
    x = number(text)
    if not 0.0 <= x < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text!r}")
    return x
