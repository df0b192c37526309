"""fit scores held-out data as it trains: a curve of val losses next to the training loss."""

import pytest

import nn
from nn.data import load_iris, make_moons, train_test_split
from nn.train import evaluate, fit, steps
from nn.train.callbacks import Callback
from nn.train.lab import LabRecorder
from nn.train.objective import Objective
from nn.train.scoring import score


def iris_split():
    X, y = load_iris(standardize=True)
    return train_test_split(X, y, test_size=0.25, seed=0, stratify=True)


def run(n_steps, **kwargs):
    X, X_val, y, y_val = iris_split()
    model = nn.MLP(4, [6, 3], seed=0)
    args = dict(loss="cross_entropy", optimizer="adam", lr=0.05, batch_size=16, progress=False)
    history = fit(model, X, y, steps=n_steps, X_val=X_val, y_val=y_val, **args, **kwargs)
    return model, history, (X_val, y_val)


def test_held_out_data_is_scored_every_k_steps_with_the_step_count():
    model, history, (X_val, y_val) = run(20, eval_every=5)
    assert history.val_steps == [0, 5, 10, 15, 20]
    assert len(history.val_losses) == len(history.val_accuracies) == 5
    final = evaluate(model, X_val, y_val, "cross_entropy")
    assert history.val_losses[-1] == history.val_loss == final["loss"]
    assert history.val_accuracies[-1] == history.val_accuracy == final["accuracy"]
    assert history.val_losses[-1] < history.val_losses[0]  # it learned


def test_a_score_after_k_steps_is_the_model_after_k_steps():
    # Two routes to the same number: the 20-step run's score at step 10, and a 10-step run's end.
    _, long, _ = run(20, eval_every=5)
    _, short, _ = run(10, eval_every=5)
    assert long.val_losses[2] == short.val_loss and long.val_steps[2] == 10
    initial = evaluate(nn.MLP(4, [6, 3], seed=0), *iris_split()[1::2], "cross_entropy")
    assert long.val_losses[0] == initial["loss"]


def test_by_default_a_run_is_scored_about_twenty_times():
    _, history, _ = run(100)
    assert history.val_steps == list(range(0, 101, 5))
    _, history, _ = run(7)
    assert history.val_steps == list(range(8))


def test_scoring_changes_nothing_about_training():
    X, X_val, y, y_val = iris_split()
    args = dict(loss="cross_entropy", optimizer="adam", lr=0.05, batch_size=16, progress=False)
    plain = fit(nn.MLP(4, [6, 3], seed=0), X, y, steps=12, **args)
    scored = fit(nn.MLP(4, [6, 3], seed=0), X, y, steps=12, X_val=X_val, y_val=y_val, **args)
    assert plain.loss == scored.loss and plain.accuracy == scored.accuracy
    assert plain.val_steps == [] and plain.val_loss is None


