"""What `--dataset` names: one of the library's data sets, or a CSV file of your own.

`gradstep train` and `gradstep eval` read it the same way and hold out the same rows, so a
run's test split can be found again from its metrics.json (dataset, seed, test_size).
"""

from __future__ import annotations

import os

from nn.data import DatasetInfo, get_dataset, load_csv, train_test_split


def is_file(dataset: str) -> bool:
    """True when `--dataset` names a file: any path ending .csv, or an existing file."""
    return dataset.lower().endswith(".csv") or os.path.isfile(dataset)


def open_dataset(
    dataset: str, target: str | None = None, task: str | None = None
) -> tuple[DatasetInfo, str | None]:
    """The data set `dataset` names, and its target column if it is a CSV file (read and
    checked now, by `nn.data.load_csv`).

    Raises ValueError with one line that says what is wrong (for a file: which line).
    """
    if not is_file(dataset):
        if target is not None or task is not None:
            flag = "--target" if target is not None else "--task"
            raise ValueError(f"{flag} is for CSV files; {dataset} is a named data set")
        return get_dataset(dataset), None
    try:
        data = load_csv(dataset, target=target, task=task)
    except OSError as error:
        raise ValueError(f"cannot read --dataset {dataset}: {error.strerror or error}") from None
    return data.dataset_info(), data.target


def same_file(a: str | None, b: str | None) -> bool:
    """True when the two paths name one file (both exist and are the same one)."""
    try:
        return a is not None and b is not None and os.path.samefile(a, b)
    except OSError:
        return False


def split(info: DatasetInfo, seed: int, test_size: float) -> tuple:
    """(X, y, X_test, y_test) as `gradstep train` holds them out: seeded, stratified for
    classes; X_test and y_test are None when `test_size` is 0."""
    X, y = info.load(seed)
    if not test_size:
        return X, y, None, None
    X, X_test, y, y_test = train_test_split(
        X, y, test_size=test_size, seed=seed, stratify=info.task == "classification"
    )
    return X, y, X_test, y_test
