"""Every data set by name, with what the command line needs to know before loading it."""

from collections.abc import Callable
from dataclasses import dataclass

from nn.data.real import DIGITS_CLASSES, IRIS_CLASSES, load_digits, load_iris
from nn.data.synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
)


@dataclass(frozen=True)
class DatasetInfo:
    """A named data set: `load(seed)` gives `(X, y)` with that data set's default settings.

    `task` is 'classification' (y: class indices 0..n_classes-1, named by `class_names`) or
    'regression' (y: floats; `n_classes` is None). `real` marks shipped real data, which the
    command line splits into train/test by default; real data ignore the seed. `n_samples` is
    the number of rows when it is known before loading (a file read already), else None.
    """

    name: str
    load: Callable[[int | None], tuple[list[list[float]], list]]
    task: str
    n_features: int
    n_classes: int | None
    class_names: tuple[str, ...]
    real: bool
    description: str = ""
    n_samples: int | None = None


def _generated(name: str, make: Callable, n_classes: int, description: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        load=lambda seed=0: make(seed=seed),
        task="classification",
        n_features=2,
        n_classes=n_classes,
        class_names=tuple(str(j) for j in range(n_classes)),
        real=False,
        description=description,
    )


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        _generated("moons", make_moons, 2, "two interleaving half circles, 100 points"),
        _generated("circles", make_circles, 2, "a small circle inside a big one, 100 points"),
        _generated("spirals", make_spirals, 3, "three spiral arms, 300 points"),
        _generated("xor", make_xor, 2, "four corners, label 1 where the signs differ, 100 points"),
        _generated("blobs", make_blobs, 3, "three Gaussian clusters, 100 points"),
        DatasetInfo(
            name="sine",
            load=lambda seed=0: make_sine(seed=seed),
            task="regression",
            n_features=1,
            n_classes=None,
            class_names=(),
            real=False,
            description="y = sin(x) + noise for x in [-3, 3], 100 points (MSE)",
        ),
        DatasetInfo(
            name="iris",
            load=lambda seed=0: load_iris(),
            task="classification",
            n_features=4,
            n_classes=3,
            class_names=IRIS_CLASSES,
            real=True,
            description="Fisher's iris: 150 flowers, 4 measurements (cm), 3 species",
        ),
        DatasetInfo(
            name="digits",
            load=lambda seed=0: load_digits(),
            task="classification",
            n_features=64,
            n_classes=10,
            class_names=DIGITS_CLASSES,
            real=True,
            description="1797 handwritten digits, 8x8 pixels valued 0..16",
        ),
    )
}


def get_dataset(name: str) -> DatasetInfo:
    """The data set called `name`; an unknown name gets an error listing the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, not {type(name).__name__}")
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}"
        ) from None
