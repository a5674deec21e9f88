"""Commands as the plant writes them (`conveyor_1_run('forward', 13)`): parse, check, format.

Parsing uses Python's own `ast` on one expression and accepts only a call of a bare name with
literal arguments, so a model's answer is never evaluated, only read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from plcpilot.errors import PlcPilotError
from plcpilot.plant.model import Function, Param, Station

Value = str | int | float


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Value, ...]

    def text(self, fn: Function | None = None) -> str:
        """The plant's spelling: keyword arguments where the function takes them."""
        if fn is not None and fn.keywords:
            parts = [f"{p.name}={_literal(v)}" for p, v in zip(fn.params, self.args, strict=True)]
        else:
            parts = [_literal(v) for v in self.args]
        return f"{self.function}({', '.join(parts)})"


def _literal(v: Value) -> str:
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(v)


class CallError(PlcPilotError):
    """A command that is not one well-formed call of the station's functions."""


def parse_call(text: str, station: Station) -> Call:
    """Read one command and bind it to the station's signature (positional or keyword)."""
    text = text.strip().rstrip(".;").strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise CallError(f"not a function call: {text!r}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise CallError(f"not a function call: {text!r}")
    name = node.func.id
    fn = station.functions.get(name)
    if fn is None:
        raise CallError(f"{station.name} has no function {name}(); it has: "
                        + ", ".join(station.functions))
    given: dict[str, Value] = {}
    if len(node.args) > len(fn.params):
        raise CallError(f"{fn.signature()} takes {len(fn.params)} argument(s), got "
                        f"{len(node.args)}")
    for param, arg in zip(fn.params, node.args, strict=False):
        given[param.name] = _constant(arg, name)
    names = {p.name for p in fn.params}
    for kw in node.keywords:
        if kw.arg not in names:
            raise CallError(f"{fn.signature()} has no argument {kw.arg!r}")
        if kw.arg in given:
            raise CallError(f"{name}(): argument {kw.arg!r} given twice")
        given[kw.arg] = _constant(kw.value, name)
    missing = [p.name for p in fn.params if p.name not in given]
    if missing:
        raise CallError(f"{fn.signature()}: missing {', '.join(missing)}")
    args = tuple(check_value(p, given[p.name], name) for p in fn.params)
    return Call(name, args)


def _constant(node: ast.AST, name: str) -> Value:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand, name)
        if isinstance(value, int | float):
            return -value
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float) \
            and not isinstance(node.value, bool):
        return node.value
    raise CallError(f"{name}(): arguments must be literal strings or numbers")


def check_value(param: Param, value: Value, name: str) -> Value:
    """The value converted to the parameter's type, or a CallError that says what is allowed."""
    where = f"{name}(): {param.name}"
    if param.type == "choice":
        if value not in param.choices:
            raise CallError(f"{where} must be one of {', '.join(param.choices)}; got {value!r}")
        return value
    if param.type == "text":
        if not isinstance(value, str) or not re.fullmatch(param.pattern or ".+", value):
            raise CallError(f"{where} must be a string matching {param.pattern}; got {value!r}")
        return value
    if isinstance(value, str) or (param.type == "int" and isinstance(value, float)
                                  and not value.is_integer()):
        raise CallError(f"{where} must be {'an integer' if param.type == 'int' else 'a number'}; "
                        f"got {value!r}")
    value = int(value) if param.type == "int" else float(value)
    if not param.min <= value <= param.max:
        raise CallError(f"{where} must be within {param.min:g}..{param.max:g}; got {value:g}")
    return value


def format_call(text: str, station: Station) -> str:
    """The canonical spelling of a command (quotes, spacing, keywords), for exact comparison."""
    call = parse_call(text, station)
    return call.text(station.functions[call.function])
