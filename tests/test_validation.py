"""fit scores held-out data as it trains: a curve of val losses next to the training loss."""

import pytest

import nn
from nn.data import load_iris, make_moons, train_test_split
from nn.train import evaluate, fit, steps
from nn.train.callbacks import Callback


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
