"""`plcpilot sfc compile --to fx-il`: a chart over FX devices → an FX STL (step ladder) program.

Mitsubishi FX users draw SFCs that GX Works turns into STL. The chart must use FX device names
as its BOOL variables (X inputs, Y outputs, M relays) and stay inside what STL expresses:
- conditions: the devices, NOT, AND, OR, parentheses, TRUE/FALSE, `Step.X`, and at most one
  `Step.T >= T#…` per condition on the transition's own source step (a timer coil in that
  step, its contact in the condition);
- actions: devices named as actions with N (OUT in the step, off when the step is left), S
  (SET) or R (RST).
Anything else is refused with the reason.

The mapping: the initial step is S0, set by M8002 in the first scan; the others S20, S21, … in
chart order. Each step is one STL block: its actions, then its transitions (SET target; a jump
is OUT, as GX Works writes it). A transition with several targets sets them all (parallel
divergence); one with several sources sits in a block of consecutive STL lines (the FX merge
of parallel branches). Alternative branches keep IEC's left-to-right priority: a later branch's
condition is ANDed with the negation of the earlier ones, so two never fire together. Timers
are 10 ms ones (T200…T245, preset K = ms / 10).

Timing differs from the SFC simulator in one documented way: an FX step handed over by SET
stays on until the end of that scan, so its OUT coils go off one scan later than the chart's
(FX_SEMANTICS.md, "STL"); timelines that check away from hand-over edges agree.
"""

from __future__ import annotations

import re

from plcpilot.errors import PlcPilotError
from plcpilot.sfc.model import Chart
from plcpilot.st import ast
from plcpilot.st.parser import parse_expression

DEVICE = re.compile(r"[XYM]\d+", re.I)
FIRST_STEP, FIRST_TIMER, LAST_TIMER = 20, 200, 245


class _Compiler:
    def __init__(self, chart: Chart):
        self.chart = chart
        initial = [s for s in chart.steps if s.initial]
        if len(initial) != 1:
            raise PlcPilotError(f"FX STL needs exactly one initial step; the chart has "
                                f"{len(initial)}")
        for v in chart.variables:
            if not DEVICE.fullmatch(v.name) or v.type.upper() != "BOOL":
                raise PlcPilotError(f"variable {v.name} ({v.type}): FX STL compiles charts whose "
                                    "variables are BOOL devices X…, Y…, M…")
        self.relay = {initial[0].name: "S0"}
        n = FIRST_STEP
        for s in chart.steps:
            if not s.initial:
                self.relay[s.name] = f"S{n}"
                n += 1
        self.timers: dict[tuple[str, int], str] = {}  # (step, ms) → timer

    def timer(self, step: str, ms: float) -> str:
        key = (step, int(ms))
        if key not in self.timers:
            number = FIRST_TIMER + len(self.timers)
            if number > LAST_TIMER:
                raise PlcPilotError("more step times than the 46 10-ms timers T200-T245")
            if ms % 10:
                raise PlcPilotError(f"step time {ms:g} ms: 10 ms timers need a multiple of 10")
            self.timers[key] = f"T{number}"
        return self.timers[key]

    def program(self) -> str:
        lines = ["LD M8002", f"SET {self.relay[self._initial()]}"]
        for s in self.chart.steps:
            leaving = [line for k, t in self._leaving(s.name) if len(t.source) == 1
                       for line in self._transition(k, s.name)]
            # actions and the timers its transitions use, straight after STL (the step's
            # power), then the transitions, whose LD starts new logic. A step with nothing
            # of its own (it only waits for a join) gets no block: an empty one would run into
            # the next STL line, and consecutive STL lines merge their steps
            body = [*self._actions(s), *(f"OUT {timer} K{ms // 10}"
                                         for (step, ms), timer in self.timers.items()
                                         if step == s.name), *leaving]
            if body:
                lines += [f"STL {self.relay[s.name]}", *body]
        for k, t in enumerate(self.chart.transitions):
            if len(t.source) > 1:  # consecutive STL lines: FX's merge of parallel branches
                lines += [f"STL {self.relay[s]}" for s in t.source]
                lines += self._transition(k, None)
        return "\n".join([*lines, "RET", "END", ""])

    def _initial(self) -> str:
        return next(s.name for s in self.chart.steps if s.initial)

    def _leaving(self, step: str) -> list:
        return [(k, t) for k, t in enumerate(self.chart.transitions) if step in t.source]

    def _actions(self, step) -> list[str]:
        out = []
        for a in step.actions:
            if a.action is None or not DEVICE.fullmatch(a.action):
                raise PlcPilotError(f"step {step.name}: an action must name a device (X/Y/M); "
                                    "ST bodies do not compile to STL")
            verb = {"N": "OUT", "S": "SET", "R": "RST"}.get(a.qualifier)
            if verb is None:
                raise PlcPilotError(f"step {step.name}: qualifier {a.qualifier} does not "
                                    "compile to STL (N, S and R do)")
            out.append(f"{verb} {a.action.upper()}")
        return out

    def _transition(self, k: int, step: str | None) -> list[str]:
        """The condition (with the priority of earlier branches out of `step`), then the
        targets."""
        t = self.chart.transitions[k]
        if t.condition is None:
            raise PlcPilotError(f"transition {k + 1}: only ST conditions compile")
        expr = self._parse(k, t.condition)
        if step is not None:
            for j, earlier in self._leaving(step):
                if j >= k:
                    break
                if len(earlier.source) == 1:
                    earlier_expr = self._parse(j, earlier.condition)
                    expr = ast.Binary(line=0, column=0, op="AND", left=expr, right=ast.Unary(
                        line=0, column=0, op="NOT", operand=earlier_expr))
        code = _Logic(self, t.source[0] if len(t.source) == 1 else None, k).emit(expr)
        verb = "OUT" if t.jump else "SET"
        return code + [f"{verb} {self.relay[target]}" for target in t.target]

    def _parse(self, k: int, text: str | None) -> ast.Expr:
        expr, problems = parse_expression(text or "TRUE")
        if problems or expr is None:
            raise PlcPilotError(f"transition {k + 1}: the condition does not parse")
        return expr


