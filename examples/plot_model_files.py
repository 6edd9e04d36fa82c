"""
Model files you can trust
=========================

:func:`~scratchnet.persistence.save` writes a model as ``.npz`` arrays plus a JSON header;
:func:`~scratchnet.persistence.load` reads it back with one strict reader that never
unpickles, checks every declared size before reading data, and refuses a model that would not
predict what was saved. A damaged file ends in one error naming the file.
"""

import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork, load, save
from scratchnet.errors import ModelFileError

X, y = load_digits(return_X_y=True)
X = X / 16.0
model = NeuralNetwork(layers=[64, 32, 10], epochs=10, random_state=0).fit(X, y)

folder = Path(tempfile.mkdtemp())
save(model, folder / "digits.npz")
again = load(folder / "digits.npz")
print("same predictions after a round trip:", np.array_equal(again.predict(X), model.predict(X)))

# %%
# A truncated file is refused with a message, never half-loaded.

data = (folder / "digits.npz").read_bytes()
(folder / "damaged.npz").write_bytes(data[: len(data) // 2])
try:
    load(folder / "damaged.npz")
except ModelFileError as error:
    print(type(error).__name__, "-", error)
