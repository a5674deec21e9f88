"""A POU body compiled to Python closures, once: each statement becomes
`fn(frame) -> None | EXIT | CONTINUE | RETURN` over the closures of its expressions
(st.compile_expr). Loops charge the per-scan loop budget (st.runtime.LOOP_BUDGET), so an
endless loop is a run-time error naming the POU and line, not a hang.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plcpilot.st import ast
from plcpilot.st.compile_expr import (
    NOT_CONSTANT,
    Code,
    ExprCompiler,
)
from plcpilot.st.runtime import CONTINUE, EXIT, LOOP_BUDGET, RETURN


def nothing(f: list) -> None:
    return None


class PouCompiler(ExprCompiler):
    """A POU body: its statements over ExprCompiler's expressions."""

    def body(self) -> Code:
        return self.block(self.pou.body)

    # ---- statements -----------------------------------------------------------------------

    def block(self, statements: list[ast.Statement] | None) -> Code:
        for s in statements or ():
            if isinstance(s, ast.Pragma):
                text = " ".join(s.text.split())
                self.p.notes.append(f"{self.name}, line {s.line}: pragma "
                                    f"{text[:40] + '…' if len(text) > 40 else text} ignored")
        codes = [self.statement(s) for s in statements or () if not isinstance(s, ast.Pragma)]
        if not codes:
            return nothing
        if len(codes) == 1:
            return codes[0]
        if len(codes) == 2:
            a, b = codes
            return lambda f: a(f) or b(f)

        def run(f: list) -> Any:
            for c in codes:
                if r := c(f):
                    return r
            return None
        return run

    def statement(self, node: ast.Statement) -> Code:
        method = getattr(self, "_s_" + type(node).__name__.lower(), None)
        if method is None:
            raise self.error(node, f"{type(node).__name__} is not simulated")
        return method(node)

    def _s_assign(self, node: ast.Assign) -> Code:
        if node.reference:
            raise self.error(node, "REF= (references) is not simulated")
        value = self.expr(node.value).fn
        slot = self._plain_slot(node.target)
        if slot is not None:  # the common case, one call fewer per assignment
            i, store = slot.index, slot.type.store

            def assign(f: list) -> None:
                f[i] = store(value(f))
            return assign
        set_, _ = self.setter(node.target)
        return lambda f: set_(f, value(f))

    def _s_callstatement(self, node: ast.CallStatement) -> Code:
        call = node.call
        inst = self._instance(call.function)
        if inst is None:
            value = self._call(call).fn
            return lambda f: value(f) and None
        t = inst.type
        if t.run is None:
            self.p.fb_body(t, call)
        slot_order = [s.index for s in t.layout.slots.values() if s.section == "VAR_INPUT"]
        args, gate = self._enable(call, t.layout)
        inputs, inouts, outputs = self._bind(args, t.layout, slot_order, t.text)
        get, run = inst.fn, t.run

        def fb_call(f: list) -> None:
            fb = get(f)
            for i, store, a in inputs:
                fb[i] = store(a(f))
            for i, r in inouts:
                fb[i] = r(f)
            run(fb)
            for i, s in outputs:
                s(f, fb[i])
        return gate(fb_call, None)

    def _s_if(self, node: ast.If) -> Code:
        branches = [(self.expr(b.condition).fn, self.block(b.body)) for b in node.branches]
        other = self.block(node.else_body) if node.else_body else None
        if len(branches) == 1:
            (c, b), = branches
            if other is None:
                return lambda f: b(f) if c(f) else None
            return lambda f: b(f) if c(f) else other(f)

        def if_(f: list) -> Any:
            for c, b in branches:
                if c(f):
                    return b(f)
            return other(f) if other is not None else None
        return if_

    def _s_case(self, node: ast.Case) -> Code:
        subject = self.expr(node.subject).fn
        table: dict[Any, Code] = {}
        ranges: list[tuple[Any, Any, Code]] = []
        for clause in node.clauses:
            body = self.block(clause.body)
            for v in clause.values:
                if isinstance(v, ast.Range):
                    ranges.append((self._label(v.lower), self._label(v.upper), body))
                else:
                    label = self._label(v)
                    if not any(lo <= label <= hi for lo, hi, _ in ranges):
                        table.setdefault(label, body)
        other = self.block(node.else_body) if node.else_body else None

        def case(f: list) -> Any:
            v = subject(f)
            body = table.get(v)
            if body is None:
                body = next((b for lo, hi, b in ranges if lo <= v <= hi), other)
                if body is None:
                    return None
            return body(f)
        return case

    def _label(self, node: ast.Expr) -> Any:
        e = self.expr(node)
        if e.const is NOT_CONSTANT:
            raise self.error(node, "a CASE label must be a constant, a range or an enumerator")
        return e.const

    def _loop(self, node: ast.Node, body: list[ast.Statement]) -> tuple[Code, int, Callable]:
        """The body, its cost per pass against the loop budget, and the over-budget error."""
        rt, pou, line = self.rt, self.name, node.line
        return self.block(body), len(body) + 1, lambda: rt.over_budget(pou, line)

    def _s_for(self, node: ast.For) -> Code:
        control = ast.Name(line=node.line, column=node.column, name=node.control)
        read, (write, _) = self.expr(control).fn, self.setter(control)
        start, end = self.expr(node.start).fn, self.expr(node.end).fn
        step = self.expr(node.step).fn if node.step is not None else (lambda f: 1)
        body, cost, over = self._loop(node, node.body)
        rt = self.rt
        slot = self._plain_slot(control)
        if slot is not None:
            return self._for_slot(slot, start, end, step, body, cost, over)

        def for_(f: list) -> Any:
            write(f, start(f))
            last, by = end(f), step(f)  # evaluated once, on entry
            while True:
                i = read(f)
                if (i > last) if by >= 0 else (i < last):
                    return None
                rt.steps += cost
                if rt.steps > LOOP_BUDGET:
                    raise over()
                r = body(f)
                if r is not None and r != CONTINUE:
                    return None if r == EXIT else r
                write(f, read(f) + by)
        return for_

    def _for_slot(self, slot, start: Code, end: Code, step: Code, body: Code, cost: int,
                  over: Callable) -> Code:
        """FOR over a local variable: the same loop, read and written in the frame directly."""
        rt, k, store = self.rt, slot.index, slot.type.store

        def for_(f: list) -> Any:
            f[k] = store(start(f))
            last, by = end(f), step(f)
            while (f[k] <= last) if by >= 0 else (f[k] >= last):
                rt.steps += cost
                if rt.steps > LOOP_BUDGET:
                    raise over()
                r = body(f)
                if r is not None and r != CONTINUE:
                    return None if r == EXIT else r
                f[k] = store(f[k] + by)
            return None
        return for_

    def _s_while(self, node: ast.While) -> Code:
        condition = self.expr(node.condition).fn
        body, cost, over = self._loop(node, node.body)
        rt = self.rt

        def while_(f: list) -> Any:
            while condition(f):
                rt.steps += cost
                if rt.steps > LOOP_BUDGET:
                    raise over()
                r = body(f)
                if r is not None and r != CONTINUE:
                    return None if r == EXIT else r
            return None
        return while_

    def _s_repeat(self, node: ast.Repeat) -> Code:
        condition = self.expr(node.condition).fn
        body, cost, over = self._loop(node, node.body)
        rt = self.rt

        def repeat(f: list) -> Any:
            while True:
                rt.steps += cost
                if rt.steps > LOOP_BUDGET:
                    raise over()
                r = body(f)
                if r is not None and r != CONTINUE:
                    return None if r == EXIT else r
                if condition(f):
                    return None
        return repeat

    def _s_exit(self, node: ast.Exit) -> Code:
        return lambda f: EXIT

    def _s_continue(self, node: ast.Continue) -> Code:
        return lambda f: CONTINUE

    def _s_return(self, node: ast.Return) -> Code:
        if node.value is None:
            return lambda f: RETURN
        set_, _ = self.setter(ast.Name(line=node.line, column=node.column, name=self.name))
        value = self.expr(node.value).fn

        def return_(f: list) -> int:
            set_(f, value(f))
            return RETURN
        return return_


