"""Small study configs for tests, derived from the shipped ones."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def digits_mnist_study(folder: Path, **model_changes: str) -> Path:
    """configs/mnist_original.toml on scikit-learn's bundled digits with a small network.

    ``model_changes`` set ``[model]`` keys to TOML values (given as text).
    """
    text = (ROOT / "configs" / "mnist_original.toml").read_text()
    text = text.replace('dataset = "mnist"', 'dataset = "digits"')
    text = text.replace("layers = [784, 256, 128, 64, 32, 10]", "layers = [64, 16, 10]")
    for key, value in model_changes.items():
        lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
        text = "\n".join(lines).replace("[model]\n", f"[model]\n{key} = {value}\n", 1)
    path = folder / "study.toml"
    path.write_text(text + "\n")
    return path


def toml_text(document: dict) -> str:
    """``document`` as TOML text, every table inline (enough for generated configs)."""
    import json
    import math

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"

    return "".join(f"{json.dumps(key)} = {value(v)}\n" for key, v in document.items())


def mutated_config(path: Path, folder: Path, key_path: str, new: object) -> Path:
    """The config ``path`` with the value at ``key_path`` (``model.layers``) set to ``new``,
    written to ``folder`` under the same name."""
    import tomllib

    document = tomllib.loads(path.read_text(encoding="utf-8"))
    *parents, last = key_path.split(".")
    node = document
    for key in parents:
        node = node[key]
    if isinstance(node, list):
        node[int(last)] = new
    else:
        node[last] = new
    target = folder / path.name
    target.write_text(toml_text(document), encoding="utf-8")
    return target
