"""`load_csv`: your own data, from a CSV file with a header row, checked line by line.

The feature columns must be numbers; the target is the last column unless `target` names
another. Integers or text in the target are class labels (classification), other numbers are
values to predict (regression); `task` overrides that guess, e.g. `task="regression"` for
counts or prices written as integers. Every error names the file and the line, as an editor
numbers them, so a malformed file is quick to fix.

>>> from nn.data import load_csv
>>> data = load_csv("flowers.csv", target="species")  # doctest: +SKIP
>>> data.task, data.class_names, data.X[0], data.y[0]  # doctest: +SKIP
('classification', ('setosa', 'versicolor', 'virginica'), [5.1, 3.5, 1.4, 0.2], 0)
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

from nn.checks import check_choice, check_str
from nn.data.registry import DatasetInfo

TASKS = ("classification", "regression")

Label = int | float | str


@dataclass(frozen=True)
class CsvData:
    """A CSV file read for training: `X` and `y` as the other loaders give them, and their names.

    `y` holds class indices 0..k-1 for classification, where `class_names[i]` is class i's label
    as the file writes it (an int, or a str; sorted), and floats for regression (no class names).
    """

    path: str
    X: list[list[float]]
    y: list
    feature_names: tuple[str, ...]
    target: str
    task: str
    class_names: tuple[Label, ...] = ()

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) if self.task == "classification" else None

    def dataset_info(self, name: str | None = None) -> DatasetInfo:
        """This data as a `DatasetInfo`, as the named data sets are, split for testing like them."""
        X, y = self.X, self.y
        return DatasetInfo(
            name=name or Path(self.path).stem,
            load=lambda seed=0: ([list(row) for row in X], list(y)),
            task=self.task,
            n_features=self.n_features,
            n_classes=self.n_classes,
            class_names=tuple(str(c) for c in self.class_names),
            real=True,
            description=f"{self.path}: {len(X)} rows, {self.n_features} features, "
            f"target {self.target!r}",
            n_samples=len(X),
        )


def load_csv(
    path: str | os.PathLike, target: str | None = None, task: str | None = None
) -> CsvData:
    """Read a CSV with a header row: numeric features, and a target column (the last by default).

    `task` is "classification" or "regression"; by default it is classification when the target
    holds integers or text and regression when it holds other numbers. Malformed files (ragged
    rows, a non-numeric or non-finite feature, one class, no rows, not UTF-8) get a ValueError
    that names the file and the line.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    path = os.fspath(path)
    if target is not None:
        check_str("target", target)
    if task is not None:
        check_choice("task", task, TASKS)
    records = read_records(path)
    names = column_names(path, records)
    t = target_column(path, records[0][0], names, target)
    rows = records[1:]
    if not rows:
        raise ValueError(f"{path}: no data rows after the header on line {records[0][0]}")
    for line, fields in rows:
        if len(fields) != len(names):
            raise ValueError(
                f"{path}, line {line}: {plural(len(fields), 'field')}, but the header (line "
                f"{records[0][0]}) names {len(names)} columns"
            )
    features = [j for j in range(len(names)) if j != t]
    X = [[feature(path, line, names[j], fields[j]) for j in features] for line, fields in rows]
    values = [(line, fields[t].strip()) for line, fields in rows]
    task, y, class_names = targets(path, names[t], values, task)
    return CsvData(path, X, y, tuple(names[j] for j in features), names[t], task, class_names)


def plural(n: int, word: str) -> str:
    """'1 field', '3 fields'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---- reading ----


def read_records(path: str) -> list[tuple[int, list[str]]]:
    """Every non-blank record of the file as (its first line, its fields), header first."""
    text = decoded(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, line = [], 1
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"{path}, line {line}: not valid CSV ({error})") from None
    if not records:
        raise ValueError(
            f"{path} is empty: a CSV needs a header row naming its columns, then rows of data"
        )
    return records


def decoded(path: str) -> str:
    """The file's text as UTF-8 (a byte-order mark allowed), or a ValueError naming the line."""
    with open(path, "rb") as file:
        data = file.read()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); "
            "save the file as UTF-8 (CSV UTF-8 in a spreadsheet)"
        ) from None


