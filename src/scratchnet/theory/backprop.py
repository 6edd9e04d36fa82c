"""One gradient step of a small fully connected network, traced exactly by the chain rule.

The network maps ``a0 = x`` through layers ``z_l = W_l a_(l-1) + b_l``, ``a_l = f_l(z_l)``; the
loss is the mean squared error over all ``N = n_samples * n_outputs`` entries,
``MSE = (1/N) sum (y - y_hat)^2``, so ``dMSE/dy_hat = -(2/N) (y - y_hat)``. With relu, identity
and leaky relu every quantity is a :class:`~fractions.Fraction`; other activations use float64.

Names (used in tables, JSON and answer files): a layer whose weight matrix is 1 x 1 has
parameters ``w1``, ``b1``; wider layers ``W2[1,2]``, ``b2[1]`` (1-based). Per-sample values are
``z1_2`` (layer 1, sample 2), ``y_hat_3``, ``dmse_dyhat_1``; with several units ``z1_2[1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from scratchnet.errors import ConfigError
from scratchnet.theory import activations
from scratchnet.theory.numbers import Number, fmt, to_fraction

Vector = list[Number]
Matrix = list[list[Number]]


@dataclass(frozen=True)
class Layer:
    """One dense layer: ``weights`` of shape (n_out, n_in), ``biases`` (n_out,), an activation."""

    weights: tuple[tuple[Fraction, ...], ...]
    biases: tuple[Fraction, ...]
    activation: str

    @property
    def shape(self) -> tuple[int, int]:
        """(n_out, n_in)."""
        return len(self.weights), len(self.weights[0])

    @property
    def scalar(self) -> bool:
        """Whether this layer has a single weight (named ``w<l>`` rather than ``W<l>[j,k]``)."""
        return self.shape == (1, 1)


@dataclass(frozen=True)
class Network:
    """A list of dense layers; build one with :meth:`from_lists`."""

    layers: tuple[Layer, ...]

    @classmethod
    def from_lists(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activations_: Sequence[str],
        *,
        input_size: int | None = None,
    ) -> Network:
        """Build a network from per-layer weights (scalar or nested lists), biases, activations.

        A scalar weight or bias stands for a 1 x 1 layer. Shapes must chain: layer ``l`` has as
        many inputs as layer ``l-1`` has outputs (and ``input_size`` inputs for the first).

        Raises
        ------
        ConfigError
            On mismatched lengths or shapes, non-numbers, or an unknown activation.
        """
        if not (len(weights) == len(biases) == len(activations_)) or not weights:
            raise ConfigError(
                f"weights/biases/activations: need one of each per layer, got {len(weights)}, "
                f"{len(biases)} and {len(activations_)}"
            )
        layers = []
        previous = input_size
        for index, (w, b, act) in enumerate(zip(weights, biases, activations_, strict=True), 1):
            matrix = _as_matrix(w, f"w{index}")
            vector = _as_vector(b, f"b{index}")
            n_out, n_in = len(matrix), len(matrix[0])
            if len(vector) != n_out:
                raise ConfigError(f"b{index}: expected {n_out} values, got {len(vector)}")
            if previous is not None and n_in != previous:
                raise ConfigError(
                    f"w{index}: expected {previous} inputs per unit (columns), got {n_in}"
                )
            activations.get(act, option=f"activation of layer {index}")
            layers.append(Layer(matrix, vector, activations.get(act).name))
            previous = n_out
        return cls(tuple(layers))

    @property
    def input_size(self) -> int:
        return self.layers[0].shape[1]

    @property
    def output_size(self) -> int:
        return self.layers[-1].shape[0]

    @property
    def exact(self) -> bool:
        """Whether every activation keeps rationals rational."""
        return all(activations.get(layer.activation).exact for layer in self.layers)

    def parameter_names(self) -> list[str]:
        """Names of all parameters, layer by layer: weights then biases."""
        return [spec.name for spec in _parameter_specs(self)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": [
                {
                    "weights": [[float(v) for v in row] for row in layer.weights],
                    "biases": [float(v) for v in layer.biases],
                    "activation": layer.activation,
                }
                for layer in self.layers
            ]
        }


def _as_matrix(value: Any, name: str) -> tuple[tuple[Fraction, ...], ...]:
    if not isinstance(value, list | tuple):
        return ((to_fraction(value, name=name),),)
    rows = [row if isinstance(row, list | tuple) else [row] for row in value]
    if not rows or not rows[0] or any(len(row) != len(rows[0]) for row in rows):
        raise ConfigError(f"{name}: expected a non-empty rectangular matrix (n_out rows)")
    return tuple(tuple(to_fraction(v, name=name) for v in row) for row in rows)


def _as_vector(value: Any, name: str) -> tuple[Fraction, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(to_fraction(v, name=name) for v in items)


def _as_samples(values: Sequence[Any], width: int, name: str) -> list[tuple[Fraction, ...]]:
    """Samples as tuples of ``width`` numbers; a flat list means one number per sample."""
    samples = []
    for i, item in enumerate(values, 1):
        row = _as_vector(item, f"{name} (sample {i})")
        if len(row) != width:
            raise ConfigError(f"{name}: sample {i} has {len(row)} values, expected {width}")
        samples.append(row)
    if not samples:
        raise ConfigError(f"{name}: expected at least one sample")
    return samples


@dataclass(frozen=True)
class _ParameterSpec:
    name: str
    layer: int  # 1-based
    kind: str  # "weight" or "bias"
    row: int  # 0-based unit
    col: int | None  # 0-based input, None for a bias


def _parameter_specs(network: Network) -> list[_ParameterSpec]:
    specs = []
    for l, layer in enumerate(network.layers, 1):
        n_out, n_in = layer.shape
        for j in range(n_out):
            for k in range(n_in):
                name = f"w{l}" if layer.scalar else f"W{l}[{j + 1},{k + 1}]"
                specs.append(_ParameterSpec(name, l, "weight", j, k))
        for j in range(n_out):
            name = f"b{l}" if n_out == 1 else f"b{l}[{j + 1}]"
            specs.append(_ParameterSpec(name, l, "bias", j, None))
    return specs


@dataclass
class SampleForward:
    """The forward pass of one sample: ``z[l]``, ``a[l]`` per layer (``a[0]`` is the input)."""

    index: int
    x: Vector
    y: Vector
    z: list[Vector]
    a: list[Vector]
    dloss_dyhat: Vector
    deltas: list[Vector]
    kinks: list[str] = field(default_factory=list)

    @property
    def y_hat(self) -> Vector:
        return self.a[-1]

    @property
    def squared_error(self) -> Number:
        return sum((t - p) ** 2 for t, p in zip(self.y, self.y_hat, strict=True))


@dataclass
class Term:
    """One sample's contribution to a partial derivative: the product of its chain-rule factors."""

    sample: int
    factors: list[tuple[str, Number]]
    value: Number


