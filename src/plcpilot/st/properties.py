"""PLCverif-style properties (the Agents4PLC benchmark's) checked on any ST program by
simulation over generated input sequences.

Agents4PLC tasks carry no reference program and no timelines, only PLCverif requirements:
patterns over expressions such as `instance.Pressure >= 36464` (`instance.X` is the variable X
of the POU under test) and the `assertion` job (the program's own `//#ASSERT expr` comments).
A model checker proves them; here the POU runs on deterministic (seeded) input sequences -
random, boundary and held values - and a property that is never broken is `held`, which is
evidence, NOT a proof: a violation needs an input sequence the generator did not try.

The pattern semantics are PLCverif's, as the corpus's `pattern_description` texts state them
(PATTERNS below). Expressions are compiled by the interpreter's own expression compiler against
the POU's variables, so they mean exactly what the same text means in the program (TIME in
ms, REAL as float32, enumerators, `fb.Q`, `arr[2]`); PLCverif's implication `-->` is rewritten
to `NOT a OR b` first.

`check_properties(task, source)` is what `plcpilot tasks verify --program FILE` can call for a
task whose properties stand in for tests; `compile_properties` alone tells, without running
anything, which properties a program makes checkable.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from plcpilot.errors import PlcPilotError
from plcpilot.spec import Task
from plcpilot.st import ast
from plcpilot.st.checker import check_parsed
from plcpilot.st.compile_expr import ExprCompiler
from plcpilot.st.interpreter import StMachine, compile_unit, entry_pou
from plcpilot.st.parser import Parsed, parse, parse_expression
from plcpilot.st.runtypes import BoolType, EnumType, IntType, RealType, TimeType

NOT_A_PROOF = ("held means no run of the simulation broke the property; it is not a proof "
               "(a model checker such as PLCverif proves it over every input sequence)")
# proved / unknown / not feasible: st.bmc's verdicts (a bounded proof, a solver timeout, a program
# the encoder does not cover)
Verdict = Literal["held", "violated", "reached", "not reached", "unsupported", "not applicable",
                  "proved", "unknown", "not feasible"]
# scan times the runs take in turn: a 5 h timer expires within 50 cycles only at the longest
SCAN_MS = (10, 100, 1_000, 60_000, 3_600_000)
STYLES = ("random", "boundary", "held")
MAX_HOLD = 10  # cycles a held input keeps its value, at most


# ---- patterns ------------------------------------------------------------------------------

Conditions = list[bool]  # one per pattern parameter, in parameter order


When = Literal["before", "start", "end"]
Term = tuple[When, int, bool]  # (when, parameter index, the value that breaks the property)


@dataclass(frozen=True)
class Pattern:
    """One PLCverif pattern. `breaks` is the conjunction that breaks it (for a reachability
    pattern: reaches the goal), over the parameters' values at the end of the previous cycle
    ("before"; never true in the first), at the start of this cycle (inputs written, before
    the call) and at its end. A conjunction of terms rather than a function, so the simulation
    evaluates it on booleans and st.bmc builds the same condition as a formula. `why` is set
    for a pattern neither can decide."""

    params: int
    meaning: str
    breaks: tuple[Term, ...] = ()
    reach: bool = False
    why: str | None = None

    def broken(self, before: Conditions | None, start: Conditions, end: Conditions) -> bool:
        at = {"before": before, "start": start, "end": end}
        return all(at[when] is not None and at[when][i] == value
                   for when, i, value in self.breaks)


PATTERNS: dict[str, Pattern] = {
    "pattern-implication": Pattern(
        2, "if {1} is true at the end of a cycle, {2} is true at the end of the same cycle",
        (("end", 0, True), ("end", 1, False))),
    "pattern-invariant": Pattern(
        1, "{1} is true at the end of every cycle", (("end", 0, False),)),
    "pattern-forbidden": Pattern(
        1, "{1} is never true at the end of a cycle", (("end", 0, True),)),
    "pattern-statechange-duringcycle": Pattern(
        2, "if {1} is true at the beginning of a cycle (inputs read, before the call), {2} is "
           "true at the end of the same cycle",
        (("start", 0, True), ("end", 1, False))),
    "pattern-statechange-betweencycles": Pattern(
        3, "if {1} is true at the end of cycle N and {2} at the end of cycle N+1, {3} is true "
           "at the end of cycle N+1",
        (("before", 0, True), ("end", 1, True), ("end", 2, False))),
    "pattern-reachability": Pattern(
        1, "{1} can be true at the end of a cycle", (("end", 0, True),), reach=True),
    "pattern-repeatability": Pattern(
        1, "from any reachable state, {1} can again be true at the end of a cycle",
        why="a branching-time property (from every state {1} stays reachable): finite runs "
            "can neither show nor refute it"),
    "pattern-leadsto-trigger": Pattern(
        3, "if {1} is true at the end of a cycle, {2} changes to {3} in the same or a later cycle",
        why="a liveness property (something eventually happens): no finite run violates it"),
}


# ---- the report ----------------------------------------------------------------------------

class Counterexample(BaseModel):
    """A run that breaks the property (or, for reachability, reaches it), to replay: write
    `inputs[k]` before scan k+1 (scans of `scan_ms` from power-on); the property breaks at
    the end of scan `cycle`. `start` and `values` are the variables the property names at the
    start of that cycle (its inputs written, before the call; for the other variables, the
    end of the cycle before) and at its end."""

    scan_ms: int
    cycle: int
    inputs: list[dict[str, JsonValue]]
    start: dict[str, JsonValue]
    values: dict[str, JsonValue]


class PropertyVerdict(BaseModel):
    pattern: str  # a PLCverif pattern id, or "assertion"
    description: str = ""
    expressions: list[str] = Field(default_factory=list)
    meaning: str = ""  # what the pattern requires of these expressions, as checked
    verdict: Verdict
    why: str | None = None  # unsupported / not applicable: the reason
    counterexample: Counterexample | None = None


class PropertyReport(BaseModel):
    task: str
    entry: str | None = None
    parses: bool
    type_checks: bool
    runs: int  # runs simulated (fewer than asked when every property was decided early)
    cycles: int
    seed: int
    properties: list[PropertyVerdict] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # check errors, run-time errors
    note: str = NOT_A_PROOF

    def count(self, verdict: Verdict) -> int:
        return sum(p.verdict == verdict for p in self.properties)


# ---- properties compiled against a program -------------------------------------------------

_INSTANCE = re.compile(r"\binstance\s*\.\s*", re.I)
_NAMED = re.compile(r"\binstance\s*\.\s*([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*|\[\s*\d+(?:\s*,"
                    r"\s*\d+)*\s*\])*)", re.I)
_ASSERT = re.compile(r"//\s*#ASSERT\b([^\n]*)|\(\*\s*#ASSERT\b(.*?)\*\)", re.I | re.S)
_ASSERT_FLAG = "PLCPILOT_FAILED_ASSERTION"
_DECLARED = re.compile(r"^\s*(FUNCTION_BLOCK|PROGRAM)\s+([A-Za-z_]\w*)", re.M)


@dataclass
class ParsedProperty:
    """A property whose pattern simulation decides and whose expressions parse as ST."""

    result: PropertyVerdict  # "held" / "not reached" until a run says otherwise
    pattern: Pattern
    nodes: list[ast.Expr]
    names: list[str]  # the variables the expressions read, for counterexamples


@dataclass
class CompiledProperty:
    parsed: ParsedProperty
    conditions: list[Callable[[list], Any]]

    @property
    def result(self) -> PropertyVerdict:
        return self.parsed.result


def st_expression(text: str) -> str:
    """A PLCverif expression as ST: `instance.` dropped, `a --> b` (implication, the loosest
    operator, right-associative) as `NOT (a) OR (b)`, a stray trailing `;` dropped. PlcPilotError
    for an implication inside parentheses."""
    text = _INSTANCE.sub("", text).strip().removesuffix(";")
    parts = text.split("-->")
    if any(p.count("(") != p.count(")") for p in parts):
        raise PlcPilotError("`-->` inside parentheses is not rewritten")
    result = parts[-1].strip()
    for part in reversed(parts[:-1]):
        result = f"NOT ({part.strip()}) OR ({result})"
    return result


def interface_pou(task: Task) -> str | None:
    """The POU under test: the task's entry, else the entry_point a property names (the POU
    PLCverif was pointed at), else the FUNCTION_BLOCK (or PROGRAM) the prompt declares."""
    if task.entry:
        return task.entry
    named = next((p["property"]["entry_point"] for p in _properties(task)
                  if "entry_point" in p["property"]), None)
    declared = _DECLARED.search(task.prompt)
    return named or (declared.group(2) if declared else None)


def _properties(task: Task) -> list[dict]:
    return getattr(task, "properties", None) or []


def _literals(node: Any) -> Iterator[ast.Literal]:
    if isinstance(node, ast.Literal):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _literals(item)
    elif is_dataclass(node):
        for f in fields(node):
            yield from _literals(getattr(node, f.name))


def _constants(node: Any) -> list[float]:
    """The numbers (TIME in ms) written in an AST: the values worth trying on the inputs."""
    return [float(lit.value) for lit in _literals(node)
            if lit.kind in ("integer", "real", "time") and lit.value is not None]


def instrumented_source(source: str) -> tuple[str, list[str]]:
    """The source with each `//#ASSERT expr` (or `(*#ASSERT expr*)`) comment made a statement
    that records the assertion's number in a global when it fails, on the comment's own line
    (line numbers stay); and the assertions' texts. PLCverif checks an assertion where it
    stands in the code, which is why it becomes code rather than an end-of-cycle condition."""
    found: list[str] = []

    def statement(m: re.Match) -> str:
        text = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        text = re.split(r":(?!=)", text)[0].strip()  # `expr : tag`
        found.append(text)
        newlines = "\n" * m.group(0).count("\n")
        return f"IF NOT ({text}) THEN {_ASSERT_FLAG} := {len(found)}; END_IF;{newlines}"

    out = _ASSERT.sub(statement, source)
    if found:
        out += f"\nVAR_GLOBAL {_ASSERT_FLAG} : INT; END_VAR\n"
    return out, found


def parse_properties(task: Task, assertions: list[str] | None = ()
                     ) -> list[ParsedProperty | PropertyVerdict]:
    """Each property of the task parsed, or its verdict when simulation cannot check it
    (`unsupported` with why, `not applicable`): needs no program. `assertions`: the texts of
    the program's //#ASSERT comments, whose failures the `assertion` job looks for; None when
    the program has some but they could not be made checks."""
    out: list[ParsedProperty | PropertyVerdict] = []
    for item in _properties(task):
        prop, description = item["property"], item.get("property_description", "")
        if prop.get("job_req") == "assertion":
            if assertions is None:
                out.append(PropertyVerdict(pattern="assertion", description=description,
                                           verdict="unsupported",
                                           why="the program's //#ASSERT comments do not run "
                                               "where they stand (see the report's problems)"))
            elif not assertions:
                out.append(PropertyVerdict(pattern="assertion", description=description,
                                           verdict="not applicable",
                                           why="the program contains no //#ASSERT comments"))
            else:
                out.append(_parsed(PATTERNS["pattern-invariant"], "assertion",
                                   f"{description} ({'; '.join(assertions)})",
                                   [f"instance.{_ASSERT_FLAG} = 0"]))
            continue
        pid = prop.get("pattern_id", "?")
        params = prop.get("pattern_params") or {}
        texts = [params[k] for k in sorted(params, key=lambda k: (len(k), k))]  # "1" < "10"
        pattern = PATTERNS.get(pid)
        why = (f"unknown pattern {pid}" if pattern is None else pattern.why
               or (f"{pid} takes {pattern.params} expressions, not {len(texts)}"
                   if len(texts) != pattern.params else None))
        out.append(PropertyVerdict(pattern=pid, description=description, expressions=texts,
                                   meaning=_meaning(pattern, texts), verdict="unsupported",
                                   why=why) if why
                   else _parsed(pattern, pid, description, texts))
    return out


def _meaning(pattern: Pattern | None, texts: list[str]) -> str:
    """The pattern's requirement with the expressions in place of {1}, {2}, …"""
    if pattern is None:
        return ""
    return re.sub(r"\{(\d)\}", lambda m: f"`{texts[int(m[1]) - 1]}`"
                  if int(m[1]) <= len(texts) else m[0], pattern.meaning)


