"""A compilation unit made ready to run: named types resolved, POU layouts built, bodies
compiled on first use (only what the POU under test reaches), recursion refused.

Declarations are resolved once per unit; every machine powered on from it shares the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plcpilot.errors import PlcPilotError
from plcpilot.st import ast
from plcpilot.st.runtime import Runtime
from plcpilot.st.runtypes import (
    ArrayType,
    EnumType,
    FbType,
    Layout,
    StringType,
    StructType,
    Type,
    elementary_type,
)
from plcpilot.st.stdlib import standard_fbs

POU_KINDS = ("PROGRAM", "FUNCTION_BLOCK", "FUNCTION")
GLOBAL_SECTIONS = ("VAR_GLOBAL", "VAR_EXTERNAL", "VAR_ACCESS", "VAR_CONFIG")


def compile_error(pou: str, node: ast.Node | None, message: str) -> PlcPilotError:
    where = f", line {node.line}" if node is not None else ""
    return PlcPilotError(f"{pou}{where}: {message}")


@dataclass(eq=False)
class Function:
    """A compiled FUNCTION: slot 0 is its result, named after it."""

    name: str
    layout: Layout
    params: list[int]  # VAR_INPUT and VAR_IN_OUT slots, in declaration order (positional args)
    result: Type
    run: Callable[[list], Any] | None = None

    def __post_init__(self) -> None:
        # a call copies the power-on frame; only ARRAYs, STRUCTs and cells are built afresh
        self._template = self.layout.new_frame()
        self._fresh = [s for s in self.layout.slots.values()
                       if s.type.composite or s.by_reference]

    def new_frame(self) -> list:
        frame = self._template.copy()
        for s in self._fresh:
            frame[s.index] = s.power_on()
        return frame


class Program:
    """The unit's types, globals and POUs by upper-case name (IEC names ignore case), and the
    Runtime its compiled code reads the clock from."""

    def __init__(self, unit: ast.CompilationUnit):
        self.unit = unit
        self.rt = Runtime()
        self.pous = {p.name.upper(): p for p in unit.pous if p.kind in POU_KINDS}
        self._type_decls = {t.name.upper(): t for t in unit.types}
        self._types: dict[str, Type] = {}
        self._resolving: list[str] = []
        self._compiling: list[str] = []
        self._functions: dict[str, Function] = {}
        self.std_fbs = standard_fbs(self.rt)
        self.enum_values: dict[str, tuple[int, EnumType]] = {}
        self.enum_types: dict[str, EnumType] = {}
        for name, decl in self._type_decls.items():  # enumerators are names bodies may use
            if isinstance(decl.definition, ast.EnumType):
                self.named_type(name, decl)
        self.consts: dict[str, Any] = {}
        self.notes: list[str] = []  # what the compiled code leaves out (pragmas)
        self.globals = Layout()
        sections = [*unit.globals, *(s for c in unit.configurations for s in c.sections),
                    *(s for c in unit.configurations for r in c.resources for s in r.sections)]
        for section in sections:
            if section.kind.upper() == "VAR_GLOBAL":
                self.declare("global", section, self.globals, self.consts)

    # ---- types --------------------------------------------------------------------------

    def named_type(self, name: str, node: ast.Node | None = None) -> Type:
        key = name.upper().rsplit(".", 1)[-1]
        if key in self._types:
            return self._types[key]
        if (t := elementary_type(key)) is not None:
            return t
        if key in self._type_decls:
            if key in self._resolving:
                raise compile_error("TYPE " + name, node, "the type is defined in terms of "
                                    f"itself ({' -> '.join(self._resolving)} -> {key})")
            self._resolving.append(key)
            try:
                decl = self._type_decls[key]
                t = self.resolve(decl.definition, {}, "TYPE " + decl.name, decl.name)
                if isinstance(t, EnumType) and decl.default is not None:
                    t.first = self.constant(decl.default, {}, "TYPE " + decl.name)
            finally:
                self._resolving.pop()
            self._types[key] = t
            return t
        pou = self.pous.get(key)
        if pou is not None and pou.kind in ("FUNCTION_BLOCK", "PROGRAM"):
            return self.fb_type(pou)
        if key in self.std_fbs:
            return self.std_fbs[key]
        raise compile_error("type", node, f"unknown type {name}")

    def resolve(self, spec: ast.TypeSpec | None, consts: dict, where: str,
                name: str | None = None) -> Type:
        if isinstance(spec, ast.NamedType):
            return self.named_type(spec.name, spec)
        if isinstance(spec, ast.StringType):
            length = None if spec.length is None else self.constant(spec.length, consts, where)
            return StringType(length, spec.wide)
        if isinstance(spec, ast.ArrayType):
            dims = [(self.constant(r.lower, consts, where), self.constant(r.upper, consts, where))
                    for r in spec.ranges]
            return ArrayType(dims, self.resolve(spec.element, consts, where))
        if isinstance(spec, ast.SubrangeType):
            return self.named_type(spec.base, spec)
        if isinstance(spec, ast.EnumType):
            return self._enum(spec, consts, where, name)
        if isinstance(spec, ast.StructType):
            struct = StructType(name or "STRUCT")
            for f in spec.fields:
                ftype = self.resolve(f.type, consts, where)
                init = self.initial(f.default, ftype, consts, where) if f.default else None
                struct.layout.add(f.name, ftype, "FIELD", init)
            return struct
        what = type(spec).__name__ if spec is not None else "a type lost to a syntax error"
        raise compile_error(where, spec, f"{what} is not simulated (pointers and references "
                                         "are not supported)")

    def _enum(self, spec: ast.EnumType, consts: dict, where: str, name: str | None) -> EnumType:
        members: dict[str, int] = {}
        value = -1
        for e in spec.values:
            value = self.constant(e.value, consts, where) if e.value is not None else value + 1
            members[e.name] = value
        text = name or "(" + ", ".join(members) + ")"
        t = EnumType(text, members, next(iter(members.values()), 0))
        for member, v in t.values.items():
            self.enum_values.setdefault(member, (v, t))
        if name:
            self.enum_types[name.upper()] = t
        return t

    def fb_type(self, pou: ast.Pou) -> FbType:
        """The FB (or PROGRAM) type with its variables laid out; the body compiles later."""
        key = pou.name.upper()
        if key in self._types:
            return self._types[key]
        if key in self._resolving:
            raise compile_error(pou.name, pou, "an instance of itself is among its variables "
                                f"({' -> '.join(self._resolving)} -> {key})")
        self._resolving.append(key)
        try:
            fb = FbType(pou.name)
            consts = dict(self.consts)
            for section in pou.sections:
                self.declare(pou.name, section, fb.layout, consts)
        finally:
            self._resolving.pop()
        self._types[key] = fb
        return fb

    # ---- declarations -------------------------------------------------------------------

    def declare(self, pou: str, section: ast.VarSection, layout: Layout, consts: dict) -> None:
        """Add a VAR section's variables; a CONSTANT's value becomes known to later ones."""
        kind = section.kind.upper()
        if kind in GLOBAL_SECTIONS and layout is not self.globals:
            return  # VAR_EXTERNAL: the names reach the globals
        constant = "CONSTANT" in (q.upper() for q in section.qualifiers)
        for decl in section.decls:
            t = self.resolve(decl.type, consts, pou)
            init = self.initial(decl.init, t, consts, pou) if decl.init is not None else None
            for name in decl.names:
                layout.add(name, t, kind, init, constant)
                if constant and init is not None:
                    consts[name.upper()] = t.store(init)

    def initial(self, node: ast.Initializer, t: Type, consts: dict, where: str) -> Any:
        """A declaration's initial value: a constant, `[1, 2(7)]`, `(x := 1, y := 2)`."""
        if isinstance(node, ast.ArrayInit) and isinstance(t, ArrayType):
            items: list = []
            for item in node.items:
                if isinstance(item, ast.Repeated):
                    n = self.constant(item.count, consts, where)
                    values = [self.initial(v, t.element, consts, where) for v in item.values]
                    items += values * n if values else [t.element.default()] * n
                else:
                    items.append(self.initial(item, t.element, consts, where))
            if len(items) > t.size:
                raise compile_error(where, node, f"{len(items)} initial values for "
                                                 f"{t.text} of {t.size} elements")
            return items + [t.element.default() for _ in range(t.size - len(items))]
        if isinstance(node, ast.StructInit) and isinstance(t, StructType):
            value = t.default()
            for arg in node.fields:
                slot = t.layout.get(arg.name or "")
                if slot is None:
                    raise compile_error(where, arg, f"{t.text} has no field {arg.name}")
                value[slot.index] = slot.type.store(self.initial(arg.value, slot.type,
                                                                 consts, where))
            return value
        if isinstance(node, ast.ArrayInit | ast.StructInit):
            raise compile_error(where, node, f"this initial value does not fit {t.text}")
        return self.constant(node, consts, where)

    def constant(self, node: ast.Expr, consts: dict, where: str) -> Any:
        """The value of a constant expression (literals, CONSTANTs, enumerators)."""
        from plcpilot.st.compile_expr import constant_value

        return constant_value(self, node, consts, where)

    # ---- bodies -------------------------------------------------------------------------

    def _enter(self, name: str, node: ast.Node) -> None:
        if name.upper() in self._compiling:
            chain = " -> ".join([*self._compiling, name.upper()])
            raise compile_error(self._compiling[-1], node, f"recursive call ({chain}): IEC "
                                "61131-3 POUs may not call themselves, directly or not")
        self._compiling.append(name.upper())

    def fb_body(self, fb: FbType, node: ast.Node) -> None:
        """Compile a user FB's body (once), so calls can hold its `run`."""
        if fb.run is not None:
            return
        from plcpilot.st.compiler import PouCompiler

        pou = self.pous[fb.text.upper()]
        self._enter(pou.name, node)
        try:
            fb.run = _temps_afresh(fb.layout, PouCompiler(self, pou, fb.layout).body())
        finally:
            self._compiling.pop()

    def function(self, pou: ast.Pou, node: ast.Node) -> Function:
        key = pou.name.upper()
        if key in self._functions and self._functions[key].run is not None:
            return self._functions[key]
        from plcpilot.st.compiler import PouCompiler

        self._enter(pou.name, node)
        try:
            layout, consts = Layout(), dict(self.consts)
            result = self.resolve(pou.return_type, consts, pou.name) \
                if pou.return_type is not None else elementary_type("BOOL")
            layout.add(pou.name, result, "RESULT")
            for section in pou.sections:
                self.declare(pou.name, section, layout, consts)
            params = [s.index for s in layout.slots.values()
                      if s.section in ("VAR_INPUT", "VAR_IN_OUT")]
            fn = Function(pou.name, layout, params, result)
            self._functions[key] = fn
            fn.run = PouCompiler(self, pou, layout).body()
        finally:
            self._compiling.pop()
        return fn


def _temps_afresh(layout: Layout, run: Callable[[list], Any]) -> Callable[[list], Any]:
    """An FB body whose VAR_TEMP variables start from their initial values on every call."""
    temps = [s for s in layout.slots.values() if s.section == "VAR_TEMP"]
    if not temps:
        return run

    def with_temps(instance: list) -> Any:
        for s in temps:
            instance[s.index] = s.power_on()
        return run(instance)
    return with_temps
