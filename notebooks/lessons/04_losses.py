# %% [markdown]
# # 4. Losses: what they measure, and why classification uses cross-entropy
#
# The loss is the one number training makes small, so it decides what "good" means. Its
# gradient is all the network ever hears about its mistakes. We look at the two most common
# losses: **mean squared error** for predicting numbers and **cross-entropy** for predicting
# classes.

# %%
import math

import matplotlib.pyplot as plt

import engine
from engine import Value, grad, no_grad
from nn import MLP, fit
from nn.data import IRIS_CLASSES, load_iris, make_sine, train_test_split
from nn.losses import cross_entropy, mse
from nn.optim import SGD

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## Mean squared error, for a curve
#
# A regression model predicts a number $p_i$ for each example with target $t_i$. MSE is the
# mean of the squared vertical distances between them:
#
# $$L_\text{MSE} = \frac{1}{N}\sum_i (p_i - t_i)^2 .$$
#
# Squaring makes every miss count positively and large misses count a lot. We fit a small tanh
# network to noisy samples of $\sin x$ (Adam, minibatches of 25):

# %%
X, y = make_sine(n_samples=100, noise=0.1, seed=0)
model = MLP(1, [16, 16, 1], activation="tanh", seed=0)
history = fit(model, X, y, loss="mse", optimizer="adam", lr=0.03, steps=300, batch_size=25,
              progress=False)
print(f"training MSE {history.train_loss:.4f} (the noise alone gives about 0.1² = 0.01)")

grid = [-3 + 6 * i / 150 for i in range(151)]
with no_grad():
    curve = [model([v]).data for v in grid]
    preds = [model(x).data for x in X]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
left.vlines([x[0] for x in X], y, preds, color="tab:red", lw=0.8, label="errors p - t")
left.scatter([x[0] for x in X], y, s=10, label="data")
left.plot(grid, curve, color="k", label="model")
left.legend(fontsize=8)
left.set(title="MSE = mean of the squared red lines", xlabel="x")
right.plot(history.loss)
right.set(yscale="log", xlabel="step", ylabel="minibatch MSE (log scale)")
plt.show()

# %% [markdown]
# ### Its gradient
#
# $\partial L/\partial p_i = \frac{2}{N}(p_i - t_i)$: each prediction is pulled towards its
# target in proportion to how far off it is. The engine agrees (here with `grad`, which gives
# the derivative with respect to any node, not only leaves):

# %%
preds = [model(x) for x in X[:5]]
targets = y[:5]
dpreds = grad(mse(preds, targets), preds)
for p, t, d in zip(preds, targets, dpreds):
    print(f"p - t = {p.data - t:+.4f}   engine {d:+.5f}   2(p - t)/N = {2 * (p.data - t) / 5:+.5f}")

# %% [markdown]
# ## Cross-entropy, for classes
#
# For $K$ classes the network outputs $K$ scores $z_1 \dots z_K$ (*logits*). **Softmax** turns
# them into probabilities, and cross-entropy is minus the log of the probability given to the
# right class $y$:
#
# $$q_k = \frac{e^{z_k}}{\sum_j e^{z_j}}, \qquad L_\text{CE} = -\frac{1}{N}\sum_i \log q_{i, y_i}.$$
#
# It measures *surprise*: a right answer given probability 0.9 costs $-\log 0.9 = 0.1$; given
# 0.01, it costs $4.6$; given 0 it would cost infinity. Minimising it is maximising the
# likelihood of the labels under the model's probabilities.
#
# Iris: 150 flowers, 4 measurements each, 3 species. Two of the measurements already separate
# them well:

# %%
X, y = load_iris(standardize=True)
fig, ax = plt.subplots(figsize=(4.5, 3.4))
for k, name in enumerate(IRIS_CLASSES):
    pts = [x for x, t in zip(X, y) if t == k]
    ax.scatter([p[2] for p in pts], [p[3] for p in pts], s=14, label=name)
