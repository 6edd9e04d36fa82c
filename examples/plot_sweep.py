"""
A sweep that resumes
====================

The sweep engine runs every cell of a study's grid once, each into its own folder, written
atomically; run the same sweep again and finished cells are skipped. ``scratchnet sweep
configs/mnist_original.toml`` runs the original study's grids this way. A study is a small object
(see the contract in the sweep engine's module docstring): here, activations x weight
initializations of a digits classifier, the shape of the original study's Section B.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from scratchnet import NeuralNetwork
from scratchnet.studies.registry import register, run_sweep
from scratchnet.sweep.cells import Cell

ACTIVATIONS = ["sigmoid", "tanh", "relu"]
INITS = ["random", "normal", "he"]


@dataclass(frozen=True)
class DigitsGrid:
    """Activations x initializations on digits: one cell trains one network."""

    name: str = "digits-activation-init"

    def parse_config(self, table: dict, where: str) -> dict:
        return {"epochs": int(table.get("epochs", 20))}

    def cells(self, config: dict) -> list:
        return [
            Cell(f"{activation}_{init}", {"activation": activation, "weight_init": init})
            for activation in ACTIVATIONS
            for init in INITS
        ]

    def run_cell(self, config: dict, cell, cell_dir: Path) -> dict:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
        model = NeuralNetwork(
            layers=[64, 32, 10],
            activations=cell.params["activation"],
            weight_init=cell.params["weight_init"],
            optimizer="sgd",
            lr=0.05,
            epochs=config["epochs"],
            random_state=0,
        ).fit(X_train, y_train)
        return {"test_accuracy": model.score(X_test, y_test)}

    def summarize(self, config: dict, results: list, out_dir: Path) -> None:
        pass  # a real study writes its tables and figures into out_dir here


register(DigitsGrid())
out = Path(tempfile.mkdtemp()) / "digits_sweep"
config = {"study": "digits-activation-init", "epochs": 20}
results = run_sweep(config, out, n_jobs=1, progress=False)
print(
    f"first run: {len(results)} cells, folders:",
    sorted(p.name for p in (out / "cells").iterdir())[:3],
    "...",
)

# %%
# Run it again: every cell is already complete, so nothing is trained and the records are
# read back from the cells' folders.

again = run_sweep(config, out, n_jobs=1, progress=False)
same = [a["metrics"] == b["metrics"] for a, b in zip(results, again)]
print(f"second run: {len(again)} cells read back, all identical: {all(same)}")

# %%
# The grid's test accuracies, as a heatmap like the report's.

accuracy = np.array([r["metrics"]["test_accuracy"] for r in results]).reshape(3, 3)
fig, ax = plt.subplots(figsize=(4.5, 3.8))
image = ax.imshow(accuracy, cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(3), INITS)
ax.set_yticks(range(3), ACTIVATIONS)
for (i, j), value in np.ndenumerate(accuracy):
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white")
ax.set(xlabel="weight_init", ylabel="activation", title="Digits, test accuracy")
fig.colorbar(image)
fig.tight_layout()
plt.show()
