"""Toy data sets generated from a seed: small 2-D problems whose decision boundaries you can draw.

Each returns `(X, y)` as plain lists: `X` one list of floats per sample, `y` class indices 0..k-1
(floats for `make_sine`). Samples come shuffled, so the first few already mix the classes. The same
seed gives the same data; only a private `random.Random(seed)` is used.
"""

import math
import random
from collections.abc import Sequence

from nn.checks import check_int, check_real, check_rows, make_rng

Dataset = tuple[list[list[float]], list[int]]


def _linspace(start: float, stop: float, num: int, endpoint: bool = True) -> list[float]:
    """`num` evenly spaced numbers, like numpy's (one number is `start`)."""
    if num == 1:
        return [start]
    step = (stop - start) / (num - 1 if endpoint else num)
    return [start + i * step for i in range(num)]


def _noisy_shuffled(points: list[list[float]], labels: list, noise: float, rng: random.Random):
    """Gaussian noise (std `noise`) on each coordinate, then samples and labels shuffled alike."""
    X = [[v + rng.gauss(0.0, noise) for v in p] if noise else list(p) for p in points]
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [labels[i] for i in order]


def split_counts(n: int, k: int) -> list[int]:
    """`n` samples shared among `k` classes as evenly as possible (the first ones get the extra)."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def _check_common(fn: str, n_samples: object, noise: object, n_classes: int) -> tuple[int, float]:
    n = check_int("n_samples", n_samples, n_classes, f" (one sample per class at least in {fn})")
    return n, check_real("noise", noise, "[0, inf)")


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's construction): outer class 0, inner class 1.

    Not linearly separable, so a model needs a hidden layer to get them all right.
    """
    n, noise = _check_common("make_moons", n_samples, noise, 2)
    rng = make_rng(seed)
    n_out = n // 2
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    inner = [[1 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n - n_out)]
    return _noisy_shuffled(outer + inner, [0] * len(outer) + [1] * len(inner), noise, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> Dataset:
    """A circle of radius `factor` (class 1) inside the unit circle (class 0).

    The boundary is round: a linear model fails, one hidden layer of a few units suffices.
    """
    n, noise = _check_common("make_circles", n_samples, noise, 2)
    factor = check_real("factor", factor, "[0, inf)")
    if factor >= 1:
        raise ValueError(f"factor must be in [0, 1) (the inner circle's radius), got {factor}")
    rng = make_rng(seed)
    n_out = n // 2
    angles_out = _linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    angles_in = _linspace(0.0, 2 * math.pi, n - n_out, endpoint=False)
    points = [[math.cos(t), math.sin(t)] for t in angles_out]
    points += [[factor * math.cos(t), factor * math.sin(t)] for t in angles_in]
    return _noisy_shuffled(points, [0] * len(angles_out) + [1] * len(angles_in), noise, rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> Dataset:
    """`n_classes` arms of a spiral (the CS231n construction), `n_samples` in total split evenly.

    Arm j at radius r in [0, 1] sits at angle 2*pi*j/n_classes + 4*r; `noise` jitters that
    angle (radians), so points near the centre move little and the arms stay apart outside.
    """
    k = check_int("n_classes", n_classes, 2)
    n, noise = _check_common("make_spirals", n_samples, noise, k)
    rng = make_rng(seed)
    points, labels = [], []
    for j, count in enumerate(split_counts(n, k)):
        for r in _linspace(0.0, 1.0, count):
            t = 2 * math.pi * j / k + 4 * r + (rng.gauss(0.0, noise) if noise else 0.0)
            points.append([r * math.sin(t), r * math.cos(t)])
            labels.append(j)
    return _noisy_shuffled(points, labels, 0.0, rng)


def make_xor(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Points near the corners (±1, ±1); label 1 where the two signs differ.

    The classic problem a single neuron cannot solve; the corners are used in turn, so each gets
    a quarter of the samples.
    """
    n, noise = _check_common("make_xor", n_samples, noise, 2)
    rng = make_rng(seed)
    corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
    points = [list(corners[i % 4]) for i in range(n)]
    labels = [int(p[0] * p[1] < 0) for p in points]
    return _noisy_shuffled(points, labels, noise, rng)


def _blob_centers(centers: object) -> list[list[float]]:
    if isinstance(centers, int) and not isinstance(centers, bool):
        k = check_int("centers", centers, 2)
        # Evenly around a circle of radius 2.5: well apart for a few blobs, and always the same.
        return [
            [2.5 * math.cos(2 * math.pi * j / k), 2.5 * math.sin(2 * math.pi * j / k)]
            for j in range(k)
        ]
    if isinstance(centers, (str, bytes)) or not isinstance(centers, Sequence):
        raise TypeError(
            "centers must be an int >= 2 or a list of points (lists of numbers), "
            f"not {type(centers).__name__}"
        )
    points = check_rows("centers", centers)
    if len(points) < 2 or not points[0]:
        raise ValueError(
            f"centers must hold at least 2 points with at least 1 coordinate, got {centers!r}"
        )
    return points


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 0.5,
    seed: int | None = 0,
) -> Dataset:
    """Gaussian clusters of spread `std`, one class per centre, samples split evenly.

    `centers` is a count (2-D centres evenly around a circle of radius 2.5) or the centre points
    themselves (any dimension); the easiest problem here, good for a first run.
    """
    points_c = _blob_centers(centers)
    std = check_real("std", std, "[0, inf)")
    n = check_int("n_samples", n_samples, len(points_c), " (one sample per blob at least)")
    rng = make_rng(seed)
    points, labels = [], []
    for j, count in enumerate(split_counts(n, len(points_c))):
        points += [list(points_c[j]) for _ in range(count)]
        labels += [j] * count
    return _noisy_shuffled(points, labels, std, rng)


def make_sine(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = 0
) -> tuple[list[list[float]], list[float]]:
    """A noisy sine for regression (MSE): x uniform in [-3, 3], y = sin(x) + Gaussian noise.

    X is `[[x], ...]` (one feature) and y a list of floats.
    """
    n = check_int("n_samples", n_samples, 1)
    noise = check_real("noise", noise, "[0, inf)")
    rng = make_rng(seed)
    xs = [rng.uniform(-3.0, 3.0) for _ in range(n)]
    return [[x] for x in xs], [math.sin(x) + (rng.gauss(0.0, noise) if noise else 0.0) for x in xs]
