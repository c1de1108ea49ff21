"""Derived parameters: restricted Python expressions over other parameters, evaluated
vectorized with numpy.

An expression is parsed with ``ast`` and evaluated by walking the tree: only numbers,
parameter names (dotted names such as ``power.bus_voltage_v`` included), arithmetic,
comparisons, ``and`` / ``or`` / ``not`` (element-wise), conditional expressions
(``a if cond else b`` → ``numpy.where``) and calls to a whitelist of numpy functions are
allowed. Nothing is passed to ``eval``; attributes, subscripts, lambdas, comprehensions
and unknown names are refused when the expression is compiled.

>>> import numpy as np
>>> power = DerivedParameter("power.load_w", "power.bus_v * power.bus_a",
...                          inputs=["power.bus_v", "power.bus_a"])
>>> power.evaluate({"power.bus_v": np.array([28.0, 27.5]), "power.bus_a": np.array([2.0, 4.0])})
array([ 56., 110.])
>>> DerivedParameter("x", "__import__('os')", inputs=[])
Traceback (most recent call last):
ilrs.errors.ExpressionError: x: got "__import__('os')", expected arithmetic, comparisons, \
parameter names and calls to abs, arccos, arcsin, arctan, arctan2, ceil, clip, cos, deg2rad, \
exp, floor, hypot, isnan, log, log10, maximum, minimum, rad2deg, sin, sqrt, tan, where \
(the call to '__import__' is not allowed)
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import ExpressionError

__all__ = ["FUNCTIONS", "DerivedParameter", "align_sample_and_hold"]

#: The numpy functions an expression may call (also as ``np.name``).
FUNCTIONS: dict[str, Callable] = {
    name: getattr(np, name)
    for name in (
        "abs", "arccos", "arcsin", "arctan", "arctan2", "ceil", "clip", "cos", "deg2rad",
        "exp", "floor", "hypot", "isnan", "log", "log10", "maximum", "minimum", "rad2deg",
        "sin", "sqrt", "tan", "where",
    )
}  # fmt: skip
_CONSTANTS = {"pi": np.pi, "e": np.e, "nan": np.nan}
_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}  # fmt: skip
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: np.logical_not}
_COMPARE = {
    ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Eq: np.equal, ast.NotEq: np.not_equal,
}  # fmt: skip


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


@dataclass(frozen=True)
class DerivedParameter:
    """``name`` = ``expression`` over ``inputs`` (the parameter names it may read)."""

    name: str
    expression: str
    inputs: Iterable[str]
    unit: str = ""
    _tree: ast.Expression = field(init=False, repr=False, compare=False)
    used: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        try:
            tree = ast.parse(self.expression, mode="eval")
        except SyntaxError as exc:
            self._refuse(f"invalid syntax: {exc.msg}")
        used: set[str] = set()
        self._check(tree.body, used)
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "used", frozenset(used))

    def _refuse(self, why: str) -> None:
        allowed = ", ".join(sorted(FUNCTIONS))
        raise ExpressionError(
            self.name,
            self.expression,
            f"arithmetic, comparisons, parameter names and calls to {allowed} ({why})",
        )

    def _check(self, node: ast.expr, used: set[str]) -> None:
        name = _dotted(node)
        if name is not None:
            if name in self.inputs:
                used.add(name)
            elif name not in _CONSTANTS:
                self._refuse(f"unknown name {name!r}")
            return
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float, bool):
                self._refuse(f"constant {node.value!r}")
            return
        if isinstance(node, ast.Call):
            fname = _dotted(node.func) or ""
            if fname.removeprefix("np.").removeprefix("numpy.") not in FUNCTIONS:
                self._refuse(f"the call to {fname or 'an expression'!r} is not allowed")
            if node.keywords:
                self._refuse("keyword arguments")
            children = node.args
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            children = [node.operand]
        elif isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
            children = [node.left, *node.comparators]
        elif isinstance(node, ast.BoolOp):
            children = node.values
        elif isinstance(node, ast.IfExp):
            children = [node.test, node.body, node.orelse]
        else:
            self._refuse(f"{type(node).__name__} is not allowed")
        for child in children:
            if isinstance(child, ast.Starred):
                self._refuse("starred arguments")
            self._check(child, used)

    def _eval(self, node: ast.expr, env: Mapping[str, np.ndarray]):
        name = _dotted(node)
        if name is not None:
            return env[name] if name in self.inputs else _CONSTANTS[name]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Call):
            func = FUNCTIONS[_dotted(node.func).removeprefix("np.").removeprefix("numpy.")]
            return func(*(self._eval(a, env) for a in node.args))
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, env))
        if isinstance(node, ast.Compare):
            left, out = self._eval(node.left, env), True
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self._eval(right_node, env)
                out = np.logical_and(out, _COMPARE[type(op)](left, right))
                left = right
            return out
        if isinstance(node, ast.BoolOp):
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            values = [self._eval(v, env) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = combine(out, v)
            return out
        assert isinstance(node, ast.IfExp)
        return np.where(self._eval(node.test, env), self._eval(node.body, env),
                        self._eval(node.orelse, env))  # fmt: skip

    def evaluate(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The derived values over aligned input arrays (float64, NaN where undefined)."""
        missing = self.used - set(values)
        if missing:
            raise ExpressionError(self.name, sorted(missing), "values for every input used")
        env = {k: np.asarray(values[k], dtype=np.float64) for k in self.used}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self._eval(self._tree.body, env)
        shape = np.broadcast_shapes(*(v.shape for v in env.values())) if env else ()
        return np.broadcast_to(np.asarray(out, dtype=np.float64), shape).copy()


def align_sample_and_hold(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Put several time series on the union of their times, each holding its last value
    (NaN before its first sample); times must be sorted per series."""
    if not series:
        return np.empty(0, dtype=np.int64), {}
    times = np.unique(np.concatenate([np.asarray(t, dtype=np.int64) for t, _ in series.values()]))
    out = {}
    for name, (t, v) in series.items():
        idx = np.searchsorted(np.asarray(t, dtype=np.int64), times, side="right") - 1
        held = np.asarray(v, dtype=np.float64)[np.clip(idx, 0, None)] if len(t) else None
        out[name] = np.where(idx >= 0, held, np.nan) if held is not None else np.full(
            times.shape, np.nan)  # fmt: skip
    return times, out
