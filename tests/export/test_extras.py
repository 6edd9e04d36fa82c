"""A missing optional extra ends in one line naming it; the core install needs none."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork
from scratchnet.errors import MissingExtraError, ScratchnetError
from scratchnet.export import register_skl2onnx, to_onnx
from scratchnet.export.extras import require


@pytest.fixture(scope="module")
def model():
    X, y = load_digits(return_X_y=True)
    return NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0).fit(X / 16.0, y)


@pytest.mark.parametrize(
    "module, call",
    [("onnx", lambda m: to_onnx(m)), ("skl2onnx", lambda m: register_skl2onnx())],
)
def test_a_missing_onnx_extra_is_named_in_one_line(monkeypatch, model, module, call):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError) as info:
        call(model)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{module} is not installed")
    assert "pip install 'scratchnet[onnx]'" in message
    assert isinstance(info.value, ScratchnetError) and isinstance(info.value, ImportError)


def test_require_names_the_extra_it_was_given(monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    with pytest.raises(MissingExtraError, match=r"scratchnet\[skops\]"):
        require("skops", "skops")
    assert require("numpy", "core") is np


def test_the_core_imports_no_extra(tmp_path):
    # save, load (both formats) and the export package itself import none of the extras
    code = (
        "import sys, numpy as np, scratchnet, scratchnet.export\n"
        "from sklearn.datasets import load_digits\n"
        "X, y = load_digits(return_X_y=True)\n"
        "m = scratchnet.NeuralNetwork(layers=[64, 8, 10], epochs=1).fit(X / 16, y)\n"
        f"for p in ({str(tmp_path / 'm.npz')!r}, {str(tmp_path / 'm.safetensors')!r}):\n"
        "    scratchnet.load(scratchnet.save(m, p))\n"
        "loaded = [n for n in ('onnx', 'skl2onnx', 'skops', 'safetensors') if n in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
