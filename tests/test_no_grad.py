"""no_grad: nothing is recorded inside, as a context manager or a decorator."""

from engine import Value, is_grad_enabled, no_grad


def test_results_made_inside_no_grad_are_leaves():
    x = Value(2.0)
    with no_grad():
        y = (x * 3).tanh() + x
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.parents == () and y.op == ""
    z = x * 3
    assert z.parents == (x,)


def test_no_grad_as_a_decorator_and_nested():
    @no_grad()
    def predict(x):
        with no_grad():
            inner = x * 2
        return inner + x

    y = predict(Value(1.0))
    assert y.data == 3.0 and y.parents == ()
    assert is_grad_enabled()


def test_no_grad_is_restored_after_an_error():
    try:
        with no_grad():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert is_grad_enabled()
