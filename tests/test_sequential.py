"""Standardize and Sequential: a model that carries its preprocessing, saved and checked as data."""

import copy
import json
import math

import pytest

import nn
from engine import Value
from nn import MLP, Module, Sequential, Standardize, fit
from nn.data import load_iris, make_blobs
from nn.optim import Adam

ROWS = [[150.0, 2.0, 7.0], [170.0, 4.0, 7.0], [190.0, 9.0, 7.0], [160.0, 1.0, 7.0]]


def column(rows, j):
    return [row[j] for row in rows]


def test_standardize_fit_gives_each_training_feature_mean_0_and_std_1():
    scale = Standardize.fit(ROWS)
    Z = [scale(x) for x in ROWS]
    for j in (0, 1):
        values = column(Z, j)
        assert math.fsum(values) / len(values) == pytest.approx(0.0, abs=1e-12)
        assert math.fsum(v * v for v in values) / len(values) == pytest.approx(1.0)
    assert column(Z, 2) == [0.0] * 4  # a constant feature carries nothing: scale 0, not 1/0
    assert scale.mean[0] == 167.5 and scale.scale[2] == 0.0 and scale.nin == 3


def test_standardize_holds_data_not_parameters():
    scale = Standardize.fit(ROWS)
    assert scale.parameters() == [] and scale.state_dict() == {}
    assert scale.config() == {"mean": scale.mean, "scale": scale.scale}
    x = [Value(160.0), 3.0, 7.0]  # Values go through too, so gradients reach the inputs
    out = scale(x)
    out[0].backward()
    assert x[0].grad == scale.scale[0]


@pytest.mark.parametrize(
    "args, error, words",
    [
        (([0.0, 1.0], [1.0]), ValueError, "one number per feature each; got 2 and 1"),
        (([0.0], [-1.0]), ValueError, "scale[0] is -1.0: a scale is 1/std, never negative"),
        (([float("nan")], [1.0]), ValueError, "mean[0] is nan: mean must hold finite numbers"),
        (([], []), ValueError, "Standardize needs at least one feature"),
        (("ab", [1.0, 1.0]), TypeError, "mean must be a list, not str"),
    ],
)
def test_standardize_refuses_numbers_that_scale_nothing(args, error, words):
    with pytest.raises(error) as info:
        Standardize(*args)
    assert words in str(info.value)


def test_standardize_takes_one_row_as_a_model_does():
    scale = Standardize.fit(ROWS)
    with pytest.raises(ValueError, match="Standardize expects 3 inputs, got 2"):
        scale([1.0, 2.0])
    with pytest.raises(TypeError, match=r"call it per sample: \[standardize\(x\) for x in X\]"):
        scale(ROWS[:3])
    with pytest.raises(TypeError, match=r"\[1\] is str"):
        scale([1.0, "2", 3.0])


def test_sequential_runs_its_parts_in_order_and_has_their_parameters():
    scale, mlp = Standardize.fit(ROWS), MLP(3, [4, 2], seed=0)
    model = Sequential(scale, mlp)
    assert model(ROWS[1])[1].data == mlp(scale(ROWS[1]))[1].data
    assert model.parameters() == mlp.parameters()
    assert [name for name, _ in model.named_parameters()][:2] == ["1.L1.N0.w0", "1.L1.N0.w1"]
    assert list(model) == [scale, mlp] and model[-1] is mlp and len(model) == 2
    assert model.nin == 3


def test_training_a_sequential_moves_the_weights_never_the_scaling():
    X, y = load_iris()
    model = Sequential(Standardize.fit(X), MLP(4, [8, 3], seed=0))
    mean, scale = list(model[0].mean), list(model[0].scale)
    history = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.05), steps=40)
    assert history.train_accuracy > 0.9  # raw centimetres in, trained through the scaling
    assert model[0].mean == mean and model[0].scale == scale


def test_a_module_holding_a_sequential_reports_its_parameters():
    class Wrapper(Module):
        def __init__(self):
            self.body = Sequential(Standardize.fit(ROWS), MLP(3, [2, 1], seed=0))

        def __call__(self, x):
            return self.body(x)

    model = Wrapper()
    assert len(model.parameters()) == 11
    assert next(iter(model.state_dict())) == "body.1.L1.N0.w0"


def test_sequential_refuses_what_is_not_a_model():
    with pytest.raises(ValueError, match="at least one module"):
        Sequential()
    with pytest.raises(TypeError, match="part 1 is list"):
        Sequential(MLP(2, [1]), [1.0])
    with pytest.raises(ValueError, match="different from each other"):
        Sequential(MLP(2, [2]), class_names=["a", "a"])
    with pytest.raises(TypeError, match="class_names must be a list of str, not str"):
        Sequential(MLP(2, [2]), class_names="ab")


