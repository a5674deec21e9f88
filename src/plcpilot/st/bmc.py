"""Bounded model checking of the Agents4PLC (PLCverif-style) properties with z3.

Simulation (st.properties) tries input sequences and can only say `held`; here the POU under
test (chosen as st.properties chooses it) becomes a formula over one PLC cycle - its state,
the cycle's inputs left free - unrolled `k` cycles from the declared initial values, and z3 is
asked for inputs that break each property within those cycles. The answers: `violated` (or
`reached`) with a counterexample in st.properties' own model, which replays in the
interpreter; `proved` (or `not reached`), which holds for every input sequence of up to k
cycles and says nothing about cycle k+1; `unknown` when the solver times out; `not feasible`
naming the first construct (and its line) the encoder does not cover.

How one cycle is encoded, and what is not feasible: st.bmc_cycle.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

import z3

from plcpilot.errors import PlcPilotError
from plcpilot.spec import Task
from plcpilot.st import ast
from plcpilot.st.bmc_cycle import ERR, F32, F64, CycleEncoder, Key, NotFeasible, W, encodable
from plcpilot.st.interpreter import entry_pou
from plcpilot.st.parser import parse, parse_expression
from plcpilot.st.program import Program
from plcpilot.st.properties import (
    Counterexample,
    ParsedProperty,
    PropertyReport,
    PropertyVerdict,
    checked_source,
    instrumented_source,
    interface_pou,
    parse_properties,
)
from plcpilot.st.runtypes import BoolType, EnumType, IntType, RealType, Type

MAX_SCAN_MS = 3_600_000  # the longest scan time a counterexample may take: 1 h


# ---- unrolling and the queries ----------------------------------------------------------

@dataclass
class _Input:
    name: str  # as declared
    key: Key
    type: Type


class Unrolled:
    """k cycles of the POU from power-on: per cycle the free inputs, the state at the start
    (inputs written) and at the end, and whether the run is still error-free."""

    def __init__(self, encoder: CycleEncoder, k: int):
        self.e, self.k = encoder, k
        self.scan_ms = z3.BitVec("scan_ms", W)
        self.domain = [self.scan_ms >= 1, self.scan_ms <= MAX_SCAN_MS]
        self.inputs = [_Input(s.name, (key,), s.type)
                       for key, s in encoder.top.layout.slots.items()
                       if s.section == "VAR_INPUT" and encodable(s.type)]
        self.free: list[dict[str, Any]] = []
        self.starts: list[dict[Key, Any]] = []
        self.ends: list[dict[Key, Any]] = []
        self.ok: list[Any] = []  # no division by zero up to and including cycle n
        state, ok = encoder.power_on(), z3.BoolVal(True)
        for n in range(k):
            free = {i.name: self._free(i, n) for i in self.inputs}
            start = dict(state)
            for i in self.inputs:
                start[i.key] = free[i.name][1]
            state = encoder.cycle(start, self.scan_ms * n, self.scan_ms)
            ok = z3.And(ok, z3.Not(state[ERR]))
            self.free.append(free)
            self.starts.append(start)
            self.ends.append(state)
            self.ok.append(ok)

    def _free(self, i: _Input, n: int) -> tuple[Any, Any]:
        """A fresh variable for input i in cycle n, and the term the POU holds from it."""
        t, name = i.type, f"{i.name}@{n + 1}"
        if isinstance(t, BoolType):
            v = z3.Bool(name)
            return v, v
        if isinstance(t, RealType):
            v = z3.FP(name, F32 if t.single else F64)
            return v, v
        if isinstance(t, IntType):
            v = z3.BitVec(name, t.bits)
            return v, z3.SignExt(W - t.bits, v) if t.signed else z3.ZeroExt(W - t.bits, v)
        v = z3.BitVec(name, W)
        if isinstance(t, EnumType):
            self.domain.append(z3.Or([v == x for x in t.values.values()]))
        else:  # TIME: what a test can write, 0 .. 2**31 - 1 ms
            self.domain += [v >= 0, v < 2**31]
        return v, v


def _python(model: z3.ModelRef, term: Any, t: Type | None) -> Any:
    """A term's value in the model, as the interpreter's read() gives it."""
    v = model.eval(term, model_completion=True)
    if z3.is_bool(v):
        return z3.is_true(v)
    if z3.is_fp(v):
        bits = model.eval(z3.fpToIEEEBV(v), model_completion=True).as_long()
        width = v.sort().ebits() + v.sort().sbits()
        return struct.unpack("<f" if width == 32 else "<d",
                             bits.to_bytes(width // 8, "little"))[0]
    n = v.as_signed_long() if v.size() == W else v.as_long()
    if isinstance(t, IntType) and t.signed and v.size() < W and n > t.hi:
        n -= 1 << t.bits
    if isinstance(t, EnumType):
        return t.names.get(n, n)
    return n


def bmc_properties(task: Task, source: str, k: int = 10, timeout_s: float = 10
                   ) -> PropertyReport:
    """Check the task's properties on `source` by bounded model checking over k cycles from
    power-on: `violated`/`reached` with a counterexample, `proved`/`not reached` (for every
    input sequence of up to k cycles, and no further), `unknown` (the solver timed out after
    `timeout_s`), `not feasible` (a construct the encoder does not cover, named with its
    line), or simulation's `unsupported`/`not applicable`."""
    report = PropertyReport(task=task.id, entry=interface_pou(task), parses=False,
                            type_checks=False, runs=0, cycles=k, seed=0,
                            note=f"proved means no input sequence of up to {k} cycles from "
                                 "power-on breaks the property (bounded model checking): a "
                                 "longer run may")
    checked = checked_source(source, report)
    if checked is None:
        return report
    parsed, entry = checked
    # as check_properties: the //#ASSERT comments as statements, else the program as written
    instrumented, assertions = instrumented_source(source)
    candidates: list[tuple[ast.CompilationUnit, list[str] | None]] = []
    if assertions:
        again = parse(instrumented)
        if again.diagnostics:
            report.problems.append("the //#ASSERT comments do not parse as statements: the "
                                   "assertion job is not checked")
        else:
            candidates.append((again.unit, assertions))
    candidates.append((parsed.unit, None if assertions else []))
    for unit, texts in candidates:
        try:
            encoder, unrolled = _encode(unit, entry, k)
            break
        except (NotFeasible, PlcPilotError, z3.Z3Exception) as e:
            failure = str(e)
            if texts:
                report.problems.append(f"the //#ASSERT comments do not encode as statements "
                                       f"where they stand ({e}): the assertion job is not "
                                       "checked")
    else:
        report.properties = [p if isinstance(p, PropertyVerdict) else p.result.model_copy(
            update={"verdict": "not feasible", "why": failure})
            for p in parse_properties(task, texts)]
        return report
    report.entry, report.runs = encoder.top.pou.name, 1
    for p in parse_properties(task, texts):
        report.properties.append(p if isinstance(p, PropertyVerdict)
                                 else _check(p, encoder, unrolled, timeout_s))
    return report


