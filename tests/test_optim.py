"""nn.optim's SGD, Adam and AdamW: hand-computed steps of PyTorch's documented rules."""

import math

import pytest

from engine import Value
from nn.optim import SGD, Adam, AdamW


def run(opt, p, grads):
    """Step `opt` once per gradient in `grads` (given by hand) and return p.data after each."""
    out = []
    for g in grads:
        p.grad = g
        opt.step()
        out.append(p.data)
    return out


# ---- SGD ----


def test_sgd_step_is_p_minus_lr_times_grad():
    w = Value(1.0)
    assert run(SGD([w], lr=0.1), w, [0.5]) == [1.0 - 0.1 * 0.5]


def test_sgd_momentum_buffer_starts_at_the_gradient():
    # b1 = g = 1; b2 = 0.9·1 + 1 = 1.9; b3 = 0.9·1.9 + 1 = 2.71;  p -= 0.1·b
    w = Value(0.0)
    got = run(SGD([w], lr=0.1, momentum=0.9), w, [1.0, 1.0, 1.0])
    assert got == pytest.approx([-0.1, -0.1 - 0.19, -0.1 - 0.19 - 0.271], rel=1e-15)


def test_sgd_nesterov_adds_momentum_times_the_new_buffer():
    # g + 0.9·b with b = 1, 1.9, 2.71: steps of 1.9, 2.71, 3.439
    w = Value(0.0)
    got = run(SGD([w], lr=0.1, momentum=0.9, nesterov=True), w, [1.0, 1.0, 1.0])
    assert got == pytest.approx([-0.19, -0.19 - 0.271, -0.19 - 0.271 - 0.3439], rel=1e-15)


def test_sgd_weight_decay_adds_decay_times_p_to_the_gradient():
    # g' = 0.5 + 0.1·2 = 0.7 -> p = 2 - 0.07; then with momentum 0.9:
    # g' = 0.5 + 0.1·1.93 = 0.693, b = 0.9·0.7 + 0.693 = 1.323 -> p = 1.93 - 0.1323
    w = Value(2.0)
    got = run(SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1), w, [0.5, 0.5])
    assert got == pytest.approx([1.93, 1.93 - 0.1323], rel=1e-15)


def test_sgd_lr_is_settable_between_steps():
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    opt.lr = 0.5
    assert run(opt, w, [1.0]) == [0.5]


# ---- Adam / AdamW ----


def adam_by_hand(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False):
    """The documented Adam/AdamW rule, written out the plain way, one step per gradient."""
    m = v = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p - lr * wd * p
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(p)
    return out


def test_adam_first_step_moves_by_lr_thanks_to_bias_correction():
    # m̂ = g and v̂ = g² at t = 1, so the step is lr·g/(|g| + eps) ~ lr, whatever |g| is.
    for g in [1e-3, 0.5, 40.0]:
        w = Value(1.0)
        assert run(Adam([w], lr=0.1), w, [g]) == pytest.approx([1.0 - 0.1 * g / (g + 1e-8)])


def test_adam_three_steps_by_hand():
    # t = 1: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25 -> p = 1 - 0.1·0.5/(0.5 + 1e-8)
    p1 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8)
    # t = 2, g = -1: m = 0.045 - 0.1, v = 0.00024975 + 0.001
    m2, v2 = -0.055, 0.00124975
    p2 = p1 - 0.1 * (m2 / (1 - 0.81)) / (math.sqrt(v2 / (1 - 0.998001)) + 1e-8)
    # t = 3, g = 0.25
    m3, v3 = 0.9 * m2 + 0.1 * 0.25, 0.999 * v2 + 0.001 * 0.0625
    p3 = p2 - 0.1 * (m3 / (1 - 0.729)) / (math.sqrt(v3 / (1 - 0.999**3)) + 1e-8)
    w = Value(1.0)
    got = run(Adam([w], lr=0.1), w, [0.5, -1.0, 0.25])
    assert got == pytest.approx([p1, p2, p3], rel=1e-12)
    assert got == pytest.approx(adam_by_hand(1.0, [0.5, -1.0, 0.25], lr=0.1), rel=1e-12)


def test_adam_adds_eps_after_the_square_root():
    # eps = 1: the first step is lr·0.5/(√0.25 + 1) = lr/3, not lr·0.5/√(0.25 + 1).
    w = Value(0.0)
    assert run(Adam([w], lr=0.3, eps=1.0), w, [0.5]) == pytest.approx([-0.1], rel=1e-15)


def test_adam_with_zero_gradient_leaves_p_alone():
    w = Value(0.7)
    assert run(Adam([w], lr=0.1), w, [0.0, 0.0]) == [0.7, 0.7]


def test_adam_weight_decay_is_coupled_and_adamw_decoupled():
    # Gradient 0, weight decay 0.1, p = 2, lr = 0.1:
    # Adam: g' = 0.2, so the step is ~lr (the decay is normalised by √v̂): p ~ 1.9.
    # AdamW: p = 2·(1 - 0.1·0.1) = 1.98, and the Adam part has nothing to do.
    w = Value(2.0)
    assert run(Adam([w], lr=0.1, weight_decay=0.1), w, [0.0]) == pytest.approx(
        [2.0 - 0.1 * 0.2 / (0.2 + 1e-8)], rel=1e-15
    )
    w = Value(2.0)
    assert run(AdamW([w], lr=0.1, weight_decay=0.1), w, [0.0]) == pytest.approx([1.98], rel=1e-15)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw_follow_the_written_out_rule(decoupled):
    grads = [0.5, -1.0, 0.25, 2.0]
    kwargs = {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.2}
    w = Value(1.5)
    opt = (AdamW if decoupled else Adam)([w], **kwargs)
    expected = adam_by_hand(1.5, grads, 0.05, 0.8, 0.99, 1e-6, 0.2, decoupled)
    assert run(opt, w, grads) == pytest.approx(expected, rel=1e-12)


