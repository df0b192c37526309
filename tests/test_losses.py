"""nn.losses: values and gradients against hand computation, finite differences and PyTorch."""

import math

import pytest

from engine import Value, gradcheck
from nn import losses

# Reference numbers from real PyTorch 2.13 (float64), computed once in a separate venv with
# torch.nn.functional.{mse_loss, l1_loss, huber_loss, binary_cross_entropy_with_logits,
# cross_entropy}, torch.relu(1 - y*s).mean() for hinge and (p**2).sum() for l2, each with
# reduction='mean' and .backward() for the gradients. The project never imports torch.
TORCH = {
    "mse": (0.485, [-0.25, -0.6, 0.25, 0.0]),
    "mse2d": (0.495, [-0.25, -0.6, 0.25, -0.09999999999999999]),
    "l1": (0.55, [-0.25, -0.25, 0.25, 0.0]),
    "huber1": (1.09, [-0.1, -0.2, 0.1, 0.0, -0.2]),
    "huber05": (0.62, [-0.1, -0.1, 0.1, 0.0, -0.1]),
    "hinge": (0.9399999999999998, [-0.2, 0.0, 0.2, -0.2, -0.2]),
    "bce": (
        29.47437489520375,
        [
            0.14285714285714285,
            -0.14285714285714285,
            -0.07142857142857142,
            0.13202025999696523,
            -0.13608201811749046,
            0.0,
            5.3143942514583366e-45,
        ],
    ),
    "bce_soft": (
        0.7948240329423317,
        [0.16666666666666666, 0.12272925738938872, -0.1832779991041593],
    ),
    "ce": (
        500.121846132965,
        [
            0.05780597440553726,
            -0.09286707019705939,
            0.03506109579152212,
            0.0,
            3.459741316841844e-88,
            9.30018994005209e-45,
            0.00022278350027454577,
            0.005465442947903011,
            -0.005688226448177569,
            0.25,
            0.0,
            -0.25,
        ],
    ),
    "l2": (6.5, [1.0, -3.0, 4.0]),
}

X4, T4 = [0.5, -1.2, 3.0, 0.25], [1.0, 0.0, 2.5, 0.25]
X5, T5 = [0.5, -1.2, 3.0, 0.25, -4.0], [1.0, 0.0, 2.5, 0.25, 1.0]
BCE_X, BCE_T = [100.0, -100.0, 0.0, 2.5, -3.0, 100.0, -100.0], [0, 1, 1, 0, 1, 1, 0]
CE_X = [[1.0, 2.0, 0.5], [100.0, -100.0, 0.0], [-3.0, 0.2, 4.0], [1000.0, 0.0, -1000.0]]
CE_T = [1, 0, 2, 2]


def values(xs):
    return [Value(x) for x in xs]


def loss_and_grads(fn, xs, *args, **kwargs):
    ps = values(xs)
    loss = fn(ps, *args, **kwargs)
    loss.backward()
    return loss, [p.grad for p in ps]


def assert_matches_torch(name, loss, grads):
    expected_loss, expected_grads = TORCH[name]
    assert loss.data == pytest.approx(expected_loss, rel=0, abs=1e-9)
    assert grads == pytest.approx(expected_grads, rel=0, abs=1e-9)


@pytest.mark.parametrize(
    "name, fn, xs, ts, kwargs",
    [
        ("mse", losses.mse, X4, T4, {}),
        ("l1", losses.l1, X4, T4, {}),
        ("huber1", losses.huber, X5, T5, {"delta": 1.0}),
        ("huber05", losses.huber, X5, T5, {"delta": 0.5}),
        ("hinge", losses.hinge, [0.3, -2.0, 1.5, 0.9, -0.4], [1, -1, -1, 1, 1], {}),
        ("bce", losses.binary_cross_entropy, BCE_X, BCE_T, {}),
        ("bce_soft", losses.binary_cross_entropy, [0.0, 0.7, -0.2], [0.0, 0.3, 1.0], {}),
    ],
)
def test_each_loss_matches_pytorch(name, fn, xs, ts, kwargs):
    loss, grads = loss_and_grads(fn, xs, ts, **kwargs)
    assert type(loss) is Value
    assert_matches_torch(name, loss, grads)


def test_mse_over_per_sample_lists_is_the_mean_over_all_elements():
    ps = [values([0.5, -1.2]), values([3.0, 0.1])]
    loss = losses.mse(ps, [[1.0, 0.0], [2.5, 0.3]])
    loss.backward()
    assert_matches_torch("mse2d", loss, [p.grad for row in ps for p in row])


def test_cross_entropy_matches_pytorch_even_at_logits_of_1000():
    rows = [values(row) for row in CE_X]
    loss = losses.cross_entropy(rows, CE_T)
    loss.backward()
    assert math.isfinite(loss.data)
    assert_matches_torch("ce", loss, [z.grad for row in rows for z in row])


