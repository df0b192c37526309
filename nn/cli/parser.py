"""`gradstep`'s parser: its commands, their flags, and argparse types for numbers and sizes.

Every choice comes from the library's own tables (data sets, losses, optimizers, schedules,
activations, inits), so a name the library learns is a flag value at once. A bad value
raises argparse.ArgumentTypeError: argparse exits with status 2 and says what is allowed.
"""

from __future__ import annotations

import argparse
import math
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed

from nn.cli.datasets import is_file
from nn.cli.evaluate import evaluate as run_eval
from nn.cli.lab import lab as run_lab
from nn.cli.live import HOST
from nn.cli.recipes import recipes_text
from nn.cli.run import train as run_train
from nn.data import DATASETS
from nn.data.csv import TASKS
from nn.mlp import ACTIVATIONS, INITS
from nn.optim import OPTIMIZERS, SCHEDULES
from nn.train import LOSSES

DESCRIPTION = (
    "Train an MLP on a named data set or a CSV file of your own and write what happened into "
    "a folder: metrics.json, model.json, loss.png, decision_boundary.png (2-D data), fit.png "
    "(1-D regression) and graph.svg (the network after the backward pass of one sample); with "
    "--lab also lab/index.html, a page that replays the run step by step. With no flags it is "
    "micrograd's demo: moons (100 points), MLP 2-16-16-1 with ReLU, hinge loss + 1e-4·L2, SGD "
    "with the learning rate going linearly from 1.0 to 0.1 over 100 steps. Exit status: 0 done, "
    "1 diverged (its files written, with the last good weights), 2 usage error (nothing "
    "written), 130 interrupted."
)

LAB_DESCRIPTION = (
    "Train as `gradstep train` does (same flags, folder and files) with the lab page live on "
    f"http://{HOST}:PORT: it shows the network, its activations, gradients and weights, what "
    "it has learnt and its curves as the steps complete, and its buttons pause, step and "
    "resume the training itself. Only this machine can open it. Ctrl-C stops the training after "
    "the step in progress and writes the run's files; once the run is over the page stays until "
    "Ctrl-C. Exit status: 0 done, 1 diverged, 2 usage error (such as a port in use; nothing "
    "written), 130 interrupted during training (its files written)."
)


