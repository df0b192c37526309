"""A Value's attributes, construction and repr."""

import fractions
import math

import pytest

from engine import Value


def test_a_leaf_has_float_data_zero_grad_and_no_op():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0
    assert v.op == "" and v.label == "" and v.parents == ()


def test_data_accepts_anything_float_converts():
    assert Value(fractions.Fraction(1, 4)).data == 0.25
    assert Value(2**40).data == float(2**40)


@pytest.mark.parametrize("bad", ["a", b"1", True, None, 1j])
def test_data_that_is_not_a_real_number_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_ops_record_their_name_and_parents_in_operand_order():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    assert (a * b).op == "*" and (a * b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert (a + 1).parents == (a,), "a number operand is a constant, not a parent"
    assert (2**a).op == "**" and (2**a).parents == (a,)
    assert a.tanh().op == "tanh" and a.tanh().parents == (a,)
    assert (a * a).parents == (a, a)


def test_repr_shows_data_grad_op_and_label_leaving_out_empty_ones():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    assert repr(c) == "Value(data=-6.0, grad=1.0, op='*', label='c')"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"
    assert repr(a) == "Value(data=2.0, grad=-3.0, label='a')"


def test_in_place_add_makes_a_new_node():
    c = Value(1.0)
    before = c
    c += 1
    assert c is not before and c.data == 2.0 and before.data == 1.0
    assert c.parents == (before,)


def test_detach_is_a_leaf_with_the_same_data():
    x = Value(2.0, "x")
    y = (x * x).detach()
    assert y.data == 4.0 and y.parents == () and y.op == ""
    (y * 3).backward()
    assert x.grad == 0.0


def test_value_has_slots_and_no_dict():
    assert not hasattr(Value(1.0), "__dict__")


def test_value_is_not_subclassed_silently():
    with pytest.raises(TypeError, match="subclass"):
        type("MyValue", (Value,), {})


def test_float_of_a_value_is_its_data():
    assert float(Value(2.5)) == 2.5
    assert math.isclose(math.sin(Value(1.0)), math.sin(1.0))


# ---- PyTorch habits: item(), comparisons, bool() ----


def test_item_is_the_data_as_a_float():
    v = Value(3) * 2
    assert v.item() == 6.0 and type(v.item()) is float


def test_comparisons_read_the_data_and_return_bools():
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= b) is True and (a > b) is False and (a >= b) is False
    assert (a <= Value(1.0)) is True and (a >= Value(1.0)) is True
    assert a < 2 and a > 0.5 and 3 > a and 0 <= a and not (a < 1)
    assert Value(0.5) < fractions.Fraction(3, 4)


def test_max_min_and_sorted_work_on_values():
    xs = [Value(2.0, "b"), Value(-1.0, "a"), Value(5.0, "c")]
    assert max(xs).label == "c" and min(xs).label == "a"
    assert [v.label for v in sorted(xs)] == ["a", "b", "c"]
    assert max(xs, key=lambda v: -v).label == "a"  # key returns Values: compared on their data


def test_comparing_with_something_that_is_not_a_number_is_a_type_error():
    for bad in ("a", None, [1.0], True):
        with pytest.raises(TypeError, match="not supported between instances of 'Value'"):
            Value(1.0) < bad  # noqa: B015


def test_equality_and_hash_stay_identity_because_values_are_graph_nodes():
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b
    assert a != b and a == a and len({a, b}) == 2
    assert (a == 1.0) is False


def test_bool_is_as_for_a_float():
    assert not Value(0.0) and not Value(-0.0) and not (Value(1.0) - 1.0)
    assert Value(1e-300) and Value(-2.0) and Value(math.nan)