def test_l2_is_the_sum_of_squares_as_one_node():
    ps = values([0.5, -1.5, 2.0])
    penalty = losses.l2(ps)
    penalty.backward()
    assert penalty.op == "dot"
    assert_matches_torch("l2", penalty, [p.grad for p in ps])


def test_l2_takes_a_model_too():
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    expected = sum(p.data**2 for p in model.parameters())
    assert losses.l2(model).data == pytest.approx(expected, rel=1e-15)


# ---- hand-computed values ----


def test_mse_by_hand():
    # ((1 - 0)² + (3 - 1)²) / 2 = 2.5
    assert losses.mse(values([1.0, 3.0]), [0.0, 1.0]).data == 2.5


def test_l1_by_hand():
    # (|1 - 0| + |3 - 5|) / 2 = 1.5
    assert losses.l1(values([1.0, 3.0]), [0.0, 5.0]).data == 1.5


def test_huber_by_hand_on_both_sides_of_delta():
    # d = 0.5 < 1: 0.5·0.25 = 0.125; d = 3 >= 1: 1·(3 - 0.5) = 2.5; mean 1.3125
    assert losses.huber(values([0.5, 3.0]), [0.0, 0.0]).data == 1.3125
    # with delta = 2: d = 3 >= 2: 2·(3 - 1) = 4
    assert losses.huber(values([3.0]), [0.0], delta=2.0).data == 4.0


def test_hinge_by_hand():
    # max(0, 1 - 1·0.25) = 0.75, max(0, 1 + 1·(-2)) = 0  ->  mean 0.375
    assert losses.hinge(values([0.25, -2.0]), [1, -1]).data == 0.375


def test_binary_cross_entropy_by_hand():
    # t = 1 at x = 0: log 2; t = 0 at x = log 3: -log(1 - 3/4) = log 4
    loss = losses.binary_cross_entropy(values([0.0, math.log(3.0)]), [1, 0])
    assert loss.data == pytest.approx((math.log(2.0) + math.log(4.0)) / 2, rel=1e-15)


def test_cross_entropy_by_hand():
    # logits [0, log 3] target 1: softmax = [1/4, 3/4], loss = -log(3/4)
    loss = losses.cross_entropy([values([0.0, math.log(3.0)])], [1])
    assert loss.data == pytest.approx(-math.log(0.75), rel=1e-15)


def test_a_single_value_is_one_sample():
    assert losses.mse(Value(3.0), 1.0).data == 4.0


# ---- extreme logits: finite values and exact gradients (σ(x) - t) ----


@pytest.mark.parametrize("x", [100.0, -100.0, 745.0, -745.0, 0.0])
@pytest.mark.parametrize("t", [0, 1])
def test_binary_cross_entropy_is_finite_with_exact_gradient_at_extreme_logits(x, t):
    logit = Value(x)
    loss = losses.binary_cross_entropy([logit], [t])
    loss.backward()
    softplus = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x)
    assert loss.data == pytest.approx(softplus - x * t, rel=1e-12, abs=1e-15)

    def sigmoid(z):
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))

    # σ(x) - t, written so that neither side rounds to 0: σ(x) for t = 0, -σ(-x) for t = 1.
    expected = sigmoid(x) if t == 0 else -sigmoid(-x)
    assert logit.grad == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_binary_cross_entropy_gradient_at_zero_is_one_half_minus_target():
    # The relu/abs form of the stable formula gets x = 0 wrong (a kink); ours is smooth there.
    for t, expected in [(0, 0.5), (1, -0.5)]:
        logit = Value(0.0)
        losses.binary_cross_entropy([logit], [t]).backward()
        assert logit.grad == expected


def test_cross_entropy_gradient_is_softmax_minus_one_hot_at_huge_logits():
    z = values([800.0, 0.0, -800.0])
    loss = losses.cross_entropy([z], [0])
    loss.backward()
    assert loss.data == 0.0
    assert [v.grad for v in z] == [0.0, 0.0, 0.0]
    z = values([800.0, 0.0, -800.0])
    loss = losses.cross_entropy([z], [1])
    loss.backward()
    assert loss.data == 800.0
    assert [v.grad for v in z] == [1.0, -1.0, 0.0]


