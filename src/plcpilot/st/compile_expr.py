"""ST expressions compiled to Python closures, once: each becomes `fn(frame) -> value`, where
`frame` is the list of the POU instance's variables. Names, types, field offsets and array
bounds are looked up here, so a scan runs no isinstance chains and no look-ups by name.

Constant sub-expressions are folded (array bounds, CASE labels and initial values must fold).
Run-time errors (an index out of bounds, integer division by zero) raise StRuntimeError naming
the POU and line, recorded in the scanning machine's notes. Statements: st.compiler.
"""


from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from plcpilot.st import ast
from plcpilot.st.program import Program, compile_error
from plcpilot.st.runtypes import (
    ArrayType,
    BoolType,
    FbType,
    Layout,
    RealType,
    StringType,
    StructType,
    Type,
    elementary_type,
)
from plcpilot.st.stdlib import div, expt, mod, standard_function

Code = Callable[[list], Any]
NOT_CONSTANT = object()
BOOL, TIME = BoolType(), elementary_type("TIME")
_COMPARE = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt,
            "<=": operator.le, ">=": operator.ge}
# one closure per operator, so a scan calls no operator function in between
_FAST: dict[str, Callable[[Code, Code], Code]] = {
    "+": lambda a, b: lambda f: a(f) + b(f),
    "-": lambda a, b: lambda f: a(f) - b(f),
    "*": lambda a, b: lambda f: a(f) * b(f),
    "AND": lambda a, b: lambda f: a(f) & b(f),
    "&": lambda a, b: lambda f: a(f) & b(f),
    "OR": lambda a, b: lambda f: a(f) | b(f),
    "XOR": lambda a, b: lambda f: a(f) ^ b(f),
    "=": lambda a, b: lambda f: a(f) == b(f),
    "<>": lambda a, b: lambda f: a(f) != b(f),
    "<": lambda a, b: lambda f: a(f) < b(f),
    ">": lambda a, b: lambda f: a(f) > b(f),
    "<=": lambda a, b: lambda f: a(f) <= b(f),
    ">=": lambda a, b: lambda f: a(f) >= b(f),
}
_CHECKED = {"/": div, "MOD": mod, "**": expt}  # may divide by zero


@dataclass(slots=True)
class Expr:
    fn: Code
    type: Type | None  # None: an untyped literal (ANY_INT, ANY_REAL) or unknown
    const: Any = NOT_CONSTANT


def constant_value(program: Program, node: ast.Expr, consts: dict, where: str) -> Any:
    """A constant expression's value, for bounds, lengths, initial values and CASE labels."""
    e = ExprCompiler(program, None, None, consts, where).expr(node)
    if e.const is NOT_CONSTANT:
        raise compile_error(where, node, "this must be a constant expression")
    return e.const


