"""Band math a user typed (or a project stored): parsed, never evaluated by Python.

The text is read by Python's own parser (``ast.parse(..., mode="eval")``) and the tree is then checked against a
whitelist: numbers, band names, ``+ - * /``, unary minus and plus, parentheses. Anything else (a call, an attribute,
a subscript, ``**``, a string, a comparison, a lambda...) is refused with a sentence; nothing of the text is ever
run. What passes becomes a small tree of our own (``Node``) that ``evaluate`` computes with numpy on float32
arrays: division by zero gives NaN, as does any input without data.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

from stac_quicklook_plugin.core.errors import BadInput

if TYPE_CHECKING:  # numpy is imported by evaluate(): the presets' names and the parser stay light (CLI, dock)
    from numpy.typing import NDArray

MAX_CHARS = 500
MAX_NODES = 200
MAX_DEPTH = 32
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Band:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    operator: str  # one of + - * /
    left: Node
    right: Node


Node = Union[Number, Band, Negate, Binary]


@dataclass(frozen=True)
class Expression:
    """A parsed band-math expression: its text (as typed, stripped), its tree and the band names it uses."""

    text: str
    tree: Node
    names: tuple[str, ...]  # in order of first use


def parse(text: str, available: Optional[list[str]] = None) -> Expression:
    """The expression ``text``, checked; BadInput with a sentence for anything but band math. With
    ``available`` (the band names and asset keys of a collection), names outside it are refused too."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput("The expression is empty. Write band math such as (nir - red) / (nir + red).")
    text = text.strip()
    if len(text) > MAX_CHARS:
        raise BadInput(f"The expression is {len(text)} characters long; at most {MAX_CHARS} are accepted.")
    if text.count("(") > MAX_DEPTH:
        raise BadInput(f"The expression nests too deeply (more than {MAX_DEPTH} parentheses).")
    try:
        root = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise BadInput(f"The expression {text!r} is not band math: it could not be parsed. Use band names, "
                       f"numbers, + - * / and parentheses{_names_hint(available)}.") from None
    if sum(1 for _ in ast.walk(root)) > MAX_NODES:
        raise BadInput(f"The expression is too long (more than {MAX_NODES} terms).")
    names: list[str] = []
    tree = _convert(root.body, text, names, available, 0)
    return Expression(text, tree, tuple(names))


def _convert(node: ast.AST, text: str, names: list[str], available: Optional[list[str]], depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise BadInput(f"The expression nests too deeply (more than {MAX_DEPTH} levels).")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = float(node.value)
        if not math.isfinite(value):
            raise BadInput(f"The number {node.value!r} in the expression is not finite.")
        return Number(value)
    if isinstance(node, ast.Name):
        name = node.id
        if not NAME.match(name):
            raise BadInput(f"{name!r} in the expression is not a band name.")
        if available is not None and name not in available:
            raise BadInput(f"The expression names {name!r}, which is not a band of this collection. "
                           f"Bands available: {', '.join(available) or 'none'}.")
        if name not in names:
            names.append(name)
        return Band(name)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _convert(node.operand, text, names, available, depth + 1)
        return Negate(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return Binary(_OPERATORS[type(node.op)], _convert(node.left, text, names, available, depth + 1),
                      _convert(node.right, text, names, available, depth + 1))
    raise BadInput(f"The expression {text!r} uses {_what(node)}, which band math does not allow: only band "
                   f"names, numbers, + - * / and parentheses{_names_hint(available)}.")


def _what(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp):
        return "the operator " + {ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@",
                                  ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
                                  ast.RShift: ">>"}.get(type(node.op), type(node.op).__name__)
    if isinstance(node, ast.Constant):
        return f"the value {node.value!r}"[:80]
    return {ast.Call: "a function call", ast.Attribute: "an attribute", ast.Subscript: "a subscript",
            ast.Compare: "a comparison", ast.BoolOp: "a boolean operator", ast.Lambda: "a lambda",
            ast.IfExp: "a conditional", ast.UnaryOp: "that unary operator"}.get(type(node), "that construct")


def _names_hint(available: Optional[list[str]]) -> str:
    return f". Bands available: {', '.join(available)}" if available else ""


def evaluate(expression: Expression, bands: Mapping[str, NDArray[Any]]) -> NDArray[Any]:
    """The expression over ``bands`` (name -> float array, NaN where no data), float32; x / 0 is NaN."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _evaluate(expression.tree, bands)
    if np.ndim(out) == 0:  # an expression of numbers alone: one value everywhere
        shape = next(iter(bands.values())).shape if bands else ()
        out = np.full(shape, out, dtype=np.float32)
    result = np.asarray(out, dtype=np.float32)
    result[~np.isfinite(result)] = np.nan
    return result


def _evaluate(node: Node, bands: Mapping[str, NDArray[Any]]) -> NDArray[Any] | float:
    import numpy as np

    if isinstance(node, Number):
        return node.value
    if isinstance(node, Band):
        return bands[node.name]
    if isinstance(node, Negate):
        return -_evaluate(node.operand, bands)
    left, right = _evaluate(node.left, bands), _evaluate(node.right, bands)
    if node.operator == "+":
        return np.add(left, right, dtype=np.float32)
    if node.operator == "-":
        return np.subtract(left, right, dtype=np.float32)
    if node.operator == "*":
        return np.multiply(left, right, dtype=np.float32)
    denominator = np.asarray(right, dtype=np.float32)
    quotient = np.divide(left, denominator, dtype=np.float32)
    return np.where(denominator == 0, np.float32(np.nan), quotient)
