"""Builds the optional C kernels; everything else is in pyproject.toml.

Without a C compiler the build of ``scratchnet.nn._kernels`` is skipped (``optional=True``)
and scratchnet runs the NumPy reference of the same loops (see ``scratchnet/nn/kernels.py``);
likewise ``scratchnet.data._warp``, the resampling of augmentation (``data/geometry.py``).
"""

import sys

from setuptools import Extension, setup

# No contraction into fused multiply-adds: the loops then round exactly as the NumPy reference
# does. Neither errno from sqrt nor floating-point traps (Python enables none), so that the
# loops vectorise.
FLAGS = (
    []
    if sys.platform == "win32"
    else ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]
)

setup(
    ext_modules=[
        Extension(
            "scratchnet.nn._kernels",
            sources=["src/scratchnet/nn/_kernels.c"],
            depends=[
                f"src/scratchnet/nn/{name}"
                for name in ("_kernels_impl.h", "_blas_impl.h", "_step_impl.h", "_step.h")
            ],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "scratchnet.data._warp",
            sources=["src/scratchnet/data/_warp.c"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
    ]
)
