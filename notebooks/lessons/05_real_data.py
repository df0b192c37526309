# %% [markdown]
# # 5. Real data: handwritten digits
#
# Everything so far ran on toy data. The digits set is real: 1797 handwritten digits, scanned
# and shrunk to 8×8 pixels of 17 grey levels (0 to 16). We train a small MLP on three quarters
# of them and ask how it does on the quarter it never saw: which digits it gets wrong, and
# which digits it mistakes for which.

# %%
import matplotlib.pyplot as plt

from engine import no_grad
from nn import MLP, fit
from nn.data import load_digits, train_test_split

plt.rcParams["figure.dpi"] = 72

# %%
images, y = load_digits()                    # pixels 0..16, for looking at
X, _ = load_digits(standardize=True)         # each pixel to mean 0, std 1, for training
print(len(X), "digits of", len(X[0]), "pixels; the first one is a", y[0])

fig, axes = plt.subplots(2, 10, figsize=(10, 2.3))
for ax, image, label in zip(axes.flat, images, y):
    ax.imshow([image[r * 8:(r + 1) * 8] for r in range(8)], cmap="gray_r", vmin=0, vmax=16)
    ax.set_title(str(label), fontsize=10)
    ax.axis("off")
plt.show()

# %% [markdown]
# **Why standardize?** Raw pixels run from 0 to 16 and some are always 0 (the corners). Shifted
# and scaled to mean 0 and spread 1, every input speaks at the same volume, so one learning rate
# suits all the weights.
#
# We keep a quarter of the digits aside as a **test set**: a model is only as good as it is on
# examples it did not learn from. The same seed splits the pictures and the standardized rows
# the same way.

# %%
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
_, images_test, _, same_labels = train_test_split(images, y, test_size=0.25, seed=0)
assert same_labels == y_test
print(len(X_train), "for training,", len(X_test), "for testing")

# %% [markdown]
# ## Train
#
# 64 inputs → 16 ReLU neurons → 10 logits, one per digit, trained with cross-entropy (lesson 4)
# and Adam on **minibatches** of 32 digits: each step looks at 32 random training digits instead
# of all 1347, so a step is 40 times cheaper; its gradient is noisier, but many cheap steps beat
# a few exact ones.

# %%
model = MLP(64, [16, 10], seed=0)
history = fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=0.01,
              steps=200, batch_size=32, seed=0, progress=False, X_val=X_test, y_val=y_test)
print(f"{len(model.parameters())} parameters, {history.steps} steps")
print(f"training accuracy {history.train_accuracy:.3f}")

window = 10
smooth = [sum(history.loss[max(0, i - window + 1):i + 1]) / min(i + 1, window)
          for i in range(len(history.loss))]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(history.loss, alpha=0.3, label="minibatch loss")
ax.plot(smooth, label=f"mean of the last {window}")
ax.set(yscale="log", xlabel="step", ylabel="cross-entropy (log scale)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Test
#
# The predicted digit is the one with the largest logit. `no_grad()` skips recording a graph:
# we only want the numbers.

# %%
with no_grad():
    predicted = []
    for x in X_test:
        logits = [v.data for v in model(x)]
        predicted.append(max(range(10), key=logits.__getitem__))
test_accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
print(f"test accuracy: {test_accuracy:.3f}")

# %% [markdown]
# ## The digits it got wrong
#
# Looking at the mistakes tells you more than the accuracy does: some are digits a person would
# hesitate over too, some are plain errors.

# %%
wrong = [i for i, (p, t) in enumerate(zip(predicted, y_test)) if p != t]
print(len(wrong), "of", len(y_test), "test digits misclassified")

columns = 8
rows = max(1, -(-min(len(wrong), 24) // columns))
fig, axes = plt.subplots(rows, columns, figsize=(10, 1.45 * rows), squeeze=False)
for ax in axes.flat:
    ax.axis("off")
for ax, i in zip(axes.flat, wrong[:24]):
    image = images_test[i]
    ax.imshow([image[r * 8:(r + 1) * 8] for r in range(8)], cmap="gray_r", vmin=0, vmax=16)
    ax.set_title(f"{y_test[i]} → {predicted[i]}", fontsize=10, color="tab:red")
fig.suptitle("true → predicted", fontsize=10)
plt.show()

# %% [markdown]
# ## The confusion matrix
#
# Row = the true digit, column = the prediction; the diagonal counts the right answers, every
# number off it one kind of mistake.

# %%
confusion = [[0] * 10 for _ in range(10)]
for p, t in zip(predicted, y_test):
    confusion[t][p] += 1

fig, ax = plt.subplots(figsize=(5, 4.5))
ax.imshow(confusion, cmap="Blues")
for t in range(10):
    for p in range(10):
        if confusion[t][p]:
            ax.text(p, t, confusion[t][p], ha="center", va="center", fontsize=8,
                    color="white" if t == p else "black")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true")
plt.show()

mistakes = sorted(((confusion[t][p], t, p) for t in range(10) for p in range(10) if t != p),
                  reverse=True)
print("most common mistakes:", ", ".join(f"{t} as {p} ({n}×)" for n, t, p in mistakes[:3]))

# %% [markdown]
# ## What the hidden neurons look at
#
# Each hidden neuron has one weight per pixel, so its weights can be drawn as an 8×8 picture:
# red pixels push the neuron up, blue ones down. Some look like strokes or parts of digits.

# %%
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for ax, neuron in zip(axes.flat, model.layers[0].neurons):
    w = [p.data for p in neuron.w]
    top = max(abs(v) for v in w)
    ax.imshow([w[r * 8:(r + 1) * 8] for r in range(8)], cmap="RdBu_r", vmin=-top, vmax=top)
    ax.set_title(neuron.name, fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# **Try it:** use 32 hidden neurons, or 400 steps, or train on raw pixels
# (`load_digits()` without `standardize`) and watch the accuracy and the mistakes change.
