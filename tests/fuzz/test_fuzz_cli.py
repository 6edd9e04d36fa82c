"""Fuzz the command line: generated argv for ``train``, ``explain`` and ``data`` end in exit
status 0 or 2 with at most one line on stderr and never a traceback, within a memory bound.

The CLI runs in-process (``scratchnet.cli.main``) with tiny work sizes: a 64-8-10 network on
scikit-learn's digits for at most two epochs, a few points for the SVM, and an empty cache
with downloads off for ``data``.
"""

from __future__ import annotations

import contextlib
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet.cli import main

from bounded import MiB, call_bounded

#: Each example runs a command; the CI profile keeps the count small.
EXAMPLES = 15 if os.environ.get("SCRATCHNET_FUZZ", "ci") == "ci" else 1000

NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "-1", "0.5", "1/3", "1e5000", "1e-5000", "nan", "inf", "-0"]),
    st.sampled_from(["1e1000000000", "9" * 400, "", " ", "x", "0x10", "1_000", "\u2212" + "2"]),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True).map(repr),
    st.text(max_size=8),
)
NAMES = st.one_of(
    st.sampled_from(["relu", "tanh", "sigmoid", "identity", "leaky_relu", "swish", ""]),
    st.text(max_size=8),
)
PATHS = st.sampled_from(["OUT/x.png", "OUT/x.xyz", "OUT/x", "FILE", "FILE/sub", "OUT/" + "a" * 300])


def _option(flag: str, values) -> st.SearchStrategy[list[str]]:
    return values.map(lambda value: [flag, value])


TRAIN_OPTIONS = st.lists(
    st.one_of(
        _option("--lr", NUMBERS),
        _option("--momentum", NUMBERS),
        _option("--batch-size", NUMBERS),
        _option("--random-state", NUMBERS),
        _option("--activations", NAMES),
        _option("--weight-init", NAMES),
        _option("--optimizer", st.sampled_from(["sgd", "adam", "adamw", "rmsprop", ""])),
        _option("--lr-schedule", st.sampled_from(["constant", "onecycle", "x"])),
        _option("--alpha", NUMBERS),
        _option("--validation-fraction", NUMBERS),
        _option("--out", PATHS),
        _option("--config", st.sampled_from(["BAD_UTF8", "nowhere.toml", "FILE"])),
        st.just(["--early-stopping"]),
    ),
    max_size=3,
).map(lambda groups: [item for group in groups for item in group])


@st.composite
def train_argv(draw) -> list[str]:
    base = ["train", "--dataset", "digits", "--layers", "64", "8", "10", "--epochs"]
    epochs = draw(st.sampled_from(["1", "2"]))
    return [*base, epochs, "--train-subset", "300", *draw(TRAIN_OPTIONS)]


@st.composite
def explain_argv(draw) -> list[str]:
    exercise = draw(st.sampled_from(["backprop", "svm", "hyperplane"]))
    argv = ["explain", exercise]
    if exercise == "backprop":
        for flag in ("--x", "--y", "--w1", "--b2", "--lr"):
            if draw(st.booleans()):
                argv += [flag, *draw(st.lists(NUMBERS, min_size=1, max_size=2))]
    else:
        point = st.tuples(NUMBERS, NUMBERS, st.sampled_from(["+1", "-1", "x"]))
        points = draw(st.lists(point, max_size=4))
        if points:
            argv += ["--points", *(f"{x},{y}:{label}" for x, y, label in points)]
        if exercise == "hyperplane" and draw(st.booleans()):
            argv += ["--b", draw(NUMBERS)]
    if draw(st.booleans()):
        argv += [draw(st.sampled_from(["--plot", "--answers", "--json", "--check"]))]
        if argv[-1] in ("--plot", "--answers"):
            argv += [draw(st.one_of(PATHS, st.just("BAD_UTF8")))]
    return argv


@st.composite
def data_argv(draw) -> list[str]:
    action = draw(st.sampled_from(["show", "export", "fetch", "info"]))
    argv = ["data", action]
    if action != "info":
        argv += [draw(st.sampled_from(["mnist", "fashion-mnist", "cifar"]))]
    if action == "show":
        argv += ["--out", draw(PATHS), "--n", draw(NUMBERS)]
    if action == "export":
        argv += ["--out", draw(PATHS), "--limit", draw(NUMBERS)]
    if action != "info":
        argv += ["--offline", "--data-dir", draw(st.sampled_from(["OUT", "FILE", "BAD_IDX"]))]
    return argv


def _run(argv: list[str], folder) -> tuple[int, str]:
    (folder / "FILE").write_text("a file, not a folder")
    (folder / "BAD_UTF8").write_bytes(b"x = 1\n# \xff\xfe\n")
    (folder / "BAD_IDX").mkdir(exist_ok=True)
    (folder / "BAD_IDX" / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x40" + b"\0" * 256)
    argv = [a.replace("OUT", str(folder / "out")).replace("FILE", str(folder / "FILE"))
            .replace("BAD_UTF8", str(folder / "BAD_UTF8"))
            .replace("BAD_IDX", str(folder / "BAD_IDX")) for a in argv]  # fmt: skip
    try:
        return main(argv), ""
    except SystemExit as exit_:  # argparse: usage errors (2) and --help (0)
        return exit_.code, ""


def _check(argv, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    err_stream = io.StringIO()
    with contextlib.redirect_stderr(err_stream), contextlib.redirect_stdout(io.StringIO()):
        status, _ = call_bounded(lambda: _run(argv, folder), (), 256 * MiB)
    err = err_stream.getvalue()
    assert status in (0, 2), (argv, status, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, (argv, err)
    if status == 2:
        assert err.startswith("scratchnet"), (argv, err)


@pytest.fixture(autouse=True, scope="module")
def _offline(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCRATCHNET_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("SCRATCHNET_DATA_DIR", raising=False)
        yield


@settings(max_examples=EXAMPLES, deadline=None)  # a training run takes seconds under tracemalloc
@given(argv=train_argv())
def test_train_argv(argv, tmp_path_factory):
    _check(argv, tmp_path_factory)


@settings(max_examples=EXAMPLES * 3)
@given(argv=explain_argv())
def test_explain_argv(argv, tmp_path_factory):
    _check(argv, tmp_path_factory)


@settings(max_examples=EXAMPLES)
@given(argv=data_argv())
def test_data_argv(argv, tmp_path_factory):
    _check(argv, tmp_path_factory)
