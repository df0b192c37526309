"""Argument checks shared by the data functions: each error names the argument and what is allowed.
"""

import math
import random
from collections.abc import Sequence


def check_int(name: str, value: object, minimum: int, why: str = "") -> int:
    """`value` as an int >= minimum (bools are refused: `True` samples is a slip, not a count)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int >= {minimum}, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}{why}, got {value}")
    return value


def check_real(name: str, value: object, minimum: float = -math.inf, why: str = "") -> float:
    """`value` as a finite float >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < minimum:
        allowed = "a finite number" if minimum == -math.inf else f"a finite number >= {minimum:g}"
        raise ValueError(f"{name} must be {allowed}{why}, got {value}")
    return value


def make_rng(seed: object) -> random.Random:
    """A private generator, so data never depends on (or disturbs) the global `random` state."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(
            f"seed must be an int (or None for fresh randomness), not {type(seed).__name__}"
        )
    return random.Random(seed)


def check_rows(name: str, X: object) -> list[list[float]]:
    """`X` as fresh lists of floats, all rows the same length (a list of lists, one per sample)."""
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"{name} must be a list of rows (lists of numbers), not {type(X).__name__}")
    rows = []
    for i, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(
                f"{name}[{i}] must be a row (a list of numbers), not {type(row).__name__}"
            )
        try:
            rows.append([float(v) for v in row])
        except (TypeError, ValueError):
            raise TypeError(f"{name}[{i}] must contain only numbers, got {list(row)!r}") from None
        if len(rows[i]) != len(rows[0]):
            raise ValueError(
                f"every row of {name} must have the same length: {name}[0] has {len(rows[0])}, "
                f"{name}[{i}] has {len(rows[i])}"
            )
    return rows


def split_counts(n: int, k: int) -> list[int]:
    """`n` samples shared among `k` classes as evenly as possible (the first ones get the extra)."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]
