"""engine.compile: traced once, run as straight-line Python, with eager's numbers and errors."""

import ast
import math
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
import engine.codegen
from engine import Value, compile, no_grad
from engine.codegen import NAMESPACE, PARTIALS
from engine.compiler import MAX_TRACES, CompileCheckError, compile_outputs
from engine.rules import RULES
from engine.testing import expressions
from engine.value import operands
from nn import MLP, Neuron, losses
from nn.data import make_moons


def eager_grads(fn, args, params):
    """fn(*args).backward()'s value and the grads it adds, starting from zero."""
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return out.data, grads


def compiled_grads(f, args, params):
    for p in params:
        p.grad = 0.0
    value = f.value_and_grad(*args)
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return value, grads


# ---- the same numbers ----


def test_the_mlp_demo_gives_eagers_value_and_gradients_to_the_last_bit():
    X, labels = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], init="micrograd", seed=0)

    def sample_loss(x, label):
        return losses.hinge([model(x)], [label])

    f = compile(sample_loss, X[0], 1)
    params = model.parameters()
    for x, c in zip(X, labels):
        args = (x, 2 * c - 1)
        assert compiled_grads(f, args, params) == eager_grads(sample_loss, args, params)
    assert f(X[3], 1) == sample_loss(X[3], 1).data


@given(expressions(max_ops=12))
def test_compiled_programs_match_eager_over_every_op_to_the_bit(expr):
    # The inputs as parameters: value_and_grad writes d out / d input into them. The issue
    # asks for 1e-12 relative; the compiled code runs the same float operations in the same
    # order as backward(), so the numbers are equal.
    leaves = expr.leaves()
    f = compile(lambda: expr(*leaves))
    value, grads = compiled_grads(f, (), leaves)
    assert set(f.parameters) <= set(leaves)
    assert (value, grads) == eager_grads(expr, leaves, leaves)


def replay(out, leaves, data):
    """The graph of `out` rebuilt eagerly, op by op, with `data` in place of the leaves."""
    made = {leaf: Value(x) for leaf, x in zip(leaves, data)}
    for node in engine.topological_order(out):
        if node not in made:
            xs = [made[x] if type(x) is Value else x for x in operands(node)]
            rule = RULES[node.op]
            made[node] = rule.call(xs) if rule.kind == "nary" else rule.call(*xs)
    return made[out].data


@given(expressions(max_ops=6), st.floats(-2.0, 2.0))
def test_other_inputs_give_eagers_value_or_eagers_error(expr, shift):
    f = compile(expr, *expr.inputs)
    leaves = expr.leaves()
    out = expr(*leaves)
    moved = [x + shift for x in expr.inputs]  # perhaps outside an op's domain now
    try:
        expected = replay(out, leaves, moved)
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)):
            f(*moved)
        return
    got = f(*moved)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize("op", [op for op in PARTIALS])
def test_each_derivative_template_is_its_rules_formula_to_the_bit(op):
    rule = RULES[op]
    points = (-20.0, -1.3, -0.4, 0.6, 2.5, 20.0) if rule.kind == "unary" else (-1.3, 0.6, 2.5)
    for a in points:
        for b in points if rule.kind == "binary" else (None,):
            try:
                out = (rule.call(Value(a)) if b is None else rule.call(Value(a), Value(b))).data
            except (ArithmeticError, ValueError):
                continue
            names = {"a": a, "b": b, "out": out}
            for template, partial in zip(PARTIALS[op], rule.partials):
                text = template.format(a="a", b="b", out="out")
                scope = {"sigmoid": engine.value.sigmoid, "sign": engine.rules.sign, **names}
                got = eval(text, scope)  # noqa: S307 - our own templates, our own numbers
                want = partial(a, out) if b is None else partial(a, b, out)
                assert got == want, (op, a, b, text)


@pytest.mark.parametrize("plain", [True, False])
def test_sums_are_written_both_ways_with_the_same_numbers(monkeypatch, plain):
    # Before Python 3.12 the lines add a dot's terms inline; from 3.12, with sum().
    monkeypatch.setattr(engine.codegen, "PLAIN_SUM", plain)
    model = MLP(3, [4, 1], seed=2)

    def fn(x):
        return engine.sum([model(x), 2.0]) * 0.5

    f = compile(fn, [0.5, -1.0, 2.0])
    assert ("sum((" in f.source) is not plain
    params = model.parameters()
    assert compiled_grads(f, ([0.5, -1.0, 2.0],), params) == eager_grads(
        fn, ([0.5, -1.0, 2.0],), params
    )


