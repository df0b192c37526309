# %% [markdown]
# # 1. The chain rule, by hand and by engine
#
# A neural network learns by nudging each of its numbers in the direction that makes its loss
# smaller. To know that direction it needs the **derivative** of the loss with respect to every
# number, and the tool that gives all of them at once is the **chain rule**. In this lesson we
# take a small expression, work its derivatives out by hand, then watch gradstep's engine do the
# same thing one node at a time, check every derivative against finite differences, and finally
# take a derivative of a derivative.
#
# Everything here is a plain Python number wrapped in a `Value`; change any number and re-run.

# %%
import math

import matplotlib.pyplot as plt

from engine import Value, explain, grad, gradcheck
from engine.viz import draw_dot

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## An expression is a graph
#
# $$L = (a \cdot b + c) \cdot f$$
#
# We name the intermediate results so we can talk about them: $e = a b$, $d = e + c$,
# $L = d f$. Every `Value` remembers the operation that made it and its operands (its
# *parents*), so the expression is a graph that ends in $L$.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
f = Value(-2.0, label="f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
L = d * f
L.label = "L"
L

# %% [markdown]
# `draw_dot` draws it: each box is a `Value` (name, data, grad), each circle the operation that
# made the box to its right. Leaves are blue, the output peach. All grads are still 0.

# %%
draw_dot(L)

# %% [markdown]
# ## By hand
#
# The chain rule says: the derivative of $L$ with respect to a node is the derivative of $L$
# with respect to the node's *child*, times the child's *local* derivative with respect to the
# node. Working backwards from $L$ (where $\partial L/\partial L = 1$):
#
# | node | local derivative | $\partial L / \partial\,\text{node}$ |
# |---|---|---|
# | $d$ | $\partial L/\partial d = f$ | $-2$ |
# | $f$ | $\partial L/\partial f = d$ | $4$ |
# | $e$ | $\partial d/\partial e = 1$ | $1 \cdot (-2) = -2$ |
# | $c$ | $\partial d/\partial c = 1$ | $1 \cdot (-2) = -2$ |
# | $a$ | $\partial e/\partial a = b$ | $(-3) \cdot (-2) = 6$ |
# | $b$ | $\partial e/\partial b = a$ | $2 \cdot (-2) = -4$ |
#
# A `+` passes its child's gradient through unchanged; a `*` sends each side the *other* side
# times the child's gradient.

# %%
by_hand = {
    "f": d.data,
    "d": f.data,
    "c": 1.0 * f.data,
    "e": 1.0 * f.data,
    "a": b.data * f.data,
    "b": a.data * f.data,
}
by_hand

# %% [markdown]
# ## By engine, one node at a time
#
# `L.backward()` does exactly this, visiting the nodes in reverse topological order (a node only
# after every node that uses it, so its gradient is complete when its turn comes).
# `L.backward_steps()` is the same pass as an iterator: each `next()` applies the chain rule at
# one node and tells you what it sent to each parent.

# %%
steps = L.backward_steps()
print(next(steps))
print(next(steps))
print(next(steps))

# %% [markdown]
# Three steps in: $L$, $f$ and $d$ have been processed, so $d$ has passed $-2$ on to $e$ and
# $c$. $a$ and $b$ are still waiting.

# %%
draw_dot(L)

# %%
for step in steps:
    print(step)

for node in (a, b, c, d, e, f):
    assert node.grad == by_hand[node.label], node.label
print("every gradient equals the one worked out by hand")

# %% [markdown]
# `explain(L)` prints the whole pass as a table, with the rule applied at each node (and leaves
# the grads alone):

# %%
text = explain(L)

# %% [markdown]
# ## A neuron, and a check by finite differences
#
# The same idea on something a network is made of: a neuron with two inputs,
# $o = \tanh(x_1 w_1 + x_2 w_2 + b)$. The new local derivative is
# $\frac{d}{dn}\tanh n = 1 - \tanh^2 n$.

# %%
def neuron(x1, w1, x2, w2, b):
    n = x1 * w1 + x2 * w2 + b
    return n.tanh()


inputs = [Value(2.0, label="x1"), Value(-3.0, label="w1"), Value(0.0, label="x2"),
          Value(1.0, label="w2"), Value(6.8813735870195432, label="b")]
o = neuron(*inputs)
o.label = "o"
o.backward()
draw_dot(o)

# %% [markdown]
# How do we know the engine is right? A derivative is a limit of slopes, so we can estimate it
# without any calculus: nudge one input by a small $\varepsilon$ both ways and measure the
# change of the output (a **central difference**),
#
# $$\frac{\partial o}{\partial x} \approx \frac{o(x+\varepsilon)-o(x-\varepsilon)}{2\varepsilon}.$$

# %%
eps = 1e-6
data = [v.data for v in inputs]
print(f"{'input':>5} {'engine':>12} {'finite diff.':>14}")
for i, v in enumerate(inputs):
    up = [x + (eps if j == i else 0.0) for j, x in enumerate(data)]
    down = [x - (eps if j == i else 0.0) for j, x in enumerate(data)]
    numeric = (neuron(*map(Value, up)).data - neuron(*map(Value, down)).data) / (2 * eps)
    print(f"{v.label:>5} {v.grad:12.6f} {numeric:14.6f}")

# %% [markdown]
# `gradcheck` does this for every input and tolerance
# $|\text{analytic} - \text{numeric}| \le \text{atol} + \text{rtol}\cdot|\text{numeric}|$;
# it returns True or raises an error naming each input that disagrees.

# %%
print("gradcheck neuron:", gradcheck(neuron, inputs))
print("gradcheck L:", gradcheck(lambda a, b, c, f: (a * b + c) * f, [a, b, c, f]))

# %% [markdown]
# ## When a value is used twice, gradients add up
#
# In $y = x \cdot x + x$ the leaf $x$ feeds three edges. Each edge sends its share back, and the
# shares are *summed*: $\partial y / \partial x = x + x + 1$. That is why the engine writes
# `parent.grad += local · upstream`, never `=`.

# %%
x = Value(3.0, label="x")
y = x * x + x
y.label = "y"
for step in y.backward_steps():
    print(step)
print("dy/dx =", x.grad, "   2x + 1 =", 2 * 3.0 + 1)

# %% [markdown]
# ## A second derivative
#
# `grad(output, inputs)` returns derivatives without touching any `.grad`. With
# `create_graph=True` the derivative is itself a graph of `Value`s, so we can differentiate it
# again. For $g(x) = \tanh x$: $g' = 1 - \tanh^2 x$ and $g'' = -2 \tanh x\,(1 - \tanh^2 x)$.

# %%
x = Value(0.5, label="x")
d1, = grad(x.tanh(), [x], create_graph=True)
d2, = grad(d1, [x])
t = math.tanh(0.5)
print(f"g'(0.5)  engine {d1.data:.12f}   formula {1 - t**2:.12f}")
print(f"g''(0.5) engine {d2:.12f}   formula {-2 * t * (1 - t**2):.12f}")

# the second derivative passes its own finite-difference check:
print("gradcheck g':", gradcheck(lambda x: grad(x.tanh(), [x], create_graph=True)[0], [x]))

# %% [markdown]
# The engine gives $g$, $g'$ and $g''$ at any point, so we can draw them: $g'$ is the slope of
# $g$, largest at 0; $g''$ is the slope of $g'$, zero where $g'$ peaks.

# %%
xs = [-3 + 6 * i / 200 for i in range(201)]
g, g1, g2 = [], [], []
for value in xs:
    x = Value(value)
    out = x.tanh()
    first, = grad(out, [x], create_graph=True)
    second, = grad(first, [x])
    g.append(out.data)
    g1.append(first.data)
    g2.append(second)

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(xs, g, label="tanh x")
ax.plot(xs, g1, label="first derivative")
ax.plot(xs, g2, label="second derivative")
ax.axhline(0, color="gray", lw=0.5)
ax.set_xlabel("x")
ax.legend()
plt.show()

# %% [markdown]
# **Try it:** change `a`, `b`, `c`, `f` at the top (the hand table changes with them), add an
# `.exp()` or a `**2` to the neuron and check it with `gradcheck`, or draw the derivatives of
# `x.sigmoid()` instead of `tanh`.
