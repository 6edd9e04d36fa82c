"""Random image augmentation of training batches: shifts, rotations, zooms, shears, elastic
distortion and horizontal flips, composed per image into one bilinear resampling.

An :class:`Augment` holds the strength of every transform (0 turns it off) and is a plain
parameter object with ``get_params``/``set_params``, so estimators take it as a parameter
(``NeuralNetwork(augment=Augment(shift=2))``, or a preset name or a dict of strengths) and
``clone``, pickling and grid searches (``augment__rotate``) work. Its randomness comes from
the generator it is given: the estimators pass their own stream of ``random_state``.

>>> import numpy as np
>>> images = np.zeros((4, 28, 28), np.float32)
>>> Augment(shift=2, rotate=10).transform(images, random_state=0).shape
(4, 28, 28)

Presets (:data:`PRESETS`): ``"mnist"`` moves digits a little (shifts of up to 2 pixels,
rotations up to 10 degrees, zooms of +-10 %, shears up to 10 degrees, elastic displacement
of 1 pixel rms); ``"fashion"`` mirrors half the clothes left to right and shifts by up to
2 pixels (a mirrored shirt is a shirt; a rotated or warped one rarely looks like the data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import sparse

from scratchnet.data import geometry
from scratchnet.errors import ConfigError

#: Each strength's allowed range (inclusive; None: unbounded) and unit, for checks and docs.
LIMITS: dict[str, tuple[float, float | None, str]] = {
    "shift": (0.0, None, "pixels"),
    "rotate": (0.0, 180.0, "degrees"),
    "scale": (0.0, 0.9, "zoom fraction"),
    "shear": (0.0, 60.0, "degrees"),
    "elastic": (0.0, None, "pixels rms"),
    "elastic_sigma": (0.1, None, "pixels"),
    "flip": (0.0, 1.0, "probability"),
}

#: Named settings; see the module docstring.
PRESETS: dict[str, dict[str, float]] = {
    "mnist": {"shift": 2.0, "rotate": 10.0, "scale": 0.1, "shear": 10.0, "elastic": 1.0},
    "fashion": {"shift": 2.0, "flip": 0.5},
}

_STRENGTHS = ("shift", "rotate", "scale", "shear", "elastic", "flip")


class Augment:
    """Random transforms of image batches, each image with its own random parameters.

    Parameters
    ----------
    shift : float
        Translation in pixels, uniform in [-shift, shift] along each axis.
    rotate : float
        Rotation in degrees, uniform in [-rotate, rotate].
    scale : float
        Zoom factor uniform in [1 - scale, 1 + scale], about the image centre.
    shear : float
        Horizontal shear angle in degrees, uniform in [-shear, shear].
    elastic : float
        Elastic distortion: a random displacement field (white noise smoothed by a Gaussian
        of ``elastic_sigma`` pixels) with this standard deviation in pixels per axis.
    elastic_sigma : float
        Smoothness of the elastic field, in pixels.
    flip : float
        Probability of mirroring an image left to right.
    fill : float, optional
        Value of the pixels moved in from outside the image; None: the batch's minimum
        (the background of MNIST and Fashion-MNIST, whatever their scaling).
    """

    def __init__(
        self,
        shift: float = 0.0,
        rotate: float = 0.0,
        scale: float = 0.0,
        shear: float = 0.0,
        elastic: float = 0.0,
        elastic_sigma: float = 4.0,
        flip: float = 0.0,
        fill: float | None = None,
    ) -> None:
        self.shift, self.rotate, self.scale, self.shear = shift, rotate, scale, shear
        self.elastic, self.elastic_sigma, self.flip, self.fill = elastic, elastic_sigma, flip, fill
        self._check()

    # --- parameters (scikit-learn's protocol, so that estimators can clone it) -------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters by name."""
        return {name: getattr(self, name) for name in (*LIMITS, "fill")}

    def json_spec(self) -> dict[str, Any]:
        """The parameters as a dict, which ``augment=`` takes back (for model files)."""
        return self.get_params()

    def set_params(self, **params: Any) -> Augment:
        """Change parameters by name (checked); returns self."""
        check_names(params, "Augment")
        for name, value in params.items():
            setattr(self, name, value)
        self._check()
        return self

    def __repr__(self) -> str:
        defaults = Augment.__init__.__defaults__
        changed = [
            f"{name}={value!r}"
            for (name, value), default in zip(self.get_params().items(), defaults)
            if value != default
        ]
        return f"Augment({', '.join(changed)})"

    @property
    def identity(self) -> bool:
        """True if every transform is off: :meth:`transform` returns its input."""
        return not any(getattr(self, name) for name in _STRENGTHS)

    def _check(self) -> None:
        for name, (low, high, unit) in LIMITS.items():
            value = getattr(self, name)
            if not _number_within(value, low, high):
                upper = "or more" if high is None else f"to {high:g}"
                raise ConfigError(
                    f"augment: {name} must be a number from {low:g} {upper} ({unit}), got {value!r}"
                )
        if self.fill is not None and not _number_within(self.fill, -math.inf, math.inf):
            raise ConfigError(f"augment: fill must be a finite number or None, got {self.fill!r}")

    # --- transforming -----------------------------------------------------------------------

    def transform(
        self,
        images: np.ndarray,
        random_state: int | np.random.Generator | None = None,
        out: np.ndarray | None = None,
        work: geometry.Workspace | None = None,
    ) -> np.ndarray:
        """Randomly transformed copies of ``images``; the input itself if every transform is off.

        Parameters
        ----------
        images : ndarray of shape (n, rows, cols) or (n, side * side)
            Pixels of other dtypes than float32 and float64 are converted to float32 first.
        random_state : int or numpy Generator, optional
        out : ndarray of the shape and float dtype of ``images``, optional
            Where to write the result (not ``images`` itself).
        work : geometry.Workspace, optional
            Scratch arrays to reuse between calls.

        Returns
        -------
        ndarray of the shape of ``images``, with values within the input's range (and
        ``fill``)
        """
        images = np.asarray(images)
        if images.dtype not in (np.float32, np.float64):
            images = images.astype(np.float32)
        batch = as_image_batch(images)
        if self.identity or len(batch) == 0:
            return images
        rng = np.random.default_rng(random_state)
        work = geometry.Workspace() if work is None else work
        n, shape = len(batch), batch.shape[1:]
        matrices, offsets = self._draw(n, rng)
        noise = self._elastic_noise(n, shape, batch.dtype, rng) if self.elastic else None
        low, high = batch.min(), batch.max()
        fill = low if self.fill is None else batch.dtype.type(self.fill)
        field = None if noise is None else self._elastic_field(noise, shape, work)
        x, y = geometry.sample_coordinates(matrices, offsets, shape, batch.dtype, work, field)
        target = None if out is None else out.reshape(batch.shape)
        result = geometry.bilinear(batch, x, y, fill, target, work)
        np.clip(result, min(low, fill), max(high, fill), out=result)
        return result.reshape(images.shape) if out is None else out

    def _draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Random inverse maps (n, 2, 2) and offsets (n, 2): one uniform draw per transform
        and image, whichever are on (so the stream does not depend on the strengths)."""
        dx, dy, rotate, scale, shear, flip = rng.random((6, n)) * 2.0 - 1.0
        offsets = np.stack([dx, dy], axis=1) * self.shift
        maps = geometry.inverse_maps(
            n, rotate * self.rotate, 1.0 + scale * self.scale, shear * self.shear,
            flip < 2.0 * self.flip - 1.0,
        )  # fmt: skip
        return maps, offsets

    def _elastic_noise(
        self, n: int, shape: tuple[int, int], dtype, rng: np.random.Generator
    ) -> np.ndarray:
        """Uniform noise (n, 2, m_rows, m_cols) of variance ``elastic ** 2`` at points
        ``elastic_sigma`` pixels apart (finer noise would be smoothed away: the field's
        variance is uniform to 1e-4 at that spacing)."""
        step = self._noise_step()
        points = [geometry.noise_points(size, step) for size in shape]
        noise = rng.random((n, 2, *points), dtype=dtype)
        noise *= dtype.type(2 * math.sqrt(3.0) * self.elastic)  # uniform noise: variance 1/3
        noise -= dtype.type(math.sqrt(3.0) * self.elastic)
        return noise

    def _elastic_field(
        self, noise: np.ndarray, shape: tuple[int, int], work: geometry.Workspace
    ) -> np.ndarray:
        """The displacements (2, n, rows, cols) in pixels, ``(dx, dy)`` of every pixel, from
        the noise (n, 2, m_rows, m_cols) of :meth:`_elastic_noise`."""
        n, rows, cols = len(noise), *shape
        field = work.array("field", (2, n, rows, cols), noise.dtype)
        noise = noise.transpose(1, 0, 2, 3).reshape(2 * n, *noise.shape[2:])
        step = self._noise_step()
        geometry.smooth_field(noise, shape, self.elastic_sigma, step, field.reshape(-1, rows, cols))
        return field

    def _noise_step(self) -> float:
        return max(1.0, self.elastic_sigma)


class BatchAugmenter:
    """An :class:`Augment` bound to a generator: transforms each training batch into a
    buffer it reuses (never into the batch, which may be a view of the training data).

    Parameters
    ----------
    augment : Augment
    rng : numpy Generator
    """

    def __init__(self, augment: Augment, rng: np.random.Generator) -> None:
        self.augment = augment
        self.rng = rng
        self._work = geometry.Workspace()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """The transformed batch (n, n_features), in a buffer overwritten by the next call."""
        if sparse.issparse(batch):
            raise ConfigError("augment needs dense image rows; X is a sparse matrix")
        out = self._work.array("out", batch.shape, batch.dtype)
        return self.augment.transform(batch, self.rng, out, self._work)


def get(spec: str | Mapping[str, float] | Augment | None) -> Augment | None:
    """An :class:`Augment` from a preset name, a dict of strengths or an Augment; None stays.

    A dict sets exactly the transforms it names; the others stay off.
    """
    if spec is None or isinstance(spec, Augment):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ConfigError(
                f"augment: unknown preset {spec!r}; valid presets: {', '.join(sorted(PRESETS))}"
            )
        return Augment(**PRESETS[spec])
    if isinstance(spec, Mapping):
        check_names(spec, "augment")
        return Augment(**spec)
    raise ConfigError(
        f"augment must be None, a preset name, a dict of strengths or an Augment, got {spec!r}"
    )


def _number_within(value: Any, low: float, high: float | None) -> bool:
    """A finite real number (not a bool) from ``low`` to ``high`` (None: unbounded)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(value) and low <= value and (high is None or value <= high)


def check_names(params: Mapping[str, Any], where: str) -> None:
    """ConfigError naming the first key of ``params`` that is not an Augment parameter."""
    valid = (*LIMITS, "fill")
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(valid))}"
        )


def as_image_batch(images: np.ndarray) -> np.ndarray:
    """``images`` as (n, rows, cols): 3-D arrays as they are, square flat rows reshaped."""
    if images.ndim == 3:
        return images
    side = math.isqrt(images.shape[1]) if images.ndim == 2 else -1
    if images.ndim != 2 or side * side != images.shape[1]:
        raise ConfigError(
            f"augment needs images (n, rows, cols) or flat square images (n, side * side), "
            f"got an array of shape {images.shape}"
        )
    return images.reshape(len(images), side, side)