def test_a_network_of_several_outputs_pulls_back_eagers_gradients():
    model = MLP(3, [4, 3], activation="tanh", seed=1)
    X = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.5, 0.0, -2.0]]
    f = compile_outputs(model, X[0])
    outputs, pullback = f.vjp([(x,) for x in X])
    assert outputs == [tuple(v.data for v in model(x)) for x in X]
    leaves = [[Value(v) for v in row] for row in outputs]
    losses.cross_entropy(leaves, [0, 2, 1]).backward()
    model.zero_grad()
    pullback([[v.grad for v in row] for row in leaves])
    compiled = [p.grad for p in model.parameters()]
    model.zero_grad()
    losses.cross_entropy([model(x) for x in X], [0, 2, 1]).backward()
    assert compiled == [p.grad for p in model.parameters()]  # added in backward's order


def hidden_and_output(model):
    """A model as fn(x) -> (outputs, observed): every layer's outputs observed."""

    def fn(x):
        layers = model.layer_outputs(x)
        return layers[-1], layers

    return fn


def test_observed_values_come_from_the_same_forward_pass_and_change_no_gradient():
    model = MLP(3, [4, 2, 3], seed=1)
    X = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.5, 0.0, -2.0]]
    f = compile_outputs(hidden_and_output(model), X[0], observed=True)
    outputs, observed, pullback = f.vjp_observed([(x,) for x in X])
    with no_grad():
        eager = [model.layer_outputs(x) for x in X]
    # nested as fn returned them: per call, a tuple per layer of floats
    assert observed == [tuple(tuple(v.data for v in layer) for layer in ls) for ls in eager]
    plain, plain_pullback = f.vjp([(x,) for x in X])
    assert outputs == plain == [row[-1] for row in observed]
    upstream = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.25], [0.0, 3.0, 1.0]]
    grads = []
    for back in (pullback, plain_pullback):
        model.zero_grad()
        back(upstream)
        grads.append([p.grad for p in model.parameters()])
    assert grads[0] == grads[1]  # observing adds no gradient of its own
    assert f.first.source("vjp_backward") == compile_outputs(model, X[0]).first.source(
        "vjp_backward"
    )


def test_what_is_observed_is_checked_and_said_when_wrong():
    w = Value(0.5, "w")
    stray = Value(1.0) * 2.0  # a node the output is not computed from
    with pytest.raises(TypeError, match=r"must return a pair \(outputs, observed\)"):
        compile_outputs(lambda x: w * x, 1.0, observed=True)
    with pytest.raises(TypeError, match=r"observed\[1\] must be a Value"):
        compile_outputs(lambda x: (w * x, [w, 2.0]), 1.0, observed=True)
    with pytest.raises(ValueError, match="not in the outputs' graph"):
        compile_outputs(lambda x: (w * x, [stray]), 1.0, observed=True)
    with pytest.raises(TypeError, match="observed=True"):
        compile_outputs(lambda x: w * x, 1.0).vjp_observed([(1.0,)])
    with pytest.raises(TypeError, match="observed must be True or False"):
        compile_outputs(lambda x: w * x, 1.0, observed="yes")


def test_check_compares_what_is_observed_too():
    w = Value(0.5, "w")

    def fn(x):
        a = w * x
        b = a.relu() if a.data > 0 else (-a).relu()  # a branch on .data, seen only in b
        return a * 2.0 + b * 0.0, [b]

    f = compile_outputs(fn, 1.0, observed=True, check=True)
    assert f.vjp([(-1.0,)])[0] == [(-1.0,)]  # the outputs agree
    with pytest.raises(CompileCheckError, match="observed: compiled 0.0, eager 0.5"):
        f.vjp_observed([(-1.0,)])


def test_a_batch_sums_the_gradients_of_its_calls():
    w = Value(0.7, "w")
    f = compile(lambda x, y: (w * x - y) ** 2, 1.0, 2.0)
    batch = [(1.0, 2.0), (-0.5, 0.25), (3.0, 1.0)]
    w.grad = 1.0
    values = f.value_and_grad_sum(batch, gradient=0.5)
    assert values == [f(*args) for args in batch]
    expected = 1.0 + 0.5 * sum(2 * (0.7 * x - y) * x for x, y in batch)
    assert math.isclose(w.grad, expected, rel_tol=1e-15)


# ---- as backward() does ----