def test_a_run_stopped_by_its_target_scores_the_weights_it_keeps():
    X, y = make_moons(60, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    history = fit(
        model, X, y, loss="hinge", optimizer="adam", lr=0.05, steps=500, target_loss=0.5,
        X_val=X[:20], y_val=y[:20], eval_every=1000, progress=False,
    )  # fmt: skip
    assert history.stop_reason == "target_loss"
    assert history.val_steps == [0, history.steps - 1]  # the target step takes no update
    assert history.val_loss == evaluate(model, X[:20], y[:20], "hinge")["loss"]


def test_other_callbacks_see_the_scores_in_their_logs():
    class Seen(Callback):
        def __init__(self):
            self.logs = []

        def on_step_end(self, step, logs):
            self.logs.append(dict(logs))

    seen = Seen()
    _, history, _ = run(4, eval_every=2, callbacks=[seen])
    assert "val_loss" not in seen.logs[0]
    assert seen.logs[1]["val_loss"] == history.val_losses[1]
    assert seen.logs[3]["val_accuracy"] == history.val_accuracies[2]


def test_the_stage_by_stage_run_scores_the_same():
    X, X_val, y, y_val = iris_split()
    args = dict(loss="cross_entropy", optimizer="adam", lr=0.05, progress=False, eval_every=3)
    history = fit(nn.MLP(4, [6, 3], seed=0), X, y, steps=6, X_val=X_val, y_val=y_val, **args)
    loop = steps(nn.MLP(4, [6, 3], seed=0), X, y, steps=6, X_val=X_val, y_val=y_val, **args)
    for _ in loop:
        pass
    assert loop.history.val_steps == history.val_steps == [0, 3, 6]
    assert loop.history.val_losses == history.val_losses


def test_eval_every_needs_held_out_data_and_a_positive_count():
    X, X_val, y, y_val = iris_split()
    model = nn.MLP(4, [3], seed=0)
    with pytest.raises(ValueError, match="pass X_val and y_val too"):
        fit(model, X, y, eval_every=5, progress=False)
    with pytest.raises(ValueError, match="eval_every must be an int >= 1"):
        fit(model, X, y, X_val=X_val, y_val=y_val, eval_every=0, progress=False)


# ---- a compiled run scores with its compiled model ----


def moons_split():
    X, y = make_moons(80, noise=0.1, seed=1)
    return train_test_split(X, y, test_size=0.25, seed=0, stratify=True)


@pytest.mark.parametrize("dataset", ["iris", "moons"])
def test_a_compiled_run_scores_its_held_out_data_as_an_eager_run_does(dataset):
    if dataset == "iris":  # several outputs, cross-entropy, minibatches
        (X, X_val, y, y_val), nouts = iris_split(), [6, 3]
        args = dict(loss="cross_entropy", optimizer="adam", lr=0.05, batch_size=16)
    else:  # one output, hinge, an L2 term
        (X, X_val, y, y_val), nouts = moons_split(), [8, 8, 1]
        args = dict(loss="hinge", lr=0.3, l2=1e-4)
    args.update(steps=15, X_val=X_val, y_val=y_val, eval_every=2, progress=False)
    compiled, eager = (
        fit(nn.MLP(len(X[0]), nouts, seed=0), X, y, compile=compile, **args)
        for compile in ("auto", False)
    )
    assert compiled.val_steps == eager.val_steps == [0, 2, 4, 6, 8, 10, 12, 14, 15]
    assert compiled.val_losses == eager.val_losses  # to the bit
    assert compiled.val_accuracies == eager.val_accuracies
    assert (compiled.val_loss, compiled.val_accuracy) == (eager.val_loss, eager.val_accuracy)


def calls_of_the_model(monkeypatch, compile):
    """How many times fit called MLP.__call__ on a run that scores 25 held-out rows 9 times
    (HeldOut) and again in the lab's recorder, and the recorder's held-out scores, unrounded."""
    X, X_val, y, y_val = iris_split()
    X_val, y_val = X_val[:25], y_val[:25]
    calls = []
    call = nn.MLP.__call__

    def counted(model, x):
        calls.append(1)
        return call(model, x)

    class Keeping(LabRecorder):
        def _score_val(self):
            scores.append(super()._score_val())
            return scores[-1]

    monkeypatch.setattr(nn.MLP, "__call__", counted)
    recorder, scores = Keeping(X_val, y_val), []
    fit(
        nn.MLP(4, [6, 3], seed=0), X, y, loss="cross_entropy", lr=0.1, steps=8, eval_every=1,
        X_val=X_val, y_val=y_val, callbacks=[recorder], progress=False, compile=compile,
    )  # fmt: skip
    return len(calls), scores


def test_a_compiled_run_scores_without_calling_the_eager_model(monkeypatch):
    eager_calls, eager_val = calls_of_the_model(monkeypatch, False)
    compiled_calls, compiled_val = calls_of_the_model(monkeypatch, "auto")
    assert eager_calls > 2 * 9 * 25  # every held-out row, each time it is scored, twice
    assert compiled_calls == 1  # output_count's look at one row; no scoring goes eager
    assert compiled_val == eager_val and len(compiled_val) == 9
    assert all(s["loss"] is not None and s["confusion"] for s in compiled_val)


def test_a_diverged_compiled_run_scores_no_loss_as_an_eager_one_does():
    X, X_val, y, y_val = iris_split()
    histories = []
    for compile in ("auto", False):
        model = nn.MLP(4, [6, 3], seed=0)
        for p in model.parameters():
            p.data = 1e300  # the outputs overflow to inf
        with pytest.warns(RuntimeWarning, match="diverged"):
            histories.append(
                fit(model, X, y, steps=3, X_val=X_val, y_val=y_val, progress=False, compile=compile)
            )
    compiled, eager = histories
    assert compiled.val_losses == eager.val_losses == [None] and compiled.val_loss is None
    assert compiled.val_accuracies == eager.val_accuracies


def test_a_forward_pass_that_overflows_scores_no_loss_and_no_accuracy():
    X, X_val, y, y_val = iris_split()
    objective = Objective("cross_entropy", 3, y)

    def overflowing(rows):
        raise OverflowError("math range error")

    result = score(nn.MLP(4, [3], seed=0), X_val, y_val, objective, overflowing)
    assert result == {"loss": None, "accuracy": None}
