# %% [markdown]
# # 2. Gradient descent and the learning rate
#
# Lesson 1 gave us the derivative of an output with respect to any input. Here we use it to
# *learn*: to find the parameter that makes a loss small. We keep to one parameter, so the whole
# loss fits in one picture, and watch what the learning rate does.

# %%
import random

import matplotlib.pyplot as plt

from engine import Value, grad
from nn.optim import SGD

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## A loss with one parameter
#
# Some points lie roughly on a line through the origin, $y \approx 2.5\,x$. Our model is
# $\hat y = w x$ with one parameter $w$, and its loss is the mean squared error
#
# $$L(w) = \frac{1}{N}\sum_i (w x_i - y_i)^2 .$$

# %%
rng = random.Random(0)
xs = [rng.uniform(0.0, 2.0) for _ in range(20)]
ys = [2.5 * x + rng.gauss(0.0, 0.3) for x in xs]


def loss(w):
    """Mean squared error of the line y = w·x; w is a Value (or a float)."""
    return sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


ws = [-2 + 7 * i / 200 for i in range(201)]
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
left.scatter(xs, ys, s=15)
left.set(title="the data", xlabel="x", ylabel="y")
right.plot(ws, [loss(w) for w in ws])
right.set(title="the loss of each w", xlabel="w", ylabel="L(w)")
plt.show()

# %% [markdown]
# ## Why $w \leftarrow w - \eta\,\partial L/\partial w$
#
# The derivative $\partial L/\partial w$ is the slope of the curve at $w$. Near $w$ the curve
# is close to its tangent line: $L(w + \Delta) \approx L(w) + \frac{\partial L}{\partial w}\Delta$.
# If we step *against* the slope, $\Delta = -\eta\,\frac{\partial L}{\partial w}$ with a small
# $\eta > 0$, then
#
# $$L(w + \Delta) \approx L(w) - \eta \left(\frac{\partial L}{\partial w}\right)^2 \le L(w):$$
#
# the loss goes down, whichever side of the minimum we are on (a positive slope means step
# left, a negative one step right). $\eta$, the **learning rate**, says how far to trust the
# tangent line. The tangent is only good nearby, which is where the trouble starts.

# %%
w = Value(-1.0, label="w")
L = loss(w)
L.backward()
print(f"at w = {w.data}: L = {L.data:.3f}, dL/dw = {w.grad:.3f}  ->  step to the right")

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(ws, [loss(v) for v in ws], label="L(w)")
near = [w.data - 1.2 + 2.4 * i / 10 for i in range(11)]
ax.plot(near, [L.data + w.grad * (v - w.data) for v in near], "--", label="tangent at w = -1")
ax.plot([w.data], [L.data], "ko")
ax.set(xlabel="w", ylabel="L", ylim=(-5, 60))
ax.legend()
plt.show()

# %% [markdown]
# ## Descent: the loop
#
# Start somewhere, then repeat: compute the loss, get its gradient with `backward()`, step.
# The gradient is set to zero before each `backward()`, because `backward()` *adds* to `.grad`.

# %%
def descend(lr, steps=12, start=-1.0):
    """Gradient descent on L(w) from `start`; the list of w visited."""
    w = Value(start, label="w")
    path = [w.data]
    for _ in range(steps):
        L = loss(w)
        w.grad = 0.0
        L.backward()
        w.data -= lr * w.grad
        path.append(w.data)
    return path


print([round(v, 3) for v in descend(lr=0.25)])

# %% [markdown]
# ## How large a step?
#
# For this loss we can say exactly. $L$ is a parabola, so its slope is a straight line:
# $\frac{\partial L}{\partial w} = L''\,(w - w^*)$ with the curvature $L''$ and the best
# $w^*$. One step then gives
#
# $$w - w^* \;\leftarrow\; (1 - \eta L'')\,(w - w^*).$$
#
# The distance to the minimum is multiplied by $1 - \eta L''$ at every step:
# for $\eta < 1/L''$ it shrinks without changing side; for $1/L'' < \eta < 2/L''$ it changes
# side each step (overshoots) but still shrinks; for $\eta > 2/L''$ it *grows*: descent
# diverges. The engine gives us $L''$ as a second derivative (lesson 1):

# %%
w = Value(0.0)
dL, = grad(loss(w), [w], create_graph=True)
curvature, = grad(dL, [w])
best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
print(f"curvature L'' = {curvature:.3f}, best w* = {best:.3f}")
print(f"lr < {1 / curvature:.3f}: no overshoot;  lr > {2 / curvature:.3f}: diverges")

# %% [markdown]
# Four learning rates, the same twelve steps from $w = -1$, drawn on the loss curve (the
# numbers are the steps):

# %%
runs = {
    "too small": 0.02,
    "about right": 0.25,
    "overshoots": 0.5,
    "diverges": 0.62,
}
paths = {name: descend(lr) for name, lr in runs.items()}

fig, axes = plt.subplots(2, 2, figsize=(9, 6.4))
for ax, (name, path) in zip(axes.flat, paths.items()):
    lo, hi = min(path + [best - 3.5]), max(path + [best + 3.5])
    grid = [lo + (hi - lo) * i / 200 for i in range(201)]
    ax.plot(grid, [loss(v) for v in grid], color="tab:blue", lw=1)
    ax.plot(path, [loss(v) for v in path], "-o", color="tab:red", ms=3, lw=0.8)
    for k in (0, 1, 2, len(path) - 1):
        ax.annotate(str(k), (path[k], loss(path[k])), textcoords="offset points",
                    xytext=(4, 4), fontsize=8)
    ax.set_title(f"lr = {runs[name]}: {name}")
    ax.set_xlabel("w")
fig.tight_layout()
plt.show()

# %% [markdown]
# The same runs as loss against step. A good learning rate is the largest one that still
# makes steady progress: too small wastes steps, too large wastes them bouncing, or explodes.

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for name, path in paths.items():
    ax.plot([loss(v) for v in path], "-o", ms=3, label=f"lr = {runs[name]} ({name})")
ax.set(yscale="log", xlabel="step", ylabel="L (log scale)")
ax.legend(fontsize=8)
plt.show()
for name, path in paths.items():
    print(f"{name:>12}: w after 12 steps = {path[-1]:9.3f}   (w* = {best:.3f})")

# %% [markdown]
# ## Many parameters: the same rule for each
#
# A network has thousands of parameters; the loss is a surface instead of a curve, but the
# rule is the same for each parameter $p$ separately:
# $p \leftarrow p - \eta\,\partial L/\partial p$.
# The optimizer `nn.optim.SGD` is exactly this loop body (`zero_grad()` then `step()`):

# %%
mine, theirs = Value(-1.0), Value(-1.0)
optimizer = SGD([theirs], lr=0.25)
for _ in range(5):
    L = loss(mine)
    mine.grad = 0.0
    L.backward()
    mine.data -= 0.25 * mine.grad

    L = loss(theirs)
    optimizer.zero_grad()
    L.backward()
    optimizer.step()
print(mine.data, theirs.data, "the same:", mine.data == theirs.data)

# %% [markdown]
# **Try it:** move the start; find the learning rate that gets closest to $w^*$ in 12 steps
# (hint: $1/L''$); try one just below and just above $2/L''$; spread the data over
# $[0, 4]$ and watch the limits move (a steeper bowl needs smaller steps).
