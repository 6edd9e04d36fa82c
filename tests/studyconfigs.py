"""Small study configs for tests, derived from the shipped ones."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def digits_mnist_study(folder: Path, **model_changes: str) -> Path:
    """configs/mnist_seed.toml on scikit-learn's bundled digits with a small network.

    ``model_changes`` set ``[model]`` keys to TOML values (given as text).
    """
    text = (ROOT / "configs" / "mnist_seed.toml").read_text()
    text = text.replace('dataset = "mnist"', 'dataset = "digits"')
    text = text.replace("layers = [784, 256, 128, 64, 32, 10]", "layers = [64, 16, 10]")
    for key, value in model_changes.items():
        lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
        text = "\n".join(lines).replace("[model]\n", f"[model]\n{key} = {value}\n", 1)
    path = folder / "study.toml"
    path.write_text(text + "\n")
    return path