class ExprCompiler:
    """Expressions, calls and the places values are written, for one POU."""

    def __init__(self, program: Program, pou: ast.Pou | None, layout: Layout | None,
                 consts: dict | None = None, where: str | None = None):
        self.p, self.rt, self.pou, self.layout = program, program.rt, pou, layout
        self.name = pou.name if pou is not None else where
        self.consts = dict(program.consts) if consts is None else consts
        for key, slot in (layout.slots.items() if layout else ()):
            if slot.constant and slot.init is not None and not slot.type.composite:
                self.consts[key] = slot.type.store(slot.init)

    def error(self, node: ast.Node | None, message: str) -> Exception:
        return compile_error(self.name, node, message)

    # ---- expressions --------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> Expr:
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            raise self.error(node, f"{type(node).__name__} expressions (pointers, references) "
                                   "are not simulated")
        return method(node)

    def _fold(self, fn: Code, t: Type | None, parts: list[Expr]) -> Expr:
        if all(p.const is not NOT_CONSTANT for p in parts):
            try:
                return Expr(fn, t, fn(None))
            except Exception:  # noqa: BLE001 - e.g. a constant division by zero: fails when run
                pass
        return Expr(fn, t)

    @staticmethod
    def _const(value: Any, t: Type | None) -> Expr:
        return Expr(lambda f: value, t, value)

    def _literal(self, node: ast.Literal) -> Expr:
        v = node.value
        if v is None:
            raise self.error(node, f"`{node.text}` has no value")
        if node.type_name:
            t = elementary_type(node.type_name) or self.p.named_type(node.type_name, node)
            return self._const(t.store(v) if node.kind != "time" else round(v), t)
        if node.kind == "time":
            return self._const(round(v) if float(v).is_integer() else v, TIME)
        if node.kind == "bool":
            return self._const(v, BOOL)
        if node.kind in ("string", "wstring"):
            return self._const(v, StringType(max(len(v), 1), node.kind == "wstring"))
        return self._const(v, None)

    def _name(self, node: ast.Name) -> Expr:
        key = node.name.upper()
        if "." in key:
            return self._qualified(node, key)
        slot = self.layout.get(key) if self.layout is not None else None
        if slot is not None:
            if slot.constant and key in self.consts:
                return self._const(self.consts[key], slot.type)
            i = slot.index
            if slot.by_reference:
                def deref(f: list) -> Any:
                    c, k = f[i]
                    return c[k]
                return Expr(deref, slot.type)
            return Expr(itemgetter(i), slot.type)
        if key in self.consts:
            return self._const(self.consts[key], None)
        g = self.p.globals.get(key) if self.layout is not None else None
        if g is not None:
            rt, i = self.rt, g.index
            return Expr(lambda f: rt.globals[i], g.type)
        if key in self.p.enum_values:
            v, t = self.p.enum_values[key]
            return self._const(v, t)
        raise self.error(node, f"unknown name {node.name}")

    def _qualified(self, node: ast.Name, key: str) -> Expr:
        """`MODE.RUN` (an enumerator) or `Lib.x` (a namespace, flattened by the parser)."""
        head, _, last = key.rpartition(".")
        enum = self.p.enum_types.get(head.rsplit(".", 1)[-1])
        if enum is not None and last in enum.values:
            return self._const(enum.values[last], enum)
        return self._name(ast.Name(line=node.line, column=node.column, name=last))

    def _member(self, node: ast.Member) -> Expr:
        if isinstance(node.object, ast.Name):
            enum = self.p.enum_types.get(node.object.name.upper())
            if enum is not None and node.member.upper() in enum.values:
                return self._const(enum.values[node.member.upper()], enum)
        o = self.expr(node.object)
        slot = self._field(node, o.type)
        of, j = o.fn, slot.index
        if slot.by_reference:
            def deref(f: list) -> Any:
                c, k = of(f)[j]
                return c[k]
            return Expr(deref, slot.type)
        return Expr(lambda f: of(f)[j], slot.type)

    def _field(self, node: ast.Member, t: Type | None):
        if not isinstance(t, StructType):
            raise self.error(node, f".{node.member}: {text_of(node.object)} is not a STRUCT or "
                                   "FB instance")
        slot = t.layout.get(node.member)
        if slot is None:
            raise self.error(node, f"{t.text} has no field {node.member}")
        return slot

    def _index(self, node: ast.Index) -> Expr:
        o = self.expr(node.object)
        offset, t = self._offset(node, o.type)
        of = o.fn
        return Expr(lambda f: of(f)[offset(f)], t)

    def _offset(self, node: ast.Index, t: Type | None) -> tuple[Code, Type]:
        """The element's position in the flat list, bounds checked per dimension."""
        label = text_of(node.object)
        if not isinstance(t, ArrayType):
            raise self.error(node, f"{label}[…]: {label} is not an ARRAY")
        if len(node.indexes) != len(t.dims):
            raise self.error(node, f"{label} is {t.text}: give {len(t.dims)} index(es)")
        rt, pou, line = self.rt, self.name, node.line
        index = [self.expr(i).fn for i in node.indexes]
        if len(index) == 1:
            (lo, hi), ix = t.dims[0], index[0]

            def offset(f: list) -> int:
                i = ix(f)
                if lo <= i <= hi:
                    return i - lo
                raise rt.fail(pou, line, f"index {i} is outside {label}[{lo}..{hi}]")
            return offset, t.element
        strides, size = [], 1
        for lo, hi in reversed(t.dims):
            strides.append(size)
            size *= hi - lo + 1
        dims = list(zip(index, t.dims, reversed(strides), strict=True))

        def offsets(f: list) -> int:
            at = 0
            for ix, (lo, hi), stride in dims:
                i = ix(f)
                if not lo <= i <= hi:
                    raise rt.fail(pou, line, f"index {i} is outside {label}[{lo}..{hi}] "
                                             f"({t.text})")
                at += (i - lo) * stride
            return at
        return offsets, t.element

    def _unary(self, node: ast.Unary) -> Expr:
        o = self.expr(node.operand)
        a = o.fn
        if node.op == "-":
            fn = lambda f: -a(f)  # noqa: E731
        elif node.op == "+":
            fn = a
        elif isinstance(o.type, BoolType):
            fn = lambda f: not a(f)  # noqa: E731
        else:
            def fn(f: list) -> Any:
                v = a(f)
                return not v if type(v) is bool else ~v  # ANY_BIT: wraps on store
        return self._fold(fn, o.type, [o])

    def _binary(self, node: ast.Binary) -> Expr:
        left, right = self.expr(node.left), self.expr(node.right)
        a, b, op = left.fn, right.fn, node.op
        if op in _COMPARE:
            t = BOOL
        elif isinstance(left.type, RealType) or isinstance(right.type, RealType):
            t = left.type if isinstance(left.type, RealType) else right.type
        else:
            t = left.type or right.type
        if op in _FAST:
            fn = _FAST[op](a, b)
        elif op in _CHECKED:
            fn = self._checked(_CHECKED[op], node, [a, b])
        else:
            raise self.error(node, f"operator {op} is not simulated")
        return self._fold(fn, t, [left, right])

    def _checked(self, fn: Callable, node: ast.Node, args: list[Code]) -> Code:
        """A call that may fail at run time: the failure names the POU and line."""
        rt, pou, line = self.rt, self.name, node.line

        def failed(e: Exception) -> Exception:
            why = "integer division by zero" if isinstance(e, ZeroDivisionError) else str(e)
            return rt.fail(pou, line, why)
        if len(args) == 1:
            (a,) = args

            def one(f: list) -> Any:
                try:
                    return fn(a(f))
                except (ZeroDivisionError, IndexError) as e:
                    raise failed(e) from None
            return one
        if len(args) == 2:
            a, b = args

            def two(f: list) -> Any:
                try:
                    return fn(a(f), b(f))
                except (ZeroDivisionError, IndexError) as e:
                    raise failed(e) from None
            return two

        def many(f: list) -> Any:
            try:
                return fn(*[x(f) for x in args])
            except (ZeroDivisionError, IndexError) as e:
                raise failed(e) from None
        return many

    def _call(self, node: ast.Call) -> Expr:
        key = callee(node.function)
        if key is None:
            raise self.error(node, f"{text_of(node.function)}(…): methods are not simulated")
        pou = self.p.pous.get(key)
        if pou is not None and pou.kind == "FUNCTION":
            return self._user_call(pou, node)
        std = standard_function(key)
        if std is None:
            if pou is not None or self._instance(node.function) is not None:
                raise self.error(node, f"{text_of(node.function)} is a function block: call it "
                                       "as a statement, then read its outputs (inst.Q)")
            raise self.error(node, f"unknown function {text_of(node.function)}")
        args = self._std_args(std, node)
        fn, t = std.make([a.type for a in args])
        return self._fold(self._checked(fn, node, [a.fn for a in args]), t, args)

    def _instance(self, node: ast.Expr) -> Expr | None:
        """The FB instance a call names, or None when it names a function."""
        if isinstance(node, ast.Name) and self.layout is not None \
                and self.layout.get(node.name) is None and self.p.globals.get(node.name) is None:
            return None
        if isinstance(node, ast.Member) and callee(node) in self.p.pous:
            return None
        e = self.expr(node)
        if not isinstance(e.type, FbType):
            raise self.error(node, f"{text_of(node)} is not a function block instance")
        return e

    def _std_args(self, std, node: ast.Call) -> list[Expr]:
        if any(a.output for a in node.args):
            raise self.error(node, f"{text_of(node.function)} has no outputs to read with =>")
        if std.params is None:
            def order(arg: ast.Arg) -> int:
                digits = "".join(c for c in (arg.name or "") if c.isdigit())
                return -1 if (arg.name or "").upper() == "K" else int(digits or 0)
            args = node.args if all(a.name is None for a in node.args) \
                else sorted(node.args, key=order)
            return [self.expr(a.value) for a in args]
        values: list[Expr | None] = [None] * len(std.params)
        for k, arg in enumerate(node.args):
            at = k if arg.name is None else (std.params.index(arg.name.upper())
                                             if arg.name.upper() in std.params else -1)
            if not 0 <= at < len(values):
                raise self.error(arg, f"{text_of(node.function)} takes "
                                      f"({', '.join(std.params)})")
            values[at] = self.expr(arg.value)
        if any(v is None for v in values):
            raise self.error(node, f"{text_of(node.function)} needs {', '.join(std.params)}")
        return values

    def _user_call(self, pou: ast.Pou, node: ast.Call) -> Expr:
        fn = self.p.function(pou, node)
        args, gate = self._enable(node, fn.layout)
        inputs, inouts, outputs = self._bind(args, fn.layout, fn.params, pou.name)
        new_frame, run = fn.new_frame, fn.run

        def call(f: list) -> Any:
            fr = new_frame()
            for i, store, a in inputs:
                fr[i] = store(a(f))
            for i, r in inouts:
                fr[i] = r(f)
            run(fr)
            for i, s in outputs:
                s(f, fr[i])
            return fr[0]
        return Expr(gate(call, fn.result.default()), fn.result)

    def _enable(self, node: ast.Call, layout: Layout) -> tuple[list[ast.Arg], Callable]:
        """IEC's implicit EN and ENO: with EN FALSE the call does not run (a function gives
        its type's default) and ENO is FALSE. Returns the other arguments and the gate to
        put around the compiled call (none when EN is not given)."""
        en = [a for a in node.args if a.name and a.name.upper() in ("EN", "ENO")
              and layout.get(a.name) is None]
        args = [a for a in node.args if a not in en]
        enable = next((self.expr(a.value).fn for a in en if not a.output), None)
        eno = [self.setter(a.value)[0] for a in en if a.output]
        if enable is None and not eno:
            return args, lambda call, default: call
        enable = enable or (lambda f: True)

        def gate(call: Code, default: Any) -> Code:
            def gated(f: list) -> Any:
                on = bool(enable(f))
                for set_ in eno:
                    set_(f, on)
                return call(f) if on else default
            return gated
        return args, gate

    def _bind(self, args: list[ast.Arg], layout: Layout, params: list[int], callee: str):
        """A call's arguments: (slot, store, value) for inputs, (slot, reference) for
        VAR_IN_OUT, (slot, setter) for `output => variable`."""
        slots = list(layout.slots.values())
        inputs, inouts, outputs = [], [], []
        for k, arg in enumerate(args):
            if arg.name is None:
                if k >= len(params):
                    raise self.error(arg, f"{callee} takes {len(params)} inputs")
                slot = slots[params[k]]
            else:
                slot = layout.get(arg.name)
                if slot is None:
                    raise self.error(arg, f"{callee} has no parameter {arg.name}")
            if arg.output:
                if slot.section != "VAR_OUTPUT":
                    raise self.error(arg, f"{callee}.{slot.name} is not an output")
                outputs.append((slot.index, self.setter(arg.value)[0]))
            elif slot.by_reference:
                inouts.append((slot.index, self.ref(arg.value)[0]))
            elif slot.section == "VAR_INPUT":
                inputs.append((slot.index, slot.type.store, self.expr(arg.value).fn))
            else:
                raise self.error(arg, f"{callee}.{slot.name} is not an input")
        return inputs, inouts, outputs

    # ---- places a value is written --------------------------------------------------------

    def ref(self, node: ast.Expr) -> tuple[Callable[[list], tuple[list, int]], Type]:
        """Where a variable lives, as (list, index): for VAR_IN_OUT and assignments."""
        if isinstance(node, ast.Name) and "." not in node.name:
            slot = self.layout.get(node.name) if self.layout is not None else None
            if slot is not None:
                if slot.constant:
                    raise self.error(node, f"{node.name} is a CONSTANT")
                i = slot.index
                if slot.by_reference:
                    return itemgetter(i), slot.type
                return (lambda f: (f, i)), slot.type
            g = self.p.globals.get(node.name)
            if g is not None and not g.constant:
                rt, i = self.rt, g.index
                return (lambda f: (rt.globals, i)), g.type
            raise self.error(node, f"{node.name} is not a variable that can be written")
        if isinstance(node, ast.Member):
            o = self.expr(node.object)
            slot = self._field(node, o.type)
            of, j = o.fn, slot.index
            if slot.by_reference:
                return (lambda f: of(f)[j]), slot.type
            return (lambda f: (of(f), j)), slot.type
        if isinstance(node, ast.Index):
            o = self.expr(node.object)
            offset, t = self._offset(node, o.type)
            of = o.fn
            return (lambda f: (of(f), offset(f))), t
        raise self.error(node, f"`{text_of(node)}` is not a variable that can be written")

    def _plain_slot(self, node: ast.Expr):
        """The slot of a local variable held in the frame itself (not CONSTANT, not a
        VAR_IN_OUT reference), else None."""
        if isinstance(node, ast.Name) and self.layout is not None:
            slot = self.layout.get(node.name)
            if slot is not None and not slot.by_reference and not slot.constant:
                return slot
        return None

    def setter(self, node: ast.Expr) -> tuple[Callable[[list, Any], None], Type]:
        """fn(frame, value) storing the value as the target's type holds it."""
        slot = self._plain_slot(node)
        if slot is not None:
            i, store = slot.index, slot.type.store

            def set_slot(f: list, v: Any) -> None:
                f[i] = store(v)
            return set_slot, slot.type
        ref, t = self.ref(node)
        store = t.store

        def set_ref(f: list, v: Any) -> None:
            c, k = ref(f)
            c[k] = store(v)
        return set_ref, t


def callee(node: ast.Expr) -> str | None:
    """The upper-case name a call names (`Lib.F` is F: namespaces are flattened)."""
    if isinstance(node, ast.Name):
        return node.name.upper().rsplit(".", 1)[-1]
    if isinstance(node, ast.Member) and isinstance(node.object, ast.Name):
        return node.member.upper()
    return None


def text_of(node: ast.Expr) -> str:
    """An expression as written, roughly, for messages."""
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Member):
        return f"{text_of(node.object)}.{node.member}"
    if isinstance(node, ast.Index):
        return f"{text_of(node.object)}[…]"
    return "the expression"

