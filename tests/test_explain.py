"""explain(): the whole backward pass as a table, compared line by line with a hand-checked one."""

import io
import re
from collections import Counter

import pytest
from examples import micrograd_example
from hypothesis import given

import engine
from engine import Value, explain
from engine.explain import WIDTH
from engine.testing import expressions
from engine.text import mean_terms, number, passes_on

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


def grad_column(text: str) -> list[str]:
    """The grad of every row, read from the table (a long definition has a line of its own)."""
    body = text.splitlines()[3:]
    grads, long_definition = [], False
    for line in body[: next(i for i, x in enumerate(body) if x.startswith("a node's grad"))]:
        fields = re.split(r"\s{2,}", line.strip())
        if fields[0].isdigit():
            long_definition = len(fields) == 2  # '#  definition': the values come next
            if not long_definition:
                grads.append(fields[4])
        elif long_definition:
            grads.append(fields[2])
            long_definition = False
    return grads


def shown_nodes(out: Value) -> list[Value]:
    """The nodes explain gives a row: all but unlabelled no-ops and a mean's own sum."""
    order = engine.topological_order(out)[::-1]
    uses = Counter(x for node in order for x in node.parents)
    hidden = {n for n in order if n is not out and not n.label and passes_on(n) is not None}
    for node in order:
        mean = mean_terms(node)
        if mean and node not in hidden and uses[mean[0]] == 1:
            hidden.add(mean[0])
    return [n for n in order if n not in hidden]


@given(expressions())
def test_the_grad_column_is_what_backward_gives(expr):
    leaves = expr.leaves()
    out = expr(*leaves)
    text = explain(out, file=io.StringIO())
    out.backward()
    assert grad_column(text) == [number(node.grad) for node in shown_nodes(out)]


def test_explain_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="explain needs a Value, not list"):
        explain([Value(1.0)])


def sample_loss(labels=(1.0,), xs=((0.5, -1.0),)):
    from nn import MLP, losses

    model = MLP(2, [3, 1], seed=0, init="micrograd")
    loss = losses.hinge([model(list(x)) for x in xs], list(labels))
    loss.label = "loss"
    return loss


def test_a_samples_loss_has_no_rows_that_change_nothing():
    loss = sample_loss()  # sum([v22]) / 1, and 1 * L2.N0 for the label +1
    text = explain(loss, file=io.StringIO())
    lines = text.splitlines()
    assert lines[0] == "backward pass of loss = mean([v22]) with gradient 1; grad is dloss/d node"
    table = "\n".join(lines[:-2])
    assert "/ 1" not in table and "sum([" not in table and "1 * L2.N0" not in table
    rows = {line.split()[1]: line for line in lines[3:] if line.split()[0].isdigit()}
    assert rows["loss"].split()[:5] == ["1", "loss", "=", "mean([v22])", "mean"]
    assert rows["loss"].endswith("v22.grad += (1/1)·1 = 1·1 = 1")
    # the hinge's 1 - y·s with y = 1 reads 1 - s, and sends its grad to s itself
    assert rows["v21"].split()[:5] == ["3", "v21", "=", "1", "-"] and "L2.N0" in rows["v21"]
    assert rows["v21"].endswith("L2.N0.grad += -1·1 = (-1)·1 = -1")
    assert lines[-1] == (
        "(2 no-op nodes left out: a sum of one term, × 1 or / 1 passes its grad on unchanged)"
    )
    loss.backward()
    assert grad_column(text) == [number(n.grad) for n in shown_nodes(loss)]


def test_the_mean_over_a_batch_is_one_row():
    loss = sample_loss(labels=(1.0, -1.0), xs=((0.5, -1.0), (0.1, 0.2)))
    lines = explain(loss, file=io.StringIO()).splitlines()
    assert lines[0].startswith("backward pass of loss = mean([v22, v")
    first = lines[3:5]
    assert first[0].split()[:5] == ["1", "loss", "=", "mean([v22,", f"{first[0].split()[4]}"]
    assert first[0].endswith("v22.grad += (1/2)·1 = 0.5·1 = 0.5,")
    assert first[1].strip().endswith(".grad += (1/2)·1 = 0.5·1 = 0.5")
    assert "sum([" not in "\n".join(lines)


def test_a_labelled_node_keeps_its_row_even_when_it_changes_nothing():
    x = Value(0.5, label="x")
    y = x * 1
    y.label = "y"
    z = y.tanh()
    z.label = "z"
    lines = explain(z, file=io.StringIO()).splitlines()
    assert [line.split()[1] for line in lines[3:-1]] == ["z", "y", "x"]
    assert lines[4].split()[:5] == ["2", "y", "=", "x", "*"]


def test_long_rows_go_on_over_lines_broken_between_formulas():
    ws = [Value(0.1 * i, label=f"w{i}") for i in range(8)]
    out = engine.dot(ws, [1.5] * 8).tanh()
    out.label = "out"
    text = explain(out, file=io.StringIO())
    lines = text.splitlines()
    formulas = [f"w{i}.grad += 1.5·" for i in (0, 1, 7)]
    for formula in formulas:  # each contribution is whole on one line
        assert sum(formula in line for line in lines) == 1
    assert len(lines) > 12  # the dot's row is on several lines
    for line in lines[3:-1]:  # only a single formula may make a line wider than the table
        assert len(line) <= WIDTH or line.count(".grad +=") == 1
