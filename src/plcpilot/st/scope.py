"""Who declares what: the POUs, types and globals a check can see, and the variables of a POU.

A `Library` is built from one or more compilation units, so a POU can be checked against
declarations from other files (OSCAT spreads its library over 21 files). ST is case-insensitive:
every table is keyed by the upper-case name; the first declaration of a name wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plcpilot.st import ast
from plcpilot.st.stdlib_signatures import FUNCTION_BLOCKS
from plcpilot.st.typesystem import ADDRESS, ANY, Type, elementary

INTERFACE = ("VAR_INPUT", "VAR_OUTPUT", "VAR_IN_OUT")


def global_sections(unit: ast.CompilationUnit) -> list[ast.VarSection]:
    """The VAR_GLOBAL sections of a unit: at top level, in CONFIGURATIONs and RESOURCEs."""
    return unit.globals + [s for c in unit.configurations
                           for s in c.sections + [t for r in c.resources for t in r.sections]]


@dataclass
class Var:
    name: str
    type: Type
    section: str  # VAR, VAR_INPUT … or RESULT for a function's own name
    constant: bool = False
    line: int = 0
    column: int = 0
    located: bool = False
    init: ast.Initializer | None = None


@dataclass
class Interface:
    """A callable POU: FUNCTION, FUNCTION_BLOCK (user or standard) or PROGRAM."""
    name: str
    kind: str
    inputs: list[Var]  # VAR_INPUT and VAR_IN_OUT in declaration order: the positional parameters
    outputs: list[Var]
    returns: Type | None = None
    members: dict[str, Var] = field(default_factory=dict)  # every variable, for `inst.x`


class Library:
    def __init__(self, units: list[ast.CompilationUnit]):
        self.pous: dict[str, ast.Pou] = {}
        self.types: dict[str, ast.TypeDecl] = {}
        self.enum_values: dict[str, Type] = {}
        self._resolved: dict[str, Type] = {}
        self._interfaces: dict[str, Interface | None] = {}
        for unit in units:
            for pou in unit.pous:
                self.pous.setdefault(pou.name.upper(), pou)
            for decl in unit.types:
                self.types.setdefault(decl.name.upper(), decl)
        for decl in self.types.values():
            if isinstance(decl.definition, ast.EnumType):
                enum = self.named(decl.name)
                for value in decl.definition.values:
                    self.enum_values.setdefault(value.name.upper(), enum)
        self.globals: dict[str, Var] = {}
        for unit in units:
            for var in self.variables(global_sections(unit)):
                self.globals.setdefault(var.name.upper(), var)

    def known(self, name: str) -> bool:
        key = name.upper()
        return (elementary(key) is not None or key in self.types or key in FUNCTION_BLOCKS
                or key in self.pous or key.startswith("ANY"))

    def named(self, name: str) -> Type:
        """The type a name stands for; ANY when unknown (or defined in terms of itself)."""
        key = name.upper()
        if key in self._resolved:
            return self._resolved[key]
        found = elementary(key) or (ADDRESS if key == ADDRESS.name else None)
        if found is None:
            self._resolved[key] = ANY  # a cycle through this name ends here
            if key in self.types:
                decl = self.types[key]
                found = self.type_of(decl.definition, decl.name)
            elif key in FUNCTION_BLOCKS or key in self.pous and \
                    self.pous[key].kind == "FUNCTION_BLOCK":
                found = Type(key, "fb")
            else:
                found = ANY
        self._resolved[key] = found
        return found

    def type_of(self, spec: ast.TypeSpec | None, name: str | None = None) -> Type:
        """The Type of a declared type; `name` names it when it is a TYPE's definition."""
        match spec:
            case ast.NamedType():
                return self.named(spec.name)
            case ast.StringType():
                return Type("WSTRING" if spec.wide else "STRING", "string")
            case ast.ArrayType():
                element = self.type_of(spec.element)
                return Type(name or f"ARRAY OF {element.name}", "array", element=element)
            case ast.PointerType():
                target = self.type_of(spec.target)
                return Type(name or f"POINTER TO {target.name}", "pointer", element=target)
            case ast.SubrangeType():
                return self.named(spec.base)
            case ast.EnumType():
                return Type(name or "enumeration", "enum",
                            values=tuple(v.name.upper() for v in spec.values))
            case ast.StructType():
                return Type(name or "STRUCT", "struct",
                            members={f.name.upper(): self.type_of(f.type) for f in spec.fields})
        return ANY

    def variables(self, sections: list[ast.VarSection]) -> list[Var]:
        return [Var(name, self.type_of(decl.type), section.kind.upper(),
                    "CONSTANT" in (q.upper() for q in section.qualifiers), decl.line, decl.column,
                    decl.address is not None, decl.init)
                for section in sections for decl in section.decls for name in decl.names]

    def interface(self, name: str) -> Interface | None:
        """A user POU's or a standard FB's interface; None for other names."""
        key = name.upper()
        if key not in self._interfaces:
            self._interfaces[key] = self._make_interface(key)
        return self._interfaces[key]

    def _make_interface(self, key: str) -> Interface | None:
        pou = self.pous.get(key)
        if pou is not None and pou.kind in ("FUNCTION", "FUNCTION_BLOCK", "PROGRAM"):
            found = self.variables(pou.sections)
            returns = self.type_of(pou.return_type) if pou.return_type else None
            return Interface(pou.name, pou.kind,
                             [v for v in found if v.section in ("VAR_INPUT", "VAR_IN_OUT")],
                             [v for v in found if v.section == "VAR_OUTPUT"], returns,
                             {v.name.upper(): v for v in found})
        sig = FUNCTION_BLOCKS.get(key)
        if sig is None:
            return None
        inputs = [Var(p.name, self.named(p.type), "VAR_INPUT") for p in sig.inputs]
        outputs = [Var(p.name, self.named(p.type), "VAR_OUTPUT") for p in sig.outputs]
        return Interface(key, "FUNCTION_BLOCK", inputs, outputs,
                         members={v.name.upper(): v for v in inputs + outputs})
