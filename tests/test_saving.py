"""nn.load: a model file is data, checked before it is trusted, and read in linear time."""

import json

import pytest

import nn
from engine import Value
from nn import MLP, Module


class CountedName(str):
    """A label that counts how often it is hashed (each set or dict lookup hashes it once)."""

    hashes = 0

    def __hash__(self):
        CountedName.hashes += 1
        return str.__hash__(self)


class Wide(Module):
    """`n` parameters with counted labels."""

    def __init__(self, n):
        self.ps = [Value(0.0, CountedName(f"w{i}")) for i in range(n)]

    def __call__(self, x):
        return self.ps[0] * x

    def parameters(self):
        return self.ps


def test_load_state_dict_does_work_linear_in_the_parameter_count():
    # It used to build a set of all labels once per key: n² hashes, minutes for 100k weights.
    n = 500
    model = Wide(n)
    CountedName.hashes = 0
    model.load_state_dict({f"w{i}": float(i) for i in range(n)})
    assert [p.data for p in model.parameters()] == [float(i) for i in range(n)]
    assert CountedName.hashes <= 3 * n


# ---- what a model file may hold ----


@pytest.fixture
def saved(tmp_path):
    """A saved MLP 2-3-1: its path and its document, to damage one field at a time."""
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    return path, json.loads(path.read_text())


def refused(path, *words) -> str:
    """Load `path`, expecting a ValueError (not a subclass) that names the file and `words`."""
    with pytest.raises(ValueError) as info:
        nn.load(path)
    message = str(info.value)
    assert info.type is ValueError, f"{info.type.__name__}: {message}"
    assert str(path) in message
    for word in words:
        assert word in message
    return message


def with_first_weight(saved, text):
    """The saved file with its first weight written as `text`, verbatim JSON."""
    path, document = saved
    first = json.dumps(document["state"]["L1.N0.w0"])
    path.write_text(path.read_text().replace(first, text, 1))
    return path


@pytest.mark.parametrize(
    "text, shown", [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e999", "inf")]
)
def test_load_refuses_weights_that_are_not_finite(saved, text, shown):
    # json reads NaN and Infinity by default, and 1e999 overflows to inf; save never writes them.
    path = with_first_weight(saved, text)
    refused(path, f"state['L1.N0.w0'] is {shown}: weights must be finite numbers")


@pytest.mark.parametrize(
    "text, what",
    [
        ("true", "is a boolean"),
        ('"0.5"', "is a string"),
        ("null", "is null"),
        ("[0.5]", "is a list"),
        ("1" + "0" * 400, "is an integer too large for a float"),
    ],
    ids=["true", "string", "null", "list", "10**400"],
)
def test_load_refuses_weights_that_are_not_numbers(saved, text, what):
    refused(with_first_weight(saved, text), f"state['L1.N0.w0'] {what}")


def test_a_whole_number_weight_is_read_as_a_float(saved):
    path = with_first_weight(saved, "2")
    assert nn.load(path).parameters()[0].data == 2.0


def test_a_small_file_cannot_ask_for_a_huge_model(tmp_path, monkeypatch):
    # 10¹⁰ weights from ~120 bytes: the sizes are checked against the state before building.
    def no_building(self, *args, **kwargs):
        raise AssertionError("load built a model from a config it had not checked")

    monkeypatch.setattr(MLP, "__init__", no_building)
    path = tmp_path / "bomb.json"
    path.write_text(
        '{"format": "gradstep.mlp", "version": 1, "nin": 2, "nouts": [100000, 100000], '
        '"activation": "relu", "state": {}}'
    )
    assert path.stat().st_size < 130
    refused(path, "make 10,000,400,000 parameters but its 'state' holds 0")


@pytest.mark.parametrize("nouts", [[4, 1], [2, 1], [3, 1, 1]])
def test_layer_sizes_must_make_as_many_parameters_as_the_state_holds(saved, nouts):
    path, document = saved
    document["nouts"] = nouts
    path.write_text(json.dumps(document))
    sizes = [2, *nouts]
    made = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    refused(path, f"make {made} parameters but its 'state' holds 13")


def test_a_state_with_other_labels_names_them(saved):
    path, document = saved
    document["state"] = {k.replace("L1.N0.w0", "L1.N0.w9"): v for k, v in document["state"].items()}
    path.write_text(json.dumps(document))
    refused(path, "missing 'L1.N0.w0', unexpected 'L1.N0.w9'")


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("nouts", "16,1", "nouts must be a list of layer sizes"),
        ("nouts", [], "nouts must be a list of layer sizes"),
        ("nouts", [3, True], "nouts[1] must be an int >= 1, not bool"),
        ("nouts", [0, 1], "nouts[0] must be an int >= 1, got 0"),
        ("nin", 2.0, "nin must be an int >= 1, not float"),
        ("nin", True, "nin must be an int >= 1, not bool"),
        ("nin", 10**4000, "make more than 10^18 parameters"),
        ("activation", "swish", "activation must be one of 'relu'"),
        ("activation", None, "activation must be one of 'relu'"),
        ("format", ["gradstep.mlp"], "unknown format ['gradstep.mlp']"),
        ("version", True, "format version True is not supported"),
        ("version", "1", "format version '1' is not supported"),
        ("state", [0.5], "no 'state' object with the parameters (its 'state' is a list)"),
        ("seed", 3, "unknown ['seed']"),
    ],
    ids=[
        "nouts-str",
        "nouts-empty",
        "nouts-bool",
        "nouts-zero",
        "nin-float",
        "nin-bool",
        "nin-huge",
        "activation-unknown",
        "activation-null",
        "format-list",
        "version-bool",
        "version-str",
        "state-list",
        "unknown-field",
    ],
)
def test_a_field_of_the_wrong_type_or_value_is_named(saved, field, value, words):
    path, document = saved
    document[field] = value
    path.write_text(json.dumps(document))
    refused(path, words)


def test_a_missing_field_is_named(saved):
    path, document = saved
    del document["nin"]
    path.write_text(json.dumps(document))
    refused(path, "missing ['nin']")


@pytest.mark.parametrize(
    "text, words",
    [
        ("[1, 2]", "its JSON is a list, no 'format' field"),
        ('"model"', "its JSON is a string, no 'format' field"),
        ("null", "its JSON is null, no 'format' field"),
        ("{not json", "invalid JSON"),
        ("", "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "gradstep.mlp", "version": ' + "9" * 5000 + "}", "4300 digits"),
        ('{"format": "gradstep.mlp", "format": "pickle"}', "the key 'format' appears twice"),
    ],
    ids=["list", "string", "null", "broken", "empty", "deep", "huge-int", "twice"],
)
def test_malformed_json_is_a_value_error_naming_the_file(tmp_path, text, words):
    path = tmp_path / "model.json"
    path.write_text(text)
    refused(path, words)


def test_a_binary_file_is_not_text(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    refused(path, "not UTF-8 text (byte 0 is b'\\x89')")


def test_a_directory_is_not_a_model_and_a_missing_file_says_so(tmp_path):
    refused(tmp_path, "is a directory")
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "none.json")
