"""nn.Module: parameters, state dicts, and saving/loading models as JSON."""

import json
import math
import os

import pytest

import nn
from engine import Value
from nn import MLP, Module


def outputs(model, points):
    return [model(x).data for x in points]


POINTS = [[0.1, -0.2], [1.5, 2.5], [-3.0, 0.7], [1e-3, 1e3]]


# ---- save / load ----


def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    model = MLP(2, [16, 16, 1], activation="tanh", seed=3)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is MLP
    assert loaded.state_dict() == model.state_dict()  # bit for bit: floats keep repr precision
    assert outputs(loaded, POINTS) == outputs(model, POINTS)


def test_round_trip_of_a_multi_output_model_after_training(tmp_path):
    model = MLP(3, [5, 3], seed=0)
    for p in model.parameters():  # awkward floats that a short decimal form would round
        p.data = p.data / 3.0 + 1e-17
    model.save(str(tmp_path / "m.json"))
    loaded = nn.load(str(tmp_path / "m.json"))
    x = [0.3, -0.1, 2.0]
    assert [v.data for v in loaded(x)] == [v.data for v in model(x)]
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]


def test_saved_file_is_plain_json_in_the_documented_format(tmp_path):
    model = MLP(2, [4, 1], activation="sigmoid", seed=0)
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["format"] == "gradstep.mlp"
    assert document["version"] == 1
    assert (document["nin"], document["nouts"], document["activation"]) == (2, [4, 1], "sigmoid")
    assert list(document["state"]) == [p.label for p in model.parameters()]
    assert set(document) == {"format", "version", "nin", "nouts", "activation", "state"}


def test_save_replaces_the_file_whole_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    second = MLP(2, [3, 1], seed=1)
    second.save(path)
    assert nn.load(path).state_dict() == second.state_dict()
    assert os.listdir(tmp_path) == ["m.json"]


def test_a_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.json"
    good = MLP(2, [3, 1], seed=0)
    good.save(path)
    bad = MLP(2, [3, 1], seed=1)
    bad.parameters()[0].data = math.nan
    with pytest.raises(ValueError, match="non-finite parameters.*L1.N0.w0"):
        bad.save(path)
    assert nn.load(path).state_dict() == good.state_dict()
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_into_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MLP(2, [1], seed=0).save(tmp_path / "no" / "m.json")


def test_load_rejects_files_that_are_not_saved_models(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="invalid JSON"):
        nn.load(path)
    path.write_text('{"format": "pickle"}')
    with pytest.raises(ValueError, match="unknown format 'pickle'.*gradstep.mlp"):
        nn.load(path)
    path.write_text('{"format": "gradstep.mlp", "version": 99, "state": {}}')
    with pytest.raises(ValueError, match="version 99"):
        nn.load(path)


def test_load_reports_a_state_that_does_not_fit_the_architecture(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    document["nouts"] = [4, 1]
    (tmp_path / "m.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="make 17 parameters but its 'state' holds 13"):
        nn.load(tmp_path / "m.json")


# ---- state dicts ----


def test_state_dict_maps_labels_to_floats_in_parameter_order():
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [p.label for p in model.parameters()]
    assert list(state.values()) == [p.data for p in model.parameters()]


def test_load_state_dict_sets_every_parameter():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert outputs(b, POINTS) == outputs(a, POINTS)


def test_load_state_dict_names_bad_keys_and_changes_nothing():
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = dict(before)
    del state["L1.N0.b"]
    state["L9.N0.w0"] = 1.0
    with pytest.raises(ValueError, match=r"missing 'L1.N0.b', unexpected 'L9.N0.w0'"):
        model.load_state_dict(state)
    state = {k: 0.0 for k in before} | {"L2.N0.b": "1.0", "L1.N1.w0": None}
    with pytest.raises(TypeError, match="'L1.N1.w0', 'L2.N0.b' are"):
        model.load_state_dict(state)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0, 2.0])
    assert model.state_dict() == before


def test_load_state_dict_accepts_ints():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"L1.N0.w0": 2, "L1.N0.b": -1})
    assert model([3.0]).data == 5.0


# ---- Module as a base class ----


class Scale(Module):
    """A one-parameter model, to check what Module gives any subclass."""

    def __init__(self):
        self.k = Value(2.0, "k")

    def __call__(self, x):
        return self.k * x

    def parameters(self):
        return [self.k]


def test_a_subclass_gets_zero_grad_and_state_dicts():
    model = Scale()
    model(3.0).backward()
    assert model.k.grad == 3.0
    model.zero_grad()
    assert model.k.grad == 0.0
    model.load_state_dict({"k": 5.0})
    assert model.state_dict() == {"k": 5.0}


def test_a_subclass_without_a_format_cannot_be_saved(tmp_path):
    with pytest.raises(NotImplementedError, match="Scale cannot be saved"):
        Scale().save(tmp_path / "s.json")
    assert os.listdir(tmp_path) == []


