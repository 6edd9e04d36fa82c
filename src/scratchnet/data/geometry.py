"""Deterministic image geometry for augmentation: affine maps, smooth fields, bilinear warps.

Everything works on a batch at once, with one parameter set per image. Coordinates are
``(x, y)`` = (column, row), measured from the image centre; a transform is given as the map
from an *output* pixel back to the *input* point it samples (the inverse map), so that one
bilinear resampling produces the whole batch:

    source = matrices @ (output - centre - offsets) + centre (+ displacement)

:func:`inverse_maps` builds the matrices from angles, zooms, shears and flips;
:func:`smooth_field` turns white noise into an elastic displacement field;
:func:`sample_coordinates` and :func:`bilinear` do the resampling.
"""

from __future__ import annotations

import math

import numpy as np


def inverse_maps(
    n: int,
    rotate: np.ndarray | float = 0.0,
    scale: np.ndarray | float = 1.0,
    shear: np.ndarray | float = 0.0,
    flip: np.ndarray | bool = False,
) -> np.ndarray:
    """The inverse maps (n, 2, 2) of: flip, then zoom, shear, and rotation, about the centre.

    Parameters
    ----------
    n : int
        Number of images.
    rotate : float or ndarray of shape (n,)
        Angle in degrees; positive turns the image counter-clockwise as displayed.
    scale : float or ndarray of shape (n,)
        Zoom factor (> 0); 2 doubles the image's size.
    shear : float or ndarray of shape (n,)
        Horizontal shear angle in degrees: a row ``dy`` below the centre moves right by
        ``dy * tan(shear)``.
    flip : bool or ndarray of shape (n,)
        Mirror left to right.

    Returns
    -------
    ndarray of shape (n, 2, 2), float64
        For each image, the matrix taking an output offset from the centre to the input
        offset it samples.
    """
    theta = np.broadcast_to(np.radians(rotate), (n,))
    cos, sin = np.cos(theta), np.sin(theta)
    zoom = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,))
    tan = np.broadcast_to(np.tan(np.radians(shear)), (n,))
    mirror = np.where(np.broadcast_to(flip, (n,)), -1.0, 1.0)
    # inverse rotation (y points down): [[cos, -sin], [sin, cos]]
    unrotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    unshear = np.zeros((n, 2, 2))
    unshear[:, 0, 0] = unshear[:, 1, 1] = 1.0
    unshear[:, 0, 1] = -tan
    unzoom_mirror = np.zeros((n, 2, 2))
    unzoom_mirror[:, 0, 0] = mirror / zoom
    unzoom_mirror[:, 1, 1] = 1.0 / zoom
    return unzoom_mirror @ unshear @ unrotate


def sample_coordinates(
    matrices: np.ndarray, offsets: np.ndarray, shape: tuple[int, int], dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel samples its input: ``(x, y)``, each (n, rows, cols).

    Parameters
    ----------
    matrices : ndarray of shape (n, 2, 2)
        Inverse maps, from :func:`inverse_maps`.
    offsets : ndarray of shape (n, 2)
        Translation ``(dx, dy)`` in pixels applied after the matrix (positive: right, down).
    shape : (rows, cols)
    dtype : float dtype of the coordinates
    """
    rows, cols = shape
    cx, cy = (cols - 1) / 2.0, (rows - 1) / 2.0
    u = (np.arange(cols) - cx).astype(dtype)[None, None, :]
    v = (np.arange(rows) - cy).astype(dtype)[None, :, None]
    m = matrices.astype(dtype)[:, :, :, None, None]  # (n, 2, 2, 1, 1)
    shift = np.einsum("nij,nj->ni", matrices, offsets)  # (n, 2), float64
    bias = (np.array([cx, cy]) - shift).astype(dtype)[:, :, None, None]
    x = m[:, 0, 0] * u + (m[:, 0, 1] * v + bias[:, 0])
    y = m[:, 1, 1] * v + (m[:, 1, 0] * u + bias[:, 1])
    return x, y


def gaussian_matrix(size: int, sigma: float, step: float = 1.0, dtype=np.float32) -> np.ndarray:
    """Gaussian weights (size, m) from ``m`` noise points ``step`` pixels apart to every pixel.

    ``G @ N @ G.T`` turns white noise ``N`` (.., m, m) into a field (.., size, size) smoothed
    by a Gaussian of ``sigma`` pixels: a separable convolution as two small matrix products
    (with zero padding: no noise beyond the image). Each column of weights is scaled so that
    unit-variance noise gives a unit-variance field away from the border; with ``step`` 1
    that is the Gaussian kernel scaled to unit Euclidean norm.
    """
    points = np.arange(0.0, size, step)
    distance = np.arange(size)[:, None] - points[None, :]
    weights = np.exp(-0.5 * (distance / sigma) ** 2)
    reach = np.arange(-math.ceil(4 * sigma / step), math.ceil(4 * sigma / step) + 1) * step
    norm = math.sqrt(float(np.sum(np.exp(-((reach / sigma) ** 2)))))
    return (weights / norm).astype(dtype)


def smooth_field(noise: np.ndarray, size: tuple[int, int], sigma: float, step: float) -> np.ndarray:
    """Noise (..., m_rows, m_cols) at points ``step`` pixels apart, smoothed by a Gaussian of
    ``sigma`` pixels into a field (..., rows, cols); unit-variance noise gives about unit
    variance (see :func:`gaussian_matrix`)."""
    rows, cols = size
    g_rows = gaussian_matrix(rows, sigma, step, noise.dtype)
    g_cols = gaussian_matrix(cols, sigma, step, noise.dtype)
    return g_rows @ noise @ g_cols.T


def noise_points(size: int, step: float) -> int:
    """How many noise points ``step`` pixels apart :func:`gaussian_matrix` expects for ``size``."""
    return len(np.arange(0.0, size, step))


def bilinear(
    images: np.ndarray, x: np.ndarray, y: np.ndarray, fill: float, out: np.ndarray | None = None
) -> np.ndarray:
    """Sample ``images`` (n, rows, cols) at points ``(x, y)`` (n, rows, cols), bilinearly.

    Points outside the image blend towards ``fill``, as if the image were surrounded by it.
    At integer coordinates the result is the pixel itself, bit for bit.

    Returns
    -------
    ndarray of shape (n, rows, cols), ``out`` if given
    """
    n, rows, cols = images.shape
    padded = np.full((n, rows + 2, cols + 2), fill, dtype=images.dtype)
    padded[:, 1:-1, 1:-1] = images
    x0, fx = _cell(x, cols)
    y0, fy = _cell(y, rows)
    width = cols + 2
    base = (np.arange(n) * (rows + 2) * width)[:, None, None]
    index = base + (y0 + 1) * width + (x0 + 1)
    flat = padded.reshape(-1)
    top_left, top_right = flat[index], flat[index + 1]
    bottom_left, bottom_right = flat[index + width], flat[index + width + 1]
    top = top_left + fx * (top_right - top_left)
    bottom = bottom_left + fx * (bottom_right - bottom_left)
    out = np.empty_like(images) if out is None else out
    np.subtract(bottom, top, out=out)
    out *= fy
    out += top
    return out


def _cell(coordinate: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The padded-grid cell (integer left/top index, from -1) and the fraction into it."""
    clipped = np.clip(coordinate, -1, size)
    start = np.minimum(np.floor(clipped), size - 1)
    return start.astype(np.intp), (clipped - start).astype(coordinate.dtype, copy=False)