def _parsed(pattern: Pattern, pid: str, description: str, texts: list[str]
            ) -> ParsedProperty | PropertyVerdict:
    verdict = PropertyVerdict(pattern=pid, description=description, expressions=texts,
                              meaning=_meaning(pattern, texts),
                              verdict="not reached" if pattern.reach else "held")
    nodes = []
    for text in texts:
        try:
            node, problems = parse_expression(st_expression(text))
            if problems:
                raise PlcPilotError(problems[0].message)
        except PlcPilotError as err:
            verdict.verdict, verdict.why = "unsupported", f"{text!r} does not parse: {err}"
            return verdict
        nodes.append(node)
    names = list(dict.fromkeys(re.sub(r"\s+", "", m) for t in texts for m in _NAMED.findall(t)))
    return ParsedProperty(verdict, pattern, nodes, names)


def compile_properties(task: Task, machine: StMachine, assertions: list[str] | None = ()
                       ) -> list[CompiledProperty | PropertyVerdict]:
    """parse_properties, then each expression compiled by the interpreter against the POU the
    machine runs: `unsupported` when it names what the POU lacks or is not a condition."""
    compiler = ExprCompiler(machine.program, entry_pou(machine.program.unit, machine.name),
                            machine.layout)
    out: list[CompiledProperty | PropertyVerdict] = []
    for p in parse_properties(task, assertions):
        if isinstance(p, PropertyVerdict):
            out.append(p)
            continue
        conditions = []
        for text, node in zip(p.result.expressions, p.nodes, strict=True):
            try:
                e = compiler.expr(node)
                if not isinstance(e.type, BoolType):
                    raise PlcPilotError("not a condition (its type is "
                                        f"{e.type.text if e.type else 'an untyped number'})")
            except PlcPilotError as err:
                p.result.verdict, p.result.why = "unsupported", f"{text!r}: {err}"
                break
            conditions.append(e.fn)
        out.append(CompiledProperty(p, conditions) if len(conditions) == len(p.nodes)
                   else p.result)
    return out


