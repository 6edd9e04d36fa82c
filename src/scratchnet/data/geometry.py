"""Deterministic image geometry for augmentation: affine maps, smooth fields, bilinear warps.

Everything works on a batch at once, with one parameter set per image. Coordinates are
``(x, y)`` = (column, row), measured from the image centre; a transform is given as the map
from an *output* pixel back to the *input* point it samples (the inverse map), so that one
bilinear resampling produces the whole batch:

    source = matrices @ (output - centre - offsets) + centre (+ displacement)

:func:`inverse_maps` builds the matrices from angles, zooms, shears and flips;
:func:`smooth_field` turns white noise into an elastic displacement field;
:func:`sample_coordinates` and :func:`bilinear` do the resampling, in one pass of the C
extension ``scratchnet.data._warp`` when it was built (and ``SCRATCHNET_PURE_NUMPY`` is not
set), else with the NumPy code of :func:`bilinear`, the reference it matches bit for bit.
"""

from __future__ import annotations

import math
import os

import numpy as np

try:
    from scratchnet.data import _warp as _built
except ImportError:  # installed without a C compiler: the NumPy reference below serves
    _built = None

_compiled = None if os.environ.get("SCRATCHNET_PURE_NUMPY") else _built


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
    theta = np.radians(rotate)
    cos, sin, tan = np.cos(theta), np.sin(theta), np.tan(np.radians(shear))
    maps = np.empty((n, 2, 2))
    # undo the rotation (y points down), [[cos, -sin], [sin, cos]], then the shear,
    # [[1, -tan], [0, 1]], then the zoom and the mirror, diag(+-1 / zoom, 1 / zoom)
    maps[:, 0, 0] = cos - tan * sin
    maps[:, 0, 1] = -sin - tan * cos
    maps[:, 1, 0] = sin
    maps[:, 1, 1] = cos
    maps[:, 0] *= (np.where(flip, -1.0, 1.0) / np.asarray(scale, dtype=np.float64))[..., None]
    maps[:, 1] /= np.asarray(scale, dtype=np.float64)[..., None]
    return maps