def test_gradients_accumulate_and_each_call_reads_the_current_weights():
    w = Value(2.0, "w")
    f = compile(lambda x: w * x * x, 3.0)
    assert f.value_and_grad(3.0) == 18.0 and w.grad == 9.0
    f.value_and_grad(3.0)
    assert w.grad == 18.0  # added, as PyTorch does
    w.data = -1.0
    assert f(2.0) == -4.0 and len(f.traces) == 1


def test_parameters_come_in_first_use_order():
    model = MLP(2, [3, 3, 1], seed=0)
    f = compile(lambda x: model(x), [0.1, 0.2])
    assert f.parameters == model.parameters()


def test_eager_errors_come_out_of_compiled_code_with_the_same_type():
    f = compile(lambda x: x.log(), 1.0)
    with pytest.raises(ValueError, match="log needs a positive input"):
        f(0.0)
    g = compile(lambda x: x**0.5, 4.0)
    with pytest.raises(ValueError):
        g(-1.0)
    p = Value(-2.0, "p")
    h = compile(lambda x: p**x, 2.0)  # forward fine; d/dx = out·log(p) is not
    assert h(2.0) == 4.0
    with pytest.raises(ValueError):
        (p ** Value(2.0)).backward()
    with pytest.raises(ValueError):
        h.value_and_grad(2.0)


def test_a_failed_backward_leaves_every_grad_as_it_was():
    p = Value(0.0, "p")
    q = Value(3.0, "q")
    f = compile(lambda x: q * x + p.sqrt(), 1.0)  # sqrt'(0) = 0.5 / 0 raises in backward
    q.grad = 5.0
    with pytest.raises(ZeroDivisionError):
        (q * 1.0 + p.sqrt()).backward()
    with pytest.raises(ZeroDivisionError):
        f.value_and_grad(1.0)
    assert q.grad == 5.0 and p.grad == 0.0


def test_a_derivative_eager_would_evaluate_is_evaluated_even_if_no_weight_needs_it():
    q = Value(3.0, "q")
    f = compile(lambda x: q * x.sqrt(), 1.0)  # d/dx is never written, but backward computes it
    with pytest.raises(ZeroDivisionError):
        (q * Value(0.0).sqrt()).backward()
    with pytest.raises(ZeroDivisionError):
        f.value_and_grad(0.0)


def test_a_zero_upstream_sends_nothing_as_in_eager():
    p = Value(0.0, "p")
    f = compile(lambda x: x * p.sqrt(), 0.0)  # upstream of sqrt is x = 0: skipped
    out = 0.0 * p.sqrt()
    out.backward()
    assert f.value_and_grad(0.0) == 0.0 and p.grad == 0.0


# ---- honest limits ----


def test_ints_are_static_and_each_new_value_traces_once():
    w = Value(0.5, "w")
    f = compile(lambda x, k: w * x * k, 2.0, 1)
    assert f(2.0, 3) == 3.0 and f(2.0, 1) == 1.0 and f(4.0, 3) == 6.0
    assert len(f.traces) == 2


def test_arguments_of_another_length_trace_again():
    w = Value(2.0, "w")
    f = compile(lambda xs: w * engine.sum(xs), [1.0, 2.0])
    assert f([1.0, 2.0, 3.0]) == 12.0 and f([1.0]) == 2.0
    assert len(f.traces) == 3


def test_a_label_that_names_an_argument_does_not_shadow_it():
    w, v = Value(2.0, "x"), Value(0.5, "x_0")
    f = compile(lambda x: w * x[0] + v, [3.0])
    assert f([3.0]) == 6.5 and f.value_and_grad([4.0]) == 8.5
    assert (w.grad, v.grad) == (4.0, 1.0)


def test_an_int_that_takes_ever_new_values_is_refused_after_a_limit():
    w = Value(1.0)
    f = compile(lambda x, k: w * x * k, 1.0, 0)
    for k in range(1, MAX_TRACES):
        f(1.0, k)
    with pytest.raises(ValueError, match="pass numbers that vary as floats"):
        f(1.0, MAX_TRACES)


def test_what_cannot_be_traced_gets_a_clear_error():
    w = Value(2.0)
    with pytest.raises(TypeError, match="must return a Value, not float"):
        compile(lambda x: (w * x).data, 1.0)
    with pytest.raises(TypeError, match="must return a Value, not list"):
        compile(lambda x: [w * x], 1.0)
    with pytest.raises(TypeError, match="takes floats, ints and lists"):
        compile(lambda x: w * 1.0, "a")
    with pytest.raises(TypeError, match="is a Value"):
        compile(lambda x: w * x, Value(1.0))
    with pytest.raises(TypeError, match="compile needs a function"):
        compile(3.0)


