"""`evaluate`: a model's loss and accuracy on a data set, without building a graph."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from engine import no_grad
from nn.checks import check_rows, check_targets
from nn.train.loop import MATH_ERRORS, non_finite
from nn.train.objective import Objective, as_output, output_count


def evaluate(model, X: Sequence, y: Sequence, loss: str | Callable | Objective = "auto") -> dict:
    """{'loss', 'accuracy'} of `model` on (X, y) without building a graph (no L2 term).

    The loss is None if it is not finite or cannot be computed (a diverged model).
    """
    X = check_rows("X", X)
    labels = check_targets("y", y, len(X))
    objective = (
        loss if isinstance(loss, Objective) else Objective(loss, output_count(model, X[0]), labels)
    )
    return score(model, X, labels, objective)


def score(model, X: list[list[float]], labels: list, objective: Objective) -> dict:
    """`evaluate` of rows and labels already checked (`fit` scores its held-out data with it)."""
    targets = objective.targets_for(labels)
    with no_grad():
        try:
            outputs = [as_output(model(x), objective.n_outputs) for x in X]
        except MATH_ERRORS:
            return {"loss": None, "accuracy": None}
        value = math.nan
        if non_finite(outputs) is None:  # a loss of NaN outputs may raise (log) or give NaN
            try:
                value = objective.loss_value(outputs, targets).data
            except MATH_ERRORS:
                pass
    return {
        "loss": value if math.isfinite(value) else None,
        "accuracy": objective.accuracy(outputs, labels),
    }
