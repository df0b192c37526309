# %% [markdown]
# # 6. Getting backprop wrong
#
# Backpropagation is a few lines of code, and each line can be wrong in a way that still runs.
# Nothing crashes: the numbers are just wrong, or training is slow, or it blows up. This lesson
# makes the four mistakes people make most often, each next to the right version, and shows
# the number that gives each one away: a derivative that disagrees with finite differences
# (what `gradcheck` checks), or a loss curve that goes the wrong way.

# %%
import math

import matplotlib.pyplot as plt

from engine import Value, gradcheck, grad, local_grads, topological_order
from nn import MLP
from nn.data import make_moons
from nn.losses import hinge, mse

plt.rcParams["figure.dpi"] = 72


def finite_difference(f, x: float, eps: float = 1e-6) -> float:
    """d f / d x at x from two evaluations: (f(x + eps) - f(x - eps)) / 2 eps."""
    return (f(Value(x + eps)).data - f(Value(x - eps)).data) / (2 * eps)


# %% [markdown]
# ## 1. A recursive backward without topological order
#
# The first backward pass everyone writes: a node sends `local · grad` to each parent and
# recurses into the parent at once. It is right for a chain, and for a tree. Try it on a graph
# where a node is used twice:
#
# $$b = a + a, \qquad c = b + b = 4a, \qquad \frac{dc}{da} = 4.$$

# %%
def backward_recursive(node):
    """Wrong: recurses into a parent before the parent has all of its grad."""
    for parent, local in local_grads(node):
        parent.grad += local * node.grad
        backward_recursive(parent)


def expression(a):
    b = a + a
    return b + b


a = Value(3.0, label="a")
c = expression(a)
c.grad = 1.0
backward_recursive(c)
print("recursive, no topological order: dc/da =", a.grad)
print("finite differences:               dc/da =", round(finite_difference(expression, 3.0), 6))

# %% [markdown]
# 6, not 4. When `c` sends its grad to `b` the first time (`b.grad = 1`), the recursion
# carries that half-finished grad all the way down to `a` (`a.grad += 2`). Then `c` sends its
# second share (`b.grad = 2`), and the recursion sends all of `b.grad` down *again*
# (`a.grad += 4`): the first share arrived twice. A node may pass its grad on only once it is
# complete, when every node that uses it has sent its share. That is what the **topological
# order** guarantees: walked backwards, every node comes after all the nodes that use it.

# %%
a = Value(3.0, label="a")
c = expression(a)
c.grad = 1.0
for node in reversed(topological_order(c)):  # every user of a node before the node
    for parent, local in local_grads(node):
        parent.grad += local * node.grad
print("in topological order:            dc/da =", a.grad)

a = Value(3.0, label="a")
expression(a).backward()  # the engine's backward walks the same order
print("engine's backward:               dc/da =", a.grad)
print("gradcheck of the engine's backward:", gradcheck(expression, [Value(3.0)]))

# %% [markdown]
# `gradcheck` compares `backward()` with finite differences at every input; it is how the
# engine's own tests would have caught the recursive version.
#
# ## 2. `grad = ...` instead of `grad += ...`
#
# The walk is now in the right order, but a parent's grad is *set* instead of *added to*.
# Wherever a Value is used more than once, all but the last share are lost. Here $x$ is used
# three times:
#
# $$f(x) = x \cdot x + x, \qquad f'(x) = 2x + 1 = 7 \text{ at } x = 3.$$

# %%
def f(x):
    return x * x + x


def backward_overwriting(out):
    """Wrong: `=` keeps only the last share a parent is sent."""
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        for parent, local in local_grads(node):
            parent.grad = local * node.grad


def backward_adding(out):
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        for parent, local in local_grads(node):
            parent.grad += local * node.grad


x = Value(3.0, label="x")
backward_overwriting(f(x))
print("grad = ...:          df/dx =", x.grad)
x = Value(3.0, label="x")
backward_adding(f(x))
print("grad += ...:         df/dx =", x.grad)
print("finite differences:  df/dx =", round(finite_difference(f, 3.0), 6))

