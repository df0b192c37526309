"""Per-data-set defaults of `gradstep train` (Recipe), and the Plan settled from them and the flags.

A flag the user gives wins; what it leaves open comes from the data set's recipe, so that
`gradstep train --dataset X` trains well with no other flag. A CSV file of your own gets the
recipe of its task (FILE_RECIPES).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from nn.data import DatasetInfo, get_dataset
from nn.optim.names import DEFAULT_LR
from nn.train import LOSSES, REGRESSION_LOSSES

TWO_CLASS_LOSSES = ("hinge", "binary_cross_entropy")


@dataclass(frozen=True)
class Recipe:
    """The settings a data set trains with when the command line does not say otherwise."""

    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    loss: str = "hinge"
    l2: float = 1e-4
    optimizer: str = "sgd"
    lr: float = 1.0
    schedule: str = "linear"
    steps: int = 100
    batch_size: int | None = None
    standardize: bool = False
    init: str = "micrograd"


MICROGRAD = Recipe()  # micrograd's demo, the default of `gradstep train`
# What every other recipe starts from: cross-entropy or MSE with Adam, no L2, PyTorch's init.
ADAM = Recipe(loss="cross_entropy", l2=0.0, optimizer="adam", init="scaled")

# fmt: off
RECIPES: dict[str, Recipe] = {
    "moons": MICROGRAD,
    "circles": MICROGRAD,
    "xor": MICROGRAD,
    "spirals": replace(ADAM, lr=0.02, schedule="cosine", steps=500, batch_size=32),
    "blobs": replace(ADAM, hidden=(16,), lr=0.05, schedule="constant", steps=100),
    "sine": replace(ADAM, activation="tanh", loss="mse", lr=0.02, schedule="cosine", steps=500,
                    batch_size=20),
    "iris": replace(ADAM, hidden=(16,), lr=0.01, schedule="constant", steps=200,
                    standardize=True),
    "digits": replace(ADAM, hidden=(32,), lr=0.01, schedule="cosine", steps=400, batch_size=32,
                      standardize=True),
}
# A CSV file's recipe, by its task: standardized features, Adam, minibatches for large files.
FILE_RECIPES: dict[str, Recipe] = {
    "classification": replace(ADAM, hidden=(16,), lr=0.01, schedule="cosine", steps=300,
                              batch_size=32, standardize=True),
    "regression": replace(ADAM, activation="tanh", loss="mse", lr=0.01, schedule="cosine",
                          steps=300, batch_size=32, standardize=True),
}
# fmt: on
HELD_OUT = 0.25  # the share of a real data set held out for testing by default
MIN_ROWS_TO_HOLD_OUT = 20  # a smaller file trains on every row: a test set of 4 says little


def recipes_text() -> str:
    """The recipes as lines for `gradstep train --help`."""
    lines = ["defaults per data set (any flag overrides them):"]
    for name, r in RECIPES.items():
        l2 = f" + {r.l2:g}·L2" if r.l2 else ""
        batch = f"batches of {r.batch_size}" if r.batch_size else "full batch"
        hidden = ",".join(map(str, r.hidden)) or "none"
        lines.append(
            f"  {name:<8} hidden {hidden} {r.activation}, {r.loss}{l2}, {r.optimizer} "
            f"lr {r.lr:g} {r.schedule}, {r.steps} steps, {batch}"
            + (", standardized" if r.standardize else "")
        )
    for task, r in FILE_RECIPES.items():
        lines.append(
            f"  FILE.csv ({task}) hidden {','.join(map(str, r.hidden))} {r.activation}, "
            f"{r.loss}, {r.optimizer} lr {r.lr:g} {r.schedule}, {r.steps} steps, "
            f"batches of {r.batch_size}, standardized"
        )
    lines.append(
        f"iris, digits and CSV files (of {MIN_ROWS_TO_HOLD_OUT} rows or more) hold out "
        f"--test-size {HELD_OUT:g} for testing; --seed 1337 as micrograd."
    )
    return "\n".join(lines)


@dataclass
class Plan:
    """Everything a run will do, settled from the flags and the data set's recipe."""

    dataset: str
    task: str
    hidden: list[int]
    activation: str
    loss: str
    l2: float
    optimizer: str
    lr: float
    schedule: str
    steps: int
    batch_size: int | None
    seed: int
    test_size: float
    standardize: bool
    init: str
    n_features: int
    n_outputs: int
    name: str = ""  # a short name for folders: the data set's, or the file's stem
    class_names: tuple[str, ...] = ()  # real data's (iris, digits, a CSV file's), else ()
    file: str | None = None  # a CSV file's absolute path
    target: str | None = None  # a CSV file's target column


