"""nn.train.steps: fit's loop one stage per next(), ending bit for bit where fit ends."""

import dataclasses
import inspect
import struct
import warnings

import pytest

import nn
from engine import Step, Value
from nn.data import make_moons, make_xor
from nn.optim import SGD, Adam, LinearLR
from nn.train import fit, steps
from nn.train.callbacks import Callback

KINDS = ["forward", "loss", "backward", "update", "stop"]


def bits(model):
    return [struct.pack("<d", p.data) for p in model.parameters()]


def same_history(a, b):
    a, b = dataclasses.asdict(a), dataclasses.asdict(b)
    a.pop("seconds"), b.pop("seconds")
    return a == b


def demo(n_steps=10):
    """The README's micrograd demo: the model, the data and fit's arguments (a fresh copy)."""
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    opt = SGD(model.parameters(), lr=1.0)
    kwargs = dict(
        loss="hinge", l2=1e-4, optimizer=opt, schedule=LinearLR(opt, 1.0, 0.1, 100), steps=n_steps
    )
    return model, X, y, kwargs


def run_to_the_end(loop):
    stages = list(loop)
    assert loop.done and next(loop, None) is None
    return stages


# ---- the same run as fit ----


def test_the_micrograd_demo_ends_bit_for_bit_where_fit_ends():
    model_a, X, y, kwargs_a = demo()
    history = fit(model_a, X, y, progress=False, **kwargs_a)
    model_b, X, y, kwargs_b = demo()
    loop = steps(model_b, X, y, **kwargs_b)
    stages = run_to_the_end(loop)
    assert bits(model_b) == bits(model_a)
    assert same_history(loop.history, history) and history.steps == 10
    assert kwargs_b["optimizer"].state_dict() == kwargs_a["optimizer"].state_dict()
    assert [s.kind for s in stages] == KINDS * 10
    assert [s.step for s in stages] == [i for i in range(10) for _ in KINDS]


def test_minibatch_adam_with_validation_ends_bit_for_bit_where_fit_ends():
    X, y = make_moons(60, noise=0.2, seed=3)
    args = dict(loss="hinge", batch_size=16, steps=10, seed=7, X_val=X[:10], y_val=y[:10])
    a, b = nn.MLP(2, [8, 1], seed=2), nn.MLP(2, [8, 1], seed=2)
    opt_a, opt_b = Adam(a.parameters(), lr=0.05), Adam(b.parameters(), lr=0.05)
    history = fit(a, X, y, optimizer=opt_a, progress=False, **args)
    loop = steps(b, X, y, optimizer=opt_b, **args)
    stages = run_to_the_end(loop)
    assert bits(b) == bits(a)
    assert same_history(loop.history, history) and history.val_accuracy is not None
    assert opt_b.state_dict() == opt_a.state_dict() and opt_a.steps == 10
    assert all(len(s.batch) == 16 for s in stages if s.kind == "forward")


def test_steps_takes_fits_arguments_with_the_same_names_and_defaults():
    mine, theirs = inspect.signature(steps).parameters, inspect.signature(fit).parameters
    assert [(p.name, p.default, p.kind) for p in mine.values()] == [
        (p.name, p.default, p.kind) for p in theirs.values()
    ]


def test_bad_arguments_are_refused_at_the_call_as_fit_refuses_them():
    X, y = make_xor(n_samples=8, seed=0)
    with pytest.raises(ValueError, match="steps must be an int >= 0"):
        steps(nn.MLP(2, [2, 1]), X, y, steps=-1)
    with pytest.raises(ValueError, match="pass both X_val and y_val"):
        steps(nn.MLP(2, [2, 1]), X, y, X_val=X)


# ---- what each stage holds and says ----


