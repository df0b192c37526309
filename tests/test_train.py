"""nn.train.fit: it learns, it stops when it should, and a diverging run gives back good weights."""

import json
import math
import warnings

import pytest

import engine
import nn
from engine import no_grad
from nn.data import load_iris, make_moons, make_sine, make_xor, train_test_split
from nn.optim import SGD, Adam, LinearLR
from nn.train import History, evaluate, fit
from nn.train.callbacks import Callback


class Snapshots(Callback):
    """Keeps the model's weights before training and after every step."""

    def on_train_begin(self, state):
        self.model = state.model
        self.initial = state.model.state_dict()
        self.after = []

    def on_step_end(self, step, logs):
        self.after.append(self.model.state_dict())

    def weights_of_step(self, k):
        """The weights at which step k's loss was measured."""
        return self.initial if k == 0 else self.after[k - 1]


# ---- it learns ----


def test_fit_learns_xor_to_100_percent():
    X, y = make_xor(n_samples=100, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    history = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.05, steps=60, progress=False)
    assert history.train_accuracy == 1.0
    assert history.stop_reason == "steps" and history.steps == 60
    assert history.loss[-1] < history.loss[0]


def test_fit_learns_moons_to_100_percent():
    X, y = make_moons(n_samples=100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.05, steps=80, progress=False)
    assert history.train_accuracy == 1.0
    assert evaluate(model, X, y, "hinge")["accuracy"] == 1.0


def test_fit_learns_iris_to_95_percent_on_held_out_flowers():
    X, y = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = nn.MLP(4, [8, 3], seed=0)
    history = fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        steps=60,
        progress=False,
        X_val=X_test,
        y_val=y_test,
    )
    assert history.val_accuracy >= 0.95
    assert history.val_accuracy == evaluate(model, X_test, y_test, "cross_entropy")["accuracy"]
    assert len(X_test) == 38


def test_a_scheduler_of_nn_optim_is_stepped_once_per_step():
    X, y = make_xor(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=10)
    history = fit(
        model, X, y, loss="hinge", optimizer=opt, schedule=schedule, steps=10, progress=False
    )
    # micrograd's rate, 1.0 - 0.9 * k / 10, is what each step used
    assert history.lr == pytest.approx([1.0 - 0.9 * k / 10 for k in range(10)])
    assert opt.lr == pytest.approx(0.1)


def test_regression_records_no_accuracy_and_lowers_the_loss():
    X, y = make_sine(n_samples=40, seed=0)
    model = nn.MLP(1, [8, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss="mse", optimizer="adam", lr=0.02, steps=40, progress=False)
    assert history.accuracy == [None] * 40 and history.train_accuracy is None
    assert history.train_loss < history.loss[0]


# ---- what it records ----


def test_history_has_one_entry_per_step_and_serializes_to_json():
    X, y = make_xor(n_samples=20, seed=1)
    history = fit(nn.MLP(2, [4, 1], seed=1), X, y, steps=7, progress=False)
    assert isinstance(history, History)
    assert len(history.loss) == len(history.accuracy) == len(history.lr) == history.steps == 7
    assert history.best_loss == min(history.loss)
    assert history.loss[history.best_step] == history.best_loss
    data = json.loads(json.dumps(history.to_dict()))
    assert data["loss"] == history.loss and data["stop_reason"] == "steps"
    assert data["seconds"] > 0


def test_l2_adds_the_sum_of_squares_to_the_recorded_loss():
    X, y = make_xor(n_samples=20, seed=2)
    plain, decayed = nn.MLP(2, [4, 1], seed=2), nn.MLP(2, [4, 1], seed=2)
    a = fit(plain, X, y, loss="hinge", steps=1, progress=False)
    b = fit(decayed, X, y, loss="hinge", steps=1, l2=0.5, progress=False)
    squares = sum(p.data**2 for p in nn.MLP(2, [4, 1], seed=2).parameters())
    assert b.loss[0] == pytest.approx(a.loss[0] + 0.5 * squares)


def test_a_schedule_function_sets_the_rate_of_each_step():
    X, y = make_xor(n_samples=20, seed=0)
    history = fit(
        nn.MLP(2, [4, 1], seed=0),
        X,
        y,
        optimizer="sgd",
        steps=5,
        schedule=lambda k: 0.1 / (k + 1),
        progress=False,
    )
    assert history.lr == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025, 0.02])