def test_module_call_is_abstract():
    with pytest.raises(TypeError):
        Module()


def test_repeated_labels_cannot_make_a_state_dict():
    class Twice(Scale):
        def parameters(self):
            return [self.k, Value(1.0, "k")]

    with pytest.raises(ValueError, match=r"repeated: \['k'\]"):
        Twice().state_dict()


# ---- a user's Module: its attributes are its parameters, as in PyTorch ----


class Classifier(Module):
    """A model written the PyTorch way: parts assigned as attributes, no parameters() of its own."""

    def __init__(self, seed=0):
        self.body = MLP(2, [3, 2], seed=seed)
        self.temperature = Value(1.0)
        self.bias = [Value(0.1), Value(-0.1)]

    def __call__(self, x):
        return [s / self.temperature + b for s, b in zip(self.body(x), self.bias, strict=True)]


def test_a_subclass_reports_the_parameters_of_its_attributes_in_assignment_order():
    model = Classifier()
    params = model.parameters()
    assert params == [*model.body.parameters(), model.temperature, *model.bias]
    assert len(params) == 3 * 3 + 2 * 4 + 1 + 2


def test_named_parameters_are_attribute_paths_and_labels_inside_an_mlp():
    names = [name for name, _ in Classifier().named_parameters()]
    assert names[:3] == ["body.L1.N0.w0", "body.L1.N0.w1", "body.L1.N0.b"]
    assert names[-3:] == ["temperature", "bias.0", "bias.1"]
    assert [name for name, _ in MLP(1, [1], seed=0).named_parameters()] == ["L1.N0.w0", "L1.N0.b"]


def test_a_subclass_zero_grads_and_trains_every_parameter_it_holds():
    model = Classifier()
    out = model([0.5, -1.0])
    (out[0] * out[1]).backward()
    held = [model.temperature, *model.bias, *model.body.parameters()]
    assert all(p.grad != 0.0 for p in [model.temperature, *model.bias])
    model.zero_grad()
    assert all(p.grad == 0.0 for p in held)


def test_fit_trains_the_parameters_a_subclass_holds():
    model = Classifier()
    before = model.state_dict()
    nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss="cross_entropy", steps=3, progress=False)
    after = model.state_dict()
    assert after["temperature"] != before["temperature"]
    assert after["body.L1.N0.w0"] != before["body.L1.N0.w0"]


def test_a_subclass_state_dict_round_trips_into_another_instance():
    a, b = Classifier(seed=0), Classifier(seed=1)
    a.temperature.data, a.bias[1].data = 2.0, 0.7
    assert [v.data for v in b([1.0, 2.0])] != [v.data for v in a([1.0, 2.0])]
    state = a.state_dict()
    assert state["temperature"] == 2.0 and state["bias.1"] == 0.7
    assert json.loads(json.dumps(state)) == state
    b.load_state_dict(state)
    assert [v.data for v in b([1.0, 2.0])] == [v.data for v in a([1.0, 2.0])]


def test_the_walk_finds_nested_modules_lists_and_tuples_and_lists_each_value_once():
    class Block(Module):
        def __init__(self):
            self.k = Value(3.0)
            self.rows = [[Value(1.0), Value(2.0)], (Value(4.0),)]

        def __call__(self, x):
            return self.k * x

    class Outer(Module):
        def __init__(self):
            self.block = Block()
            self.same = self.block.k  # the same Value again: listed once, under its first name
            self.again = self.block  # the same Module again
            self.parts = (Block(),)

        def __call__(self, x):
            return self.block(x)

    model = Outer()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "block.k",
        "block.rows.0.0",
        "block.rows.0.1",
        "block.rows.1.0",
        "parts.0.k",
        "parts.0.rows.0.0",
        "parts.0.rows.0.1",
        "parts.0.rows.1.0",
    ]
    assert model.parameters()[:2] == [model.block.k, model.block.rows[0][0]]


def test_computed_values_and_other_attributes_are_not_parameters():
    class Cached(Module):
        def __init__(self):
            self.w = Value(2.0)
            self.last = self.w * 3.0  # a computed Value, such as a cached output
            self.name, self.sizes, self.table = "cached", [1, 2], {"x": Value(1.0)}

        def __call__(self, x):
            return self.w * x

    model = Cached()
    assert model.parameters() == [model.w]
    assert model.state_dict() == {"w": 2.0}


def test_a_part_that_holds_its_parent_is_walked_once():
    class Part(Module):
        def __init__(self, parent):
            self.parent, self.v = parent, Value(1.0)

        def __call__(self, x):
            return x

    class Whole(Module):
        def __init__(self):
            self.u = Value(0.0)
            self.part = Part(self)

        def __call__(self, x):
            return x

    model = Whole()
    assert model.parameters() == [model.u, model.part.v]


def test_a_module_without_values_has_no_parameters():
    class Identity(Module):
        def __call__(self, x):
            return x

    assert Identity().parameters() == [] and Identity().state_dict() == {}