def test_each_stage_exposes_what_it_computed():
    model, X, y, kwargs = demo(2)
    loop = steps(model, X, y, **kwargs)
    params = model.parameters()
    forward = next(loop)
    assert forward.batch == list(range(100))
    assert [out.data for out in forward.outputs] == [model(x).data for x in X]
    loss = next(loop)
    assert loss.name == "hinge" and loss.samples == 100 and loss.l2 == 1e-4
    assert loss.value == loss.loss.data == loss.data_loss + loss.l2_term
    assert loss.l2_term == 1e-4 * sum(p.data * p.data for p in params)
    backward = next(loop)
    assert backward.grads == [p.grad for p in params] and any(backward.grads)
    before = [p.data for p in params]
    update = next(loop)
    assert [s.param for s in update.steps()] == params
    assert [after - b for after, b in zip([p.data for p in params], before)] == [
        d for _, d in update.changes
    ]
    assert all(s.before == b for s, b in zip(update.updates, before))
    stop = next(loop)
    assert (stop.reason, stop.held) == (None, False)


def test_each_stage_reads_as_one_line():
    model, X, y, kwargs = demo(1)
    lines = [str(stage) for stage in steps(model, X, y, **kwargs)]
    assert lines[0].startswith("step 0 forward: 100 samples → outputs [-0.1935, -0.4671, ")
    assert lines[1] == "step 0 loss: hinge over 100 samples 0.9033 + 0.0001·Σp² 0.009593 = 0.9129"
    assert lines[2] == (
        "step 0 backward: grads of 337 parameters, largest L1.N14.w0 0.9275, L1.N14.b 0.7031"
    )
    assert lines[3] == (
        "step 0 update: SGD lr 1 on 337 parameters, largest changes L1.N14.w0 -0.9275, "
        "L1.N14.b -0.7031"
    )
    assert lines[4] == (
        "step 0 stop? step limit (1 of 1): yes · diverged: no  →  stop: ran all 1 steps"
    )


def test_the_update_stage_shows_each_parameters_rule():
    model, X, y, kwargs = demo(1)
    loop = steps(model, X, y, **kwargs)
    for _ in range(4):
        stage = next(loop)
    first = str(next(stage.steps()))
    assert first.startswith("L1.N0.w0 ← ") and " − 1 · " in first


def test_the_forward_stage_replays_a_samples_forward_pass_until_the_update():
    model, X, y, kwargs = demo(1)
    loop = steps(model, X, y, **kwargs)
    forward = next(loop)
    lines = [str(s) for s in forward.steps(3)]
    assert f"L1.N0.w0 = {model.parameters()[0].data:.4g} (leaf)" in lines
    assert (  # the first neuron's weighted sum of sample 3's inputs, -0.00048 and 0.051
        "v37 = dot([L1.N0.w0, L1.N0.w1, L1.N0.b], [(-0.0004804), 0.05126, 1]) "
        "= 0.2355·(-0.0004804) + 0.06653·0.05126 + 0·1 = 0.003297"
    ) in lines
    assert lines[-1].startswith("L3.N0 = dot([L3.N0.w0, ")
    assert lines[-1].endswith(f"= {forward.outputs[3].data:.4g}")
    for _ in range(3):
        next(loop)  # loss, backward, update: the weights have moved
    with pytest.raises(ValueError, match="graph changed underneath"):
        list(forward.steps(3))


# ---- replaying the backward pass does not double the grads ----


def test_a_replayed_backward_pass_leaves_every_grad_as_backward_gave_it():
    model, X, y, kwargs = demo(1)
    loop = steps(model, X, y, **kwargs)
    next(loop), next(loop)
    backward = next(loop)
    params = model.parameters()
    grads = [p.grad for p in params]
    replay = list(backward.steps())
    assert all(isinstance(s, Step) for s in replay)
    assert replay[0].node is backward.loss
    assert str(replay[0]).startswith("loss = hinge + l2_term   dloss/dloss = 1  →  hinge.grad += ")
    upstream = {s.node: s.upstream for s in replay}
    assert [upstream[p] for p in params] == grads  # the replay's own pass: the same numbers
    assert [p.grad for p in params] == grads  # and nothing added twice
    one = list(backward.steps(sample=5))
    assert len(one) < len(replay) and [p.grad for p in params] == grads


