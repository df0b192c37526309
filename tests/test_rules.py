"""engine.rules: each op's text is the formula its rule computes, checked by evaluating the text."""

import ast
import math
import operator
import re

import pytest

from engine import Value
from engine.backprop import BINARY, NARY, UNARY
from engine.rules import RULES
from engine.value import sigmoid

POINTS = (-20.0, -1.3, -0.4, 0.6, 2.5, 20.0)  # ±20: the tails, where 1 - tanh² rounds to 0
PAIRS = [(a, b) for a in (-1.3, 0.6, 2.5, 3.0) for b in (-1.3, 0.6, 2.0, 3.0)]
LISTS = ([0.6, -1.3, 2.5, 3.0], [-0.4, 20.0], [2.5, -1.3, 0.6])

FUNCTIONS = {
    "sigmoid": sigmoid,
    "log": math.log,
    "sign": lambda x: math.copysign(1.0, x) if x else 0.0,
    "indicator": lambda p: 1.0 if p else 0.0,
}
OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
}


def evaluate(text: str) -> float:
    """A formula as explain prints it (σ, ·, ², [p], log, sign), numbers filled in, as a float.

    A tiny evaluator of arithmetic only: anything but numbers, + - · / **, one comparison and
    the four functions above is refused.
    """
    python = text.replace("·", "*").replace("²", "**2").replace("σ(", "sigmoid(")
    python = re.sub(r"\[([^\[\]]*)\]", r"indicator(\1)", python)
    return _eval(ast.parse(python, mode="eval").body)


def _eval(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in OPERATORS:
        return OPERATORS[type(node.ops[0])](_eval(node.left), _eval(node.comparators[0]))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](_eval(node.args[0]))
    raise ValueError(f"not a formula: {ast.dump(node)}")


def shown(x: float) -> str:
    return f"({x!r})"


def cases(rule):
    """(operands, output) at every test point in the op's domain."""
    if rule.kind == "unary":
        candidates = [(a,) for a in POINTS]
    elif rule.kind == "binary":
        candidates = PAIRS
    else:
        candidates = [xs for xs in LISTS if rule.op != "dot" or len(xs) % 2 == 0]
    for xs in candidates:
        values = [Value(x) for x in xs]
        try:
            out = rule.call(values) if rule.kind == "nary" else rule.call(*values)
        except (ArithmeticError, ValueError):  # outside the domain: log(-1.3), (-1.3) ** 0.6
            continue
        assert out.op == rule.op
        yield list(xs), out.data


def engine_partials(rule, xs, out) -> list:
    """The rule's numbers, one per operand (None where the rule refuses, as ** does at x <= 0)."""
    if rule.kind == "nary":
        return list(rule.partials[0](xs, out))
    result = []
    for partial in rule.partials:
        try:
            result.append(partial(*xs, out))
        except ValueError:
            result.append(None)
    return result


@pytest.mark.parametrize("op", list(RULES))
def test_each_rules_text_evaluates_to_the_number_its_code_computes(op):
    rule = RULES[op]
    checked = 0
    for xs, out in cases(rule):
        texts = rule.formulas([shown(x) for x in xs], shown(out))
        numbers = engine_partials(rule, xs, out)
        assert len(texts) == len(numbers) == len(xs)
        for text, number in zip(texts, numbers, strict=True):
            if number is None:
                continue
            assert evaluate(text) == pytest.approx(number, rel=1e-12, abs=0.0), (op, xs, text)
            checked += 1
    assert checked >= 2 * len(rule.partials), f"{op}: too few points in its domain"


def test_the_check_would_catch_textbook_formulas_that_lose_the_tails():
    tanh, sig = RULES["tanh"], RULES["sigmoid"]
    a = 20.0
    out = math.tanh(a)
    assert evaluate(f"1 - {shown(out)}²") != pytest.approx(tanh.partials[0](a, out), abs=0.0)
    a = 40.0
    out = sigmoid(a)
    assert evaluate(f"{shown(out)}·(1 - {shown(out)})") == 0.0 < sig.partials[0](a, out)


def test_the_evaluator_reads_only_arithmetic():
    assert evaluate("[(-0.5) > 0]") == 0.0 and evaluate("2·σ(0)") == 1.0
    with pytest.raises(ValueError, match="not a formula"):
        evaluate("__import__('os').getcwd()")


def test_every_rule_has_one_text_per_partial_and_is_in_the_backward_tables():
    for op, rule in RULES.items():
        assert rule.op == op and len(rule.texts) == len(rule.partials)
        table = {"unary": UNARY, "binary": BINARY, "nary": NARY}[rule.kind]
        assert table[op] in (rule.partials, rule.partials[0])
    assert set(UNARY) | set(BINARY) | set(NARY) == set(RULES)
