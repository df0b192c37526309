"""Data for gradstep's networks, no downloads: toy problems generated from a seed, iris and digits.

Every function returns `(X, y)` as plain lists: `X` one list of floats per sample, `y` class
indices 0..k-1 (floats for the regression curve `make_sine`). `load_csv` reads your own data
into a `CsvData` with the same `X` and `y` and the names of the columns and classes.

>>> from nn.data import make_moons, train_test_split
>>> X, y = make_moons(n_samples=100, noise=0.1, seed=0)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
>>> len(X_train), len(X_test)
(75, 25)
"""

from nn.data.csv import CsvData, load_csv
from nn.data.preprocess import standardize
from nn.data.real import DIGITS_CLASSES, IRIS_CLASSES, load_digits, load_iris
from nn.data.registry import DATASETS, DatasetInfo, get_dataset
from nn.data.split import train_test_split
from nn.data.synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
)

__all__ = [
    "DATASETS",
    "CsvData",
    "DIGITS_CLASSES",
    "IRIS_CLASSES",
    "DatasetInfo",
    "get_dataset",
    "load_csv",
    "load_digits",
    "load_iris",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_xor",
    "standardize",
    "train_test_split",
]
