"""nn.MLP, Layer, Neuron: shapes, labels, seeds, bad input, and learning XOR and moons."""

import math
import random

import pytest

import engine
from engine import Value
from nn import MLP, Layer, Neuron
from nn.losses import hinge, l2, mse
from nn.optim import SGD, Adam, LinearLR

# ---- data made inline (nn.data is tested on its own) ----

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [-1, 1, 1, -1]


def moons(n=100, noise=0.1, seed=0):
    """Two interleaved half circles (scikit-learn's make_moons), labels -1 (outer) and 1."""
    rng = random.Random(seed)
    X, y = [], []
    half = n // 2
    for i in range(n):
        t = math.pi * (i % half) / (half - 1)
        if i < half:
            x0, x1, label = math.cos(t), math.sin(t), -1
        else:
            x0, x1, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        X.append([x0 + rng.gauss(0, noise), x1 + rng.gauss(0, noise)])
        y.append(label)
    return X, y


def steps_to_fit(model, X, Y, opt, steps, loss, schedule=None, alpha=0.0):
    """Train full batch until every sign is right; the number of steps it took, or None."""
    params = model.parameters()
    for k in range(steps + 1):
        scores = [model(x) for x in X]
        if all((s.data > 0) == (y > 0) for s, y in zip(scores, Y, strict=True)):
            return k
        if k == steps:
            return None
        total = loss(scores, Y) + (alpha * l2(params) if alpha else 0.0)
        opt.zero_grad()
        total.backward()
        opt.step()
        if schedule is not None:
            schedule.step()


# ---- learning ----


def test_micrograd_demo_fits_moons():
    # micrograd's demo: 2-16-16-1 ReLU, its init, hinge + 1e-4·L2, SGD with lr 1.0 -> 0.1.
    X, Y = moons(seed=0)
    model = MLP(2, [16, 16, 1], seed=1, init="micrograd")
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    assert steps_to_fit(model, X, Y, opt, 100, hinge, schedule, alpha=1e-4) is not None


def test_default_init_fits_moons_with_adam():
    X, Y = moons(seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    assert steps_to_fit(model, X, Y, Adam(model.parameters(), lr=0.05), 100, hinge) is not None


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_fits_xor(activation):
    model = MLP(2, [8, 1], activation=activation, seed=0)
    opt = Adam(model.parameters(), lr=0.1)
    assert steps_to_fit(model, XOR_X, XOR_Y, opt, 300, mse) is not None


def test_a_linear_model_cannot_fit_xor():
    # The test above is not trivially passing: without a hidden layer XOR stays out of reach.
    model = MLP(2, [1], seed=0)
    assert steps_to_fit(model, XOR_X, XOR_Y, Adam(model.parameters(), lr=0.1), 200, mse) is None


# ---- shapes and outputs ----


def test_one_output_is_a_bare_value_several_are_a_list():
    assert type(MLP(3, [4, 1], seed=0)([1.0, 2.0, 3.0])) is Value
    out = MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])
    assert type(out) is list and len(out) == 2 and all(type(v) is Value for v in out)


def test_a_hidden_layer_of_one_neuron_works_like_any_other():
    # micrograd's Layer returns a bare scalar here and the next layer fails on it.
    model = MLP(2, [1, 3, 1], seed=0)
    assert type(model([0.5, -0.5])) is Value
    assert type(Layer(2, 1)([0.5, -0.5])) is list


def test_inputs_may_be_values_and_gradients_reach_them():
    x = [Value(0.3, "x0"), Value(-0.7, "x1")]
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model(x).backward()
    assert any(v.grad != 0.0 for v in x)


