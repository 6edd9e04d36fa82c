"""
An autoencoder and its reconstructions
======================================

An autoencoder is a :class:`~scratchnet.estimators.NeuralNetworkRegressor` trained to
regenerate its input, ``fit(X, X)``, through a narrow middle layer. Its :math:`R^2` says how
much of the pixels' variance the reconstructions keep (the original study's Section C.4).
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from scratchnet import NeuralNetworkRegressor

X, _ = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

autoencoder = NeuralNetworkRegressor(
    layers=[64, 32, 16, 32, 64],
    activations="tanh",
    weight_init="xavier",
    optimizer="adam",
    lr=3e-3,
    epochs=200,
    batch_size=32,
    random_state=0,
).fit(X_train, X_train)

reconstructed = autoencoder.predict(X_test)
print(f"test R^2: {r2_score(X_test, reconstructed):.3f}")

# %%
# Test images (top) above their reconstructions (bottom).

fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for column in range(8):
    for row, images in enumerate((X_test, reconstructed)):
        axes[row, column].imshow(images[column].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[row, column].axis("off")
fig.suptitle("Test digits and their reconstructions")
fig.tight_layout()
plt.show()
