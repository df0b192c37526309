"""step_steps(): each optimizer's update one parameter per next(), bit for bit step()'s."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value
from nn.optim import SGD, Adam, AdamW, Optimizer, UpdateStep

# Every optimizer with every option that changes the arithmetic.
OPTIMIZERS = {
    "sgd": lambda ps, lr: SGD(ps, lr=lr),
    "sgd+decay": lambda ps, lr: SGD(ps, lr=lr, weight_decay=0.01),
    "sgd+momentum": lambda ps, lr: SGD(ps, lr=lr, momentum=0.9),
    "sgd+momentum+decay": lambda ps, lr: SGD(ps, lr=lr, momentum=0.5, weight_decay=0.1),
    "sgd+nesterov": lambda ps, lr: SGD(ps, lr=lr, momentum=0.9, nesterov=True),
    "sgd+nesterov+decay": lambda ps, lr: SGD(
        ps, lr=lr, momentum=0.8, nesterov=True, weight_decay=0.01
    ),
    "adam": lambda ps, lr: Adam(ps, lr=lr),
    "adam+decay": lambda ps, lr: Adam(ps, lr=lr, weight_decay=0.1, betas=(0.8, 0.99)),
    "adamw": lambda ps, lr: AdamW(ps, lr=lr),
    "adamw+no decay": lambda ps, lr: AdamW(ps, lr=lr, weight_decay=0.0, eps=1e-6),
}


def bits(xs):
    return [struct.pack("<d", x) for x in xs]


def state(opt):
    """Parameters and every piece of optimizer state, as bytes where they are floats."""
    d = opt.state_dict()
    return (
        bits(p.data for p in opt.params),
        d["steps"],
        {k: bits(v) for k, v in d.items() if isinstance(v, list)},
    )


floats = st.floats(-3.0, 3.0, allow_nan=False)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@given(data=st.data())
def test_exhausted_steps_leave_params_and_state_bit_for_bit_as_step(kind, data):
    n = data.draw(st.integers(1, 5), label="parameters")
    start = data.draw(st.lists(floats, min_size=n, max_size=n), label="start")
    a = [Value(x) for x in start]
    b = [Value(x) for x in start]
    lr = data.draw(st.sampled_from([0.1, 0.01, 1.0]), label="lr")
    twin, stepped = OPTIMIZERS[kind](a, lr), OPTIMIZERS[kind](b, lr)
    for _ in range(data.draw(st.integers(1, 4), label="steps")):
        grads = data.draw(st.lists(floats, min_size=n, max_size=n), label="grads")
        for pa, pb, g in zip(a, b, grads):
            pa.grad = pb.grad = g
        twin.step()
        steps = list(stepped.step_steps())
        assert [s.param for s in steps] == b
        assert state(stepped) == state(twin)
        assert bits(s.after for s in steps) == bits(p.data for p in a)
        assert [s.grad for s in steps] == grads
        new_lr = data.draw(st.sampled_from([lr, lr / 2]), label="next lr")  # a schedule
        twin.lr = stepped.lr = new_lr


def test_plain_sgd_reads_as_the_rule_with_its_numbers():
    w = Value(0.31, label="L1.N0.w0")
    w.grad = 0.52
    (step,) = SGD([w], lr=0.1).step_steps()
    assert str(step) == "L1.N0.w0 ← 0.31 − 0.1 · 0.52 = 0.258"
    assert isinstance(step, UpdateStep)
    assert (step.before, step.after, step.grad) == (0.31, w.data, 0.52)
    assert repr(step) == "<UpdateStep 1/1: L1.N0.w0 ← 0.31 − 0.1 · 0.52 = 0.258>"


def test_unlabelled_params_are_named_by_their_place():
    ps = [Value(1.0), Value(-2.0)]
    ps[1].grad = -0.5
    lines = [str(s) for s in SGD(ps, lr=0.1).step_steps()]
    assert lines == ["params[0] ← 1 − 0.1 · 0 = 1", "params[1] ← -2 − 0.1 · (-0.5) = -1.95"]


def test_sgd_shows_decay_then_the_momentum_buffer_then_the_update():
    w = Value(2.0, label="w")
    opt = SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1)
    w.grad = 0.5
    opt.step()  # g = 0.5 + 0.1·2 = 0.7 = b; w = 2 - 0.07 = 1.93
    (step,) = opt.step_steps()  # g = 0.5 + 0.193 = 0.693; b = 0.63 + 0.693 = 1.323
    assert step.lines == [
        "w: grad 0.5",
        "  g ← g + 0.1·p = 0.5 + 0.1·1.93 = 0.693",
        "  b ← 0.9·b + g = 0.9·0.7 + 0.693 = 1.323",
        "  w ← 1.93 − 0.1 · 1.323 = 1.798",
    ]
    assert step.numbers["b"] == opt.momentum_buffer[0]


def test_nesterov_adds_momentum_times_the_new_buffer_to_the_gradient():
    w = Value(0.0, label="w")
    w.grad = 1.0
    (step,) = SGD([w], lr=0.1, momentum=0.9, nesterov=True).step_steps()
    assert step.lines == [
        "w: grad 1",
        "  b ← 0.9·b + g = 0.9·0 + 1 = 1",
        "  g ← g + 0.9·b = 1 + 0.9·1 = 1.9",
        "  w ← 0 − 0.1 · 1.9 = -0.19",
    ]


def test_adam_shows_its_moments_their_bias_corrections_and_the_update():
    w = Value(1.0, label="w")
    w.grad = 0.5
    opt = Adam([w], lr=0.01, weight_decay=0.1)
    (first,) = opt.step_steps()
    assert first.lines == [
        "w: grad 0.5",
        "  g ← g + 0.1·p = 0.5 + 0.1·1 = 0.6",
        "  m ← 0.9·m + 0.1·g = 0.9·0 + 0.1·0.6 = 0.06",
        "  v ← 0.999·v + 0.001·g² = 0.999·0 + 0.001·0.6² = 0.00036",
        "  m̂ = m / (1 − 0.9^1) = 0.06 / 0.1 = 0.6",
        "  v̂ = v / (1 − 0.999^1) = 0.00036 / 0.001 = 0.36",
        "  w ← p − 0.01·m̂ / (√v̂ + 1e-08) = 1 − 0.01·0.6 / (0.6 + 1e-08) = 0.99",
    ]
    (second,) = opt.step_steps()
    assert second.lines[4].startswith("  m̂ = m / (1 − 0.9^2) = ")
    assert second.numbers["m0"] == first.numbers["m"] and opt.steps == 2


def test_adamw_decays_the_weight_first_and_leaves_the_gradient_alone():
    w = Value(2.0, label="w")
    w.grad = -1.0
    (step,) = AdamW([w], lr=0.1, weight_decay=0.5).step_steps()
    assert step.lines[:3] == [
        "w: grad -1",
        "  p ← p − 0.1·0.5·p = 2 − 0.1·0.5·2 = 1.9",
        "  m ← 0.9·m + 0.1·g = 0.9·0 + 0.1·(-1) = -0.1",
    ]
    assert step.lines[-1] == "  w ← p − 0.1·m̂ / (√v̂ + 1e-08) = 1.9 − 0.1·(-1) / (1 + 1e-08) = 2"


def test_nothing_happens_before_the_first_next_and_the_step_counts_at_it():
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 1.0
    opt = Adam(ps, lr=0.1)
    steps = opt.step_steps()
    assert opt.steps == 0 and ps[0].data == 1.0
    first = next(steps)
    assert opt.steps == 1 and ps[0].data == first.after != 1.0 and ps[1].data == 2.0
    assert (first.index, first.total) == (0, 2)


def test_closed_halfway_the_yielded_params_are_updated_and_the_rest_are_not():
    ps = [Value(1.0), Value(2.0), Value(3.0)]
    for p in ps:
        p.grad = 1.0
    opt = SGD(ps, lr=0.5, momentum=0.9)
    steps = opt.step_steps()
    next(steps)
    steps.close()
    assert [p.data for p in ps] == [0.5, 2.0, 3.0]
    assert opt.momentum_buffer == [1.0, 0.0, 0.0] and opt.steps == 1


def two_params(make=lambda ps: SGD(ps, lr=0.1)):
    ps = [Value(1.0, label="a"), Value(2.0, label="b")]
    for p in ps:
        p.grad = 1.0
    return ps, make(ps)


def test_an_lr_changed_while_stepping_is_refused():
    ps, opt = two_params()
    steps = opt.step_steps()
    next(steps)
    opt.lr = 0.5
    with pytest.raises(RuntimeError, match="its lr changed from 0.1 to 0.5 while it was stepping"):
        next(steps)
    assert ps[1].data == 2.0  # b was not updated with a stale lr


def test_another_step_while_stepping_is_refused():
    ps, opt = two_params(lambda ps: Adam(ps, lr=0.1))
    steps = opt.step_steps()
    next(steps)
    opt.step()
    with pytest.raises(RuntimeError, match=r"another step ran \(its step count went from 1 to 2\)"):
        next(steps)


def test_a_yielded_param_written_while_stepping_is_refused():
    ps, opt = two_params()
    steps = opt.step_steps()
    next(steps)
    ps[0].data = 5.0
    with pytest.raises(RuntimeError, match="a was set to 5.0 after this update made it 0.9"):
        next(steps)


def test_an_earlier_param_written_is_found_when_the_steps_run_out():
    ps, opt = two_params()
    steps = opt.step_steps()
    next(steps)
    next(steps)
    ps[0].data = 5.0
    with pytest.raises(RuntimeError, match="a was set to 5.0"):
        next(steps)


def test_state_replaced_while_stepping_is_refused():
    ps, opt = two_params(lambda ps: SGD(ps, lr=0.1, momentum=0.9))
    saved = opt.state_dict()
    steps = opt.step_steps()
    next(steps)
    saved["steps"] = 1
    opt.load_state_dict(saved)
    with pytest.raises(RuntimeError, match="its state was replaced"):
        next(steps)


def test_an_optimizer_without_an_update_rule_says_so():
    class Custom(Optimizer):
        def step(self):
            pass

    with pytest.raises(NotImplementedError, match="Custom cannot show its update step by step"):
        next(Custom([Value(1.0)], lr=0.1).step_steps())