def test_a_replay_left_halfway_is_taken_back_when_the_loop_moves_on():
    model_a, X, y, kwargs_a = demo(3)
    fit(model_a, X, y, progress=False, **kwargs_a)
    model_b, X, y, kwargs_b = demo(3)
    loop = steps(model_b, X, y, **kwargs_b)
    replays = []
    for stage in loop:
        if stage.kind == "backward":
            whole, one = stage.steps(), stage.steps(sample=stage.step)
            for _ in range(40):
                next(whole)
            next(one)
            replays.append(whole)
    assert bits(model_b) == bits(model_a)  # the updates used backward()'s grads, not doubled
    with pytest.raises(RuntimeError, match="step 0's backward pass is over"):
        next(replays[0])


def test_a_backward_stage_past_its_update_refuses_a_new_replay():
    model, X, y, kwargs = demo(1)
    loop = steps(model, X, y, **kwargs)
    backward = [next(loop) for _ in range(3)][-1]
    next(loop)
    with pytest.raises(RuntimeError, match="the update changed the weights"):
        backward.steps()


# ---- the stop stage ----


def test_a_run_stopped_by_its_target_loss_stops_after_the_loss_stage():
    X, y = make_xor(n_samples=40, seed=0)
    args = dict(loss="hinge", optimizer="adam", lr=0.05, steps=200, target_loss=0.5)
    a, b = nn.MLP(2, [8, 1], seed=0), nn.MLP(2, [8, 1], seed=0)
    history = fit(a, X, y, progress=False, **args)
    loop = steps(b, X, y, **args)
    stages = run_to_the_end(loop)
    assert history.stop_reason == "target_loss" and bits(a) == bits(b)
    assert same_history(loop.history, history)
    assert [s.kind for s in stages[-3:]] == ["forward", "loss", "stop"]
    assert str(stages[-1]).startswith("step ")
    assert "stop? target loss 0.5: yes  →  stop: reached the target loss 0.5" in str(stages[-1])
    continuing = stages[4]
    assert str(continuing) == (
        "step 0 stop? step limit (1 of 200): no · target loss 0.5: no · diverged: no  →  next step"
    )


def test_patience_is_checked_at_every_stop_stage_and_says_when_it_holds():
    X, y = make_xor(n_samples=20, seed=0)
    args = dict(loss="hinge", lr=0.0, steps=50, patience=2)  # lr 0: the loss never improves
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=0)
    history = fit(a, X, y, progress=False, **args)
    loop = steps(b, X, y, **args)
    stops = [s for s in run_to_the_end(loop) if s.kind == "stop"]
    assert same_history(loop.history, history) and history.stop_reason == "patience"
    assert [s.checks for s in stops] == [
        [("step limit (1 of 50)", False), ("patience 2", False), ("diverged", False)],
        [("step limit (2 of 50)", False), ("patience 2", False), ("diverged", False)],
        [("step limit (3 of 50)", False), ("patience 2", True), ("diverged", False)],
    ]
    assert stops[-1].reason == "patience" and stops[-1].message.startswith("the loss has not")


