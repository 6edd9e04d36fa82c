"""
Hidden features
===============

``transform(X, layer=k)`` returns the activations of hidden layer ``k``: features the network
learned. Here an autoencoder with a 2-unit bottleneck draws the digits on a plane, and a
classifier trained on a wider hidden layer's features is compared with one trained on the
pixels (the original study's Section C.5).
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from scratchnet import NeuralNetworkRegressor

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

settings = dict(activations="tanh", optimizer="adam", lr=3e-3, epochs=80, random_state=0)
flat = NeuralNetworkRegressor(layers=[64, 32, 2, 32, 64], **settings).fit(X_train, X_train)
codes = flat.transform(X_test, layer=2)  # the bottleneck: (n_samples, 2)

fig, ax = plt.subplots(figsize=(5, 4.5))
points = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=12)
ax.legend(*points.legend_elements(), title="digit", fontsize=7, loc="best")
ax.set(title="The 2-unit bottleneck of an autoencoder", xlabel="unit 1", ylabel="unit 2")
fig.tight_layout()

# %%
# A classifier on learned features: logistic regression on the 16 units of another
# autoencoder's middle layer, against the same classifier on the 64 pixels.

wide = NeuralNetworkRegressor(layers=[64, 32, 16, 32, 64], **settings).fit(X_train, X_train)
on_pixels = LogisticRegression(max_iter=2000).fit(X_train, y_train)
on_features = LogisticRegression(max_iter=2000).fit(wide.transform(X_train, layer=2), y_train)
print(f"on 64 pixels:          {on_pixels.score(X_test, y_test):.3f}")
print(f"on 16 hidden features: {on_features.score(wide.transform(X_test, layer=2), y_test):.3f}")
plt.show()