def make_plan(
    dataset: str = "moons",
    *,
    info: DatasetInfo | None = None,
    target: str | None = None,
    hidden: list[int] | None = None,
    activation: str | None = None,
    loss: str | None = None,
    l2: float | None = None,
    optimizer: str | None = None,
    lr: float | None = None,
    schedule: str | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    init: str | None = None,
    seed: int = 1337,
    test_size: float | None = None,
) -> Plan:
    """Settle a run from the given settings (None: the data set's recipe decides).

    `info` is the data set when it is not one of the library's (a CSV file's, see
    `nn.cli.datasets`), read from `target`. A loss that does not fit the data set raises
    ValueError saying which losses do.
    """
    from_file = info is not None
    if info is None:
        info = get_dataset(dataset)
    base = FILE_RECIPES[info.task] if from_file else RECIPES.get(dataset, MICROGRAD)
    recipe = replace(
        base,
        hidden=tuple(hidden) if hidden is not None else base.hidden,
        activation=activation or base.activation,
        optimizer=optimizer or base.optimizer,
        steps=steps if steps is not None else base.steps,
    )
    chosen = loss or recipe.loss
    check_loss_fits(chosen, dataset, info)
    if loss and loss != recipe.loss and recipe.loss == "hinge":
        recipe = replace(recipe, l2=0.0)  # the hinge demo's L2 does not follow another loss
    if optimizer and optimizer != base.optimizer and lr is None:
        lr = DEFAULT_LR.get(optimizer, 0.01)  # the recipe's lr suits its own optimizer only
    one_output = info.task == "regression" or LOSSES[chosen] in TWO_CLASS_LOSSES
    return Plan(
        dataset=dataset,
        task=info.task,
        hidden=list(recipe.hidden),
        activation=recipe.activation,
        loss=chosen,
        l2=l2 if l2 is not None else recipe.l2,
        optimizer=recipe.optimizer,
        lr=lr if lr is not None else recipe.lr,
        schedule=schedule or recipe.schedule,
        steps=recipe.steps,
        batch_size=recipe.batch_size if batch_size is None else batch_size or None,
        seed=seed,
        test_size=test_size if test_size is not None else default_test_size(info),
        standardize=recipe.standardize,
        init=init or recipe.init,
        n_features=info.n_features,
        n_outputs=1 if one_output else info.n_classes,
        name=info.name,
        class_names=info.class_names if info.task == "classification" and info.real else (),
        file=os.path.abspath(dataset) if from_file else None,
        target=target,
    )


def default_test_size(info: DatasetInfo) -> float:
    """HELD_OUT for real data (a file only when it has MIN_ROWS_TO_HOLD_OUT rows), else 0."""
    if not info.real or (info.n_samples is not None and info.n_samples < MIN_ROWS_TO_HOLD_OUT):
        return 0.0
    return HELD_OUT


def check_loss_fits(loss: str, dataset: str, info: DatasetInfo) -> None:
    """A ValueError unless `loss` suits the data set's task (and its number of classes)."""
    kind = LOSSES[loss]
    if info.task == "regression" and kind not in REGRESSION_LOSSES:
        raise ValueError(
            f"--loss {loss} is for classification; {dataset} is a regression "
            "data set: use mse, l1 or huber"
        )
    if info.task == "classification":
        if kind in TWO_CLASS_LOSSES and info.n_classes != 2:
            raise ValueError(
                f"--loss {loss} needs two classes; {dataset} has "
                f"{info.n_classes}: use cross_entropy"
            )
        if kind in REGRESSION_LOSSES:
            raise ValueError(
                f"--loss {loss} is for regression; {dataset} is a classification "
                "data set: use hinge, bce or cross_entropy"
            )