def build_parser() -> argparse.ArgumentParser:
    """The `gradstep` parser; `gradstep train --help` ends with the recipes per data set."""
    parser = argparse.ArgumentParser(
        prog="gradstep",
        description="gradstep: a scalar autograd engine and a tiny neural-network library.",
    )
    parser.add_argument("--version", action="version", version=f"gradstep {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser(
        "train",
        help="train an MLP on a data set and write metrics, plots, the model and a graph",
        description=DESCRIPTION,
        epilog=recipes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.set_defaults(run=run_train, usage_error=train.error)
    add_train_flags(train)
    evaluate = commands.add_parser(
        "eval",
        help="score a saved model on a data set: loss and accuracy (or the regression error)",
        description=EVAL_DESCRIPTION,
    )
    evaluate.set_defaults(run=run_eval, usage_error=evaluate.error)
    add_eval_flags(evaluate)
    lab = commands.add_parser(
        "lab",
        help="train as train does, live in the browser: watch it learn, pause, step, resume",
        description=LAB_DESCRIPTION,
        epilog=recipes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lab.set_defaults(run=run_lab, usage_error=lab.error)
    add_train_flags(lab)
    lab.add_argument(
        "--port",
        type=port,
        default=0,
        help=f"port on {HOST} to serve the page on (default: a free one; the address is printed)",
    )
    return parser


EVAL_DESCRIPTION = (
    "Score a saved model on a data set and print its loss and accuracy (or, for regression, "
    "its errors). Given a run's folder (or the model.json in it), the data set the run trained "
    "on is scored on the run's own held-out test split, found again from its metrics.json; "
    "any other data set, or a model file on its own, is scored on every row. Nothing is "
    "written unless --out says where."
)


def add_eval_flags(evaluate: argparse.ArgumentParser) -> None:
    """The arguments of `gradstep eval`."""
    evaluate.add_argument(
        "model",
        metavar="RUN_DIR_OR_MODEL_JSON",
        help="a run's folder (written by gradstep train) or a saved model's .json file",
    )
    evaluate.add_argument(
        "--dataset",
        type=dataset_name,
        default=None,
        metavar="NAME|FILE.csv",
        help=f"data set to score on: {', '.join(DATASETS)}, or a CSV file "
        "(default: the one the run trained on)",
    )
    add_csv_flags(evaluate)
    evaluate.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of a generated data set (default: the run's, else 1337)",
    )
    evaluate.add_argument(
        "--out",
        default=None,
        metavar="FILE.json",
        help="also write the scores to this JSON file (default: write nothing)",
    )


def add_csv_flags(parser: argparse.ArgumentParser) -> None:
    """--target and --task: how to read a CSV file given as --dataset."""
    parser.add_argument(
        "--target",
        default=None,
        metavar="NAME",
        help="a CSV file's target column (default: the last one)",
    )
    parser.add_argument(
        "--task",
        choices=TASKS,
        default=None,
        help="a CSV file's task (default: classification when the target holds labels or "
        "integers, regression when it holds other numbers)",
    )


def add_train_flags(train: argparse.ArgumentParser) -> None:
    """The flags of `gradstep train`; defaults left open (None) come from the data set's recipe."""
    train.add_argument(
        "--dataset",
        type=dataset_name,
        default="moons",
        metavar="NAME|FILE.csv",
        help=f"data set to train on: {', '.join(DATASETS)}, or a CSV file of your own with a "
        "header row, numeric features and a target column (default: moons)",
    )
    add_csv_flags(train)
    train.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=None,
        metavar="SIZES",
        help="hidden layer sizes, comma-separated (e.g. 16,16); '' or 0 for no "
        "hidden layer (default: per data set; moons 16,16)",
    )
    train.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        default=None,
        help="activation of hidden layers (default relu; tanh for sine)",
    )
    train.add_argument(
        "--loss",
        choices=list(LOSSES),
        default=None,
        help="loss (default: hinge for two classes, cross_entropy for more, mse for regression)",
    )
    train.add_argument(
        "--l2",
        type=non_negative,
        default=None,
        help="weight of the L2 penalty on the parameters (default 1e-4 with "
        "the hinge loss, else 0)",
    )
    train.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default=None,
        help="optimizer (default sgd for the micrograd demo, else adam)",
    )
    train.add_argument(
        "--lr",
        type=positive,
        default=None,
        help="(initial) learning rate (default: per data set; moons 1.0)",
    )
    train.add_argument(
        "--schedule",
        choices=list(SCHEDULES),
        default=None,
        help="learning-rate schedule: linear decays to lr/10 (micrograd's), "
        "cosine to 0 over the steps",
    )
    train.add_argument(
        "--steps",
        type=positive_count,
        default=None,
        help="number of optimizer steps (default: per data set; moons 100)",
    )
    train.add_argument(
        "--batch-size",
        type=count,
        default=None,
        help="samples per step; 0 for the whole training set (default: per data set, see below)",
    )
    train.add_argument(
        "--init",
        choices=list(INITS),
        default=None,
        help="initial weights: micrograd's w ~ U(-1, 1), b = 0 (default for "
        "moons, circles, xor) or scaled, U(±1/sqrt(fan-in)) as PyTorch",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=1337,
        help="seed of the data, the initial weights, the split and the batches",
    )
    train.add_argument(
        "--test-size",
        type=fraction,
        default=None,
        help="fraction held out for testing; 0 for none (default 0.25 for the "
        "real data sets iris and digits, 0 for generated ones)",
    )
    train.add_argument(
        "--render-every",
        type=count,
        default=0,
        metavar="K",
        help="every K steps, draw the network after one sample's backward pass into "
        "OUT/graphs/step_XXXX.svg, played by OUT/graphs/index.html (0: never); warns when the "
        "frames will be many or big",
    )
    train.add_argument(
        "--lab",
        action="store_true",
        help="also record the run and write OUT/lab/index.html, a page that replays it step by "
        "step (the network, what it learnt, the curves, one example's story, each layer's "
        "health); it opens from disk, offline",
    )
    train.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder, new or empty; one run at a time writes it "
        "(default: a new folder runs/<dataset>-<time>)",
    )
    train.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it holds files (they are replaced)",
    )
    train.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the model's forward and backward passes as traced Python (engine.compile): "
        "the same numbers, several times faster; --no-compile steps through the eager graph",
    )
    train.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: only in a terminal)",
    )


def version() -> str:
    """The installed gradstep's version, or a note that it runs from an uninstalled tree."""
    try:
        return installed("gradstep")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


# ---- flag types ----


def hidden_sizes(text: str) -> list[int]:
    """Comma-separated layer sizes such as 16,16; '' or 0 for no hidden layer."""
    text = text.strip()
    if text in ("", "0"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 16,16"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def dataset_name(text: str) -> str:
    """A data set's name, or a CSV file: a path ending .csv, or any existing file."""
    if text in DATASETS or is_file(text):
        return text
    raise argparse.ArgumentTypeError(
        f"invalid choice: {text!r} (choose from {', '.join(DATASETS)}, or give a .csv file)"
    )


def positive_count(text: str) -> int:
    """A whole number >= 1."""
    n = count(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def count(text: str) -> int:
    """A whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def port(text: str) -> int:
    """A TCP port, 1 to 65535, or 0 for a free one."""
    n = count(text)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {n}")
    return n


def number(text: str) -> float:
    """A finite float."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return x


def positive(text: str) -> float:
    x = number(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return x


def non_negative(text: str) -> float:
    x = number(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


def fraction(text: str) -> float:
    """A fraction in [0, 1), such as the share of samples held out for testing."""
    x = number(text)
    if not 0.0 <= x < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text!r}")
    return x
