"""Checking what `fit` and `evaluate` are given: samples, targets and counts.

Each helper returns the value converted (fresh lists of floats, int labels kept as ints) or
raises a TypeError/ValueError that names the argument and says what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence


def check_rows(X: Sequence, what: str) -> list[list[float]]:
    """`X` as fresh rows of floats, all the same width; a bare number is a one-feature row."""
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(f"{what} must be a sequence of samples, not {type(X).__name__}")
    if len(X) == 0:
        raise ValueError(f"{what} is empty: fit needs at least one sample")
    rows = []
    width = None
    for i, row in enumerate(X):
        if is_sequence(row):
            row = [check_number(v, f"{what}[{i}]") for v in row]
        else:
            row = [check_number(row, what)]
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ValueError(f"{what}[{i}] has {len(row)} features, {what}[0] has {width}")
        rows.append(row)
    return rows


def check_labels(y: Sequence, n: int, what: str) -> list:
    """`y` as `n` targets: floats, or rows of them; whole numbers that were not floats stay ints."""
    if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
        raise TypeError(f"{what} must be a sequence of targets, not {type(y).__name__}")
    if len(y) != n:
        raise ValueError(f"X has {n} samples but {what} has {len(y)} targets")
    out = []
    for i, t in enumerate(y):
        if is_sequence(t):
            out.append([check_number(v, f"{what}[{i}]") for v in t])
        else:
            value = check_number(t, f"{what}[{i}]")
            out.append(int(value) if value.is_integer() and not isinstance(t, float) else value)
    return out


def check_number(v, what: str) -> float:
    """`v` as a float; a bool, a string or None is a slip, not a number."""
    if isinstance(v, bool) or isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{what} must hold numbers, found {type(v).__name__}")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must hold numbers, found {type(v).__name__}") from None


def is_sequence(v) -> bool:
    """True for a row of numbers (anything with a length that is not text)."""
    return hasattr(v, "__len__") and not isinstance(v, (str, bytes))


def check_count(n, what: str) -> int:
    """`n` as an int >= 0 (bools refused)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    return n
