"""Per-data-set defaults of `gradstep train` (Recipe), and the Plan settled from them and the flags.

A flag the user gives wins; what it leaves open comes from the data set's recipe, so that
`gradstep train --dataset X` trains well with no other flag.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace


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
RECIPES: dict[str, Recipe] = {
    "moons": MICROGRAD,
    "circles": MICROGRAD,
    "xor": MICROGRAD,
    "spirals": Recipe(hidden=(16, 16), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.02,
                      schedule="cosine", steps=500, batch_size=32, init="scaled"),
    "blobs": Recipe(hidden=(16,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.05,
                    schedule="constant", steps=100, init="scaled"),
    "sine": Recipe(hidden=(16, 16), activation="tanh", loss="mse", l2=0.0, optimizer="adam",
                   lr=0.02, schedule="cosine", steps=500, batch_size=20, init="scaled"),
    "iris": Recipe(hidden=(16,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.01,
                   schedule="constant", steps=200, standardize=True, init="scaled"),
    "digits": Recipe(hidden=(32,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.01,
                     schedule="cosine", steps=400, batch_size=32, standardize=True,
                     init="scaled"),
}


def recipes_text() -> str:
    """The recipes as lines for `gradstep train --help`."""
    lines = ["defaults per data set (any flag overrides them):"]
    for name, r in RECIPES.items():
        l2 = f" + {r.l2:g}·L2" if r.l2 else ""
        batch = f"batches of {r.batch_size}" if r.batch_size else "full batch"
        hidden = ",".join(map(str, r.hidden)) or "none"
        lines.append(f"  {name:<8} hidden {hidden} {r.activation}, {r.loss}{l2}, {r.optimizer} "
                     f"lr {r.lr:g} {r.schedule}, {r.steps} steps, {batch}"
                     + (", standardized" if r.standardize else ""))
    lines.append("iris and digits hold out --test-size 0.25 for testing; --seed 1337 as micrograd.")
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


def make_plan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Plan:
    """Settle the run from the flags and the recipe; a loss that does not fit the data exits 2."""
    from nn.data import DATASETS

    info = DATASETS[args.dataset]
    base = RECIPES.get(args.dataset, MICROGRAD)
    if info.task == "regression" and args.dataset not in RECIPES:
        base = replace(base, loss="mse", l2=0.0, optimizer="adam", lr=0.01, schedule="constant")
    recipe = replace(
        base,
        hidden=tuple(args.hidden) if args.hidden is not None else base.hidden,
        activation=args.activation or base.activation,
        optimizer=args.optimizer or base.optimizer,
        steps=args.steps if args.steps is not None else base.steps,
    )
    loss = args.loss or recipe.loss
    if args.loss and args.loss != recipe.loss and info.task == "classification":
        # A different loss keeps the recipe's optimizer but not its hinge-only L2 default.
        recipe = replace(recipe, l2=0.0 if recipe.loss == "hinge" else recipe.l2)
    if info.task == "regression" and loss not in ("mse", "l1", "huber"):
        parser.error(f"--loss {loss} is for classification; {args.dataset} is a regression "
                     "data set: use mse, l1 or huber")
    if info.task == "classification":
        if loss in ("hinge", "bce") and info.n_classes != 2:
            parser.error(f"--loss {loss} needs two classes; {args.dataset} has {info.n_classes}: "
                         "use cross_entropy")
        if loss in ("mse", "l1", "huber"):
            parser.error(f"--loss {loss} is for regression; {args.dataset} is a classification "
                         "data set: use hinge, bce or cross_entropy")
    if args.optimizer and args.optimizer != base.optimizer and args.lr is None:
        lr = 0.1 if args.optimizer == "sgd" else 0.01  # the recipe's lr suits its own optimizer
    else:
        lr = args.lr if args.lr is not None else recipe.lr
    if args.batch_size is None:
        batch_size = recipe.batch_size
    else:
        batch_size = args.batch_size or None
    if args.test_size is None:
        test_size = 0.25 if info.real else 0.0
    else:
        test_size = args.test_size
    if info.task == "regression":
        n_outputs = 1
    elif loss in ("hinge", "bce"):
        n_outputs = 1
    else:
        n_outputs = info.n_classes
    return Plan(
        dataset=args.dataset,
        task=info.task,
        hidden=list(recipe.hidden),
        activation=recipe.activation,
        loss=loss,
        l2=args.l2 if args.l2 is not None else recipe.l2,
        optimizer=recipe.optimizer,
        lr=lr,
        schedule=args.schedule or recipe.schedule,
        steps=recipe.steps,
        batch_size=batch_size,
        seed=args.seed,
        test_size=test_size,
        standardize=recipe.standardize,
        init=args.init or recipe.init,
        n_features=info.n_features,
        n_outputs=n_outputs,
    )