@dataclass
class ParameterStep:
    """A parameter, its gradient by the chain rule (formula, per-sample terms), its update."""

    name: str
    layer: int
    kind: str
    value: Number
    gradient: Number
    new_value: Number
    formula: str
    terms: list[Term]


@dataclass
class BackpropTrace:
    """Everything :func:`trace` computed; ``to_dict()`` gives JSON-ready floats and fractions."""

    network: Network
    learning_rate: Number
    exact: bool
    n_entries: int
    samples: list[SampleForward]
    loss: Number
    parameters: list[ParameterStep]

    @property
    def updated_network(self) -> Network:
        """The network after the gradient step."""
        new = {p.name: p.new_value for p in self.parameters}
        layers = []
        for l, layer in enumerate(self.network.layers, 1):
            n_out, n_in = layer.shape
            specs = [s for s in _parameter_specs(self.network) if s.layer == l]
            w = [[Fraction(0)] * n_in for _ in range(n_out)]
            b = [Fraction(0)] * n_out
            for s in specs:
                if s.kind == "weight":
                    w[s.row][s.col] = new[s.name]
                else:
                    b[s.row] = new[s.name]
            layers.append(Layer(tuple(map(tuple, w)), tuple(b), layer.activation))
        return Network(tuple(layers))

    def gradient(self, name: str) -> Number:
        """The gradient of the parameter called ``name``."""
        return self._by_name()[name].gradient

    def _by_name(self) -> dict[str, ParameterStep]:
        return {p.name: p for p in self.parameters}

    def quantities(self) -> dict[str, Number]:
        """Every checkable quantity by name (forward values, loss, gradients, updates)."""
        out: dict[str, Number] = {}
        n_layers = len(self.network.layers)
        for s in self.samples:
            for l in range(1, n_layers + 1):
                for name, values in (("z", s.z[l]), ("a", s.a[l])):
                    if name == "a" and l == n_layers:
                        name = "y_hat"
                        prefix = f"y_hat_{s.index}"
                    else:
                        prefix = f"{name}{l}_{s.index}"
                    for j, v in enumerate(values):
                        out[prefix if len(values) == 1 else f"{prefix}[{j + 1}]"] = v
            for k, v in enumerate(s.dloss_dyhat):
                key = f"dmse_dyhat_{s.index}"
                out[key if len(s.dloss_dyhat) == 1 else f"{key}[{k + 1}]"] = v
        out["mse"] = self.loss
        for p in self.parameters:
            out[f"grad_{p.name}"] = p.gradient
            out[f"new_{p.name}"] = p.new_value
        return out

    def to_dict(self) -> dict[str, Any]:
        num = float
        quantities = self.quantities()
        return {
            "network": self.network.to_dict(),
            "learning_rate": num(self.learning_rate),
            "exact": self.exact,
            "loss_formula": f"MSE = (1/{self.n_entries}) * sum (y - y_hat)^2",
            "samples": [
                {
                    "index": s.index,
                    "x": [num(v) for v in s.x],
                    "y": [num(v) for v in s.y],
                    "z": [[num(v) for v in layer] for layer in s.z[1:]],
                    "a": [[num(v) for v in layer] for layer in s.a[1:]],
                    "y_hat": [num(v) for v in s.y_hat],
                    "squared_error": num(s.squared_error),
                    "dmse_dyhat": [num(v) for v in s.dloss_dyhat],
                    "deltas": [[num(v) for v in layer] for layer in s.deltas[1:]],
                    "kinks": s.kinks,
                }
                for s in self.samples
            ],
            "mse": num(self.loss),
            "parameters": [
                {
                    "name": p.name,
                    "layer": p.layer,
                    "kind": p.kind,
                    "value": num(p.value),
                    "gradient": num(p.gradient),
                    "new_value": num(p.new_value),
                    "formula": p.formula,
                    "terms": [
                        {
                            "sample": t.sample,
                            "factors": [[label, num(v)] for label, v in t.factors],
                            "value": num(t.value),
                        }
                        for t in p.terms
                    ],
                }
                for p in self.parameters
            ],
            "quantities": {k: num(v) for k, v in quantities.items()},
            "quantities_exact": (
                {k: str(v) for k, v in quantities.items()} if self.exact else None
            ),
        }


