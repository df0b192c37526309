"""Real data shipped inside the package (nn/datasets/, see its SOURCES.md): iris and digits.

Read with `importlib.resources`, so it works from a source tree and from an installed wheel
alike, and parsed once per process (the cache holds tuples; every call returns fresh lists).
"""

import csv
import functools
import gzip
import io
from importlib import resources

from nn.data.preprocess import standardize as _standardize

IRIS_CLASSES = ("setosa", "versicolor", "virginica")
DIGITS_CLASSES = tuple(str(d) for d in range(10))
_IRIS_HEADER = ["150", "4", *IRIS_CLASSES]

Rows = tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]


def _damaged(file: str, why: str) -> ValueError:
    return ValueError(
        f"the shipped data file nn/datasets/{file} is damaged: {why}; reinstall gradstep"
    )


def _parse(file: str, lines: list[list[str]], n_rows: int, n_features: int, n_classes: int) -> Rows:
    if len(lines) != n_rows:
        raise _damaged(file, f"expected {n_rows} rows, found {len(lines)}")
    X, y = [], []
    for i, line in enumerate(lines):
        if len(line) != n_features + 1:
            raise _damaged(file, f"row {i} has {len(line)} fields, expected {n_features + 1}")
        try:
            X.append(tuple(float(v) for v in line[:-1]))
            y.append(int(line[-1]))
        except ValueError:
            raise _damaged(file, f"row {i} is not numbers: {line!r}") from None
        if not 0 <= y[-1] < n_classes:
            raise _damaged(file, f"row {i} has label {y[-1]}, expected 0..{n_classes - 1}")
    return tuple(X), tuple(y)


@functools.cache
def _iris_rows() -> Rows:
    return _parse_iris(resources.files("nn.datasets").joinpath("iris.csv").read_text("ascii"))


@functools.cache
def _digits_rows() -> Rows:
    packed = resources.files("nn.datasets").joinpath("digits.csv.gz").read_bytes()
    return _parse_digits(gzip.decompress(packed).decode("ascii"))


def _parse_iris(text: str) -> Rows:
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or lines[0] != _IRIS_HEADER:
        expected = ",".join(_IRIS_HEADER)
        raise _damaged("iris.csv", f"first line is {lines[:1]!r}, expected {expected}")
    return _parse("iris.csv", lines[1:], 150, 4, 3)


def _parse_digits(text: str) -> Rows:
    return _parse("digits.csv.gz", list(csv.reader(io.StringIO(text))), 1797, 64, 10)


def _fresh(rows: Rows, standardize: bool) -> tuple[list[list[float]], list[int]]:
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize must be True or False, not {type(standardize).__name__}")
    X = [list(row) for row in rows[0]]
    return (_standardize(X) if standardize else X), list(rows[1])


def load_iris(standardize: bool = False) -> tuple[list[list[float]], list[int]]:
    """Fisher's iris: 150 flowers x 4 measurements (cm), 50 of each species 0..2 (`IRIS_CLASSES`).

    `standardize=True` puts each feature to mean 0, std 1 over all 150 rows.
    """
    return _fresh(_iris_rows(), standardize)


def load_digits(standardize: bool = False) -> tuple[list[list[float]], list[int]]:
    """1797 handwritten digits as 8x8 images: 64 pixels (0..16, row by row) and the digit 0..9.

    `standardize=True` puts each pixel to mean 0, std 1 over all rows; always-blank pixels stay 0.
    """
    return _fresh(_digits_rows(), standardize)
