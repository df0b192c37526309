"""`gradstep train`: train an MLP on a named data set and write what happened into a folder.

With no flags it is micrograd's demo: moons (100 points), MLP 2-16-16-1 with ReLU, hinge loss +
1e-4·L2, SGD with the learning rate going linearly from 1.0 to 0.1 over 100 steps. The folder
gets metrics.json, model.json, loss.png, decision_boundary.png (2-D data), fit.png (1-D
regression) and graph.svg (the last backward pass for one sample).

    gradstep train                                  # micrograd's demo
    gradstep train --dataset iris                   # held-out test split, Adam, cross-entropy
    gradstep train --dataset spirals --hidden 32,32 --steps 300 --out runs/spirals
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nn.cli_args import (
    ACTIVATION_CHOICES,
    INIT_CHOICES,
    LOSS_CHOICES,
    OPTIMIZER_CHOICES,
    SCHEDULE_CHOICES,
    count,
    fraction,
    hidden_sizes,
    non_negative,
    positive,
)
from nn.cli_train import train

# Besides recipes_text, nn.cli's public names from before its split, still importable from here:
from nn.recipes import MICROGRAD, RECIPES, Plan, Recipe, make_plan, recipes_text  # noqa: F401
from nn.run_outputs import GRAPH_LIMIT  # noqa: F401


def build_parser() -> argparse.ArgumentParser:
    """The `gradstep` parser; `gradstep train --help` ends with the recipes per data set."""
    from nn.data import DATASETS

    parser = argparse.ArgumentParser(
        prog="gradstep",
        description="gradstep: a scalar autograd engine and a tiny neural-network library.",
    )
    parser.add_argument("--version", action="version", version=f"gradstep {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser(
        "train",
        help="train an MLP on a data set and write metrics, plots, the model and a graph",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog=recipes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--dataset", default="moons", choices=list(DATASETS),
                       help="data set to train on")
    train.add_argument("--hidden", type=hidden_sizes, default=None, metavar="SIZES",
                       help="hidden layer sizes, comma-separated (e.g. 16,16); '' or 0 for none "
                            "(default: per data set; moons 16,16)")
    train.add_argument("--activation", choices=ACTIVATION_CHOICES, default=None,
                       help="activation of hidden layers (default relu; tanh for sine)")
    train.add_argument("--loss", choices=LOSS_CHOICES, default=None,
                       help="loss (default: hinge for two classes, cross_entropy for more, "
                            "mse for regression)")
    train.add_argument("--l2", type=non_negative, default=None,
                       help="weight of the L2 penalty on the parameters (default 1e-4 with "
                            "the hinge loss, else 0)")
    train.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default=None,
                       help="optimizer (default sgd for the micrograd demo, else adam)")
    train.add_argument("--lr", type=positive, default=None,
                       help="(initial) learning rate (default: per data set; moons 1.0)")
    train.add_argument("--schedule", choices=SCHEDULE_CHOICES, default=None,
                       help="learning-rate schedule: linear decays to lr/10 (micrograd's), "
                            "cosine to 0 over the steps")
    train.add_argument("--steps", type=count, default=None,
                       help="number of optimizer steps (default: per data set; moons 100)")
    train.add_argument("--batch-size", type=count, default=None,
                       help="samples per step; 0 for the whole training set (default: per "
                            "data set, see below)")
    train.add_argument("--init", choices=INIT_CHOICES, default=None,
                       help="initial weights: micrograd's w ~ U(-1, 1), b = 0 (default for "
                            "moons, circles, xor) or scaled, U(±1/sqrt(fan-in)) as PyTorch")
    train.add_argument("--seed", type=int, default=1337,
                       help="seed of the data, the initial weights, the split and the batches")
    train.add_argument("--test-size", type=fraction, default=None,
                       help="fraction held out for testing; 0 for none (default 0.25 for the "
                            "real data sets iris and digits, 0 for generated ones)")
    train.add_argument("--render-every", type=count, default=0, metavar="K",
                       help="every K steps, draw one sample's backward pass into "
                            "OUT/graphs/step_XXXX.svg (0: never)")
    train.add_argument("--out", default=None, metavar="DIR",
                       help="output folder (default: a new folder runs/<dataset>-<time>)")
    train.add_argument("--force", action="store_true",
                       help="write into --out even if it holds files (they are replaced)")
    train.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar on stderr (default: only in a terminal)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gradstep` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        return train(args, parser)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse catches it
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gradstep")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"