def trace(
    network: Network,
    x: Sequence[Any],
    y: Sequence[Any],
    learning_rate: Any = Fraction(1, 100),
    *,
    exact: bool | None = None,
) -> BackpropTrace:
    """Forward pass, MSE, every gradient by the chain rule, and one gradient-descent step, as a
    :class:`BackpropTrace`.

    Parameters
    ----------
    network : Network
        The layers.
    x : sequence, (n_samples,) or (n_samples, n_inputs)
        Inputs; a flat list is one input per sample.
    y : sequence, (n_samples,) or (n_samples, n_outputs)
        Targets.
    learning_rate : number
        Step size ``eta``: ``p_new = p - eta * dMSE/dp``.
    exact : bool, optional
        Compute with Fractions. Default: whenever every activation allows it.

    Raises
    ------
    ConfigError
        On shape mismatches, or ``exact=True`` with sigmoid/tanh.
    """
    exact = _exactness(network, exact)
    xs, ys = _paired_samples(network, x, y)
    lr = to_fraction(learning_rate, name="learning rate")
    conv = (lambda v: v) if exact else float
    layers = _converted_layers(network, conv)
    n_entries = len(xs) * network.output_size
    samples = [
        _forward_backward(i, [conv(v) for v in xv], [conv(v) for v in yv], layers, n_entries)
        for i, (xv, yv) in enumerate(zip(xs, ys, strict=True), 1)
    ]
    loss = sum(s.squared_error for s in samples) / n_entries
    steps = [
        _parameter_step(spec, network, layers, samples, conv(lr))
        for spec in _parameter_specs(network)
    ]
    return BackpropTrace(network, conv(lr), exact, n_entries, samples, loss, steps)


def _exactness(network: Network, exact: bool | None) -> bool:
    """Whether to compute with Fractions: ``exact`` as asked, by default whenever every
    activation allows it; ConfigError when asked of a network that does not."""
    if exact is None:
        return network.exact
    if exact and not network.exact:
        raise ConfigError("exact: sigmoid and tanh have irrational values; use exact=False")
    return exact


def _paired_samples(
    network: Network, x: Sequence[Any], y: Sequence[Any]
) -> tuple[list[tuple[Fraction, ...]], list[tuple[Fraction, ...]]]:
    """The inputs, (n_samples, n_inputs), and targets, (n_samples, n_outputs), as Fractions;
    ConfigError unless they fit the network and are as many."""
    xs = _as_samples(x, network.input_size, "x")
    ys = _as_samples(y, network.output_size, "y")
    if len(xs) != len(ys):
        raise ConfigError(f"x/y: {len(xs)} inputs but {len(ys)} targets")
    return xs, ys


def _converted_layers(network: Network, conv) -> list[tuple]:
    """Per layer: weights, biases (through ``conv``: exact or float) and its activation."""
    return [
        (
            [[conv(v) for v in row] for row in layer.weights],
            [conv(v) for v in layer.biases],
            activations.get(layer.activation),
        )
        for layer in network.layers
    ]


