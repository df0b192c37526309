"""Feature scaling: put every input feature on the same footing before training."""

import math
from collections.abc import Sequence

from nn.checks import check_rows


def feature_scales(X: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """Each feature's (mean, 1/std) over the rows of `X`; 0.0 for a constant feature.

    The std is the population one (divide by n), as scikit-learn's StandardScaler. A constant
    feature (an always-blank pixel) carries no information: its scale is 0, so it becomes 0
    rather than a division by zero.
    """
    return scales_of(check_rows("X", X))


def scales_of(rows: list[list[float]]) -> list[tuple[float, float]]:
    """`feature_scales` of rows already checked (fresh lists of finite floats, one width)."""
    n = len(rows)
    scales = []
    for column in zip(*rows, strict=True):
        mean = math.fsum(column) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in column) / n)
        constant = min(column) == max(column) or std == 0.0
        scales.append((mean, 0.0 if constant else 1.0 / std))
    return scales


def standardize(X: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each feature (column) to mean 0 and std 1 over the rows of `X`, as fresh lists.

    Why: tanh and sigmoid units saturate on large inputs (digits' pixels reach 16), and one step
    size suits all weights only when features share a scale. To apply the same scaling to new
    rows (a test set, a saved model's input), use `nn.Standardize.fit(X)` instead.
    """
    rows = check_rows("X", X)
    scales = scales_of(rows)
    return [[(v - m) * s for v, (m, s) in zip(row, scales, strict=True)] for row in rows]
