"""What machine and software produced a run: recorded so that results can be compared later."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata


def describe() -> dict[str, str]:
    """Versions, CPU, cores, BLAS, which kernels ran, and the date, as strings."""
    from threadpoolctl import threadpool_info

    from scratchnet.nn import kernels

    blas = next((lib for lib in threadpool_info() if lib.get("user_api") == "blas"), {})
    packages = ("scratchnet", "numpy", "scikit-learn", "matplotlib")
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        **{name: _version(name) for name in packages},
        "blas": f"{blas.get('internal_api', '?')} {blas.get('version', '')} "
        f"({blas.get('architecture', '?')}, {blas.get('num_threads', '?')} threads)",
        # The compiled loops and the NumPy path differ in the last bits of the loss.
        "kernels": "compiled C loops" if kernels.compiled() else "NumPy only",
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