def _forward_backward(
    index: int, x: Vector, y: Vector, layers: list[tuple[Matrix, Vector, Any]], n_entries: int
) -> SampleForward:
    a: list[Vector] = [x]
    z: list[Vector] = [[]]
    kinks = []
    for l, (w, b, act) in enumerate(layers, 1):
        zl = [
            sum((wjk * ak for wjk, ak in zip(row, a[-1], strict=True)), bj)
            for row, bj in zip(w, b, strict=True)
        ]
        for j, v in enumerate(zl):
            if act.kink is not None and v == act.kink:
                kinks.append(
                    f"z{l}[{j + 1}] = 0 at the kink of {act.name}; derivative taken as {act.df(v)}"
                )
        z.append(zl)
        a.append([act.f(v) for v in zl])
    dloss = [-2 * (t - p) / n_entries for t, p in zip(y, a[-1], strict=True)]
    deltas: list[Vector] = [[] for _ in range(len(layers) + 1)]
    upstream = dloss
    for l in range(len(layers), 0, -1):
        w, _, act = layers[l - 1]
        deltas[l] = [u * act.df(v) for u, v in zip(upstream, z[l], strict=True)]
        upstream = [sum(w[m][k] * deltas[l][m] for m in range(len(w))) for k in range(len(w[0]))]
    return SampleForward(index, x, y, z, a, dloss, deltas, kinks)


def _parameter_step(
    spec: _ParameterSpec,
    network: Network,
    layers: list[tuple[Matrix, Vector, Any]],
    samples: list[SampleForward],
    lr: Number,
) -> ParameterStep:
    w, b, _ = layers[spec.layer - 1]
    value = w[spec.row][spec.col] if spec.kind == "weight" else b[spec.row]
    chain = all(layer.shape[0] == 1 for layer in network.layers)
    terms = []
    for s in samples:
        factors = _chain_factors(spec, network, layers, s) if chain else _delta_factors(spec, s)
        product = factors[0][1]
        for _, v in factors[1:]:
            product = product * v
        terms.append(Term(s.index, factors, product))
    gradient = sum(t.value for t in terms)
    formula = "sum_i " + " * ".join(label for label, _ in terms[0].factors)
    return ParameterStep(
        spec.name, spec.layer, spec.kind, value, gradient, value - lr * gradient, formula, terms
    )


def _input_label(spec: _ParameterSpec, width: int) -> str:
    if spec.layer == 1:
        return "x" if width == 1 else f"x[{spec.col + 1}]"
    return f"a{spec.layer - 1}" if width == 1 else f"a{spec.layer - 1}[{spec.col + 1}]"


def _chain_factors(
    spec: _ParameterSpec,
    network: Network,
    layers: list[tuple[Matrix, Vector, Any]],
    s: SampleForward,
) -> list[tuple[str, Number]]:
    """The full chain rule for a network of single units: dMSE/dy_hat * f_L' * w_L * ... * input."""
    n_layers = len(layers)
    factors: list[tuple[str, Number]] = [("dMSE/dy_hat_i", s.dloss_dyhat[0])]
    for l in range(n_layers, spec.layer - 1, -1):
        act = layers[l - 1][2]
        factors.append((f"{act.name}'(z{l}_i)", act.df(s.z[l][0])))
        if l > spec.layer:
            factors.append((f"w{l}", layers[l - 1][0][0][0]))
    if spec.kind == "weight":
        width = network.layers[spec.layer - 1].shape[1]
        label = _input_label(spec, width) + "_i"
        factors.append((label, s.a[spec.layer - 1][spec.col]))
    return factors


def _delta_factors(spec: _ParameterSpec, s: SampleForward) -> list[tuple[str, Number]]:
    """delta_l[j] (= dMSE/dz_l[j]) times the input the weight multiplies."""
    factors: list[tuple[str, Number]] = [
        (f"delta{spec.layer}[{spec.row + 1}]_i", s.deltas[spec.layer][spec.row])
    ]
    if spec.kind == "weight":
        width = len(s.a[spec.layer - 1])
        factors.append((_input_label(spec, width) + "_i", s.a[spec.layer - 1][spec.col]))
    return factors


def describe_deltas(network: Network) -> list[str]:
    """The backward recursion as text, one line per layer."""
    n = len(network.layers)
    lines = [f"dMSE/dy_hat_i = -(2/N) (y_i - y_hat_i),  N = n_samples * {network.output_size}"]
    lines.append(f"delta{n}_i = dMSE/dy_hat_i * f{n}'(z{n}_i)")
    for l in range(n - 1, 0, -1):
        lines.append(f"delta{l}_i = (W{l + 1}^T delta{l + 1}_i) * f{l}'(z{l}_i)")
    return lines


def fmt_vector(values: Sequence[Number]) -> str:
    """``0.1`` for one value, ``[0.1, 0.2]`` for several."""
    if len(values) == 1:
        return fmt(values[0])
    return "[" + ", ".join(fmt(v) for v in values) + "]"
