"""Learning-rate schedules: hand-computed values of PyTorch's documented closed forms."""

import math

import pytest

from engine import Value
from nn.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, LinearLR, StepLR


def lrs(make, lr=1.0, steps=8):
    """The optimizer's lr when the schedule is made, then after each of `steps` steps."""
    opt = SGD([Value(0.0)], lr=lr)
    schedule = make(opt)
    out = [opt.lr]
    for _ in range(steps):
        schedule.step()
        out.append(opt.lr)
        assert schedule.last_lr == opt.lr
    return out


def test_step_lr_multiplies_by_gamma_every_step_size_steps():
    got = lrs(lambda opt: StepLR(opt, step_size=3, gamma=0.5))
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_step_lr_default_gamma_is_a_tenth():
    assert lrs(lambda opt: StepLR(opt, step_size=1), steps=2) == pytest.approx([1.0, 0.1, 0.01])


def test_exponential_lr_is_base_times_gamma_to_the_t():
    got = lrs(lambda opt: ExponentialLR(opt, gamma=0.9), lr=2.0)
    assert got == pytest.approx([2.0 * 0.9**t for t in range(9)], rel=1e-15)


def test_cosine_annealing_by_hand():
    # eta_min + (1 - eta_min)·(1 + cos(πt/4))/2 with eta_min = 0.1:
    # t=0: 1, t=1: 0.1 + 0.45·(1 + √½), t=2: 0.55, t=3: 0.1 + 0.45·(1 - √½), t=4: 0.1, then back up.
    half = math.sqrt(0.5)
    expected = [
        1.0,
        0.1 + 0.45 * (1 + half),
        0.55,
        0.1 + 0.45 * (1 - half),
        0.1,
        0.1 + 0.45 * (1 - half),
        0.55,
        0.1 + 0.45 * (1 + half),
        1.0,
    ]
    got = lrs(lambda opt: CosineAnnealingLR(opt, T_max=4, eta_min=0.1))
    assert got == pytest.approx(expected, rel=1e-14)


def test_linear_lr_is_micrograd_demo_schedule():
    # micrograd's demo: lr = 1.0 - 0.9·k/100 at step k, for 100 steps.
    got = lrs(
        lambda opt: LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100), steps=120
    )
    assert got[:101] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(101)], rel=1e-14)
    assert got[100:] == pytest.approx([0.1] * 21, rel=1e-14)


def test_linear_lr_warm_up_from_a_quarter():
    got = lrs(
        lambda opt: LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=3), lr=0.5, steps=5
    )
    assert got == pytest.approx([0.125, 0.25, 0.375, 0.5, 0.5, 0.5], rel=1e-15)


# torch.optim.lr_scheduler (2.13) on SGD(lr=1.0), lr after construction and after each step().
TORCH = {
    "step": [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25],
    "exp": [
        1.0,
        0.9,
        0.81,
        0.7290000000000001,
        0.6561000000000001,
        0.5904900000000002,
        0.5314410000000002,
        0.47829690000000014,
        0.43046721000000016,
    ],
    "cos": [
        1.0,
        0.8681980515339464,
        0.55,
        0.23180194846605368,
        0.1,
        0.2318019484660536,
        0.55,
        0.8681980515339467,
        1.0000000000000004,
        0.8681980515339468,
        0.5500000000000004,
    ],
    "lin": [
        1.0,
        0.8200000000000001,
        0.6400000000000001,
        0.4600000000000001,
        0.2800000000000001,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
    ],
}


@pytest.mark.parametrize(
    "name, make, steps",
    [
        ("step", lambda opt: StepLR(opt, 3, gamma=0.5), 8),
        ("exp", lambda opt: ExponentialLR(opt, 0.9), 8),
        ("cos", lambda opt: CosineAnnealingLR(opt, T_max=4, eta_min=0.1), 10),
        ("lin", lambda opt: LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=5), 8),
    ],
)
def test_schedules_match_pytorch(name, make, steps):
    assert lrs(make, steps=steps) == pytest.approx(TORCH[name], rel=1e-12)


def test_schedule_remembers_base_lr_and_counts_steps():
    opt = Adam([Value(0.0)], lr=0.02)
    schedule = ExponentialLR(opt, gamma=0.5)
    schedule.step()
    schedule.step()
    assert schedule.base_lr == 0.02
    assert schedule.last_epoch == 2
    assert schedule.last_lr == opt.lr == 0.005


def test_schedules_check_their_arguments():
    opt = SGD([Value(0.0)], lr=1.0)
    with pytest.raises(TypeError, match="optimizer from nn.optim"):
        StepLR("sgd", step_size=1)
    with pytest.raises(ValueError, match="step_size must be an int >= 1"):
        StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="step_size must be an int >= 1"):
        StepLR(opt, step_size=1.5)
    with pytest.raises(ValueError, match="gamma must be a finite number > 0"):
        ExponentialLR(opt, gamma=0.0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="eta_min"):
        CosineAnnealingLR(opt, T_max=10, eta_min=-1.0)
    with pytest.raises(ValueError, match=r"start_factor must be in \(0, 1\]"):
        LinearLR(opt, start_factor=0.0, end_factor=1.0, total_iters=5)
    with pytest.raises(ValueError, match=r"end_factor must be in \[0, 1\]"):
        LinearLR(opt, start_factor=1.0, end_factor=2.0, total_iters=5)
    with pytest.raises(ValueError, match="total_iters"):
        LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=0)
    assert opt.lr == 1.0  # nothing was changed by the failed constructions
