"""Hold out part of a data set for testing, reproducibly: scikit-learn's `train_test_split`."""

import math
from collections.abc import Sequence
from typing import TypeVar

from nn.checks import make_rng

T = TypeVar("T")


def _n_test(test_size: object, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)):
        raise TypeError(
            "test_size must be a fraction in (0, 1) or an int count, "
            f"not {type(test_size).__name__}"
        )
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        # Rounded first so float error cannot add a sample: 0.07 * 100 is 7.000000000000001.
        n_test = math.ceil(round(test_size * n, 9))
    else:
        n_test = test_size
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size!r} gives {n_test} test samples out of {n}; "
            f"both parts need at least one, so allow 1..{n - 1} test samples"
        )
    return n_test


def _stratified_test_counts(groups: dict[object, list[int]], n: int, n_test: int) -> list[int]:
    """Each class's share of `n_test`, in proportion to its size (largest remainders round up)."""
    exact = [n_test * len(idx) / n for idx in groups.values()]
    counts = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda j: counts[j] - exact[j])
    for j in by_remainder[: n_test - sum(counts)]:
        counts[j] += 1
    return counts


def train_test_split(
    X: Sequence[Sequence[float]],
    y: Sequence[T],
    test_size: float | int = 0.25,
    seed: int | None = 0,
    stratify: bool = False,
) -> tuple[list[list[float]], list[list[float]], list[T], list[T]]:
    """Shuffle with `seed` and split into `(X_train, X_test, y_train, y_test)` (sklearn's order).

    `test_size` is a fraction in (0, 1) (rounded up, as sklearn does) or a count of test samples.
    `stratify=True` keeps each class's proportion in both parts, which matters for small data
    such as iris. Rows are copied, so changing the result leaves `X` alone.
    """
    for name, seq in (("X", X), ("y", y)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise TypeError(
                f"{name} must be a list (one entry per sample), not {type(seq).__name__}"
            )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have one entry per sample each, got len(X)={len(X)}, len(y)={len(y)}"
        )
    for i, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"X[{i}] must be a row (a list of numbers), not {type(row).__name__}")
    n = len(X)
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 samples, got {n}")
    n_test = _n_test(test_size, n)
    rng = make_rng(seed)
    if stratify:
        groups: dict[object, list[int]] = {}
        for i, label in enumerate(y):
            groups.setdefault(label, []).append(i)
        test, train = [], []
        for idx, k in zip(groups.values(), _stratified_test_counts(groups, n, n_test), strict=True):
            rng.shuffle(idx)
            test += idx[:k]
            train += idx[k:]
        rng.shuffle(test)
        rng.shuffle(train)
    else:
        order = list(range(n))
        rng.shuffle(order)
        test, train = order[:n_test], order[n_test:]
    return (
        [list(X[i]) for i in train],
        [list(X[i]) for i in test],
        [y[i] for i in train],
        [y[i] for i in test],
    )
