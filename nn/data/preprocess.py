"""Feature scaling: put every input feature on the same footing before training."""

import math
from collections.abc import Sequence

from nn.checks import check_rows


def standardize(X: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each feature (column) to mean 0 and std 1 over the rows of `X`, as fresh lists.

    Why: tanh and sigmoid units saturate on large inputs (digits' pixels reach 16), and one step
    size suits all weights only when features share a scale. A constant feature (an always-blank
    pixel) carries no information and becomes 0 rather than a division by zero. The std is the
    population one (divide by n), as scikit-learn's StandardScaler.
    """
    rows = check_rows("X", X)
    if not rows:
        raise ValueError("X must hold at least one row to standardize")
    n = len(rows)
    scales = []
    for column in zip(*rows, strict=True):
        mean = math.fsum(column) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in column) / n)
        constant = min(column) == max(column) or std == 0.0
        scales.append((mean, 0.0 if constant else 1.0 / std))
    return [[(v - m) * s for v, (m, s) in zip(row, scales, strict=True)] for row in rows]
