"""Non-finite numbers are never hidden: fit and evaluate refuse NaN and infinite data, a loss's
own ValueError is reported, and only numbers leaving float range count as divergence."""

import math
import warnings

import pytest

import nn
from nn.optim import SGD
from nn.train import evaluate, fit
from nn.train.callbacks import Callback

NAN, INF = math.nan, math.inf
X4 = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y4 = [0, 1, 1, 0]


def with_entry(rows, i, j, x):
    """A copy of `rows` with rows[i][j] (or rows[i], for j None) set to `x`."""
    rows = [list(r) if isinstance(r, list) else r for r in rows]
    if j is None:
        rows[i] = x
    else:
        rows[i][j] = x
    return rows


# ---- data ----


@pytest.mark.parametrize("x, shown", [(NAN, "nan"), (INF, "inf"), (-INF, "-inf")])
def test_fit_refuses_features_that_are_not_finite_and_trains_nothing(x, shown):
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    X = with_entry(X4, 3, 1, x)
    with pytest.raises(ValueError, match=rf"X\[3\]\[1\] is {shown}: features must be finite"):
        fit(model, X, Y4, steps=5, progress=False)
    assert model.state_dict() == before


def test_fit_refuses_a_non_finite_sample_of_one_feature():
    with pytest.raises(ValueError, match=r"X\[2\] is nan: features must be finite numbers"):
        fit(nn.MLP(1, [1], seed=0), [0.0, 1.0, NAN], [0.0, 1.0, 2.0], loss="mse", progress=False)


@pytest.mark.parametrize(
    "y, where, shown",
    [
        ([0.5, 1.0, NAN, 0.0], r"y\[2\]", "nan"),
        ([0.5, INF, 1.0, 0.0], r"y\[1\]", "inf"),
        ([[0.5, 1.0], [0.0, -INF], [1.0, 1.0], [0.0, 0.0]], r"y\[1\]\[1\]", "-inf"),
    ],
)
def test_fit_refuses_targets_that_are_not_finite(y, where, shown):
    nouts = [2] if isinstance(y[0], list) else [1]
    model = nn.MLP(2, nouts, seed=0)
    with pytest.raises(ValueError, match=rf"{where} is {shown}: targets must be finite numbers"):
        fit(model, X4, y, loss="mse", steps=5, progress=False)


def test_fit_refuses_non_finite_validation_data():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"X_val\[0\]\[0\] is nan"):
        fit(model, X4, Y4, X_val=with_entry(X4, 0, 0, NAN), y_val=Y4, progress=False)
    with pytest.raises(ValueError, match=r"y_val\[3\] is inf"):
        fit(model, X4, Y4, X_val=X4, y_val=[0, 1, 1, INF], loss="mse", progress=False)


def test_evaluate_refuses_features_and_targets_that_are_not_finite():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"X\[1\]\[0\] is inf: features must be finite"):
        evaluate(model, with_entry(X4, 1, 0, INF), Y4)
    with pytest.raises(ValueError, match=r"y\[0\] is nan: targets must be finite"):
        evaluate(model, X4, [NAN, 1.0, 1.0, 0.0], "mse")


def test_an_integer_too_large_for_a_float_is_a_value_error():
    with pytest.raises(ValueError, match=r"X\[0\] holds an integer too large for a float"):
        fit(nn.MLP(2, [1], seed=0), [[10**400, 0], [0, 1]], [0, 1], progress=False)


# ---- what counts as divergence ----


class AfterSteps(Callback):
    """Keeps the model's weights after every step."""

    def on_train_begin(self, state):
        self.model, self.after = state.model, []

    def on_step_end(self, step, logs):
        self.after.append(self.model.state_dict())


def test_a_loss_that_raises_value_error_is_reported_not_called_divergence():
    calls = []

    def strict_mse(preds, targets):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("strict_mse wants targets in [0, 1]")
        return nn.losses.mse(preds, targets)

    model = nn.MLP(2, [4, 1], seed=0)
    steps = AfterSteps()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "diverged" warning either
        with pytest.raises(ValueError, match=r"strict_mse wants targets in \[0, 1\]"):
            fit(model, X4, Y4, loss=strict_mse, steps=10, callbacks=[steps], progress=False)
    assert len(steps.after) == 2
    assert model.state_dict() == steps.after[-1]  # the weights the failed step started from


class UpdatesHalfThenFails(SGD):
    """An optimizer with a bug: on its third step it moves one weight, then raises."""

    def step(self):
        self.count = getattr(self, "count", 0) + 1
        if self.count == 3:
            self.params[0].data += 1.0
            raise ValueError("a bug in the optimizer")
        super().step()


def test_an_error_in_the_middle_of_an_update_leaves_the_weights_of_the_step_before():
    model = nn.MLP(2, [4, 1], seed=0)
    steps = AfterSteps()
    optimizer = UpdatesHalfThenFails(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="a bug in the optimizer"):
        fit(model, X4, Y4, optimizer=optimizer, steps=10, callbacks=[steps], progress=False)
    assert len(steps.after) == 2
    assert model.state_dict() == steps.after[-1]


def test_outputs_that_leave_float_range_still_count_as_divergence():
    # Finite weights and features, but 1e200·1e200 = inf and 0·inf = nan: cross-entropy's log
    # gets nan and raises ValueError, which is the model diverging, not the caller's bug.
    model = nn.MLP(1, [1, 3], seed=0)
    weights = {"L1.N0.w0": 1e200, "L1.N0.b": 0.0}
    weights |= {f"L2.N{j}.w0": w for j, w in enumerate([1.0, 0.0, -1.0])}
    weights |= {f"L2.N{j}.b": 0.0 for j in range(3)}
    model.load_state_dict(weights)
    with pytest.warns(RuntimeWarning, match="diverged at step 0: the model's output became"):
        history = fit(model, [[1e200]], [0], loss="cross_entropy", steps=5, progress=False)
    assert history.stop_reason == "diverged" and history.steps == 0
    assert model.state_dict() == weights
    assert history.train_loss is None


def test_evaluate_gives_no_loss_for_outputs_that_are_not_finite():
    model = nn.MLP(1, [1, 2], seed=0)
    model.load_state_dict(
        {"L1.N0.w0": 1e200, "L1.N0.b": 0.0, "L2.N0.w0": 1.0, "L2.N0.b": 0.0}
        | {"L2.N1.w0": 0.0, "L2.N1.b": 0.0}
    )
    # outputs [inf, nan]: no loss, but the accuracy is still there (argmax is the inf logit)
    assert evaluate(model, [[1e200]], [0], "cross_entropy") == {"loss": None, "accuracy": 1.0}