class _Logic:
    """A BOOL expression as contact logic: LD/AND/OR with their negated forms, ANB/ORB for
    nested blocks, INV for a negated block."""

    def __init__(self, compiler: _Compiler, step: str | None, k: int):
        self.c, self.step, self.k = compiler, step, k

    def emit(self, e: ast.Expr) -> list[str]:
        operand = self._contact(e)
        if operand is not None:
            negated, device = operand
            return [f"{'LDI' if negated else 'LD'} {device}"]
        if isinstance(e, ast.Unary) and e.op == "NOT":
            return [*self.emit(e.operand), "INV"]
        if isinstance(e, ast.Binary) and e.op in ("AND", "&", "OR"):
            series = e.op != "OR"
            code = self.emit(e.left)
            operand = self._contact(e.right)
            if operand is not None:
                negated, device = operand
                word = ("AND" if series else "OR") + ("I" if negated else "")
                return code + [f"{'ANI' if word == 'ANDI' else word} {device}"]
            return code + self.emit(e.right) + ["ANB" if series else "ORB"]
        raise self._refuse(e)

    def _contact(self, e: ast.Expr) -> tuple[bool, str] | None:
        """(negated, device) when `e` is one contact: a device, NOT a device, TRUE/FALSE,
        Step.X, or the timer comparison."""
        if isinstance(e, ast.Unary) and e.op == "NOT":
            inner = self._contact(e.operand)
            return None if inner is None else (not inner[0], inner[1])
        if isinstance(e, ast.Name):
            if DEVICE.fullmatch(e.name):
                return False, e.name.upper()
            raise self._refuse(e)
        if isinstance(e, ast.Literal) and e.kind == "bool":
            return (not e.value), "M8000"  # always on
        if isinstance(e, ast.Member) and isinstance(e.object, ast.Name) \
                and e.member.upper() == "X" and e.object.name in self.c.relay:
            return False, self.c.relay[e.object.name]
        if isinstance(e, ast.Binary) and e.op == ">=" and isinstance(e.left, ast.Member) \
                and e.left.member.upper() == "T" and isinstance(e.right, ast.Literal) \
                and e.right.kind == "time":
            owner = e.left.object.name if isinstance(e.left.object, ast.Name) else None
            if owner != self.step:
                raise PlcPilotError(f"transition {self.k + 1}: a timer condition must be on "
                                    f"its own source step's T, not {owner}.T")
            return False, self.c.timer(owner, e.right.value)
        return None

    def _refuse(self, e: ast.Expr) -> PlcPilotError:
        return PlcPilotError(f"transition {self.k + 1}: {type(e).__name__.lower()} at column "
                             f"{e.column} does not compile to contacts (devices X/Y/M, NOT, AND, "
                             "OR, Step.X, Step.T >= T#…)")


def compile_fx(chart: Chart) -> str:
    """The FX IL program (checked by the caller with the FX checker)."""
    return _Compiler(chart).program()
