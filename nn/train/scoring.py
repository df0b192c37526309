"""`evaluate`: a model's loss and accuracy on a data set, without building a graph."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from engine import no_grad
from nn.checks import check_rows, check_targets
from nn.train.loop import MATH_ERRORS, non_finite
from nn.train.objective import Objective, as_output, output_count

Forward = Callable[[list[list[float]]], list]  # rows -> the model's outputs, no graph built


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


def score(
    model, X: list[list[float]], labels: list, objective: Objective, forward: Forward | None = None
) -> dict:
    """`evaluate` of rows and labels already checked (`fit` scores its held-out data with it);
    `forward` computes the model's outputs (a compiled run's, see `outputs_of`), else eagerly."""
    targets = objective.targets_for(labels)
    try:
        outputs = outputs_of(model, X, objective.n_outputs, forward)
    except MATH_ERRORS:
        return {"loss": None, "accuracy": None}
    with no_grad():
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


def outputs_of(model, X: list[list[float]], n_outputs: int, forward: Forward | None = None) -> list:
    """The model's outputs on rows `X`, with no graph: by `forward` when given (a compiled run's
    `CompiledModel.outputs`, which gives eager's numbers faster), else by calling the model.

    `forward` runs outside no_grad: rows of a new width are traced, so a model that refuses
    them raises its own error, as eager does."""
    if forward is not None:
        return forward(X)
    with no_grad():
        return [as_output(model(x), n_outputs) for x in X]