def column_names(path: str, records: list[tuple[int, list[str]]]) -> list[str]:
    """The header's column names, checked: two or more, each named once, not a row of numbers."""
    line, header = records[0]
    names = [name.strip() for name in header]
    where = f"{path}, line {line}"
    if len(names) < 2:
        separators = [s for s in ";\t|" if s in names[0]]
        hint = f" (separated by {separators[0]!r}? use commas)" if separators else ""
        raise ValueError(
            f"{where}: one column {names[0]!r}; a CSV needs feature columns and a target{hint}"
        )
    if all(number_kind(name) != "text" for name in names):
        raise ValueError(
            f"{where}: the first row looks like data ({', '.join(names)}); "
            "the first row must be a header that names the columns"
        )
    for j, name in enumerate(names):
        if not name:
            raise ValueError(f"{where}: column {j + 1} has no name; every column needs one")
        if name in names[:j]:
            raise ValueError(
                f"{where}: column name {name!r} is used twice (columns {names.index(name) + 1} "
                f"and {j + 1}); every column needs its own"
            )
    return names


def target_column(path: str, line: int, names: list[str], target: str | None) -> int:
    """The index of the target column: the one named `target`, or the last one."""
    if target is None:
        return len(names) - 1
    if target not in names:
        raise ValueError(
            f"{path}, line {line}: no column named {target!r} for the target; "
            f"the columns are: {', '.join(names)}"
        )
    return names.index(target)


def feature(path: str, line: int, name: str, field: str) -> float:
    """One feature value as a finite float, or a ValueError naming its line and column."""
    try:
        x = float(field)
    except ValueError:
        what = f"{field.strip()!r}, not a number" if field.strip() else "empty"
        raise ValueError(
            f"{path}, line {line}: column {name!r} is {what}; feature columns must hold numbers"
        ) from None
    if not math.isfinite(x):
        raise ValueError(
            f"{path}, line {line}: column {name!r} is {field.strip()!r}; "
            "features must be finite numbers (fill in or drop missing values)"
        )
    return x


# ---- the target: classes or numbers ----


def number_kind(text: str) -> str:
    """'int' for an integer literal, 'float' for any other number, else 'text'."""
    try:
        int(text)
        return "int"
    except ValueError:
        pass
    try:
        float(text)
        return "float"
    except ValueError:
        return "text"


def targets(
    path: str, name: str, values: list[tuple[int, str]], task: str | None
) -> tuple[str, list, tuple[Label, ...]]:
    """The task, y and the class names from the target column's (line, text) values."""
    for line, text in values:
        if not text:
            raise ValueError(f"{path}, line {line}: the target {name!r} is empty")
    kinds = [number_kind(text) for _, text in values]
    if task is None:
        task = guess_task(path, name, values, kinds)
    if task == "regression":
        return task, regression_targets(path, name, values, kinds), ()
    labels = class_labels(path, name, values, kinds)
    class_names = tuple(sorted(set(labels)))
    if len(class_names) < 2:
        raise ValueError(
            f"{path}: the target {name!r} is {class_names[0]!r} on every data line "
            f"(lines {values[0][0]}-{values[-1][0]}); classification needs at least two classes"
        )
    index = {c: i for i, c in enumerate(class_names)}
    return task, [index[label] for label in labels], class_names


def guess_task(path: str, name: str, values: list[tuple[int, str]], kinds: list[str]) -> str:
    """Classification for integers or text, regression for other numbers; never a mix of both."""
    if "text" in kinds and set(kinds) != {"text"}:
        first = kinds[0]
        line, text = next(v for v, k in zip(values, kinds) if (k == "text") != (first == "text"))
        raise ValueError(
            f"{path}, line {line}: the target {name!r} is {text!r}, but line {values[0][0]} "
            f"holds {values[0][1]!r}; a target holds labels or numbers, not both "
            "(task='classification' reads every value as a label)"
        )
    return "regression" if "float" in kinds else "classification"


def regression_targets(
    path: str, name: str, values: list[tuple[int, str]], kinds: list[str]
) -> list[float]:
    """The target values as finite floats."""
    y = []
    for (line, text), kind in zip(values, kinds):
        if kind == "text" or not math.isfinite(float(text)):
            raise ValueError(
                f"{path}, line {line}: the target {name!r} is {text!r}; "
                "regression needs a finite number on every line"
            )
        y.append(float(text))
    return y


def class_labels(path: str, name: str, values: list[tuple[int, str]], kinds: list[str]) -> list:
    """Each line's label: ints if all are integers, floats if all are numbers, else the text."""
    if "text" in kinds:
        return [text for _, text in values]
    if "float" not in kinds:
        return [int(text) for _, text in values]
    for line, text in values:
        if not math.isfinite(float(text)):
            raise ValueError(f"{path}, line {line}: the target {name!r} is {text!r}, not a label")
    return [float(text) for _, text in values]