def test_minibatches_are_seeded_and_see_every_sample_once_per_epoch():
    X, _ = make_moons(n_samples=40, seed=0)
    ids = [float(i) for i in range(40)]  # targets that name their sample

    def run(seed):
        seen = []

        def loss(preds, targets):
            seen.append(list(targets))
            return nn.losses.mse(preds, targets)

        fit(
            nn.MLP(2, [4, 1], seed=0),
            X,
            ids,
            loss=loss,
            optimizer="sgd",
            lr=1e-3,
            steps=8,
            batch_size=10,
            seed=seed,
            progress=False,
        )
        return seen

    batches = run(0)
    assert batches.pop() == ids  # after training: the loss of the whole set, in order
    assert [len(b) for b in batches] == [10] * 8
    assert sorted(sum(batches[:4], [])) == ids and sorted(sum(batches[4:], [])) == ids
    assert run(0)[:-1] == batches
    assert run(1)[:-1] != batches


def test_auto_loss_picks_cross_entropy_for_several_outputs_and_hinge_for_one():
    X, y = load_iris()
    history = fit(nn.MLP(4, [3], seed=0), X[:30], y[:30], steps=1, progress=False)
    assert history.loss[0] > 0 and history.accuracy[0] is not None
    Xx, yx = make_xor(n_samples=12, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    h = fit(model, Xx, yx, steps=1, progress=False)
    expected = nn.losses.hinge(
        [nn.MLP(2, [4, 1], seed=0)(x) for x in Xx], [1.0 if t else -1.0 for t in yx]
    ).data
    assert h.loss[0] == expected


# ---- when it stops ----


def test_stops_at_the_target_loss_without_taking_another_step():
    X, y = make_xor(n_samples=40, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    snaps = Snapshots()
    history = fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer="adam",
        lr=0.05,
        steps=500,
        target_loss=0.2,
        callbacks=[snaps],
        progress=False,
    )
    assert history.stop_reason == "target_loss"
    assert history.loss[-1] <= 0.2 and all(v > 0.2 for v in history.loss[:-1])
    assert history.steps < 500
    assert "target loss" in history.message
    # the model is the one that reached the target: its loss is the last one recorded
    assert evaluate(model, X, y, "hinge")["loss"] == pytest.approx(history.loss[-1])


def test_stops_when_the_loss_has_not_improved_for_patience_steps():
    X, y = make_xor(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    # a learning rate of 0 never improves the loss: step 0 is the best, then `patience` more
    history = fit(
        model,
        X,
        y,
        optimizer=SGD(model.parameters(), lr=0.0),
        steps=100,
        patience=5,
        progress=False,
    )
    assert history.stop_reason == "patience"
    assert history.steps == 6
    assert "not improved for 5 steps" in history.message


def test_a_callback_returning_true_stops_training():
    class StopAtThree(Callback):
        def on_step_end(self, step, logs):
            return step == 2

    X, y = make_xor(n_samples=20, seed=0)
    history = fit(
        nn.MLP(2, [4, 1], seed=0), X, y, steps=50, callbacks=[StopAtThree()], progress=False
    )
    assert history.steps == 3 and history.stop_reason == "callback"


def test_callbacks_see_the_start_every_step_and_the_end():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, state):
            calls.append(("begin", state.steps, len(state.X)))

        def on_step_end(self, step, logs):
            calls.append(("step", step, sorted(logs)))

        def on_train_end(self, history):
            calls.append(("end", history.steps))

    X, y = make_xor(n_samples=20, seed=0)
    fit(nn.MLP(2, [4, 1], seed=0), X, y, steps=3, callbacks=[Recorder()], progress=False)
    keys = ["accuracy", "activations", "batch", "loss", "lr", "outputs", "step"]
    assert calls == [
        ("begin", 3, 20),
        ("step", 0, keys),
        ("step", 1, keys),
        ("step", 2, keys),
        ("end", 3),
    ]


def test_callbacks_see_the_steps_batch_and_the_models_outputs_for_it():
    seen = []

    class Look(Callback):
        def on_step_end(self, step, logs):
            seen.append((list(logs["batch"]), [out.data for out in logs["outputs"]]))

    X, y = make_xor(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    with no_grad():
        first = [model(x).data for x in X]  # the outputs at the weights step 0 starts from
    fit(model, X, y, steps=2, batch_size=5, callbacks=[Look()], progress=False)
    (batch, outputs), (later, _) = seen
    assert len(set(batch)) == 5 and set(batch).isdisjoint(later)
    assert outputs == [first[i] for i in batch]


@pytest.mark.parametrize("compile", ["auto", False])
def test_a_callback_that_wants_activations_gets_every_neurons_output_on_those_steps(compile):
    seen = {}

    class Odd(Callback):
        def wants_activations(self, step):
            return step % 2 == 1

        def on_step_end(self, step, logs):
            seen[step] = (list(logs["batch"]), logs["activations"])

    X, y = make_xor(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 3, 1], seed=0)
    twin = nn.MLP(2, [4, 3, 1], seed=0)
    fit(twin, X, y, steps=1, batch_size=5, progress=False)  # twin: the weights step 1 starts from
    fit(model, X, y, steps=3, batch_size=5, callbacks=[Odd()], progress=False, compile=compile)
    assert seen[0][1] is None and seen[2][1] is None
    batch, activations = seen[1]
    with no_grad():
        expected = [[[v.data for v in layer] for layer in twin.layer_outputs(X[i])] for i in batch]
    assert [[list(layer) for layer in sample] for sample in activations] == expected


def test_asking_for_activations_changes_no_number_of_the_run():
    class Always(Callback):
        def wants_activations(self, step):
            return True

    X, y = make_moons(30, noise=0.1, seed=1)
    runs = []
    for callbacks in ([], [Always()]):
        model = nn.MLP(2, [6, 6, 1], seed=2)
        history = fit(model, X, y, lr=0.3, l2=1e-3, steps=6, callbacks=callbacks, progress=False)
        runs.append(([p.data for p in model.parameters()], history.loss))
    assert runs[0] == runs[1]


# ---- divergence ----


def test_a_huge_learning_rate_diverges_and_the_last_good_weights_come_back():
    X, y = make_sine(n_samples=20, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    snaps = Snapshots()
    with pytest.warns(RuntimeWarning, match="diverged at step"):
        history = fit(
            model,
            X,
            y,
            loss="mse",
            optimizer="sgd",
            lr=1e6,
            steps=50,
            callbacks=[snaps],
            progress=False,
        )
    assert history.stop_reason == "diverged" and history.diverged
    assert 2 <= history.steps < 50  # some steps were fine before it blew up
    assert all(math.isfinite(v) for v in history.loss)
    last = history.steps - 1
    assert model.state_dict() == snaps.weights_of_step(last)
    # cross-check by another route: the loss at the restored weights is the last one recorded
    assert nn.losses.mse([model(x) for x in X], y).data == history.loss[-1]
    assert f"Restored the weights of step {last}" in history.message
    assert "smaller learning rate" in history.message


def test_an_engine_overflow_counts_as_divergence():
    def exp_loss(preds, targets):
        return engine.sum([(p * t).exp() for p, t in zip(preds, targets, strict=True)])

    X, y = make_xor(n_samples=20, seed=0)
    labels = [1.0 if t else -1.0 for t in y]
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(
            model, X, labels, loss=exp_loss, optimizer="sgd", lr=1e3, steps=50, progress=False
        )
    assert history.stop_reason == "diverged"
    assert "exp overflows" in history.message
    assert [w.category for w in caught] == [RuntimeWarning]
    assert history.steps == 1 and model.state_dict() == before


# ---- bad input ----


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        fit(nn.MLP(2, [1], seed=0), [[0, 0], [0, 1], [1, 0]], [0, 1], progress=False)


def test_an_unknown_loss_lists_the_valid_names():
    with pytest.raises(ValueError, match="cross_entropy.*hinge"):
        fit(nn.MLP(2, [1], seed=0), [[0, 0]], [0], loss="hingee", progress=False)


def test_hinge_with_three_classes_says_what_to_use():
    X, y = load_iris()
    with pytest.raises(ValueError, match="hinge needs a model with one output"):
        fit(nn.MLP(4, [3], seed=0), X, y, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="two classes"):
        fit(nn.MLP(4, [1], seed=0), X, y, loss="hinge", progress=False)


def test_bad_optimizer_and_lr_combinations_are_refused():
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="'sgd', 'adam', 'adamw'"):
        fit(model, [[0, 0]], [1], optimizer="rmsprop", progress=False)
    with pytest.raises(ValueError, match="lr goes to the optimizer"):
        fit(model, [[0, 0]], [1], optimizer=Adam(model.parameters()), lr=0.1, progress=False)
    with pytest.raises(TypeError, match="optimizer must be"):
        fit(model, [[0, 0]], [1], optimizer=42, progress=False)


def test_non_numeric_features_are_refused_by_name():
    with pytest.raises(TypeError, match=r"X\[1\] must hold numbers"):
        fit(nn.MLP(2, [1], seed=0), [[0, 0], ["a", 1]], [0, 1], progress=False)
