"""The original study's answers, marked: which are right, which wrong, and why."""

from __future__ import annotations

from scratchnet.theory import original


def by_quantity(comparisons):
    return {c.quantity: c for c in comparisons}


def test_backprop_findings():
    c = by_quantity(original.compare_backprop())
    for i in (1, 2, 3):
        assert c[f"y_hat_{i}"].verdict == "correct"
    assert c["mse"].verdict == "wrong" and "arithmetic slip" in c["mse"].why
    assert "16.3219" in c["mse"].why
    for p in ("w1", "b1", "w2", "b2"):
        assert c[f"grad_{p}"].verdict == "wrong"
        assert "divided by 3: the 1/3 factor was applied twice" in c[f"grad_{p}"].why
        assert c[f"new_{p}"].verdict == "wrong"
        assert "follows from the given gradient" in c[f"new_{p}"].why
    assert c["formula for dMSE/dw1"].verdict == "wrong"


def test_svm_findings():
    c = by_quantity(original.compare_svm())
    assert c["w1 equation"].verdict == "wrong" and "3a6" in c["w1 equation"].correct
    assert c["w2 equation"].verdict == "correct"
    assert c["solving the dual"].verdict == "wrong"
    assert "(0, 2, 2, 4, 0, 0)" in c["solving the dual"].correct
    assert c["separating line"].verdict == "correct"
    assert c["(w, b)"].verdict == "wrong" and "x4, x5, x6" in c["(w, b)"].why
    assert c["(w, b) before rescaling"].verdict == "wrong"
    assert c["support vectors"].verdict == "correct"


def test_hyperplane_findings_are_all_correct():
    c = by_quantity(original.compare_hyperplane())
    for q in ("boundary", "margin 2/||w||", "functional margins", "support vectors"):
        assert c[q].verdict == "correct"
    assert c["class of new point(s)"].verdict == "correct"
    assert c["is (w, b) the maximum-margin hyperplane?"].correct == "yes"


def test_compare_with_original_is_json_ready():
    import json

    everything = original.compare_with_original()
    assert set(everything) == {"backprop", "svm", "hyperplane"}
    text = json.dumps({k: [c.to_dict() for c in v] for k, v in everything.items()})
    assert set(json.loads(text)["svm"][0]) == {"quantity", "given", "correct", "verdict", "why"}
