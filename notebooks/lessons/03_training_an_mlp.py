# %% [markdown]
# # 3. Training an MLP
#
# Lesson 2 trained one parameter. A multi-layer perceptron (MLP) has hundreds, but training it
# is the same loop, five steps repeated:
#
# 1. **forward**: run every training example through the network to get its score;
# 2. **loss**: one number that says how wrong the scores are;
# 3. **backward**: the gradient of the loss with respect to every parameter;
# 4. **update**: move every parameter a little against its gradient;
# 5. **repeat** until a stopping criterion holds (the loss is small enough, or a step limit).
#
# We write that loop out by hand on a two-moons data set, then hand the same job to
# `nn.train.fit`, compare optimizers, and look at one example's backward pass through the
# whole network.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import SVG, display

from engine import compile, explain, no_grad, topological_order
from engine.viz import render_backward
from nn import MLP, Neuron, fit
from nn.data import make_moons
from nn.losses import hinge, l2
from nn.optim import SGD, Adam
from nn.viz import by_neuron, draw_network

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## The data: two moons
#
# 100 points in the plane, two interleaved half circles. No straight line separates them, so
# a model needs hidden layers to bend its boundary.

# %%
X, y = make_moons(n_samples=100, noise=0.1, seed=1)
fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.scatter([p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", s=20, edgecolors="k",
           linewidths=0.5)
ax.set_title("make_moons(n_samples=100, noise=0.1, seed=1)")
plt.show()

# %% [markdown]
# ## The model
#
# Two inputs, two hidden layers of 16 ReLU neurons, one output: the *score*, positive for one
# class and negative for the other. Each neuron computes $\mathrm{relu}(w \cdot x + b)$; the
# weights start random (micrograd's demo setting, $w \sim U(-1, 1)$, $b = 0$).

# %%
model = MLP(2, [16, 16, 1], init="micrograd", seed=1)
print(model, "with", len(model.parameters()), "parameters")

# %% [markdown]
# ## The loss
#
# With labels $y_i = \pm 1$ a score $s_i$ is right when $y_i s_i > 0$. The **hinge** loss
# $\max(0,\ 1 - y_i s_i)$ is zero once an example is right by a margin of 1, and grows
# linearly the more wrong it is; we average it over the examples. A small **L2** penalty
# $\lambda \sum p^2$ keeps the weights from growing without need:
#
# $$L = \frac{1}{N}\sum_i \max(0,\ 1 - y_i s_i) + \lambda \sum_p p^2, \qquad \lambda = 10^{-4}.$$

# %%
labels = [1.0 if t == 1 else -1.0 for t in y]  # hinge wants -1 / +1


def accuracy(scores, labels):
    return sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)


# %% [markdown]
# ## The five steps, as a plain loop
#
# The learning rate starts at 1.0 and decays linearly to 0.1, so early steps move fast and late
# ones settle. The loop stops when the loss is at most `target` or after `max_steps`.

# %%
max_steps, target = 100, 0.02
schedule = lambda step: 1.0 - 0.9 * step / max_steps
params = model.parameters()
losses = []
for step in range(max_steps):
    scores = [model(x) for x in X]                       # 1. forward
    loss = hinge(scores, labels) + 1e-4 * l2(params)     # 2. loss
    losses.append(loss.data)
    if step % 10 == 0:
        print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy(scores, labels):.0%}")
    if loss.data <= target:                              # 5. stop ...
        print(f"step {step:3d}  loss {loss.data:.4f} <= {target}: stop")
        break
    for p in params:                                     # 3. backward
        p.grad = 0.0
    loss.backward()
    lr = schedule(step)
    for p in params:                                     # 4. update
        p.data -= lr * p.grad
                                                         # ... or repeat

# %% [markdown]
# ## Where the model draws the line
#
# The **decision boundary** is where the score crosses zero. We evaluate the model on a grid
# of points (under `no_grad()`: no graph is recorded, we only want numbers) and colour each
# point by its score.

