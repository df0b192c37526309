"""Argument checks for all of `nn`, written once: each returns the value converted or raises.

A TypeError says the kind was wrong, a ValueError that the value was; both name the argument
and say what is allowed. Every check takes the argument's name first.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any

from engine import Value

ANY = "(-inf, inf)"


def check_int(name: str, value: Any, minimum: int = 0, why: str = "") -> int:
    """`value` as an int >= minimum (a bool is refused: `True` samples is a slip, not a count)."""
    allowed = f"an int >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be {allowed}, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be {allowed}{why}, got {value}")
    return int(value)


def check_real(name: str, value: Any, interval: str = ANY, why: str = "") -> float:
    """`value` as a finite float inside `interval`, written as in maths: "[0, 1)", "(0, inf)"."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    x = float(value)
    if not (math.isfinite(x) and _inside(x, interval)):
        raise ValueError(f"{name} must be {_allowed(interval)}{why}, got {x!r}")
    return x


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """`value` if it is one of `choices` (a table's keys), else a ValueError listing them."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def make_rng(seed: Any = None, rng: random.Random | None = None) -> random.Random:
    """A private generator from `seed` (or `rng` as given): the global `random` is left alone."""
    if rng is not None:
        if seed is not None:
            raise ValueError("give either seed or rng, not both")
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, not {type(rng).__name__}")
        return rng
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(
            f"seed must be an int (or None for fresh randomness), not {type(seed).__name__}"
        )
    return random.Random(seed)


def is_sequence(value: Any) -> bool:
    """True for a row of numbers (anything with a length that is not text)."""
    return hasattr(value, "__len__") and not isinstance(value, (str, bytes))


def check_number(name: str, value: Any) -> float:
    """One entry of a data set as a float; a bool, a string or None is a slip, not a number."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise TypeError(f"{name} must hold numbers, found {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers, found {type(value).__name__}") from None
    except OverflowError:  # an int beyond 1.8e308
        raise ValueError(f"{name} holds an integer too large for a float") from None


def check_finite(name: str, x: float, what: str) -> float:
    """`x` if it is finite: a NaN or an infinity in data would train on silently to nonsense."""
    if not math.isfinite(x):
        raise ValueError(f"{name} is {x!r}: {what} must be finite numbers")
    return x


def check_rows(name: str, X: Any, empty_ok: bool = False) -> list[list[float]]:
    """`X` as fresh rows of finite floats, all one width; a bare number is a one-feature row."""
    if not is_sequence(X):
        kind = type(X).__name__
        raise TypeError(f"{name} must be a list of samples (rows of numbers), not {kind}")
    if len(X) == 0 and not empty_ok:
        raise ValueError(f"{name} is empty: it needs at least one sample")
    rows = []
    for i, row in enumerate(X):
        if is_sequence(row):
            row = [check_number(f"{name}[{i}]", v) for v in row]
            for j, v in enumerate(row):
                check_finite(f"{name}[{i}][{j}]", v, "features")
        else:
            row = [check_finite(f"{name}[{i}]", check_number(f"{name}[{i}]", row), "features")]
        if rows and len(row) != len(rows[0]):
            raise ValueError(
                f"every row of {name} must have the same length: {name}[0] has {len(rows[0])}, "
                f"{name}[{i}] has {len(row)}"
            )
        rows.append(row)
    return rows


def check_targets(name: str, y: Any, n: int) -> list:
    """`y` as `n` finite targets, floats or rows of them (whole numbers given as ints stay ints)."""
    if not is_sequence(y):
        raise TypeError(f"{name} must be a sequence of targets, not {type(y).__name__}")
    if len(y) != n:
        raise ValueError(f"X has {n} samples but {name} has {len(y)} targets")
    out = []
    for i, t in enumerate(y):
        if is_sequence(t):
            row = [check_number(f"{name}[{i}]", v) for v in t]
            out.append([check_finite(f"{name}[{i}][{j}]", v, "targets") for j, v in enumerate(row)])
        else:
            value = check_finite(f"{name}[{i}]", check_number(f"{name}[{i}]", t), "targets")
            out.append(int(value) if value.is_integer() and not isinstance(t, float) else value)
    return out


def check_length(name: str, x: Any, n: int) -> None:
    """`x` must be a sequence of `n` inputs (one sample for a model with `n` inputs)."""
    try:
        size = len(x)
    except TypeError:
        raise TypeError(
            f"{name} input must be a list of {n} numbers or Values, not {type(x).__name__}"
        ) from None
    if size != n:
        raise batch_error(name, x, n) or ValueError(f"{name} expects {n} inputs, got {size}")


def batch_error(name: str, x: Any, n: int) -> TypeError | None:
    """The error for rows (a batch) given where one sample of `n` numbers goes, if `x` holds any."""
    rows = [(i, type(v).__name__) for i, v in enumerate(x) if is_sequence(v)]
    if not rows:
        return None
    i, row = rows[0]
    kind = type(x).__name__
    got = f"a {kind} of {len(x)} {row}s" if len(rows) == len(x) else f"a {row} at [{i}]"
    call = "model" if name == "MLP" else name.lower()
    return TypeError(
        f"{name} takes one sample (a list of {n} numbers); got {got}; "
        f"call it per sample: [{call}(x) for x in X]"
    )


def sample_error(name: str, x: Any, n: int) -> TypeError | None:
    """Why `x` is not one sample of `n` numbers: rows (a batch) or an entry that is no number."""
    error = batch_error(name, x, n)
    if error is not None:
        return error
    for i, v in enumerate(x):
        if type(v) is not Value and (isinstance(v, bool) or not isinstance(v, Real)):
            what = type(v).__name__
            return TypeError(f"{name} input must hold numbers or Values; [{i}] is {what}")
    return None


def check_sequence(name: str, xs: Any) -> Sequence:
    """`xs` as given, if it is a list-like sequence (not text)."""
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(f"{name} must be a list, not {type(xs).__name__}")
    return xs


# ---- intervals ----


@functools.cache
def _bounds(interval: str) -> tuple[bool, float, float, bool]:
    low, high = interval[1:-1].split(",")
    return interval[0] == "[", float(low), float(high), interval[-1] == "]"


def _inside(x: float, interval: str) -> bool:
    closed_low, low, high, closed_high = _bounds(interval)
    above = x >= low if closed_low else x > low
    below = x <= high if closed_high else x < high
    return above and below


def _allowed(interval: str) -> str:
    closed_low, low, high, closed_high = _bounds(interval)
    if math.isinf(low) and math.isinf(high):
        return "a finite number"
    if math.isinf(high):
        return f"a finite number {'>=' if closed_low else '>'} {low:g}"
    if math.isinf(low):
        return f"a finite number {'<=' if closed_high else '<'} {high:g}"
    return f"in {interval}"
