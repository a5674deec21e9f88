"""Walking a POU body: assignments, conditions, loops, CASE labels and unreachable code.

Expressions are typed by the POU's `Typer`; this walk adds what belongs to statements: the
value an assignment stores must fit its target, a condition must be BOOL, a FOR variable an
integer, CASE labels must be able to match, and nothing may follow RETURN/EXIT/CONTINUE.
"""

from __future__ import annotations

from plcpilot.st import ast
from plcpilot.st.expressions import Typer
from plcpilot.st.typesystem import ANY, Type

_JUMPS = (ast.Return, ast.Exit, ast.Continue)


def describe(target: object) -> str:
    """An assignment target as written: `a.b[…]`."""
    match target:
        case ast.Name():
            return target.name
        case ast.Member():
            return f"{describe(target.object)}.{target.member}"
        case ast.Index():
            return f"{describe(target.object)}[…]"
    return "…"


class BodyWalk:
    def __init__(self, typer: Typer):
        self.typer = typer
        self.report = typer.report

    def statements(self, body: list[ast.Statement]) -> None:
        self._unreachable(body)
        for statement in body:
            self.statement(statement)

    def statement(self, s: ast.Statement) -> None:
        t = self.typer
        match s:
            case ast.Assign(target=target, value=value) if target is not None:
                stored = t.write(target)
                val = t.expr(value)
                if not s.reference:
                    t.convert(value or s, stored.type, val, f"assignment to {describe(target)}")
            case ast.CallStatement(call=ast.Call() as call):
                t.call(call)
            case ast.If():
                for branch in s.branches:
                    self.condition(branch.condition)
                    self.statements(branch.body)
                self.statements(s.else_body or [])
            case ast.Case():
                self.case(s)
            case ast.For():
                self.loop(s)
            case ast.While() | ast.Repeat():
                self.condition(s.condition)
                self.statements(s.body)
            case ast.Return(value=value) if value is not None:
                t.expr(value)

    def condition(self, expr: ast.Expr | None) -> None:
        found = self.typer.expr(expr).type
        if expr is not None and found.kind not in ("bool", "any"):
            self.report(expr, "type-mismatch", f"a condition is {found.name}, not BOOL")

    def loop(self, s: ast.For) -> None:
        control = self.typer.write(ast.Name(line=s.line, column=s.column, name=s.control)).type \
            if s.control else ANY  # lost to a syntax error
        if control.kind not in ("int", "any"):
            self.report(s, "type-mismatch", f"FOR variable {s.control} is {control.name}, "
                                            "not an integer")
        for part in (s.start, s.end, s.step):
            if part is not None:
                self.typer.convert(part, control, self.typer.expr(part),
                                   f"FOR bound of {s.control}")
        self.statements(s.body)

    def case(self, s: ast.Case) -> None:
        selector = self.typer.expr(s.subject).type
        if s.subject is not None and selector.kind not in ("int", "enum", "any"):
            self.report(s.subject, "case-selector", f"CASE selector is {selector.name}; it "
                                                    "must be an integer or an enumeration")
            selector = ANY
        seen: list[tuple[object, object, int]] = []  # (low, high, line) of earlier labels
        for clause in s.clauses:
            for label in clause.values:
                if isinstance(label, ast.Range):
                    low, high = self._label(label.lower, selector), self._label(label.upper,
                                                                                selector)
                else:
                    low = high = self._label(label, selector)
                self._duplicate(label, low, high, seen)
            self.statements(clause.body)
        self.statements(s.else_body or [])

    def _label(self, expr: ast.Expr | None, selector: Type) -> object:
        """A label's value (an int, an enumeration value's name) for the duplicate check,
        after reporting a label that cannot match."""
        val = self.typer.expr(expr)
        kind = val.type.kind
        if expr is None or "any" in (kind, selector.kind):
            return val.value
        if selector.kind == "enum" and kind == "enum":
            if not val.type.same(selector):
                self.report(expr, "case-label", f"{val.type.name} value cannot match a "
                                                f"{selector.name} selector")
            return expr.name.upper() if isinstance(expr, ast.Name) else None
        if kind not in ("int", "enum"):
            self.report(expr, "case-label", f"a {val.type.name} label cannot match a "
                                            f"{selector.name} selector")
        elif isinstance(val.value, int) and selector.hi is not None and \
                not selector.lo <= val.value <= selector.hi:
            self.report(expr, "case-label", f"{val.value} is outside the {selector.name} "
                                            f"selector's range")
        return val.value

    def _duplicate(self, label: ast.Node, low: object, high: object,
                   seen: list[tuple[object, object, int]]) -> None:
        if low is None or high is None:
            return
        for lo, hi, line in seen:
            ints = all(isinstance(v, int) for v in (low, high, lo, hi))
            if ints and low <= hi and lo <= high or not ints and (low, high) == (lo, hi):
                self.report(label, "case-duplicate", f"label {_shown(low, high)} is already "
                                                     f"covered at line {line}")
                return
        seen.append((low, high, label.line))

    def _unreachable(self, body: list[ast.Statement]) -> None:
        for i, s in enumerate(body):
            if isinstance(s, _JUMPS):
                rest = [x for x in body[i + 1:] if not isinstance(x, ast.Pragma)]
                if rest:
                    word = type(s).__name__.upper()
                    self.report(rest[0], "unreachable",
                                f"{len(rest)} statement(s) after {word} (line {s.line}) "
                                "never run")
                return


def _shown(low: object, high: object) -> str:
    return str(low) if low == high else f"{low}..{high}"