def sample_coordinates(
    matrices: np.ndarray,
    offsets: np.ndarray,
    shape: tuple[int, int],
    dtype=np.float32,
    work: Workspace | None = None,
    displacement: np.ndarray | None = None,
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
    work : Workspace, optional
        Where the coordinates are written (else new arrays).
    displacement : ndarray of shape (2, n, rows, cols), optional
        Added to ``(x, y)``; the coordinates are then written into it.
    """
    work = Workspace() if work is None else work
    n, (rows, cols) = len(matrices), shape
    centre = np.array([(cols - 1) / 2.0, (rows - 1) / 2.0])
    # each coordinate is a * u + b * v + c over the pixels' offsets (u, v) from the centre
    coefficients = np.empty((2, n, 3))
    coefficients[..., :2] = matrices.transpose(1, 0, 2)
    coefficients[..., 2] = centre[:, None] - np.einsum("nij,nj->in", matrices, offsets)
    v, u = np.indices(shape).reshape(2, -1) - centre[::-1, None]
    grid = np.stack([u, v, np.ones_like(u)]).astype(dtype)
    both = work.array("coordinates", (2, n, rows, cols), dtype)
    np.matmul(coefficients.reshape(2 * n, 3).astype(dtype), grid, out=both.reshape(2 * n, -1))
    if displacement is None:
        return both[0], both[1]
    displacement += both
    return displacement[0], displacement[1]


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


def smooth_field(
    noise: np.ndarray, size: tuple[int, int], sigma: float, step: float, out: np.ndarray
) -> np.ndarray:
    """Noise (k, m_rows, m_cols) at points ``step`` pixels apart, smoothed by a Gaussian of
    ``sigma`` pixels into fields ``out`` (k, rows, cols); unit-variance noise gives about
    unit variance (see :func:`gaussian_matrix`). Returns ``out``."""
    rows, cols = size
    k, m_rows, m_cols = noise.shape
    g_rows = gaussian_matrix(rows, sigma, step, noise.dtype)
    g_cols = gaussian_matrix(cols, sigma, step, noise.dtype)
    across = (noise.reshape(-1, m_cols) @ g_cols.T).reshape(k, m_rows, cols)  # one product
    return np.matmul(g_rows, across, out=out)


def noise_points(size: int, step: float) -> int:
    """How many noise points ``step`` pixels apart :func:`gaussian_matrix` expects for ``size``."""
    return len(np.arange(0.0, size, step))


def bilinear(
    images: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    fill: float,
    out: np.ndarray | None = None,
    work: Workspace | None = None,
) -> np.ndarray:
    """Sample ``images`` (n, rows, cols) at points ``(x, y)`` (n, rows, cols), bilinearly.

    Points outside the image blend towards ``fill``, as if the image were surrounded by it.
    At integer coordinates the result is the pixel itself, bit for bit. ``x`` and ``y`` may
    be overwritten (the NumPy path leaves the fractions between pixels in them).

    Returns
    -------
    ndarray of shape (n, rows, cols), ``out`` if given
    """
    work = Workspace() if work is None else work
    n, rows, cols = images.shape
    width = cols + 2
    framed = work.array("framed", (n, rows + 2, width), images.dtype)
    framed[:, [0, -1]] = framed[:, :, [0, -1]] = fill
    framed[:, 1:-1, 1:-1] = images
    out = np.empty_like(images) if out is None else out
    if _compiled_for(framed, x, y, out):
        last = [
            np.nextafter(images.dtype.type(size), images.dtype.type(0)) for size in (cols, rows)
        ]
        _compiled.bilinear(framed, x, y, out, n, rows, cols, float(last[0]), float(last[1]))
        return out
    x0, y0 = _split_cell(x, cols, work, "x0"), _split_cell(y, rows, work, "y0")
    index = _flat_index(x0, y0, framed.shape, work)
    flat = framed.reshape(-1)
    left, top, bottom = (work.array(name, x.shape, images.dtype) for name in ("l", "t", "b"))
    for right, step in ((top, width - 1), (bottom, 1)):  # each: right = left + x (right - left)
        np.take(flat, index, out=left, mode="clip")  # "raise" would buffer ``out``
        index += 1
        np.take(flat, index, out=right, mode="clip")
        index += step
        right -= left
        right *= x
        right += left
    np.subtract(bottom, top, out=out)
    out *= y
    out += top
    return out


def _compiled_for(*arrays: np.ndarray) -> bool:
    """True if the compiled loop serves these arrays: C-contiguous, one float32/64 dtype."""
    dtype = arrays[0].dtype
    return (
        _compiled is not None
        and dtype.char in "fd"
        and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)
    )


def _split_cell(coordinate: np.ndarray, size: int, work: Workspace, name: str) -> np.ndarray:
    """The padded grid's cell of each point: returns its left (top) edge, from -1, as floats;
    ``coordinate`` becomes the fraction into the cell, in [0, 1).

    Points beyond the border pixels (-1 and ``size``) sample the border; the last is moved
    in by one rounding step, so that its cell is the last one."""
    last = np.nextafter(coordinate.dtype.type(size), coordinate.dtype.type(0))
    np.clip(coordinate, -1, last, out=coordinate)
    start = np.floor(coordinate, out=work.array(name, coordinate.shape, coordinate.dtype))
    coordinate -= start
    return start


def _flat_index(x0: np.ndarray, y0: np.ndarray, shape: tuple, work: Workspace) -> np.ndarray:
    """Index into the flattened framed batch ``shape`` (n, rows + 2, cols + 2) of each cell's
    top-left pixel, from the cells' left and top edges (floats, from -1; ``y0`` is
    overwritten)."""
    n, framed_rows, width = shape
    first = np.arange(n)[:, None, None] * (framed_rows * width) + (width + 1)
    index = work.array("index", x0.shape, np.intp)
    if y0.dtype == np.float64 or y0.size * width < 2**24:  # the integers are exact floats
        y0 *= width
        y0 += x0
        y0 += first.astype(y0.dtype)
        np.copyto(index, y0, casting="unsafe")
    else:
        np.copyto(index, y0, casting="unsafe")
        index *= width
        index += x0.astype(np.intp)
        index += first
    return index


class Workspace:
    """Named scratch arrays kept between calls of the same shapes and dtypes.

    Fresh arrays of a batch's size come from the operating system zeroed and page by page,
    which costs more than the arithmetic done in them; a workspace pays that once.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"_arrays": {}}  # scratch space: not worth pickling

    def array(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """The scratch array ``name`` of this shape and dtype (uninitialized the first time)."""
        key = (name, tuple(shape), np.dtype(dtype))
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.empty(shape, dtype)
        return array
