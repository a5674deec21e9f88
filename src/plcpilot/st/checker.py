"""ST static checker: the parser's syntax diagnostics, then an ordered list of small rules per
POU that each collect every finding (FORMATS.md §2 report, language "st").

Tiers (each 0..1; overall is their mean; `is_valid` iff there is no error):
- lexical: the share of the source's non-blank lines free of lexical errors (an unclosed
  string or a number with no value spoils its line, an unclosed `(*` every line after it);
- syntactic: the share of POUs that parse without a syntax diagnostic (a file of TYPEs and
  globals only: 1 without syntax diagnostics, else 0);
- semantic: the share of the checker's rules (its codes, `codes.CHECK_CODES`) with no finding,
  warnings included, as the FX checker counts its double-coil warning; 0 when no POU parses
  (nothing was checked, so a clean score would be vacuous).

A POU with syntax errors is still checked as far as its AST goes (best effort: findings on a
line that has a syntax diagnostic are dropped as knock-on effects), and the other POUs are
checked in full. Declarations come from the source and from `library` (other compilation
units, e.g. the rest of OSCAT), the source's own first. Type conversions follow CODESYS's
leniency (see `typesystem`). A FUNCTION that never assigns its result is a warning: compilers
accept it and return the type's default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from plcpilot.diagnostics import CheckReport, Diagnostic
from plcpilot.st import ast
from plcpilot.st.codes import CHECK_CODES, CODES, LEXICAL_CODES
from plcpilot.st.expressions import Report, Typer
from plcpilot.st.parser import Parsed, parse
from plcpilot.st.scope import INTERFACE, Library, Var, global_sections
from plcpilot.st.statements import BodyWalk
from plcpilot.st.typesystem import ANY, Type


@dataclass
class Finding:
    line: int
    column: int
    code: str
    message: str


@dataclass
class PouCheck:
    """One POU under check: its own variables, what it sees, and the typer that records use."""
    pou: ast.Pou
    library: Library
    variables: list[Var]
    typer: Typer

    @property
    def report(self) -> Report:
        return self.typer.report


@dataclass
class Context:
    parsed: Parsed
    library: Library
    findings: list[Finding] = field(default_factory=list)

    def reporter(self, fallback: ast.Node) -> Report:
        """A report callback placing a finding at its node, or at `fallback` for a node that
        recovery lost."""
        def report(node: ast.Node | None, code: str, message: str) -> None:
            at = node if node is not None else fallback
            self.findings.append(Finding(at.line, at.column, code, message))
        return report


# ---- declarations -------------------------------------------------------------------------

def _named_types(spec: ast.TypeSpec | None) -> Iterator[ast.NamedType]:
    match spec:
        case ast.NamedType():
            yield spec
        case ast.ArrayType():
            yield from _named_types(spec.element)
        case ast.PointerType():
            yield from _named_types(spec.target)
        case ast.StructType():
            for f in spec.fields:
                yield from _named_types(f.type)


def _unknown_types(lib: Library, specs: Iterable[ast.TypeSpec | None],
                   report: Report) -> None:
    for spec in specs:
        for named in _named_types(spec):
            if named.name and "." not in named.name and not lib.known(named.name):
                report(named, "unknown-type", f"type {named.name} is not defined")


def _initial_value(typer: Typer, target: Type, init: object, what: str) -> None:
    """Check an initial value (also an array or structure initializer) against its type."""
    match init:
        case ast.ArrayInit():
            element = target.element if target.kind == "array" and target.element else ANY
            for item in init.items:
                for value in item.values if isinstance(item, ast.Repeated) else [item]:
                    _initial_value(typer, element, value, what)
        case ast.StructInit():
            face = typer.lib.interface(target.name) if target.kind == "fb" else None
            members = ({k: v.type for k, v in face.members.items()} if face
                       else target.members)
            for f in init.fields:
                _initial_value(typer, members.get((f.name or "").upper(), ANY), f.value,
                               f"{what}.{f.name}")
        case None:
            pass
        case _:
            for name in _names_in(init):
                var = typer.scope.get(name.name.upper())
                if var is not None and not var.constant:
                    typer.report(name, "not-constant",
                                 f"{what} reads {name.name}, a variable: initial values are "
                                 "constant expressions")
            typer.convert(init, target, typer.expr(init), what)


def _names_in(e: object) -> Iterator[ast.Name]:
    """The names an expression reads (not members: `fb.Q` reads fb)."""
    match e:
        case ast.Name():
            yield e
        case ast.Unary():
            yield from _names_in(e.operand)
        case ast.Binary():
            yield from _names_in(e.left)
            yield from _names_in(e.right)
        case ast.Member():
            yield from _names_in(e.object)
        case ast.Index():
            yield from _names_in(e.object)
            for i in e.indexes:
                yield from _names_in(i)
        case ast.Call():
            for a in e.args:
                yield from _names_in(a.value)


# ---- POU rules: each takes a PouCheck; rule_unused needs the ones before it ----------------

def rule_unknown_types(pc: PouCheck) -> None:
    """`x : TONN;` -> unknown-type; `x : TON;` -> nothing."""
    decls = [d.type for s in pc.pou.sections for d in s.decls]
    _unknown_types(pc.library, [pc.pou.return_type, *decls], pc.report)


def rule_initial_values(pc: PouCheck) -> None:
    """`x : SINT := 300;` -> literal-range; `b : BOOL := 1;` -> type-mismatch."""
    for var in pc.variables:
        _initial_value(pc.typer, var.type, var.init, f"initial value of {var.name}")


def rule_body(pc: PouCheck) -> None:
    """`y := z;` with z undeclared -> undeclared; `b := 1;` (b : BOOL) -> type-mismatch;
    `TON(IN := x)` -> fb-without-instance; `RETURN; x := 1;` -> unreachable."""
    BodyWalk(pc.typer).statements(pc.pou.body)


def rule_unused(pc: PouCheck) -> None:
    """`VAR n : INT; END_VAR` never used -> unused-variable; a VAR_INPUT never read, or a
    POU whose body has a pragma (vendor code may use its variables) -> nothing."""
    pou = pc.pou
    if pou.has_errors or any(isinstance(s, ast.Pragma) for s in pou.body):
        return
    for var in pc.variables:
        if var.section not in INTERFACE and var.section != "VAR_GLOBAL" and not var.located \
                and var.name.upper() not in pc.typer.used:
            pc.report(_var_node(var), "unused-variable",
                      f"{var.name} ({var.section}) is declared but never used")


def rule_function_result(pc: PouCheck) -> None:
    """`FUNCTION F : INT … END_FUNCTION` with no `F := …` -> no-result."""
    pou = pc.pou
    if pou.kind != "FUNCTION" or pou.has_errors or not pou.return_type or \
            any(isinstance(s, ast.Pragma) for s in pou.body):
        return
    if not _assigns(pou.body, pou.name.upper()):
        pc.report(pou, "no-result", f"FUNCTION {pou.name} never assigns its result "
                                    f"({pou.name} := …)")


def rule_duplicates(pc: PouCheck) -> None:
    """`x` in VAR_INPUT and again in VAR_OUTPUT -> duplicate-declaration at the second."""
    first: dict[str, Var] = {}
    for var in pc.variables:
        seen = first.setdefault(var.name.upper(), var)
        if seen is not var:
            pc.report(_var_node(var), "duplicate-declaration",
                      f"{var.name} is declared again in {var.section} (first in "
                      f"{seen.section}, line {seen.line})")


POU_RULES: list[Callable[[PouCheck], None]] = [
    rule_duplicates, rule_unknown_types, rule_initial_values, rule_body, rule_unused,
    rule_function_result,
]


def _var_node(var: Var) -> ast.Node:
    return ast.Node(line=var.line, column=var.column)


def _assigns(body: list[ast.Statement], name: str) -> bool:
    """Whether a statement list assigns `name` (or a part of it), or returns a value."""
    for s in body:
        match s:
            case ast.Assign(target=target):
                while isinstance(target, (ast.Member, ast.Index)):
                    target = target.object
                if isinstance(target, ast.Name) and target.name.upper() == name:
                    return True
            case ast.Return(value=value) if value is not None:
                return True
            case ast.If():
                if any(_assigns(b.body, name) for b in s.branches) or \
                        _assigns(s.else_body or [], name):
                    return True
            case ast.Case():
                if any(_assigns(c.body, name) for c in s.clauses) or \
                        _assigns(s.else_body or [], name):
                    return True
            case ast.For() | ast.While() | ast.Repeat():
                if _assigns(s.body, name):
                    return True
    return False


# ---- unit rules ---------------------------------------------------------------------------

def rule_no_code(ctx: Context) -> None:
    """An empty text or prose -> no-code; `PROGRAM P END_PROGRAM` -> nothing."""
    unit = ctx.parsed.unit
    if not (unit.pous or unit.types or unit.globals or unit.configurations):
        ctx.findings.append(Finding(1, 1, "no-code", "no PROGRAM, FUNCTION_BLOCK, FUNCTION, "
                                                      "TYPE or VAR_GLOBAL found"))


def rule_global_declarations(ctx: Context) -> None:
    """`TYPE P : STRUCT a : FOO; END_STRUCT END_TYPE` -> unknown-type; a VAR_GLOBAL's initial
    value outside its type -> literal-range."""
    unit, lib = ctx.parsed.unit, ctx.library
    report = ctx.reporter(unit)
    sections = global_sections(unit)
    _unknown_types(lib, [t.definition for t in unit.types]
                   + [d.type for s in sections for d in s.decls], report)
    typer = Typer(lib, lib.globals, lib.enum_values, report)
    for var in lib.variables(sections):
        _initial_value(typer, var.type, var.init, f"initial value of {var.name}")


def rule_pous(ctx: Context) -> None:
    """Every POU, method and property accessor through POU_RULES."""
    for pou, scope in _pous(ctx.library, ctx.parsed.unit.pous, dict(ctx.library.globals)):
        own = ctx.library.variables(pou.sections)
        scope = scope | {v.name.upper(): v for v in own}
        enums = dict(ctx.library.enum_values)
        for var in own:
            enums.update(dict.fromkeys(var.type.values, var.type))
        pc = PouCheck(pou, ctx.library, own,
                      Typer(ctx.library, scope, enums, ctx.reporter(pou)))
        for rule in POU_RULES:
            rule(pc)


def _pous(lib: Library, pous: list[ast.Pou], outer: dict[str, Var]
          ) -> Iterator[tuple[ast.Pou, dict[str, Var]]]:
    """(POU, the variables it sees besides its own): a method sees its function block's, a
    property accessor its property's result; an INTERFACE has nothing to check."""
    for pou in pous:
        if pou.kind == "INTERFACE":
            continue
        scope = dict(outer)
        if pou.return_type is not None and pou.kind in ("FUNCTION", "METHOD", "PROPERTY"):
            scope[pou.name.upper()] = Var(pou.name, lib.type_of(pou.return_type), "RESULT",
                                          line=pou.line, column=pou.column)
        yield pou, scope
        if pou.members:
            inner = scope | {v.name.upper(): v for v in lib.variables(pou.sections)}
            yield from _pous(lib, pou.members, inner)


