"""
A digits classifier
===================

A :class:`~scratchnet.estimators.NeuralNetwork` trained on scikit-learn's digits: fit, the
loss curves of each epoch, the test accuracy and a confusion matrix. ``layers`` names every
layer size, input and output included.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from scratchnet import NeuralNetwork

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels are 0..16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

model = NeuralNetwork(
    layers=[64, 64, 32, 10],
    activations="relu",
    weight_init="he",
    optimizer="adam",
    lr=3e-3,
    epochs=40,
    batch_size=64,
    random_state=0,
).fit(X_train, y_train, validation_data=(X_test, y_test))

print(f"test accuracy: {model.score(X_test, y_test):.3f}")
print("probabilities of the first test image:", model.predict_proba(X_test[:1]).round(2))

# %%
# Every epoch's training and validation loss is kept in ``history_``.

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(model.history_["loss"], label="training")
ax.plot(model.history_["val_loss"], label="validation")
ax.set(xlabel="epoch", ylabel="cross-entropy", title="Loss per epoch")
ax.legend()
fig.tight_layout()

# %%
# Where the errors are: true labels in rows, predictions in columns.

ConfusionMatrixDisplay.from_predictions(y_test, model.predict(X_test), colorbar=False)
plt.title("Digits, test set")
plt.show()
