"""Readable formulas from the expression strings of equations.py (for docs/model.md).

``render(expr)`` writes an expression of the equation language as plain-text math: parameters become
their symbol from declarations.py (``kill_rate`` -> ``k_K``), states, quantities and inputs keep their
names, ``*`` becomes ``·``, ``**`` becomes ``^``, ``log`` becomes ``ln``, ``where(c, a, b)`` becomes
``(a if c else b)``, ``sum_lesions(x)`` and ``prod_agents(x)`` become ``Σ_lesions(x)`` and ``Π_drugs(x)``.
Parentheses are kept only where the order of evaluation needs them. The output reads back into the same
expression (tests/unit/test_describe.py evaluates both), so the rendering cannot silently change a formula.
"""

from __future__ import annotations

import ast
import re
from functools import cache

from .codegen import parse, symbols
from .declarations import PARAMETERS

REDUCTIONS = {"sum_lesions": "Σ_lesions", "prod_agents": "Π_drugs"}
FUNCTION_NAMES = {"exp": "exp", "log": "ln", "min": "min", "max": "max"}
_RESERVED = {"exp", "ln", "min", "max", "if", "else", "where", *REDUCTIONS.values(), *REDUCTIONS}
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_BINARY = {ast.Add: ("+", 2), ast.Sub: ("-", 2), ast.Mult: ("·", 3), ast.Div: ("/", 3), ast.Pow: ("^", 5)}
_COMPARE = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
_UNARY, _ATOM = 4, 6


@cache
def parameter_symbols() -> dict[str, str]:
    """name -> symbol for every declared parameter whose symbol is an unambiguous identifier.

    A parameter keeps its name when its symbol is shared with another parameter, equals a name the
    equations use, is a function word, or is not a plain identifier (``alpha/beta``)."""
    names = set(symbols().scope)
    count: dict[str, int] = {}
    for p in PARAMETERS:
        count[p.symbol] = count.get(p.symbol, 0) + 1
    out = {}
    for p in PARAMETERS:
        s = p.symbol
        if _IDENTIFIER.fullmatch(s) and count[s] == 1 and s not in _RESERVED and (s == p.name or s not in names):
            out[p.name] = s
    return out


def _number(value) -> str:
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text).replace("e+", "e")


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)][1]
    if isinstance(node, ast.UnaryOp):
        return _UNARY
    if isinstance(node, ast.Compare):
        return 1
    return _ATOM


def _render(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return parameter_symbols().get(node.id, node.id)
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _render(node.operand)
        return f"-{inner}" if _precedence(node.operand) > _UNARY else f"-({inner})"
    if isinstance(node, ast.BinOp):
        op, prec = _BINARY[type(node.op)]
        left, right = _render(node.left), _render(node.right)
        if isinstance(node.op, ast.Pow):  # base and exponent: anything but a name, number or call in parentheses
            left = left if _precedence(node.left) == _ATOM else f"({left})"
            right = right if _precedence(node.right) == _ATOM else f"({right})"
            return f"{left}^{right}"
        if _precedence(node.left) < prec:
            left = f"({left})"
        if _precedence(node.right) <= prec:
            right = f"({right})"
        return f"{left} {op} {right}"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return f"{_render(node.left)} {_COMPARE[type(node.ops[0])]} {_render(node.comparators[0])}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        args = [_render(a) for a in node.args]
        if name == "where":
            return f"({args[1]} if {args[0]} else {args[2]})"
        if name in REDUCTIONS:
            return f"{REDUCTIONS[name]}({args[0]})"
        return f"{FUNCTION_NAMES.get(name, name)}({', '.join(args)})"
    raise ValueError(f"cannot render {ast.unparse(node)!r}")


def render(expr: str) -> str:
    """Plain-text math of one expression of equations.py."""
    return _render(parse(expr))


def to_python(text: str) -> str:
    """The expression language again from ``render``'s output (parameter symbols back to names)."""
    reverse = {s: n for n, s in parameter_symbols().items()}
    for function, written in REDUCTIONS.items():
        text = text.replace(written, function)
    text = text.replace("·", "*").replace("^", "**")

    def name(match):
        word = match.group(0)
        if word == "ln":
            return "log"
        return reverse.get(word, word)

    return re.sub(r"(?<![0-9.])" + _IDENTIFIER.pattern, name, text)
