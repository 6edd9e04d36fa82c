"""Per-pixel standardization for the improved autoencoder recipe.

The original scores its autoencoders with R^2 averaged uniformly over the 784 pixels, but trains
them on the squared error of MinMax-scaled pixels, where the nearly constant border pixels weigh
almost nothing. Standardizing every pixel (inputs and targets alike, so the target is still the
input) makes the training loss the same average over pixels as the score: a pixel's squared
error in standard units is ``1 - R^2`` of that pixel, up to the train/test variance ratio. The
standard deviation is floored (default 0.05 in MinMax units) so that pixels that are almost
always 0 do not blow up. R^2 is unchanged by per-pixel affine maps, and predictions are mapped
back before any MSE is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet.errors import ModelFileError
from scratchnet.fileio import atomic_path

SCALER = "scaler.npz"


@dataclass(frozen=True, eq=False)
class PixelScaler:
    """``(X - mean) / scale`` per column, fitted on training data.

    Attributes
    ----------
    mean, scale : ndarray of shape (n_features,)
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, floor: float = 0.05) -> PixelScaler:
        """Column means and standard deviations (at least ``floor``) of X (n, n_features)."""
        X = np.asarray(X, dtype=np.float64)
        return cls(X.mean(axis=0), np.maximum(X.std(axis=0), floor))

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardized X, same shape and dtype."""
        return ((X - self.mean) / self.scale).astype(X.dtype, copy=False)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Back to the original units, float64."""
        return np.asarray(Z, dtype=np.float64) * self.scale + self.mean

    def save(self, path: str | Path) -> Path:
        """Write the scaler as an ``.npz`` of its two arrays, atomically."""
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, mean=self.mean, scale=self.scale)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> PixelScaler:
        """Read a scaler written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                mean, scale = data["mean"], data["scale"]
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a scaler file: {exc}") from None
        if mean.shape != scale.shape or mean.ndim != 1 or not (scale > 0).all():
            raise ModelFileError(f"{path}: scaler arrays must be 1-D, equal-sized, scale > 0")
        return cls(mean, scale)