UNIT_RULES: list[Callable[[Context], None]] = [rule_no_code, rule_global_declarations,
                                               rule_pous]


# ---- report -------------------------------------------------------------------------------

def _tiers(parsed: Parsed, text: str, codes: set[str]) -> dict[str, float]:
    lines = text.splitlines()
    filled = [i + 1 for i, line in enumerate(lines) if line.strip()]
    spoiled: set[int] = set()
    for d in parsed.diagnostics:
        if d.code in LEXICAL_CODES and d.line is not None:
            last = len(lines) if d.code == "unterminated-comment" else d.line
            spoiled.update(range(d.line, last + 1))
    pous = parsed.unit.pous
    if pous:
        syntactic = sum(not p.has_errors for p in pous) / len(pous)
    else:
        syntactic = float(not parsed.diagnostics and "no-code" not in codes)
    semantic = sum(c not in codes for c in CHECK_CODES) / len(CHECK_CODES)
    if not syntactic:  # no POU could be checked: a clean semantic tier would be vacuous
        semantic = 0.0
    return {
        "lexical": round(1 - len(spoiled.intersection(filled)) / len(filled), 3)
        if filled else 0.0,
        "syntactic": round(syntactic, 3),
        "semantic": round(semantic, 3) if "no-code" not in codes else 0.0,
    }