def test_a_diverging_run_stops_there_keeps_its_good_weights_and_says_so():
    X, y = make_moons(40, noise=0.1, seed=0)
    args = dict(loss="mse", lr=1e6, steps=30)
    a, b = nn.MLP(2, [8, 1], seed=0), nn.MLP(2, [8, 1], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = fit(a, X, y, progress=False, **args)
        loop = steps(b, X, y, **args)
        stages = run_to_the_end(loop)
    assert history.stop_reason == "diverged" and bits(a) == bits(b)
    assert same_history(loop.history, history)
    last = stages[-1]
    assert last.checks == [("diverged", True)] and last.held
    assert str(last).endswith(f"→  stop: {history.message}")


def test_zero_steps_is_one_stop_stage():
    X, y = make_xor(n_samples=8, seed=0)
    stages = run_to_the_end(steps(nn.MLP(2, [2, 1], seed=0), X, y, steps=0))
    assert [str(s) for s in stages] == [
        "step 0 stop? step limit (0 of 0): yes · diverged: no  →  stop: ran all 0 steps"
    ]


# ---- callbacks, interruption and other optimizers ----


class Recorder(Callback):
    def __init__(self, interrupt_at=None):
        self.events, self.interrupt_at = [], interrupt_at

    def on_train_begin(self, state):
        self.events.append("begin")

    def on_step_end(self, step, logs):
        if step == self.interrupt_at:
            raise KeyboardInterrupt
        self.events.append((step, logs["loss"]))

    def on_train_end(self, history):
        self.events.append(("end", history.stop_reason))


def test_callbacks_hear_what_they_hear_from_fit_and_ctrl_c_stops_cleanly():
    X, y = make_xor(n_samples=20, seed=0)
    args = dict(loss="hinge", optimizer="adam", lr=0.05, steps=5)
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=0)
    ra, rb = Recorder(interrupt_at=3), Recorder(interrupt_at=3)
    history = fit(a, X, y, callbacks=[ra], progress=False, **args)
    loop = steps(b, X, y, callbacks=[rb], **args)
    assert rb.events == ["begin"]  # the run begins at the call, as fit's does
    stages = run_to_the_end(loop)
    assert rb.events == ra.events and ra.events[-1] == ("end", "interrupted")
    assert bits(a) == bits(b) and same_history(loop.history, history)
    assert str(stages[-1]).endswith("interrupted: yes  →  stop: interrupted at step 4")


def test_progress_is_ignored(capsys):
    X, y = make_xor(n_samples=8, seed=0)
    run_to_the_end(steps(nn.MLP(2, [2, 1], seed=0), X, y, steps=3, progress=True))
    assert capsys.readouterr().err == ""


def test_an_optimizer_that_cannot_show_its_steps_still_updates_as_in_fit():
    class Plain:
        """Not an nn.optim optimizer: step() and zero_grad() only."""

        def __init__(self, params):
            self.params, self.lr = params, 0.1

        def zero_grad(self):
            for p in self.params:
                p.grad = 0.0

        def step(self):
            for p in self.params:
                p.data -= self.lr * p.grad

    X, y = make_xor(n_samples=20, seed=0)
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=0)
    fit(a, X, y, loss="hinge", optimizer=Plain(a.parameters()), steps=3, progress=False)
    loop = steps(b, X, y, loss="hinge", optimizer=Plain(b.parameters()), steps=3)
    updates = [s for s in run_to_the_end(loop) if s.kind == "update"]
    assert bits(a) == bits(b)
    assert updates[0].updates is None and list(updates[0].steps()) == []
    assert str(updates[0]).startswith("step 0 update: Plain lr 0.1 on 17 parameters")


# ---- nothing may change underneath ----


def test_weights_grads_or_lr_changed_between_stages_are_refused():
    X, y = make_xor(n_samples=20, seed=0)
    for change in ("data", "grad", "lr"):
        model = nn.MLP(2, [4, 1], seed=0)
        loop = steps(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.1))
        next(loop), next(loop), next(loop)  # forward, loss, backward
        w = model.parameters()[0]
        if change == "lr":
            loop.optimizer.lr = 0.5
        else:
            setattr(w, change, 9.0)
        with pytest.raises(RuntimeError, match="cannot go on: the (model's|optimizer's)"):
            next(loop)
        assert loop.optimizer.steps == 0  # the update did not run


def test_a_changed_weight_is_named_in_the_error():
    X, y = make_xor(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    loop = steps(model, X, y, loss="hinge")
    next(loop)
    model.parameters()[1].data = Value(3.0).data
    with pytest.raises(RuntimeError, match=r"weights changed \(L1\.N0\.w1: .* → 3\.0\)"):
        next(loop)