# ---- input sequences -----------------------------------------------------------------------

@dataclass
class _Input:
    """How one VAR_INPUT is driven: `boundary` values (type limits, 0, ±1, the program's and
    the properties' constants and ±1 around them) and `fresh` random ones."""

    name: str
    boundary: list[Any]
    fresh: Callable[[random.Random], Any]


def _inputs(machine: StMachine, constants: list[float]) -> tuple[list[_Input], list[str]]:
    inputs, notes = [], []
    span = round(max((abs(c) for c in constants), default=0) * 2) + 10
    near = sorted({v for c in constants for v in (c - 1, c, c + 1)})
    for slot in machine.layout.slots.values():
        if slot.section != "VAR_INPUT":
            continue
        t = slot.type
        if isinstance(t, BoolType):
            inputs.append(_Input(slot.name, [False, True], lambda r: r.random() < 0.5))
        elif isinstance(t, IntType):
            lo, hi = t.lo, t.hi
            edge = sorted({v for v in (lo, hi, 0, 1, -1, *(round(c) for c in near))
                           if lo <= v <= hi})
            small = (max(lo, -span), min(hi, span))
            inputs.append(_Input(slot.name, edge, lambda r, lo=lo, hi=hi, small=small:
                                 r.randint(*small) if r.random() < 0.7 else r.randint(lo, hi)))
        elif isinstance(t, RealType):
            top = 3.0e38 if t.single else 1.0e300
            edge = sorted({-top, top, 0.0, 1.0, -1.0, *(float(c) for c in near)})
            inputs.append(_Input(slot.name, edge, lambda r, top=top:
                                 r.uniform(-span, span) if r.random() < 0.8
                                 else r.uniform(-top, top)))
        elif isinstance(t, TimeType):
            edge = sorted({0, 1, 2**31 - 1, *(round(c) for c in near if c >= 0)})
            inputs.append(_Input(slot.name, edge, lambda r: r.randint(0, span)))
        elif isinstance(t, EnumType):
            names = list(t.names.values())
            inputs.append(_Input(slot.name, names, lambda r, names=names: r.choice(names)))
        else:
            notes.append(f"input {slot.name} ({t.text}) is not generated: it keeps its "
                         "initial value")
    return inputs, notes