def _encode(unit: ast.CompilationUnit, entry: str | None, k: int
            ) -> tuple[CycleEncoder, Unrolled]:
    program = Program(unit)
    pou = entry_pou(unit, entry)
    if pou.kind == "FUNCTION":
        raise NotFeasible(f"a FUNCTION ({pou.name}) as the POU under test", pou)
    encoder = CycleEncoder(program, pou, program.fb_type(pou))
    return encoder, Unrolled(encoder, k)


def _check(p: ParsedProperty, e: CycleEncoder, u: Unrolled, timeout_s: float
           ) -> PropertyVerdict:
    result = p.result.model_copy()
    scope = e.top
    try:
        def at(state: dict[Key, Any]) -> list[Any]:
            e.st = state
            terms = [e.expr(node, scope) for node in p.nodes]
            if any(t.kind != "bool" for t in terms):
                raise NotFeasible("a property expression that is not a condition", None)
            return [t.term for t in terms]
        start = [at(s) for s in u.starts]
        end = [at(s) for s in u.ends]
    except (NotFeasible, PlcPilotError, z3.Z3Exception) as err:
        return result.model_copy(update={"verdict": "not feasible", "why": str(err)})
    broken = []
    for n in range(u.k):
        at_n = {"before": end[n - 1] if n else None, "start": start[n], "end": end[n]}
        terms = [at_n[when][i] if value else z3.Not(at_n[when][i])
                 for when, i, value in p.pattern.breaks if at_n[when] is not None]
        complete = len(terms) == len(p.pattern.breaks)
        broken.append(z3.And(u.ok[n], *terms) if complete else z3.BoolVal(False))
    # one cycle at a time, so the counterexample found is a shortest one; a fresh solver per
    # cycle, since an incremental one keeps the earlier cycles' bit-blasted floats (measured:
    # 2.4 s instead of over 5 s for k=10 on v2-M-16's REAL interface)
    started = time.monotonic()
    for n, condition in enumerate(broken):
        solver = z3.Solver()
        solver.add(*u.domain)
        left = timeout_s - (time.monotonic() - started)
        solver.set("timeout", max(1, int(left * 1000)))
        answer = solver.check(condition) if left > 0 else z3.unknown
        if answer == z3.unknown:
            return result.model_copy(update={
                "verdict": "unknown",
                "why": f"the solver gave no answer in {timeout_s:g} s (decided up to cycle "
                       f"{n}; {solver.reason_unknown() if left > 0 else 'timeout'})"})
        if answer == z3.sat:
            return result.model_copy(update={
                "verdict": "reached" if p.pattern.reach else "violated",
                "counterexample": _counterexample(solver.model(), p, e, u, n)})
    return result.model_copy(update={
        "verdict": "not reached" if p.pattern.reach else "proved",
        "why": f"for every input sequence of up to {u.k} cycles (bounded)"})


def _counterexample(model: z3.ModelRef, p: ParsedProperty, e: CycleEncoder, u: Unrolled,
                    cycle: int) -> Counterexample:
    inputs = [{i.name: _python(model, u.free[n][i.name][0], i.type) for i in u.inputs}
              for n in range(cycle + 1)]

    def values(state: dict[Key, Any]) -> dict[str, Any]:
        out = {}
        e.st = state
        for name in p.names:
            try:
                node, problems = parse_expression(name)
                if problems:
                    continue
                v = e.expr(node, e.top)
            except (NotFeasible, PlcPilotError):
                continue
            out[name] = _python(model, v.term, v.type)
        return out

    return Counterexample(scan_ms=model.eval(u.scan_ms, model_completion=True).as_long(),
                          cycle=cycle + 1, inputs=inputs, start=values(u.starts[cycle]),
                          values=values(u.ends[cycle]))