ax.set(xlabel="petal length (standardized)", ylabel="petal width (standardized)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### Its gradient
#
# With respect to the logits the gradient is remarkably simple: predicted probability minus
# the one-hot target, $\partial L/\partial z_{k} = \frac{1}{N}(q_k - [k = y])$. The right
# class's logit is pushed up by $1 - q_y$ (a lot when it is badly wrong), every other logit
# down by its probability. Checked on one flower with an untrained network:

# %%
net = MLP(4, [8, 3], seed=0)
logits = net(X[0])
dlogits = grad(cross_entropy([logits], [y[0]]), logits)
exps = [math.exp(z.data) for z in logits]
q = [e / sum(exps) for e in exps]
for k in range(3):
    print(f"class {k}: q = {q[k]:.4f}   engine {dlogits[k]:+.4f}   "
          f"q - onehot = {q[k] - (k == y[0]):+.4f}")

# %% [markdown]
# ## Why not MSE for classes?
#
# We could also score the probabilities with squared error, $(1 - q_y)^2$ plus the squares of
# the other $q_k$. Take two classes and let $m$ be the margin by which the right class's logit
# wins ($q_y = \sigma(m)$, negative $m$ = wrong). Compare the two losses and their gradients with
# respect to $m$, computed by the engine:

# %%
margins = [-8 + 16 * i / 160 for i in range(161)]
ce, ce_grad, sq, sq_grad = [], [], [], []
for value in margins:
    m = Value(value)
    q_right = m.sigmoid()
    losses = {"ce": -q_right.log(), "sq": 2 * (1 - q_right) ** 2}  # (1-q)² + (0-(1-q))²
    ce.append(losses["ce"].data)
    sq.append(losses["sq"].data)
    ce_grad.append(grad(losses["ce"], [m])[0])
    sq_grad.append(grad(losses["sq"], [m])[0])

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
left.plot(margins, ce, label="cross-entropy")
left.plot(margins, sq, label="squared error of probabilities")
left.set(xlabel="margin m (negative = wrong)", ylabel="loss", ylim=(0, 5))
left.legend(fontsize=8)
right.plot(margins, ce_grad, label="cross-entropy")
right.plot(margins, sq_grad, label="squared error of probabilities")
right.set(xlabel="margin m (negative = wrong)", ylabel="dL/dm")
right.legend(fontsize=8)
plt.show()

# %% [markdown]
# Squared error of probabilities is at most 2, and when the model is confidently *wrong*
# (large negative margin) its gradient vanishes: the sigmoid has flattened out, so the loss
# barely changes with $m$ and the network gets almost no signal to fix its worst mistakes.
# Cross-entropy's $-\log$ undoes the flattening: its gradient tends to $-1$, full strength,
# exactly where it is needed most.
#
# ## The two losses in training
#
# A network that starts confidently wrong (its weights scaled up ×5, so its softmax is near 0
# or 1 everywhere) trained on iris with plain SGD, once with cross-entropy and once with squared
# error of the softmax probabilities (a loss we write ourselves: `fit` takes any
# `callable(preds, targets) -> Value`):

# %%
def softmax(z):
    top = max(v.data for v in z)
    exps = [(v - top).exp() for v in z]
    total = engine.sum(exps)
    return [e / total for e in exps]


def squared_error_of_probabilities(logits, targets):
    terms = []
    for z, t in zip(logits, targets):
        terms += [(qk - (1.0 if k == t else 0.0)) ** 2 for k, qk in enumerate(softmax(z))]
    return engine.sum(terms) / len(logits)


X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
runs = {}
for name, loss in [("cross-entropy", "cross_entropy"),
                   ("squared error of probabilities", squared_error_of_probabilities)]:
    net = MLP(4, [8, 3], seed=0)
    for p in net.parameters():
        p.data *= 5.0
    runs[name] = fit(net, X_train, y_train, loss=loss, optimizer=SGD(net.parameters(), lr=0.1),
                     steps=100, progress=False, X_val=X_test, y_val=y_test)

fig, ax = plt.subplots(figsize=(5.5, 3.2))
for name, h in runs.items():
    ax.plot(h.accuracy, label=name)
    print(f"{name:>31}: test accuracy {h.val_accuracy:.2f}")
ax.set(xlabel="step", ylabel="training accuracy")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Same network, same start, same optimizer: only the loss differs, and cross-entropy recovers
# from the bad start within a few dozen steps while squared error crawls.
#
# **In short:** MSE measures distance and suits numbers; cross-entropy measures how surprised
# the model is by the right answer, suits probabilities, and keeps a strong gradient when the
# model is wrong.
#
# **Try it:** scale the starting weights by 1 instead of 5 (the gap shrinks), use `Adam`
# (which rescales small gradients and hides part of the difference), or fit the sine with
# `loss="l1"` or `loss="huber"` and compare the curves.