def _sequence(inputs: list[_Input], style: str, cycles: int, rng: random.Random
              ) -> list[dict[str, Any]]:
    """Per cycle, the value of every input: fresh random values each cycle, boundary values
    each cycle, or a value (boundary or random) held for 2..MAX_HOLD cycles."""
    columns = {}
    for i in inputs:
        if style == "random":
            columns[i.name] = [i.fresh(rng) for _ in range(cycles)]
        elif style == "boundary":
            columns[i.name] = [rng.choice(i.boundary) for _ in range(cycles)]
        else:
            column: list[Any] = []
            while len(column) < cycles:
                value = rng.choice(i.boundary) if rng.random() < 0.5 else i.fresh(rng)
                column += [value] * rng.randint(2, MAX_HOLD)
            columns[i.name] = column[:cycles]
    return [{name: column[k] for name, column in columns.items()} for k in range(cycles)]


# ---- running -------------------------------------------------------------------------------

def check_properties(task: Task, source: str, runs: int = 200, cycles: int = 50, seed: int = 0,
                     max_seconds: float = 60.0) -> PropertyReport:
    """Parse and check `source`, then run the POU under test (interface_pou) `runs` times for
    `cycles` scans on seeded input sequences, judging every property of the task after each
    scan. Deterministic for a seed; stops early once every property is decided, and after
    `max_seconds` (the report's `runs` says how many ran)."""
    report = PropertyReport(task=task.id, entry=interface_pou(task), parses=False,
                            type_checks=False, runs=0, cycles=cycles, seed=seed)
    checked = checked_source(source, report)
    if checked is None:
        return report
    parsed, entry = checked
    try:
        new_machine, unit, assertions = _runnable(parsed, source, entry, report.problems)
        machine = new_machine()
    except PlcPilotError as e:
        report.problems.append(f"cannot run the program: {e}")
        return report
    report.entry = machine.name
    compiled = compile_properties(task, machine, assertions)
    report.properties = [c.result if isinstance(c, CompiledProperty) else c for c in compiled]
    live = [c for c in compiled if isinstance(c, CompiledProperty)]
    constants = _constants([c.parsed.nodes for c in live]) + _constants(unit)
    inputs, notes = _inputs(machine, constants)
    report.problems += notes
    rng = random.Random(seed)
    started = time.monotonic()
    for run in range(runs):
        if not live or time.monotonic() - started > max_seconds:
            break
        style = STYLES[run % len(STYLES)]
        scan_ms = SCAN_MS[run // len(STYLES) % len(SCAN_MS)]
        sequence = _sequence(inputs, style, cycles, rng)
        try:
            _run(new_machine, live, sequence, scan_ms)
        except PlcPilotError as e:
            report.problems.append(f"run {run + 1} ({style}, scans of {scan_ms} ms) stopped: {e}")
        report.runs += 1
        live = [c for c in live if c.result.verdict in ("held", "not reached")]
    return report


def checked_source(source: str, report: PropertyReport) -> tuple[Parsed, str | None] | None:
    """The source parsed and checked, and the POU to run (the report's entry, None for the
    default POU when the program lacks it, a problem noted); None when it does not check.
    Fills the report's parses, type_checks and problems; shared with st.bmc."""
    try:
        parsed = parse(source)
    except PlcPilotError as e:
        report.problems.append(str(e))
        return None
    report.parses = parsed.ok
    checked = check_parsed(parsed, source)
    report.type_checks = checked.is_valid
    report.problems += [f"line {e.line}: {e.code}: {e.message}" for e in checked.errors]
    if not checked.is_valid:
        return None
    entry = report.entry
    if entry is not None and not any(p.name.upper() == entry.upper() for p in parsed.unit.pous):
        report.problems.append(f"the program has no POU {entry} (the task's interface); "
                               "running its default POU")
        entry = None
    return parsed, entry


def _runnable(parsed: Parsed, source: str, entry: str | None, problems: list[str]
              ) -> tuple[Callable[[], StMachine], ast.CompilationUnit, list[str] | None]:
    """The machines to run, their unit and the assertion texts: the program with its //#ASSERT
    comments made statements, else (a problem noted, the assertions None) as written."""
    instrumented, assertions = instrumented_source(source)
    if assertions:
        again = parse(instrumented)
        try:
            if again.diagnostics:
                first = again.diagnostics[0]
                raise PlcPilotError(f"line {first.line}: {first.message}")
            return compile_unit(again.unit, entry), again.unit, assertions
        except PlcPilotError as e:
            problems.append(f"the //#ASSERT comments do not run as statements where they "
                            f"stand ({e}): the assertion job is not checked")
    return compile_unit(parsed.unit, entry), parsed.unit, None if assertions else []


def _run(new_machine: Callable[[], StMachine], live: list[CompiledProperty],
         sequence: list[dict[str, Any]], scan_ms: int) -> None:
    """One run; a property it decides gets its verdict (and counterexample) in place."""
    machine = new_machine()
    before: dict[int, Conditions | None] = {id(c): None for c in live}
    for k, values in enumerate(sequence):
        _write(machine, values)
        start = {id(c): [bool(f(machine.frame)) for f in c.conditions] for c in live}
        machine.scan(k * scan_ms, scan_ms)
        for c in live:
            if c.result.verdict not in ("held", "not reached"):
                continue
            end = [bool(f(machine.frame)) for f in c.conditions]
            if c.parsed.pattern.broken(before[id(c)], start[id(c)], end):
                c.result.verdict = "reached" if c.parsed.pattern.reach else "violated"
                c.result.counterexample = Counterexample(
                    scan_ms=scan_ms, cycle=k + 1, inputs=sequence[:k + 1],
                    start=_at_start(new_machine(), sequence[:k + 1], scan_ms, c.parsed.names),
                    values=_values(machine, c.parsed.names))
            before[id(c)] = end


def _write(machine: StMachine, values: dict[str, Any]) -> None:
    """A cycle's inputs written, and kept as stored (REAL rounds to float32) for the report."""
    for name, value in values.items():
        machine.write(name, value)
        values[name] = machine.read(name)
    machine.program.rt.globals = machine.globals  # conditions may read globals before a scan


def _at_start(machine: StMachine, inputs: list[dict[str, Any]], scan_ms: int,
              names: list[str]) -> dict[str, JsonValue]:
    """The values at the start of the last cycle of `inputs` (its inputs written, before the
    call), replayed on a fresh machine: only a counterexample needs them."""
    for k, values in enumerate(inputs):
        _write(machine, values)
        if k < len(inputs) - 1:
            machine.scan(k * scan_ms, scan_ms)
    return _values(machine, names)


def _values(machine: StMachine, names: list[str]) -> dict[str, JsonValue]:
    out = {}
    for name in names:
        try:
            out[name] = machine.read(name)
        except PlcPilotError:  # e.g. an index the property computes: not a single variable
            continue
    return out
