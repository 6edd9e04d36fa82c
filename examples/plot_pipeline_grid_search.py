"""
A pipeline with grid search
===========================

scratchnet's estimators are scikit-learn estimators, so :class:`~sklearn.pipeline.Pipeline`,
:func:`~sklearn.base.clone` and :class:`~sklearn.model_selection.GridSearchCV` take them
unchanged. Here a scaler and a network are searched over learning rate x batch size with
3-fold cross-validation, as the original study's Section C.3 does on Fashion-MNIST.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from scratchnet import NeuralNetwork

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

pipeline = make_pipeline(
    MinMaxScaler(),
    NeuralNetwork(layers=[64, 32, 10], optimizer="adam", epochs=15, random_state=0),
)
grid = {"neuralnetwork__lr": [1e-3, 1e-2], "neuralnetwork__batch_size": [32, 128]}
search = GridSearchCV(pipeline, grid, cv=3).fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted pipeline: {search.score(X_test, y_test):.3f}")

# %%
# The mean cross-validated accuracy of each candidate.

scores = search.cv_results_["mean_test_score"].reshape(len(grid["neuralnetwork__lr"]), -1)
fig, ax = plt.subplots(figsize=(4.5, 3.5))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(np.arange(2), grid["neuralnetwork__batch_size"])
ax.set_yticks(np.arange(2), grid["neuralnetwork__lr"])
ax.set(xlabel="batch size", ylabel="learning rate", title="3-fold CV accuracy")
for (i, j), value in np.ndenumerate(scores):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white")
fig.colorbar(image)
fig.tight_layout()
plt.show()