# ---- saved and loaded as one model ----


@pytest.fixture
def saved(tmp_path):
    """A saved Sequential(Standardize, MLP 2-3-3) with class names: its path and document."""
    X, _ = make_blobs(30, seed=0)
    model = Sequential(Standardize.fit(X), MLP(2, [3, 3], seed=0), class_names=["a", "b", "c"])
    path = tmp_path / "model.json"
    model.save(path)
    return path, json.loads(path.read_text())


def test_a_sequential_round_trips_with_its_scaling_and_class_names(saved):
    path, document = saved
    assert [part["format"] for part in document["modules"]] == [
        "gradstep.standardize",
        "gradstep.mlp",
    ]
    assert "state" not in document["modules"][1] and document["class_names"] == ["a", "b", "c"]
    loaded = nn.load(path)
    assert type(loaded) is Sequential and type(loaded[0]) is Standardize
    assert loaded.class_names == ("a", "b", "c")
    original_mean = document["modules"][0]["mean"]
    assert loaded[0].mean == original_mean
    X, _ = make_blobs(30, seed=1)
    again = nn.load(path)
    assert [[v.data for v in loaded(x)] for x in X] == [[v.data for v in again(x)] for x in X]


def test_a_part_that_cannot_be_saved_is_named(tmp_path):
    class Doubler(Module):
        def __call__(self, x):
            return [2 * v for v in x]

    with pytest.raises(NotImplementedError, match="part 0 of this Sequential, a Doubler"):
        Sequential(Doubler(), MLP(2, [1])).save(tmp_path / "m.json")


def refused(path, *words):
    with pytest.raises(ValueError) as info:
        nn.load(path)
    message = str(info.value)
    assert info.type is ValueError and str(path) in message
    for word in words:
        assert word in message, message


def damaged(saved, change):
    path, document = saved
    document = copy.deepcopy(document)
    change(document)
    path.write_text(json.dumps(document))
    return path


def set_in(keys, value):
    def change(document):
        item = document
        for key in keys[:-1]:
            item = item[key]
        item[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    "keys, value, words",
    [
        (["modules", 1, "nouts"], [3, 0], "modules[1]: nouts[1] must be an int >= 1, got 0"),
        (["modules", 0, "mean", 1], None, "modules[0]: mean[1] is null: numbers must be numbers"),
        (["modules", 0, "scale", 0], -2.0, "modules[0]: scale[0] is -2.0"),
        (["modules", 0, "mean"], [0.0], "one number per feature each; they hold 1 and 2"),
        (["modules", 1, "nin"], 3, "modules[0] gives 2 numbers per sample but modules[1] takes 3"),
        (["modules", 1, "format"], "pickle", "modules[1]: a part is an object with a known"),
        (["modules", 1], [1, 2], "modules[1]: a part is an object with a known 'format'"),
        (["modules", 1, "state"], {}, "modules[1]: an MLP has the fields nin, nouts and"),
        (["modules"], [], "modules must be a list of parts"),
        (["class_names"], ["a", "b"], "class_names names 2 classes but the model has 3"),
        (["class_names"], ["a", "a", "b"], "class_names must be different"),
        (["class_names"], "abc", "class_names must be a list of strings"),
    ],
)
def test_every_part_is_checked_before_anything_is_built(saved, keys, value, words):
    refused(damaged(saved, set_in(keys, value)), words)


def test_a_missing_scale_field_and_a_count_that_does_not_add_up_are_named(saved):
    refused(damaged(saved, lambda d: d["modules"][0].pop("scale")), "missing ['scale']")
    refused(
        damaged(saved, set_in(["modules", 1, "nouts"], [4, 3])),
        "make 27 parameters but its 'state' holds 21",
    )


def test_a_small_nested_file_cannot_ask_for_a_huge_model(tmp_path, monkeypatch):
    def no_building(self, *args, **kwargs):
        raise AssertionError("load built a model from a config it had not checked")

    monkeypatch.setattr(MLP, "__init__", no_building)
    path = tmp_path / "bomb.json"
    bomb = {"format": "gradstep.mlp", "nin": 2, "nouts": [100000, 100000], "activation": "relu"}
    document = {"format": "gradstep.sequential", "version": 1, "modules": [bomb]}
    path.write_text(json.dumps({**document, "class_names": [], "state": {}}))
    refused(path, "make 10,000,400,000 parameters but its 'state' holds 0")


def test_sequentials_nested_too_deep_are_refused(tmp_path):
    part = {"format": "gradstep.mlp", "nin": 1, "nouts": [1], "activation": "relu"}
    for _ in range(12):
        part = {"format": "gradstep.sequential", "modules": [part], "class_names": []}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({**part, "version": 1, "state": {}}))
    refused(path, "nested more than 8 deep")