def test_forward_computes_act_of_w_dot_x_plus_b():
    n = Neuron(2, "tanh", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -2.0, 0.25
    assert n([1.0, 0.5]).data == math.tanh(0.5 - 1.0 + 0.25)
    n = Neuron(2, "relu", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -2.0, 0.25
    assert n([1.0, 0.5]).data == 0.0
    n = Neuron(2, "sigmoid", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 1.0, 1.0, 0.0
    assert n([0.0, 0.0]).data == 0.5


def test_the_last_layer_is_linear_and_hidden_layers_use_the_activation():
    model = MLP(2, [3, 3, 2], activation="tanh", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    out = model([1.0, -1.0])
    assert [v.op for v in out] == ["dot", "dot"]
    hidden = out[0].parents[:4]  # the dot's operands: w0..w2, b, then the hidden outputs
    assert all(p.op == "" for p in hidden)


def test_each_neuron_is_one_dot_node_plus_its_activation():
    model = MLP(2, [4, 1], seed=0)
    out = model([1.0, 2.0])
    nodes = [v for v in engine.topological_order(out) if v.op]
    assert sorted(v.op for v in nodes) == ["dot"] * 5 + ["relu"] * 4


def test_parameter_gradients_match_finite_differences():
    model = MLP(2, [3, 2], activation="tanh", seed=0)

    def f():
        a, b = model([0.4, -1.1])
        return a * b

    model.zero_grad()
    f().backward()
    eps = 1e-6
    for p in model.parameters():
        saved = p.data
        p.data = saved + eps
        up = f().data
        p.data = saved - eps
        down = f().data
        p.data = saved
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-7), p.label


# ---- labels ----


def test_parameters_are_labelled_by_where_they_live():
    model = MLP(2, [3, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert labels[:4] == ["L1.N0.w0", "L1.N0.w1", "L1.N0.b", "L1.N1.w0"]
    assert labels[-3:] == ["L2.N0.w1", "L2.N0.w2", "L2.N0.b"]
    assert len(labels) == len(set(labels)) == 3 * 3 + 4


def test_neuron_outputs_are_labelled():
    model = MLP(2, [3, 2], seed=0)
    out = model([1.0, 2.0])
    assert [v.label for v in out] == ["L2.N0", "L2.N1"]
    hidden = [p for p in out[0].parents if p.label.startswith("L1.N") and p.op]
    assert sorted(v.label for v in hidden) == ["L1.N0", "L1.N1", "L1.N2"]


def test_parameter_count_is_the_sum_of_fan_ins_plus_biases():
    assert len(MLP(2, [16, 16, 1]).parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + 17
    assert len(Layer(3, 4).parameters()) == 16
    assert len(Neuron(5).parameters()) == 6


# ---- seeds and initialisation ----


def test_same_seed_same_weights_and_the_global_random_state_is_untouched():
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = MLP(2, [16, 16, 1], seed=7).state_dict()
    assert random.random() == before
    assert MLP(2, [16, 16, 1], seed=7).state_dict() == a
    assert MLP(2, [16, 16, 1], seed=8).state_dict() != a


def test_no_seed_gives_different_weights():
    assert MLP(2, [4, 1]).state_dict() != MLP(2, [4, 1]).state_dict()


def test_scaled_init_is_bounded_by_one_over_sqrt_fan_in():
    model = MLP(64, [32, 10], seed=0)
    for layer in model.layers:
        bound = 1.0 / math.sqrt(layer.nin)
        values = [p.data for p in layer.parameters()]
        assert max(abs(v) for v in values) <= bound
        assert max(abs(v) for v in values) > 0.9 * bound  # spread over the whole range


def test_micrograd_init_is_uniform_in_minus_one_one_with_zero_bias():
    model = MLP(2, [16, 16, 1], seed=0, init="micrograd")
    neurons = [n for layer in model.layers for n in layer.neurons]
    assert all(n.b.data == 0.0 for n in neurons)
    weights = [w.data for n in neurons for w in n.w]
    assert max(map(abs, weights)) <= 1.0 and max(map(abs, weights)) > 0.9


def test_micrograd_init_draws_what_micrograd_draws_after_random_seed():
    # micrograd's Neuron: w = [Value(random.uniform(-1, 1)) for _ in range(nin)], b = Value(0).
    model = MLP(2, [4, 1], seed=42, init="micrograd")
    rng = random.Random(42)
    expected = [rng.uniform(-1, 1) for _ in range(2 * 4 + 4 * 1)]
    assert [w.data for layer in model.layers for n in layer.neurons for w in n.w] == expected


def test_repr_shows_the_architecture():
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2, [16, 16, 1], activation='relu')"
    assert repr(MLP(2, [1], "tanh", init="micrograd")) == (
        "MLP(2, [1], activation='tanh', init='micrograd')"
    )


# ---- zero_grad ----


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---- bad input ----


def test_wrong_input_length_names_expected_and_given_sizes():
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expects 3 inputs, got 1"):
        Layer(3, 2)([1.0])
    with pytest.raises(ValueError, match="expects 2 inputs, got 0"):
        Neuron(2)([])


def test_non_list_input_is_a_type_error():
    with pytest.raises(TypeError, match="list of 2 numbers or Values, not float"):
        MLP(2, [1], seed=0)(1.0)
    with pytest.raises(TypeError):
        MLP(2, [1], seed=0)(["a", "b"])


def test_a_batch_says_to_call_the_model_one_sample_at_a_time():
    model = MLP(2, [3, 1], seed=0)
    message = (
        r"MLP takes one sample \(a list of 2 numbers\); got a list of 2 lists; "
        r"call it per sample: \[model\(x\) for x in X\]"
    )
    with pytest.raises(TypeError, match=message):
        model([[1.0, 2.0], [3.0, 4.0]])  # as many rows as the model has inputs
    with pytest.raises(TypeError, match="got a list of 3 lists; call it per sample"):
        model([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with pytest.raises(TypeError, match=r"got a tuple of 2 tuples"):
        model(((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(TypeError, match=r"got a list at \[1\]"):
        model([1.0, [2.0]])
    with pytest.raises(TypeError, match=r"Layer takes one sample .*\[layer\(x\) for x in X\]"):
        Layer(1, 2)([[1.0]])
    with pytest.raises(TypeError, match=r"Neuron takes one sample .*got a list of 3 lists"):
        Neuron(2)([[1.0], [2.0], [3.0]])


def test_an_entry_that_is_not_a_number_is_named_by_its_place():
    with pytest.raises(TypeError, match=r"MLP input must hold numbers or Values; \[1\] is str"):
        MLP(2, [1], seed=0)([1.0, "b"])
    with pytest.raises(TypeError, match=r"Layer input .*\[0\] is NoneType"):
        Layer(2, 2)([None, 1.0])
    with pytest.raises(TypeError, match=r"Neuron input .*\[0\] is bool"):
        Neuron(1)([True])


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((0, [1]), {}, ValueError, "nin must be an int >= 1, got 0"),
        ((2.0, [1]), {}, TypeError, "nin must be an int >= 1, not float"),
        ((2, []), {}, ValueError, "at least one layer size"),
        ((2, 3), {}, TypeError, "nouts must be a list of layer sizes"),
        ((2, [3, 0]), {}, ValueError, r"nouts\[1\] must be an int >= 1, got 0"),
        ((2, [3, True]), {}, TypeError, r"nouts\[1\] must be an int >= 1, not bool"),
        ((2, [1]), {"activation": "gelu"}, ValueError, "'relu', 'tanh', 'sigmoid', 'linear'"),
        ((2, [1]), {"seed": "x"}, TypeError, r"seed must be an int \(or None"),
        ((2, [1]), {"init": "xavier"}, ValueError, "init must be one of 'scaled', 'micrograd'"),
    ],
)
def test_bad_arguments_say_what_is_allowed(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        MLP(*args, **kwargs)