# %% [markdown]
# With `=`, `x.grad` ends at 3: the `+ x` share (1) is overwritten by the first share of
# $x \cdot x$ (3), and that by its second (3). Only the last share a node is sent survives.
# A network uses every input of a layer in every neuron of that layer, so with `=` nearly
# every gradient in it is wrong.
#
# ## 3. Forgetting to zero the grads between steps
#
# `backward()` *adds* to `.grad` (that is what made mistake 2 right). So between two training
# steps the grads must be set back to zero, or each step's gradient is the sum of every
# gradient so far. Two runs of the same network on the same data, differing in one line:

# %%
X, y = make_moons(n_samples=60, noise=0.1, seed=3)
labels = [1.0 if t == 1 else -1.0 for t in y]


def train(zero_grad=True, lr=0.2, steps=60, loss_function=hinge):
    """Plain gradient descent; returns the model and its loss per step (until not finite)."""
    model = MLP(2, [8, 1], init="micrograd", seed=0)
    params = model.parameters()
    curve = []
    for _ in range(steps):
        loss = loss_function([model(x) for x in X], labels)
        curve.append(loss.data)
        if not math.isfinite(loss.data):
            break
        if zero_grad:
            model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
    return model, curve


right, right_curve = train(zero_grad=True)
forgot, forgot_curve = train(zero_grad=False)

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(right_curve, label="model.zero_grad() before backward()")
ax.plot(forgot_curve, label="no zero_grad()")
ax.set(xlabel="step", ylabel="hinge loss")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The number that gives it away: after training without zeroing, a parameter's `.grad` is not
# the gradient of the current loss, which `engine.grad` computes without touching any `.grad`.

# %%
loss = hinge([forgot(x) for x in X], labels)
b = forgot.layers[-1].neurons[0].b  # the output neuron's bias
true_now, = grad(loss, [b])
print(f"no zero_grad: {b.label}.grad = {b.grad:.4g}, but dL/d{b.label} now = {true_now:.4g}")
loss = hinge([right(x) for x in X], labels)
right.zero_grad()
loss.backward()
b = right.layers[-1].neurons[0].b
true_now, = grad(loss, [b])
print(f"zero_grad, then backward(): {b.label}.grad == dL/d{b.label}: {b.grad == true_now}")
print(f"final loss: with zero_grad {right_curve[-1]:.4f}, without {forgot_curve[-1]:.4f}")

# %% [markdown]
# Without zeroing, each step moves by the sum of every gradient so far. At first that even
# looks good (the sum is a bigger step in a direction that is still right), but the steps keep
# growing and keep pointing where the loss *was* steep: the loss wanders instead of settling,
# and ends higher than it started.
#
# ## 4. A learning rate too large
#
# The update $p \leftarrow p - \eta\,\partial L/\partial p$ trusts the gradient for a step of
# size $\eta$. Lesson 2 showed, on one parameter, that past a certain $\eta$ each step
# overshoots by more than it gains. Here with the squared error, whose gradient grows with
# the error, so an overshoot feeds on itself. The same network and data, three learning rates:

# %%
rates = {"lr = 0.2": 0.2, "lr = 1.0": 1.0, "lr = 2.0": 2.0}
curves = {name: train(lr=lr, steps=25, loss_function=mse)[1] for name, lr in rates.items()}

fig, ax = plt.subplots(figsize=(6, 3.2))
for name, curve in curves.items():
    ax.plot(curve, "-o", ms=3, label=name)
ax.set(yscale="log", xlabel="step", ylabel="squared error (log scale)")
ax.legend(fontsize=8)
plt.show()
for name, curve in curves.items():
    print(f"{name}: loss {curve[0]:.3f} -> {curve[-1]:.4g} after {len(curve)} steps")

# %% [markdown]
# The loss curve is the number. At 0.2 it goes down. At 1.0 the first step is so large that
# every hidden relu ends up off for every example: the loss jumps up and stays there, since
# no gradient flows through a relu that is off. At 2.0 each step overshoots further than the
# last and the loss grows without bound. (`nn.fit` watches for this: when the loss stops being
# finite it puts back the last good weights and says to try a smaller learning rate.)
#
# **Try it:** in mistake 1, use `b = a * a` instead: is the recursive version still wrong? In
# mistake 3, zero the grads only every 5 steps. In mistake 4, find the largest learning rate
# whose curve still goes down.
