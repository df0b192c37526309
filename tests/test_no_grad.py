"""no_grad: nothing is recorded inside, as a context manager or a decorator, per thread."""

import threading

import pytest

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


# ---- threads: grad mode belongs to the thread, as in PyTorch ----

WAIT = 30  # seconds an Event may take to come; only reached if a thread is stuck


def run_together(*targets):
    """Run each target in a thread of its own, wait for all, and re-raise what one raised."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # an assert in a thread must fail the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a thread is stuck"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with no_grad():
            seen["enabled inside"] = is_grad_enabled()
            inside.set()
            assert done.wait(WAIT)
            seen["parents inside"] = (Value(1.0) * 2).parents

    def train():
        assert inside.wait(WAIT)
        x = Value(2.0)
        seen["enabled here"] = is_grad_enabled()
        seen["recorded here"] = (x * 3).parents == (x,)
        done.set()

    run_together(evaluate, train)
    assert seen == {
        "enabled inside": False,
        "enabled here": True,
        "recorded here": True,
        "parents inside": (),
    }


def decorated(context):
    """A function that stays inside `context` (as a decorator) until it is told to leave."""

    @context
    def evaluate(entered, leave):
        entered.set()
        assert leave.wait(WAIT)
        return is_grad_enabled()

    def run(entered, leave):
        return evaluate(entered, leave)

    return run


def within(context):
    """The same as `decorated`, with `context` as a `with` block."""

    def run(entered, leave):
        with context:
            entered.set()
            assert leave.wait(WAIT)
            return is_grad_enabled()

    return run


@pytest.mark.parametrize(
    "make",
    [
        lambda: (within(no_grad()), within(no_grad())),
        lambda: (within(shared := no_grad()), within(shared)),
        lambda: (run := decorated(no_grad()), run),
    ],
    ids=["two no_grads", "one no_grad shared", "one decorated function"],
)
def test_two_threads_entering_and_leaving_in_turn_each_keep_their_own_mode(make):
    # A enters, B enters, A leaves, B leaves: each thread is off exactly while it is inside.
    run_a, run_b = make()
    a_in, b_in, a_out, b_out = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        seen["a inside"] = run_a(a_in, b_in)
        x = Value(1.0)
        seen["a after"] = is_grad_enabled(), (x * 2).parents == (x,)
        a_out.set()

    def b():
        assert a_in.wait(WAIT)
        seen["b inside"] = run_b(b_in, a_out)
        seen["b after"] = is_grad_enabled()

    run_together(a, b)
    assert seen == {"a inside": False, "b inside": False, "a after": (True, True), "b after": True}
    assert is_grad_enabled()


def test_a_new_thread_starts_recording_even_when_started_inside_no_grad():
    seen = []

    def work():
        x = Value(1.0)
        seen.append((is_grad_enabled(), (x * 2).parents == (x,)))

    with no_grad():
        run_together(work)
        assert not is_grad_enabled()
    assert seen == [(True, True)]


# ---- generators: the decorator covers the body, one resume at a time (as in PyTorch) ----


def test_no_grad_on_a_generator_function_covers_every_resume_of_its_body():
    @no_grad()
    def scaled(x):
        factor = yield is_grad_enabled(), x * 2
        while factor is not None:
            factor = yield is_grad_enabled(), x * factor
        return "done"

    x = Value(3.0)
    gen = scaled(x)
    assert is_grad_enabled()  # making the generator runs nothing
    enabled, y = next(gen)
    assert not enabled and y.data == 6.0 and y.parents == ()
    assert is_grad_enabled() and (x * 2).parents == (x,)  # the caller records between resumes
    enabled, y = gen.send(5.0)
    assert not enabled and y.data == 15.0 and y.parents == ()
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == "done"
    assert is_grad_enabled()


def test_a_decorated_generator_handles_throw_and_close_inside_no_grad():
    seen = []

    @no_grad()
    def guarded():
        try:
            yield "first"
        except KeyError:
            seen.append(("caught", is_grad_enabled()))
            yield "after"
        finally:
            seen.append(("finally", is_grad_enabled()))

    gen = guarded()
    assert next(gen) == "first"
    assert gen.throw(KeyError("k")) == "after"
    gen.close()
    assert seen == [("caught", False), ("finally", False)]
    assert is_grad_enabled()
    with pytest.raises(ValueError, match="not caught"):
        other = guarded()
        next(other)
        other.throw(ValueError("not caught"))
    assert is_grad_enabled()
