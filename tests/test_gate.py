"""`Gate`: a real `fit` in a thread, paused, stepped, resumed and stopped from this one."""

import threading
import time
from contextlib import contextmanager

import pytest

import nn
from nn.cli.gate import Gate
from nn.data import make_xor
from nn.train import fit
from nn.train.callbacks import Callback

TIMEOUT = 60.0


def wait_until(condition, timeout=TIMEOUT):
    """Poll `condition` until it is true (bounded: fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Seen(Callback):
    """The steps a run completed, as the callbacks before the gate see them."""

    def __init__(self):
        self.steps = []

    def on_step_end(self, step, logs):
        self.steps.append(step)


def xor_model():
    return nn.MLP(2, [4, 1], seed=0)


@contextmanager
def training(gate, steps):
    """fit on xor in a thread with [Seen, gate]; always stopped and joined."""
    X, y = make_xor(seed=0)
    model, seen, result = xor_model(), Seen(), {}

    def train():
        result["history"] = fit(
            model, X, y, loss="hinge", lr=0.1, steps=steps, callbacks=[seen, gate], progress=False
        )

    thread = threading.Thread(target=train)
    thread.start()
    try:
        yield model, seen, result, thread
    finally:
        gate.stop()
        thread.join(TIMEOUT)
        assert not thread.is_alive()


def test_a_paused_run_is_held_and_each_step_lets_exactly_one_step_through():
    gate = Gate()
    gate.control("pause")  # before the first step ends
    with training(gate, steps=20) as (model, seen, result, thread):
        assert gate.state == "paused"
        wait_until(lambda: gate.holding == 0)
        assert seen.steps == [0]
        gate.control("step")
        assert gate.holding is None and gate.state == "paused"  # stepping, then held again
        wait_until(lambda: gate.holding == 1)
        assert seen.steps == [0, 1]
        gate.control("step")
        gate.control("step")  # two clicks, two steps
        wait_until(lambda: gate.holding == 3)
        assert seen.steps == [0, 1, 2, 3]
        gate.control("resume")
        assert gate.holding is None and gate.state == "running"
        thread.join(TIMEOUT)
        history = result["history"]
        assert history.steps == 20 and history.stop_reason == "steps"
        assert seen.steps == list(range(20)) and gate.state == "done"


def test_step_while_running_pauses_after_the_step_in_progress():
    gate = Gate()
    with training(gate, steps=100_000) as (model, seen, result, thread):
        wait_until(lambda: seen.steps)
        gate.control("step")
        wait_until(lambda: gate.holding is not None)
        assert seen.steps == list(range(gate.holding + 1))


def test_stop_ends_a_held_run_as_interrupted_with_the_weights_of_its_last_step():
    gate = Gate()
    gate.control("pause")
    with training(gate, steps=20) as (model, seen, result, thread):
        wait_until(lambda: gate.holding == 0)
        gate.control("step")
        wait_until(lambda: gate.holding == 1)
        gate.stop()
        thread.join(TIMEOUT)
    history = result["history"]
    assert history.stop_reason == "interrupted" and history.steps == 2
    assert history.message == "interrupted after step 1"
    X, y = make_xor(seed=0)
    same = xor_model()
    fit(same, X, y, loss="hinge", lr=0.1, steps=2, progress=False)
    assert [p.data for p in model.parameters()] == [p.data for p in same.parameters()]


def test_stop_ends_a_running_run_after_the_step_in_progress():
    gate = Gate()
    with training(gate, steps=100_000) as (model, seen, result, thread):
        wait_until(lambda: len(seen.steps) >= 2)
        gate.stop()
        thread.join(TIMEOUT)
    history = result["history"]
    assert history.stop_reason == "interrupted" and history.steps == len(seen.steps)


def test_the_gate_holds_only_after_the_steps_the_page_can_show():
    gate = Gate(shown=lambda step: step % 3 == 0)  # as if every third step were recorded
    gate.control("pause")
    with training(gate, steps=20) as (model, seen, result, thread):
        wait_until(lambda: gate.holding == 0)
        gate.control("step")  # one step on the page: three in the training
        wait_until(lambda: gate.holding == 3)
        assert seen.steps == [0, 1, 2, 3]


def test_an_unknown_action_is_refused_by_name():
    with pytest.raises(ValueError, match="action must be one of pause, step, resume, not 'go'"):
        Gate().control("go")