def test_check_catches_python_control_flow_that_read_data_at_trace_time():
    w = Value(1.0, "w")

    def branchy(x):
        return w * x if x.data > 0 else -w * x  # decided once, at trace time

    f = compile(branchy, 2.0, check=True)
    assert f(3.0) == 3.0
    with pytest.raises(CompileCheckError, match="branch"):
        f(-3.0)
    unchecked = compile(branchy, 2.0)
    assert unchecked(-3.0) == -3.0  # the traced branch, silently: hence check=True


def test_eager_only_features_say_so():
    w = Value(1.0)
    f = compile(lambda x: w * x, 1.0)
    with pytest.raises(TypeError, match="create_graph is eager-only"):
        f.value_and_grad(1.0, create_graph=True)
    with pytest.raises(TypeError, match="backward_steps is eager-only"):
        f.backward_steps()
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        compile(lambda x: w * x, 1.0)
    with no_grad():
        assert f(2.0) == 2.0  # an existing trace runs anywhere


# ---- the source ----


def test_the_source_is_one_line_per_node_named_after_labels():
    neuron = Neuron(2, "tanh", seed=0, name="N")

    def loss(x, t):
        out = losses.mse([neuron(x)], [t])
        out.label = "loss"
        return out

    f = compile(loss, [0.5, -1.0], 1)
    source = f.source
    assert "N_w0" in source and "N_b" in source and "d_N_w0 +=" in source
    assert "loss = " in source and "return loss, (d_N_w0, d_N_w1, d_N_b)" in source
    ops = [n for n in engine.topological_order(loss([0.5, -1.0], 1)) if n.op]
    forward = source.split("# forward")[1].split("# backward")[0]
    assert len([line for line in forward.splitlines()[1:] if " = " in line]) == len(ops) + 1


def test_labels_never_reach_the_source_as_code():
    evil = 'x"); import os; os.remove("/") #\n\r\x00\u2028print(1)'
    a, b = Value(1.5, evil), Value(-2.0, evil)
    out_label = "def f(): pass"

    def fn(x):
        out = a * x + b * b
        out.label = out_label
        return out

    f = compile(fn, 2.0)
    tree = ast.parse(f.source)
    assert [type(node) for node in tree.body] == [ast.FunctionDef]
    for node in ast.walk(tree):
        assert not isinstance(node, (ast.Import, ast.ImportFrom, ast.Lambda))
        if isinstance(node, ast.Constant):  # numbers, and the docstring the compiler writes
            assert type(node.value) is float or node.value.startswith("Forward and backward")
        if isinstance(node, ast.Attribute):  # only `p.data`, reading a parameter
            assert node.attr == "data" and node.value.id == "p"
        if isinstance(node, ast.Name):
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", node.id)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in NAMESPACE
    assert "\n#" not in f.source and "\x00" not in f.source and "\r" not in f.source
    assert compiled_grads(f, (2.0,), [a, b]) == eager_grads(fn, (2.0,), [a, b])


def test_traces_from_several_threads_agree():
    w = Value(0.25, "w")
    f = compile(lambda x, k: w * x + k, 1.0, 0)
    barrier = threading.Barrier(4)
    results = [None] * 4

    def work(i):
        barrier.wait()
        results[i] = [f(float(j), i) for j in range(20)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[0.25 * j + i for j in range(20)] for i in range(4)]
    assert len(f.traces) == 4


def test_the_modules_example_runs_as_written_and_star_keeps_the_builtin():
    import doctest

    import engine.compiler

    assert doctest.testmod(engine.compiler).failed == 0
    assert engine.compile is compile and "compile" not in engine.__all__


def test_a_forward_batch_gives_vjps_outputs_and_keeps_no_tape():
    model = MLP(3, [4, 2, 3], seed=1)
    X = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.5, 0.0, -2.0]]
    f = compile_outputs(hidden_and_output(model), X[0], observed=True)
    outputs = f.forward_batch([(x,) for x in X])
    assert outputs == f.vjp([(x,) for x in X])[0] == [tuple(v.data for v in model(x)) for x in X]
    assert f(X[1]) == outputs[1]
    source = f.first.source("forward_batch")
    assert "tape" not in source and "observed" not in source  # nothing kept, nothing observed
