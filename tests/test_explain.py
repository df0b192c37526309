"""explain(): the whole backward pass as a table, compared line by line with a hand-checked one."""

import io
import re

import pytest
from examples import micrograd_example
from hypothesis import given

import engine
from engine import Value, explain
from engine.testing import expressions
from engine.text import number

EXPECTED = """\
backward pass of L = d * f with gradient 1; grad is dL/d node
#  node       op    data  grad  rule applied
--------------------------------------------
1  L = d * f  *       -8     1  d.grad += f·1 = (-2)·1 = -2,  f.grad += d·1 = 4·1 = 4
2  f          leaf    -2     4  leaf: nothing to send back
3  d = e + c  +        4    -2  e.grad += 1·(-2) = -2,  c.grad += 1·(-2) = -2
4  c          leaf    10    -2  leaf: nothing to send back
5  e = a * b  *       -6    -2  a.grad += b·(-2) = (-3)·(-2) = 6,  b.grad += a·(-2) = 2·(-2) = -4
6  b          leaf    -3    -4  leaf: nothing to send back
7  a          leaf     2     6  leaf: nothing to send back
a node's grad is complete when its row comes; its rule sends local·grad to each parent"""


def test_explain_prints_and_returns_the_table_line_by_line(capsys):
    L, _ = micrograd_example()
    text = explain(L)
    assert text.splitlines() == EXPECTED.splitlines()
    assert capsys.readouterr().out == EXPECTED + "\n"


def test_explain_leaves_every_grad_as_it_was():
    L, v = micrograd_example()
    L.backward()
    before = {k: node.grad for k, node in v.items()}
    explain(L, file=io.StringIO())
    assert {k: node.grad for k, node in v.items()} == before


def test_explain_writes_to_the_file_it_is_given_and_scales_by_gradient(capsys):
    L, _ = micrograd_example()
    out = io.StringIO()
    text = explain(L, gradient=2.0, file=out)
    assert capsys.readouterr().out == ""
    assert out.getvalue() == text + "\n"
    assert text.splitlines()[0].startswith("backward pass of L = d * f with gradient 2;")
    assert text.splitlines()[-2].split()[:5] == ["7", "a", "leaf", "2", "12"]


def test_rules_of_unary_ops_and_constants_read_as_formulas():
    x = Value(0.0, label="x")
    y = (x.tanh() * 3).exp()
    y.label = "y"
    rows = explain(y, file=io.StringIO()).splitlines()[3:-1]
    assert rows[0].endswith("v2.grad += y·1 = 1·1 = 1")
    assert rows[1].endswith("v1.grad += 3·1 = 3")
    assert rows[2].endswith("x.grad += (4·σ(2·x)·σ(-2·x))·3 = 1·3 = 3")


def test_a_tanh_row_shows_the_formula_the_engine_runs_even_in_the_tail():
    # 1 - tanh(20)² rounds to 0; the engine's 4·σ(40)·σ(-40) does not, and the row says so.
    x = Value(20.0, label="x")
    y = x.tanh()
    y.label = "y"
    local = engine.local_grads(y)[0][1]
    assert local > 0.0 and 1.0 - y.data**2 == 0.0
    row = explain(y, file=io.StringIO()).splitlines()[3]
    assert row.endswith(f"x.grad += (4·σ(2·x)·σ(-2·x))·1 = {number(local)}·1 = {number(local)}")


@given(expressions())
def test_the_grad_column_is_what_backward_gives(expr):
    leaves = expr.leaves()
    out = expr(*leaves)
    rows = explain(out, file=io.StringIO()).splitlines()[3:-1]
    out.backward()
    order = engine.topological_order(out)[::-1]
    assert len(rows) == len(order)
    for row, node in zip(rows, order, strict=True):
        columns = re.split(r"\s{2,}", row.strip())
        assert columns[4] == number(node.grad)


def test_explain_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="explain needs a Value, not list"):
        explain([Value(1.0)])
