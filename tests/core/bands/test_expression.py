"""Band math a user typed: parsed against a whitelist, never evaluated by Python (core/bands/expression.py)."""
from __future__ import annotations

import builtins

import numpy as np
import pytest

from stac_quicklook_plugin.core.bands.expression import evaluate, parse
from stac_quicklook_plugin.core.bands.presets import PRESETS, band_math, preset
from stac_quicklook_plugin.core.errors import BadInput


def test_band_math_is_computed_in_float32_with_nan_for_division_by_zero():
    nir = np.array([[0.5, 0.2, 0.0, np.nan]], dtype=np.float32)
    red = np.array([[0.1, 0.2, 0.0, 0.1]], dtype=np.float32)
    out = evaluate(parse("(nir - red) / (nir + red)"), {"nir": nir, "red": red})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, :2], [0.4 / 0.6, 0.0], rtol=1e-6)
    assert np.isnan(out[0, 2]) and np.isnan(out[0, 3])  # 0 / 0, and an input without data


def test_precedence_unary_minus_and_numbers():
    a = np.array([2.0, 3.0], dtype=np.float32)
    b = np.array([4.0, 0.0], dtype=np.float32)
    np.testing.assert_allclose(evaluate(parse("-a + 2 * b - 1.5"), {"a": a, "b": b}), [4.5, -4.5])
    np.testing.assert_allclose(evaluate(parse("2.5 * (a - b) / (a + 6 * b - 7.5 * a + 1)"), {"a": a, "b": b}),
                               [2.5 * -2 / (2 + 24 - 15 + 1), 2.5 * 3 / (3 - 22.5 + 1)], rtol=1e-6)
    assert parse("nir / red + nir").names == ("nir", "red")


@pytest.mark.parametrize("text, words", [
    ("__import__('os').system('touch /tmp/pwned')", "function call"),
    ("nir.__class__", "attribute"),
    ("nir[0]", "subscript"),
    ("nir ** 99999999", "**"),
    ("9 ** 9 ** 9", "**"),
    ("'red'", "value 'red'"),
    ("nir > red", "comparison"),
    ("lambda: 1", "lambda"),
    ("nir if red else 1", "conditional"),
    ("nir and red", "boolean"),
    ("nir // red", "//"),
    ("(nir", "could not be parsed"),
    ("", "empty"),
    ("nir; import os", "could not be parsed"),
    ("1e999 * nir", "not finite"),
    ("(" * 40 + "nir" + ")" * 40, "nests too deeply"),
    ("nir + " * 120 + "red", "at most 500"),
])
def test_anything_but_band_math_is_refused_with_a_sentence(text, words):
    with pytest.raises(BadInput, match=None) as caught:
        parse(text)
    assert words in str(caught.value), str(caught.value)


def test_a_malicious_expression_runs_nothing(monkeypatch, tmp_path):
    # Nothing of the text is run: no eval/exec, Python's compiler only ever asked for a syntax tree, no
    # file appears, however the text is dressed.
    import ast

    calls = []
    for name in ("eval", "exec", "open"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: calls.append(_n))
    real_compile = builtins.compile
    monkeypatch.setattr(builtins, "compile", lambda *a, **k: (calls.append(("compile", a[3] if len(a) > 3 else
                                                                              k.get("flags"))), real_compile(*a, **k))[1])
    target = tmp_path / "pwned"
    for text in (f"__import__('pathlib').Path({str(target)!r}).touch()",
                 f"open({str(target)!r}, 'w')", "[x for x in ().__class__.__base__.__subclasses__()]",
                 f"exec('open({str(target)!r}, \"w\")')"):
        with pytest.raises(BadInput):
            band_math(expression=text)
    assert not target.exists()
    assert calls and all(c[0] == "compile" and c[1] & ast.PyCF_ONLY_AST for c in calls), calls


def test_names_outside_the_collection_are_refused_naming_the_bands():
    with pytest.raises(BadInput, match="'swir99'.*Bands available: blue, green, nir, red"):
        parse("nir - swir99", ["blue", "green", "nir", "red"])


def test_presets_and_their_formulas():
    assert preset("NDVI").formula == "(nir - red) / (nir + red)"
    assert PRESETS["false-color"].bands == ("nir", "red", "green")
    assert band_math("true-color") is None and band_math("") is None
    with pytest.raises(BadInput, match="Unknown preset 'ndxx'. Presets: true-color, false-color"):
        band_math("ndxx")
    with pytest.raises(BadInput, match="not both"):
        band_math("ndvi", "nir - red")
    evi = band_math("evi")
    assert evi is not None and evi.expression is not None
    nir, red, blue = (np.array([v], dtype=np.float32) for v in (0.4, 0.05, 0.03))
    np.testing.assert_allclose(evaluate(evi.expression, {"nir": nir, "red": red, "blue": blue}),
                               [2.5 * 0.35 / (0.4 + 0.3 - 0.225 + 1)], rtol=1e-6)