def check_parsed(parsed: Parsed, text: str,
                 library: Iterable[ast.CompilationUnit] = ()) -> CheckReport:
    """Check an already parsed source (`text` is its text, for the lexical tier): a caller
    checking many files against each other parses each once."""
    ctx = Context(parsed, Library([parsed.unit, *library]))
    for rule in UNIT_RULES:
        rule(ctx)
    misread = {d.line for d in parsed.diagnostics}  # a finding there is a knock-on effect
    kept = sorted((f for f in ctx.findings if f.line not in misread),
                  key=lambda f: (f.line, f.column))
    errors, warnings = list(parsed.diagnostics), []
    for f in kept:
        code = CODES[f.code]
        diag = Diagnostic(line=f.line, column=f.column, code=f.code, message=f.message,
                          hint=code.hint)
        (errors if code.severity == "error" else warnings).append(diag)
    errors.sort(key=lambda d: (d.line or 0, d.column or 0))
    tiers = _tiers(parsed, text, {f.code for f in kept})
    unit = parsed.unit
    return CheckReport(
        language="st", is_valid=not errors, tiers=tiers,
        overall=round(sum(tiers.values()) / 3, 3), errors=errors, warnings=warnings,
        stats={"pous": len(unit.pous), "pous_with_syntax_errors":
               sum(p.has_errors for p in unit.pous), "types": len(unit.types)},
    )


def check(source: str, library: Iterable[ast.CompilationUnit] = ()) -> CheckReport:
    """Check an ST source. A bad program gives a report, never an exception; only input that
    is not program text at all (binary, not UTF-8, oversized) raises PlcPilotError."""
    return check_parsed(parse(source), source, library)
