"""Typing ST expressions and calls, reporting what does not fit as it goes.

`Typer.expr` gives an expression's type (and an integer constant's value, for range checks);
problems go to the `report` callback, so the statement walk and the declaration checks share
one set of typing rules. Whatever cannot be typed (an unknown name, a method call, a vendor
extension) is `ANY`, which fits everywhere: one finding at the cause, none downstream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from plcpilot.st import ast
from plcpilot.st.scope import Interface, Library, Var
from plcpilot.st.stdlib_signatures import CONVERTIBLE, FUNCTIONS, GENERICS, FunctionSig
from plcpilot.st.typesystem import (
    ADDRESS,
    ANY,
    BOOL,
    INT_LITERAL,
    NUMERIC,
    REAL_LITERAL,
    Type,
    conversion,
    elementary,
    wider,
)

Report = Callable[[ast.Node | None, str, str], None]  # node (None: lost), code, message
COMPARISON = frozenset(("=", "<>", "<", ">", "<=", ">="))
LOGIC = frozenset(("AND", "OR", "XOR", "&"))
_LITERAL_TYPES = {"integer": INT_LITERAL, "real": REAL_LITERAL, "bool": BOOL,
                  **{kind: elementary(name) for kind, name in (
                      ("string", "STRING"), ("wstring", "WSTRING"), ("time", "TIME"),
                      ("date", "DATE"), ("tod", "TOD"), ("dt", "DT"))}}
_TIME_ARITHMETIC = {  # (operator, left kind, right kind) -> result kind
    ("+", "time", "time"): "time", ("-", "time", "time"): "time",
    ("*", "time", "int"): "time", ("*", "int", "time"): "time", ("*", "time", "real"): "time",
    ("/", "time", "int"): "time", ("/", "time", "real"): "time",
    **{(op, k, "time"): k for op in "+-" for k in ("tod", "dt", "date")},
    **{("-", k, k): "time" for k in ("tod", "dt", "date")},
}
_EN_ENO = ("EN", "ENO")  # every IEC call has them implicitly
_SELF = {"THIS", "SUPER"}  # a method's own instance and its base: members typed leniently


class Val(NamedTuple):
    type: Type
    value: object = None  # an integer constant's value


def _constant(expr: object) -> int | None:
    """The value of an integer literal, negated or not; None for anything else."""
    if isinstance(expr, ast.Unary) and expr.op == "-":
        inner = _constant(expr.operand)
        return -inner if inner is not None else None
    if isinstance(expr, ast.Literal) and expr.kind == "integer" and isinstance(expr.value, int):
        return expr.value
    return None


def _generic_kinds(generic: str) -> frozenset[str]:
    """The type kinds a generic accepts, CODESYS-leniently: an enumeration where integers go,
    an integer where reals go (it widens)."""
    kinds = {elementary(n).kind for n in GENERICS[generic]}
    kinds |= {"enum"} if "int" in kinds else set()
    kinds |= {"int", "enum"} if "real" in kinds else set()
    return frozenset(kinds)


_GENERIC_KINDS = {g: _generic_kinds(g) for g in GENERICS if g != "ANY"}


class Typer:
    def __init__(self, lib: Library, scope: dict[str, Var], enums: dict[str, Type],
                 report: Report):
        self.lib, self.scope, self.enums, self.report = lib, scope, enums, report
        self.used: set[str] = set()  # upper-case names of the scope's variables read or written

    # ---- values ----

    def expr(self, e: object) -> Val:
        match e:
            case ast.Literal():
                return self._literal(e)
            case ast.Name():
                return self._name(e)
            case ast.Member():
                return self._member(e)
            case ast.Index():
                return self._index(e)
            case ast.Deref():
                target = self.expr(e.pointer).type
                return Val(target.element if target.kind == "pointer" and target.element
                           else ANY)
            case ast.AddressOf():
                return Val(Type("POINTER", "pointer", element=self.expr(e.operand).type))
            case ast.Unary():
                return self._unary(e)
            case ast.Binary():
                return self._binary(e)
            case ast.Call():
                return self.call(e)
        return Val(ANY)

    def convert(self, node: ast.Node, target: Type, val: Val, what: str) -> None:
        """Report a value of `val` that cannot go where `target` is expected."""
        found = conversion(target, val.type, val.value)
        if found:
            self.report(node, found[0], f"{what}: {found[1]}")

    def _literal(self, e: ast.Literal) -> Val:
        if e.type_name:
            typed = self.lib.named(e.type_name)
            if e.kind == "integer":
                self.convert(e, typed, Val(INT_LITERAL, e.value), f"literal {e.text}")
            return Val(typed, e.value)
        return Val(_LITERAL_TYPES.get(e.kind, ANY), e.value)

    def _name(self, e: ast.Name) -> Val:
        key = e.name.upper()
        var = self.scope.get(key)
        if var is not None:
            self.used.add(key)
            return Val(var.type, _constant(var.init) if var.constant else None)
        if key in self.enums:
            return Val(self.enums[key])
        if key == "NULL":  # IEC 3rd edition: the reference to nothing
            return Val(ADDRESS)
        if "." not in key and not self.lib.known(key) and key not in FUNCTIONS.keys() | _SELF:
            self.report(e, "undeclared", f"{e.name} is not declared")
        return Val(ANY)  # THIS, a namespace path, or a POU or type name used as a value

    def _member(self, e: ast.Member) -> Val:
        obj = e.object
        if isinstance(obj, ast.Name) and obj.name.upper() not in self.scope and \
                (enum := self.lib.named(obj.name)).kind == "enum":
            return Val(enum)  # MODE.IDLE
        owner = self.expr(obj).type
        key = e.member.upper()
        if owner.kind == "struct":
            if key in owner.members:
                return Val(owner.members[key])
            self.report(e, "undeclared", f"{owner.name} has no member {e.member}")
        elif owner.kind == "fb" and (face := self.lib.interface(owner.name)) is not None:
            if key in face.members:
                return Val(face.members[key].type)
            pou = self.lib.pous.get(owner.name.upper())
            if not pou or not any(m.name.upper() == key for m in pou.members):
                self.report(e, "undeclared", f"{owner.name} has no input or output {e.member}")
        return Val(ANY)

    def _index(self, e: ast.Index) -> Val:
        owner = self.expr(e.object).type
        for index in e.indexes:
            found = self.expr(index).type
            if found.kind not in ("int", "enum", "any"):
                self.report(index, "type-mismatch", f"an array index is {found.name}, "
                                                    "not an integer")
        return Val(owner.element if owner.kind == "array" and owner.element else ANY)

    def _unary(self, e: ast.Unary) -> Val:
        val = self.expr(e.operand)
        kind = val.type.kind
        allowed = ("bool", "int", "any") if e.op == "NOT" else (*NUMERIC, "time", "any")
        if kind not in allowed:
            self.report(e, "type-mismatch", f"{e.op} cannot apply to {val.type.name}")
            return Val(ANY)
        return Val(val.type, -val.value if e.op == "-" and isinstance(val.value, int) else None)

    def _binary(self, e: ast.Binary) -> Val:
        a, b = self.expr(e.left).type, self.expr(e.right).type
        result = binary_type(e.op, a, b)
        if result is None:
            self.report(e, "type-mismatch", f"{e.op} cannot combine {a.name} and {b.name}")
            return Val(BOOL if e.op in COMPARISON else ANY)
        return Val(result)

    # ---- calls ----

    def call(self, e: ast.Call) -> Val:
        """Type a call: an FB instance, a user FUNCTION, a standard function or conversion."""
        fn = e.function
        if not isinstance(fn, ast.Name):
            owner = self.expr(fn).type  # a method call (ANY) or an FB in an array: fbs[i](…)
            face = self.lib.interface(owner.name) if owner.kind == "fb" else None
            return self._interface_call(e, face) if face else self._untyped(e)
        key = fn.name.upper()
        var = self.scope.get(key)
        face = self.lib.interface(key)
        function = face is not None or key in FUNCTIONS or _conversion_target(key)
        if var is not None and var.section != "RESULT" and \
                (var.type.kind in ("fb", "any") or not function):  # `limit` does not hide LIMIT
            self.used.add(key)
            face = self.lib.interface(var.type.name) if var.type.kind == "fb" else None
            if face is None and var.type.kind != "any":
                self.report(fn, "unknown-call", f"{fn.name} is a {var.type.name} variable, "
                                                "not a function or FB instance")
            return self._interface_call(e, face) if face else self._untyped(e)
        if face is not None:
            if face.kind == "FUNCTION_BLOCK":
                self.report(fn, "fb-without-instance",
                            f"{fn.name} is a function block type: declare an instance "
                            f"(x : {fn.name};) and call x(…)")
                return self._untyped(e)
            return self._interface_call(e, face)
        if key in FUNCTIONS:
            return self._standard_call(e, key, FUNCTIONS[key])
        if (target := _conversion_target(key)) is not None:
            return self._conversion_call(e, key, target)
        self.report(fn, "unknown-call", f"{fn.name} is not a known function or function block")
        return self._untyped(e)

    def _untyped(self, e: ast.Call) -> Val:
        for arg in e.args:
            self.expr(arg.value)
        return Val(ANY)

    def _interface_call(self, e: ast.Call, face: Interface) -> Val:
        """A user POU or a standard FB: named inputs and outputs must exist, a FUNCTION's
        positional arguments must match its inputs in number (an FB's may be fewer)."""
        positional = [a for a in e.args if a.name is None]
        for arg in e.args:
            if arg.name is None:
                continue
            pool = face.outputs if arg.output else face.inputs
            param = next((p for p in pool if p.name.upper() == arg.name.upper()), None)
            if arg.output:
                target = self.write(arg.value)
                if param is not None:
                    self.convert(arg, target.type, Val(param.type), f"output {arg.name}")
            else:
                val = self.expr(arg.value)
                if param is not None:
                    self.convert(arg.value, param.type, val, f"input {arg.name} of {face.name}")
            if param is None and arg.name.upper() not in _EN_ENO:
                side = "output" if arg.output else "input"
                self.report(arg, "bad-parameter", f"{face.name} has no {side} {arg.name}")
        expected = len(face.inputs)
        if positional and (len(positional) > expected or face.kind == "FUNCTION"
                           and len(positional) < expected and len(positional) == len(e.args)):
            self.report(e, "argument-count",
                        f"{face.name} takes {expected} input(s), got {len(positional)}")
        for arg, param in zip(positional, face.inputs + [None] * len(positional), strict=False):
            val = self.expr(arg.value)
            if param is not None:
                self.convert(arg.value, param.type, val, f"input {param.name} of {face.name}")
        return Val(face.returns or ANY)

    def _standard_call(self, e: ast.Call, name: str, sig: FunctionSig) -> Val:
        params, last = sig.params, sig.params[-1]
        stem = last.name.rstrip("0123456789")
        if len(e.args) < len(params) or len(e.args) > len(params) and not sig.variadic:
            more = " or more" if sig.variadic else ""
            self.report(e, "argument-count",
                        f"{name} takes {len(params)}{more} input(s), got {len(e.args)}")
        bound: dict[str, list[Type]] = {}
        for i, arg in enumerate(e.args):
            val = self.expr(arg.value)
            if arg.name is not None:
                param = next((p for p in params if p.name.upper() == arg.name.upper()), None)
                if param is None and sig.variadic and arg.name.upper().startswith(stem) \
                        and arg.name[len(stem):].isdigit():
                    param = last
                if param is None:
                    self.report(arg, "bad-parameter", f"{name} has no input {arg.name}")
                    continue
            else:
                param = params[min(i, len(params) - 1)] if sig.variadic or i < len(params) \
                    else None
            if param is None:
                continue
            if param.type in GENERICS:
                bound.setdefault(param.type, []).append(val.type)
                if param.type != "ANY" and val.type.kind not in (*_GENERIC_KINDS[param.type],
                                                                  "any"):
                    self.report(arg.value, "type-mismatch",
                                f"input {param.name} of {name} is {val.type.name}, "
                                f"not {param.type}")
            else:
                self.convert(arg.value, self.lib.named(param.type), val,
                             f"input {param.name} of {name}")
        if sig.returns in GENERICS:
            return Val(_join(bound.get(sig.returns, []), sig.returns))
        return Val(self.lib.named(sig.returns))

    def _conversion_call(self, e: ast.Call, name: str, types: tuple[str | None, str]) -> Val:
        source, target = types
        if len(e.args) != 1:
            self.report(e, "argument-count",
                        f"{name} takes 1 input, got {len(e.args)}")
        for i, arg in enumerate(e.args):
            val = self.expr(arg.value)
            found = conversion(self.lib.named(source), val.type) if source and i == 0 else None
            if found and found[0] == "type-mismatch" and val.type.kind not in NUMERIC:
                self.report(arg.value, "type-mismatch",
                            f"{name} expects {source}, got {val.type.name}")
        return Val(self.lib.named(target))

    # ---- writes ----

    def write(self, target: object) -> Val:
        """Type an assignment target; report a write to a CONSTANT or to a VAR_INPUT."""
        root = target
        while isinstance(root, (ast.Member, ast.Index)):
            root = root.object
        if isinstance(root, ast.Name) and (var := self.scope.get(root.name.upper())):
            if var.constant:
                self.report(target, "write-constant", f"{var.name} is a CONSTANT")
            elif var.section == "VAR_INPUT" and root is target:
                self.report(target, "write-input",
                            f"{var.name} is a VAR_INPUT: writing it hides the caller's value")
        return self.expr(target)


def binary_type(op: str, a: Type, b: Type) -> Type | None:
    """The result type of `a op b`, None when the operator cannot combine them."""
    kinds = (a.kind, b.kind)
    if "any" in kinds:
        return BOOL if op in COMPARISON else ANY
    number = {"int", "real", "enum"}
    if op in COMPARISON:
        same = a.kind == b.kind and a.kind not in ("struct", "array", "fb")
        return BOOL if same or set(kinds) <= number else None
    if op in LOGIC:
        if kinds == ("bool", "bool"):
            return BOOL
        return wider(a, b) if kinds == ("int", "int") else None
    if op == "MOD":
        return wider(a, b) if set(kinds) <= {"int", "enum"} else None
    if set(kinds) <= number:
        ints = [t if t.kind != "enum" else elementary("INT") for t in (a, b)]
        joined = wider(*ints)
        return wider(joined, REAL_LITERAL) if op == "**" else joined
    found = _TIME_ARITHMETIC.get((op, *(k if k != "enum" else "int" for k in kinds)))
    if found is None:
        return None
    return a if a.kind == found else b if b.kind == found else elementary("TIME")


def _join(types: list[Type], generic: str) -> Type:
    """The type a generic result takes from the arguments bound to it."""
    if not types or any(t.kind == "any" for t in types):
        return ANY
    if all(t.kind in NUMERIC for t in types):
        result = types[0]
        for t in types[1:]:
            result = wider(result, t)
        real = generic == "ANY_REAL" and result.kind == "int"
        return elementary("REAL") if real or result is REAL_LITERAL else result
    return types[0]


def _conversion_target(name: str) -> tuple[str | None, str] | None:
    """`INT_TO_REAL` -> ("INT", "REAL"); CODESYS's `TO_REAL` -> (None, "REAL")."""
    if name.startswith("TO_") and name[3:] in CONVERTIBLE:
        return None, name[3:]
    parts = name.split("_TO_")
    for i in range(1, len(parts)):
        source, target = "_TO_".join(parts[:i]), "_TO_".join(parts[i:])
        if source in CONVERTIBLE and target in CONVERTIBLE:
            return source, target
    return None