@pytest.mark.parametrize("offset", [1e10, 1e16, -1e16])
def test_cross_entropy_is_unchanged_by_a_large_common_offset(offset):
    # softmax(z + c) = softmax(z): the offset must cancel before the log, not after it (at 1e16
    # the old log-sum-exp + m - z_t rounded a loss of 0.14 to 0).
    base = [[2.0, 0.0, -2.0], [-4.0, 6.0, 2.0], [2.0, 2.0, 2.0]]
    assert all((x + offset) - offset == x for row in base for x in row)  # exact at this offset
    plain = [values(row) for row in base]
    moved = [values([x + offset for x in row]) for row in base]
    expected, loss = losses.cross_entropy(plain, [0, 2, 1]), losses.cross_entropy(moved, [0, 2, 1])
    expected.backward()
    loss.backward()
    assert loss.data == expected.data
    by_hand = [
        math.log(1 + math.exp(-2) + math.exp(-4)),  # target is the max: log Σ exp(z - max)
        math.log(math.exp(-10) + 1 + math.exp(-4)) + 4,  # 4 below the max
        math.log(3),  # all equal
    ]
    assert expected.data == pytest.approx(sum(by_hand) / 3, rel=1e-15)
    assert [z.grad for row in moved for z in row] == [z.grad for row in plain for z in row]


# ---- finite differences ----

POINTS = [0.3, -1.7, 2.2, -0.4]


@pytest.mark.parametrize(
    "fn",
    [
        lambda *p: losses.mse(list(p), [1.0, 0.5, -2.0, 0.0]),
        lambda *p: losses.l1(list(p), [1.0, 0.5, -2.0, 0.0]),
        lambda *p: losses.huber(list(p), [1.0, 0.5, -2.0, 0.0], delta=0.75),
        lambda *p: losses.hinge(list(p), [1, -1, -1, 1]),
        lambda *p: losses.binary_cross_entropy(list(p), [1, 0, 1, 0]),
        lambda *p: losses.cross_entropy([list(p[:2]), list(p[2:])], [1, 0]),
        lambda *p: losses.l2(list(p)),
    ],
    ids=["mse", "l1", "huber", "hinge", "bce", "cross_entropy", "l2"],
)
def test_gradients_match_finite_differences(fn):
    assert gradcheck(fn, POINTS)


def test_binary_cross_entropy_matches_finite_differences_at_large_logits():
    assert gradcheck(lambda a, b: losses.binary_cross_entropy([a, b], [1, 0]), [30.0, -30.0])
    assert gradcheck(lambda a, b: losses.binary_cross_entropy([a, b], [0, 1]), [30.0, -30.0])


# ---- bad input ----


def test_mismatched_lengths_name_both_sizes():
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        losses.mse(values([1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="2 samples of logits but 1 targets"):
        losses.cross_entropy([values([1.0, 2.0]), values([0.0, 1.0])], [0])
    with pytest.raises(ValueError, match="sample 1 has 1 predictions but 2 targets"):
        losses.mse([values([1.0, 2.0]), values([3.0])], [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    "fn",
    [
        losses.mse,
        losses.l1,
        losses.huber,
        losses.hinge,
        losses.binary_cross_entropy,
        losses.cross_entropy,
    ],
)
def test_empty_input_is_a_value_error(fn):
    with pytest.raises(ValueError, match="at least one sample"):
        fn([], [])


def test_hinge_rejects_zero_one_labels():
    with pytest.raises(ValueError, match="-1 or 1"):
        losses.hinge(values([0.5, 0.5]), [1, 0])


def test_binary_cross_entropy_rejects_targets_outside_zero_one():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.binary_cross_entropy(values([0.5, 0.5]), [1, -1])


def test_cross_entropy_checks_targets():
    rows = [values([1.0, 2.0, 3.0])]
    with pytest.raises(ValueError, match=r"0\.\.2; targets\[0\] is 3"):
        losses.cross_entropy(rows, [3])
    with pytest.raises(ValueError, match="targets"):
        losses.cross_entropy(rows, [-1])
    with pytest.raises(TypeError, match="int class indices"):
        losses.cross_entropy(rows, [1.0])
    with pytest.raises(TypeError, match="one list of class scores per sample"):
        losses.cross_entropy(values([1.0, 2.0]), [0, 1])
    with pytest.raises(ValueError, match="same number"):
        losses.cross_entropy([values([1.0, 2.0]), values([1.0])], [0, 0])


def test_predictions_must_be_values_and_targets_numbers():
    with pytest.raises(TypeError, match=r"preds must be Values .*preds\[0\] is float"):
        losses.mse([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(TypeError, match=r"targets\[1\] must be a number, not str"):
        losses.mse(values([1.0, 2.0]), [1.0, "2"])
    with pytest.raises(TypeError, match="use .data"):
        losses.mse(values([1.0]), [Value(1.0)])


def test_huber_delta_must_be_positive():
    with pytest.raises(ValueError, match="delta"):
        losses.huber(values([1.0]), [0.0], delta=0.0)


def test_l2_needs_values():
    with pytest.raises(ValueError, match="at least one parameter"):
        losses.l2([])
    with pytest.raises(TypeError, match=r"params\[1\] is float"):
        losses.l2([Value(1.0), 2.0])