# %%
def plot_boundary(model, X, y, ax, title="", n=50):
    xs = [-1.6 + 4.2 * i / (n - 1) for i in range(n)]
    ys = [-1.2 + 2.8 * j / (n - 1) for j in range(n)]
    with no_grad():
        scores = [[model([a, b]).data for a in xs] for b in ys]
    ax.contourf(xs, ys, scores, levels=[-1e9, -1, 0, 1, 1e9], cmap="coolwarm", alpha=0.45)
    ax.contour(xs, ys, scores, levels=[0.0], colors="k", linewidths=1)
    ax.scatter([p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", s=14,
               edgecolors="k", linewidths=0.5)
    ax.set_title(title, fontsize=10)


fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
plot_boundary(model, X, y, left, f"after {len(losses) - 1} updates")
right.plot(losses)
right.set(yscale="log", xlabel="step", ylabel="loss (log scale)", title="training loss")
plt.show()

# %% [markdown]
# ## The same with `nn.train.fit`
#
# `fit` is this loop with the bookkeeping done: it converts the 0/1 labels for the hinge loss,
# adds the L2 term, applies the schedule, checks the stopping criteria, and records a
# `History`. Given the same starting weights, the same loss and the same schedule, it takes
# exactly the same steps:

# %%
model2 = MLP(2, [16, 16, 1], init="micrograd", seed=1)
history = fit(model2, X, y, loss="hinge", optimizer=SGD(model2.parameters(), lr=1.0),
              schedule=schedule, steps=max_steps, l2=1e-4, target_loss=target, progress=False)
print(history.message)
print("same losses as the plain loop:", history.loss == losses)
print("same weights:", [p.data for p in model2.parameters()] == [p.data for p in params])
print(f"final training accuracy {history.train_accuracy:.0%}")

# %% [markdown]
# ## Optimizers side by side
#
# Plain SGD steps along the current gradient only. **Momentum** keeps a running sum of past
# gradients, $b \leftarrow \mu b + g$, $p \leftarrow p - \eta b$, so steps grow along a
# direction the gradient keeps pointing in. **Adam** divides each parameter's step by a running
# size of its own gradients, so every parameter moves at a similar pace. Same model, same start,
# 80 steps each:

# %%
optimizers = {
    "SGD lr=0.1": lambda ps: SGD(ps, lr=0.1),
    "SGD lr=0.1, momentum 0.9": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "Adam lr=0.05": lambda ps: Adam(ps, lr=0.05),
}
runs = {}
for name, make in optimizers.items():
    m = MLP(2, [16, 16, 1], init="micrograd", seed=1)
    runs[name] = (m, fit(m, X, y, loss="hinge", optimizer=make(m.parameters()), steps=80,
                         l2=1e-4, progress=False))

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
for name, (m, h) in runs.items():
    ax_loss.plot(h.loss, label=name)
    ax_acc.plot(h.accuracy, label=name)
ax_loss.set(yscale="log", xlabel="step", ylabel="loss (log scale)")
ax_acc.set(xlabel="step", ylabel="training accuracy")
ax_loss.legend(fontsize=8)
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, (name, (m, h)) in zip(axes, runs.items()):
    plot_boundary(m, X, y, ax, f"{name}: loss {h.loss[-1]:.3f}")
plt.show()

# %% [markdown]
# ## One example's backward pass
#
# What does `backward()` do for a single training example? Take the network as it started
# (the same seed as `model` before training) and the first example. Its loss is a graph of
# hundreds of Values, far too many boxes to read one by one:

# %%
start = MLP(2, [16, 16, 1], init="micrograd", seed=1)
x0, label0 = X[0], labels[0]
loss0 = hinge([start(x0)], [label0])
loss0.label = "loss"
print(len(topological_order(loss0)), "Values in one example's loss graph, loss", round(loss0.data, 4))

# %% [markdown]
# Grouped, it reads as the network. `group=by_neuron` draws each neuron (its weights, its bias,
# its weighted sum and its relu) as one box with the neuron's output (`data`) and the
# gradient of the loss with respect to it (`grad`); the `lambda` puts the loss's own Values in
# one box too. `render_backward` draws a frame each time the pass reaches another box (the box
# being processed amber, the boxes it just sent a gradient to green, grads still to come grey)
# and an `index.html` player, where the wheel or +/− zoom and a drag pans. We render into a
# temporary folder and show two frames; run `render_backward(loss0, "backward", group=...)`
# yourself and open `backward/index.html` to play the whole pass.

# %%
neurons_and_loss = lambda v: by_neuron(v) or "loss"
with tempfile.TemporaryDirectory() as folder:
    frames = render_backward(loss0, Path(folder) / "backward", group=neurons_and_loss)
    print(len(frames) - 1, "frames and", frames[-1].name)
    display(SVG(filename=frames[1]))
    display(SVG(filename=frames[2]))

# %% [markdown]
# Frame 1: the output neuron `L3.N0` has its gradient (the loss box sent it) and sends
# `w · grad` to each neuron of layer 2, through the weight that joins them. Frame 2: the
# first neuron of layer 2 that the pass reaches sends its gradient on to every neuron of
# layer 1. A neuron whose relu is off (data 0) sends nothing back: the relu's derivative is 0.
#
# ## The network as people draw it
#
# After `backward()` every parameter has its gradient. `draw_network` draws the network the way
# it is usually drawn, with the numbers of this example: an edge per weight (blue for
# $w > 0$, orange for $w < 0$, wider for larger $|w|$), each neuron with its output for
# `x0`, its bias's gradient and its largest weight gradient. Faint edges are weights that got
# no gradient from this example: they lead into a neuron whose relu is off.

# %%
start.zero_grad()
loss0.backward()
draw_network(start, x0)

# %% [markdown]
# ## The same pass as text
#
# `explain` prints every step of the pass as a row. For this network that is hundreds of
# rows, so here it is for a network of 2-2-1: each neuron is a `dot` node (its weights and
# bias against the inputs) and a `relu`, with the hinge loss on top.

# %%
tiny = MLP(2, [2, 1], init="micrograd", seed=3)
tiny_loss = hinge([tiny(x0)], [label0])
tiny_loss.label = "loss"
text = explain(tiny_loss)

# %% [markdown]
# Row 1 is the loss, the mean of one example's hinge term; row 5 is the output neuron's
# weighted sum, which sends its gradient to its weights and to the two hidden neurons.

# %% [markdown]
# ## The backward pass with every object gone
#
# A network's graph has the same shape at every step; only the numbers change. So
# `engine.compile` calls a function once, on Values, and writes the graph it built as plain
# Python: one line per node, forward then backward. Here is one neuron's loss:

# %%
neuron = Neuron(2, "tanh", seed=0, name="N")


def neuron_loss(x, y):
    out = (neuron(x) - y) ** 2
    out.label = "loss"
    return out


f = compile(neuron_loss, [0.5, -1.0], 1.0)
print(f.source)

# %% [markdown]
# Read the backward half from the top: it is the chain rule, written out. `d_v` holds
# d loss / d v, and each line is one node handing its gradient to its operands, each times
# its local derivative: `(N - y)²` sends `2·(N - y)`, the subtraction passes it on unchanged,
# `tanh` multiplies by its slope `4·σ(2a)·σ(-2a)` (that is 1 - tanh², written so it keeps its
# precision), and the weighted sum `v5` gives each weight its input times the gradient that
# reached the neuron: `d_N_w0 += x_0 * d_v5`. `if d_v5:` skips a node whose gradient is zero,
# as `backward()` does (behind a relu that is off, a whole neuron is skipped).
#
# No objects are made and no graph is walked, yet the numbers are `backward()`'s, to the bit:

# %%
ps = neuron.parameters()
for p in ps:
    p.grad = 0.0
value = f.value_and_grad([0.5, -1.0], 1.0)
compiled = [p.grad for p in ps]
for p in ps:
    p.grad = 0.0
out = neuron_loss([0.5, -1.0], 1.0)
out.backward()
print("compiled = eager:", value == out.data and compiled == [p.grad for p in ps])

# %% [markdown]
# This is how `fit` trains an MLP: it compiles the network once and runs every step as such
# lines (the loss stays a small eager graph on top of the outputs), which is several times
# faster than building the graph; `fit(..., compile=False)` and `gradstep train --no-compile`
# step through the graph instead, with the same results.

# %% [markdown]
# ## Every step at once: the lab
#
# The pictures above are one step each. `LabRecorder` is a callback that records the whole
# run, step by step: the weights each step started from, their gradients, the largest
# updates with their rule, and each layer's health. `write_lab` writes a page that replays
# it, offline: the network, the decision boundary, the curves with a cursor, and one
# example's story (forward, loss, backward, update) at every step; click a point to follow
# it ([what the page looks like](../docs/lab.png)). `gradstep train --lab` writes the same
# page for a run of the command line. Here it is for `fit`'s run above:

# %%
from nn.train.lab import LabRecorder, write_lab

recorder = LabRecorder(name="lesson 3: moons")
model3 = MLP(2, [16, 16, 1], init="micrograd", seed=1)
fit(model3, X, y, loss="hinge", optimizer=SGD(model3.parameters(), lr=1.0), schedule=schedule,
    steps=max_steps, l2=1e-4, target_loss=target, callbacks=[recorder], progress=False)
folder = Path(tempfile.mkdtemp())
page = write_lab(folder, recorder)
print(len(recorder.steps), "recorded steps:", recorder.meta["thinning"])
print("the page:", page.relative_to(folder), "(open it in a browser: webbrowser.open(page.as_uri()))")

# %% [markdown]
# **Try it:** change the learning-rate schedule or `target` in the plain loop, give the model
# `[4, 1]` or `[32, 32, 1]` neurons, raise the noise of the moons to 0.3, or try
# `Adam(ps, lr=0.5)` and see how a too-large step shows up in the loss curve.