def test_adamw_default_weight_decay_is_1e_2():
    assert AdamW([Value(1.0)]).weight_decay == 1e-2
    assert Adam([Value(1.0)]).weight_decay == 0.0


# ---- cross-check with PyTorch ----

# torch.optim (2.13, float64) on loss = Σ w_i·(p_i - t_i)² with p0 = [1, -2, 0.5],
# t = [0, 1, 0.5], w = [1, 3, 0.5], five steps of zero_grad/backward/step; p after the fifth.
TORCH = {
    "sgd": [0.32768, 0.96928, 0.5],
    "sgd_momentum_wd": [-0.5839561251724011, 1.6787367495094019, 0.4948672524340995],
    "sgd_nesterov_wd": [-0.4163600738137102, 0.8131896939798143, 0.49450103668584655],
    "adam": [0.5079636592643418, -1.5017794556570518, 0.5],
    "adam_wd": [0.5130595288840558, -1.5033418669834002, 0.48077831098624063],
    "adamw": [0.46995265699220734, -1.4140583576062802, 0.44546562259380973],
}
MAKERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd_momentum_wd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov_wd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=0.1),
    "adam_wd": lambda ps: Adam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda ps: AdamW(ps, lr=0.1, weight_decay=0.1),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_five_steps_match_pytorch(name):
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    targets, weights = [0.0, 1.0, 0.5], [1.0, 3.0, 0.5]
    opt = MAKERS[name](ps)
    for _ in range(5):
        opt.zero_grad()
        loss = sum(w * (p - t) ** 2 for p, t, w in zip(ps, targets, weights, strict=True))
        loss.backward()
        opt.step()
    assert [p.data for p in ps] == pytest.approx(TORCH[name], rel=1e-12, abs=1e-15)


# ---- shared behaviour ----


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_zero_grad_clears_every_grad(cls):
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    cls(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_step_builds_no_graph(cls):
    w = Value(1.0)
    w.grad = 0.5
    cls([w], lr=0.1).step()
    assert type(w.data) is float and w.op == "" and w.parents == ()


@pytest.mark.parametrize("cls", [Adam, SGD])
def test_state_dict_resumes_exactly(cls):
    kwargs = {"lr": 0.1, "momentum": 0.9} if cls is SGD else {"lr": 0.1}
    a, b = Value(1.0), Value(1.0)
    opt_a = cls([a], **kwargs)
    run(opt_a, a, [0.5, -0.25])
    opt_b = cls([b], **kwargs)
    b.data = a.data
    opt_b.load_state_dict(opt_a.state_dict())
    assert run(opt_a, a, [0.3, 0.1]) == run(opt_b, b, [0.3, 0.1])


def test_load_state_dict_checks_first_and_changes_nothing_on_error():
    opt = Adam([Value(1.0), Value(2.0)], lr=0.1)
    state = opt.state_dict()
    state["exp_avg"] = [0.0]
    with pytest.raises(ValueError, match="exp_avg must be a list of 2 numbers"):
        opt.load_state_dict(state)
    state = opt.state_dict() | {"lr": 5.0, "steps": 3, "exp_avg_sq": [1.0, "x"]}
    with pytest.raises(TypeError, match="exp_avg_sq"):
        opt.load_state_dict(state)
    assert opt.lr == 0.1 and opt.steps == 0
    with pytest.raises(ValueError, match="needs keys"):
        opt.load_state_dict({"lr": 0.1})


# ---- bad input ----


def test_params_must_be_a_nonempty_iterable_of_distinct_values():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is float"):
        SGD([Value(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Values"):
        Adam(3.0)
    w = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        SGD([w, w], lr=0.1)


def test_passing_the_model_instead_of_its_parameters_says_so():
    from nn import MLP

    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        SGD(MLP(2, [1], seed=0), lr=0.1)


def test_a_generator_of_parameters_is_fine():
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    opt = SGD((p for p in model.parameters()), lr=0.1)
    assert opt.params == model.parameters() and len(opt.params) == 13


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: SGD(ps, lr=-0.1), "lr must be a finite number >= 0"),
        (lambda ps: SGD(ps, lr=math.nan), "lr must be a finite number >= 0"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum must be a finite number >= 0"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov momentum needs momentum > 0"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda ps: Adam(ps, betas=(-0.1, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
        (lambda ps: Adam(ps, eps=0.0), "eps must be a finite number > 0"),
        (lambda ps: AdamW(ps, weight_decay=-0.01), "weight_decay"),
    ],
)
def test_bad_hyperparameters_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="lr must be a real number, not str"):
        SGD([Value(1.0)], lr="0.1")
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam([Value(1.0)], betas=0.9)
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov="yes")
    opt = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0
    assert opt.lr == 0.1
