"""Bounded model checking of PLCverif-style properties (plcpilot.st.bmc), cross-checked against
the interpreter and against simulation (plcpilot.st.properties).

Every counterexample z3 gives must replay in the interpreter and break the property at the
cycle it names; the correct programs are proved up to k cycles; one bug (a DINT product that
wraps) needs an input simulation never draws."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import CORPUS as SHARED_CORPUS
from plcpilot.importers import import_agents4plc
from plcpilot.spec import Task

pytest.importorskip("z3", reason="the `verify` extra (z3-solver) is not installed")
from plcpilot.st.bmc import bmc_properties  # noqa: E402
from plcpilot.st.interpreter import compile_unit
from plcpilot.st.parser import parse
from plcpilot.st.properties import (
    PATTERNS,
    CompiledProperty,
    PropertyVerdict,
    check_properties,
    compile_properties,
)


def _task(task_id: str, pou: str, *properties: tuple[str, list[str]]) -> Task:
    """A task as import_agents4plc builds one: the prompt declares the POU, the properties
    are {property_description, property} objects."""
    return Task(id=task_id, language="st", category="ours", prompt=f"FUNCTION_BLOCK {pou} ...",
                properties=[{"property_description": f"{pid} {' / '.join(params)}",
                             "property": {"job_req": "pattern", "pattern_id": pid,
                                          "entry_point": pou,
                                          "pattern_params": {str(n): p for n, p in
                                                             enumerate(params, start=1)}}}
                            for pid, params in properties],
                source="ours")


# a DINT reading scaled by 4: the product wraps, so a huge reading aliases the trip value 8
SCALER_OK = """FUNCTION_BLOCK Scaler
VAR_INPUT raw : DINT; END_VAR
VAR_OUTPUT scaled : DINT; trip : BOOL; END_VAR
scaled := raw * 4;
trip := raw = 2;
END_FUNCTION_BLOCK
"""
SCALER_WRONG = """FUNCTION_BLOCK Scaler
VAR_INPUT raw : DINT; END_VAR
VAR_OUTPUT scaled : DINT; trip : BOOL; END_VAR
scaled := raw * 4;
trip := scaled = 8;
END_FUNCTION_BLOCK
"""
SCALER = _task("scaler", "Scaler", ("pattern-implication", ["instance.trip", "instance.raw = 2"]))

DELAY_OK = """FUNCTION_BLOCK Delay
VAR_INPUT start : BOOL; END_VAR
VAR_OUTPUT motor : BOOL; END_VAR
VAR t : TON; END_VAR
t(IN := start, PT := T#2s);
motor := t.Q;
END_FUNCTION_BLOCK
"""
DELAY_WRONG = DELAY_OK.replace("motor := t.Q;", "motor := t.Q OR motor;")  # latches
DELAY = _task("delay", "Delay",
              ("pattern-implication", ["instance.motor", "instance.start"]),
              ("pattern-reachability", ["instance.motor"]),
              ("pattern-statechange-duringcycle", ["NOT instance.start", "NOT instance.motor"]))

BATCH_OK = """FUNCTION Clamp : INT
VAR_INPUT x : INT; END_VAR
Clamp := LIMIT(0, x, 100);
END_FUNCTION

FUNCTION_BLOCK Batch
VAR_INPUT pulse : BOOL; reset : BOOL; setpoint : INT; END_VAR
VAR_OUTPUT done : BOOL; count : INT; level : INT; END_VAR
VAR edge : R_TRIG; c : CTU; i : INT; sum : INT; END_VAR
edge(CLK := pulse);
c(CU := edge.Q, R := reset, PV := Clamp(setpoint));
count := c.CV;
done := c.Q;
sum := 0;
FOR i := 1 TO 4 DO
    sum := sum + i;
END_FOR;
CASE count OF
    0: level := sum;
    1..3: level := sum + count - count;
ELSE
    level := MAX(sum, 10);
END_CASE;
END_FUNCTION_BLOCK
"""
BATCH_WRONG = BATCH_OK.replace("R := reset,", "R := reset AND pulse,")
BATCH = _task("batch", "Batch",
              ("pattern-invariant", ["instance.level = 10"]),
              ("pattern-implication", ["instance.reset", "instance.count = 0"]),
              ("pattern-statechange-betweencycles",
               ["instance.count = 2", "NOT instance.reset AND NOT instance.pulse",
                "instance.count = 2"]),
              ("pattern-forbidden", ["instance.count > 10"]))

# float32: adding 1.0 to a large REAL changes nothing
REAL_WRONG = """FUNCTION_BLOCK Step
VAR_INPUT a : REAL; END_VAR
VAR_OUTPUT b : REAL; up : BOOL; END_VAR
b := a + 1.0;
up := b > a;
END_FUNCTION_BLOCK
"""
REAL_OK = REAL_WRONG.replace("up := b > a;", "up := b >= a;")
STEP = _task("step", "Step", ("pattern-implication",
                              ["instance.a > 0.0 AND instance.a < 1.0E9", "instance.up"]))

# a ring buffer written at a computed index; the wrong one lets the position reach 4
RING_OK = """FUNCTION_BLOCK Ring
VAR_INPUT x : INT; END_VAR
VAR_OUTPUT avg : INT; END_VAR
VAR hist : ARRAY[0..3] OF INT; pos : INT; k : INT; sum : DINT; END_VAR
hist[pos] := x;
pos := (pos + 1) MOD 4;
sum := 0;
FOR k := 0 TO 3 DO
    sum := sum + hist[k];
END_FOR;
avg := DINT_TO_INT(sum / 4);
END_FUNCTION_BLOCK
"""
RING_WRONG = RING_OK.replace("pos := (pos + 1) MOD 4;",
                             "pos := pos + 1;\nIF pos > 4 THEN pos := 0; END_IF;")
RING = _task("ring", "Ring",
             ("pattern-invariant", ["instance.pos >= 0 AND instance.pos <= 3"]),
             ("pattern-reachability", ["instance.hist[3] = 7 AND instance.avg = 1"]))

CASES = [(SCALER, SCALER_OK, SCALER_WRONG), (DELAY, DELAY_OK, DELAY_WRONG),
         (BATCH, BATCH_OK, BATCH_WRONG), (STEP, REAL_OK, REAL_WRONG),
         (RING, RING_OK, RING_WRONG)]


def _replays(task: Task, source: str, p: PropertyVerdict) -> None:
    """Run the counterexample's inputs through the interpreter: the values match and the
    property's pattern is broken at the cycle it names, not before."""
    cx = p.counterexample
    new_machine = compile_unit(parse(source).unit, task.properties[0]["property"]["entry_point"])
    machine = new_machine()
    (compiled,) = [c for c in compile_properties(task, machine) if isinstance(c, CompiledProperty)
                   and c.result.expressions == p.expressions]
    pattern = PATTERNS[p.pattern]
    before = None
    for k, inputs in enumerate(cx.inputs):
        for name, value in inputs.items():
            machine.write(name, value)
        start = [bool(f(machine.frame)) for f in compiled.conditions]
        if k + 1 == cx.cycle:
            assert {name: machine.read(name) for name in cx.start} == cx.start
        machine.scan(k * cx.scan_ms, cx.scan_ms)
        end = [bool(f(machine.frame)) for f in compiled.conditions]
        assert pattern.broken(before, start, end) == (k + 1 == cx.cycle)
        before = end
    assert len(cx.inputs) == cx.cycle
    assert {name: machine.read(name) for name in cx.values} == cx.values


@pytest.mark.parametrize(("task", "correct", "wrong"), CASES, ids=lambda c: getattr(c, "id", ""))
def test_correct_program_is_proved_up_to_k_cycles(task, correct, wrong):
    report = bmc_properties(task, correct, timeout_s=120)  # never "unknown" on a busy machine
    assert report.type_checks, report.problems
    assert {p.verdict for p in report.properties} <= {"proved", "reached"}, \
        report.model_dump_json(indent=1)
    assert "10 cycles" in report.note and report.count("proved") >= 1


@pytest.mark.parametrize(("task", "correct", "wrong"), CASES, ids=lambda c: getattr(c, "id", ""))
def test_wrong_program_gets_a_counterexample_that_replays_in_the_interpreter(task, correct,
                                                                             wrong):
    report = bmc_properties(task, wrong)
    violated = [p for p in report.properties if p.verdict == "violated"]
    assert violated, report.model_dump_json(indent=1)
    for p in report.properties:
        if p.verdict in ("violated", "reached"):  # a witness replays as a counterexample does
            _replays(task, wrong, p)


def test_bmc_finds_the_wrapping_product_simulation_misses():
    simulated = check_properties(SCALER, SCALER_WRONG)
    assert [p.verdict for p in simulated.properties] == ["held"]
    (p,) = bmc_properties(SCALER, SCALER_WRONG).properties
    assert p.verdict == "violated" and p.counterexample.cycle == 1
    raw = p.counterexample.inputs[0]["raw"]
    assert raw != 2 and (raw * 4) % 2**32 == 8


def test_reachability_gives_a_witness_and_the_timer_needs_its_preset():
    report = bmc_properties(DELAY, DELAY_OK)
    reach = report.properties[1]
    assert reach.verdict == "reached"
    cx = reach.counterexample
    assert cx.values == {"motor": True}
    held = sum(1 for step in reversed(cx.inputs) if step["start"])  # start held to the end
    assert held * cx.scan_ms >= 2000


def test_a_short_bound_says_not_reached_and_bounded():
    report = bmc_properties(_task("r", "Batch", ("pattern-reachability", ["instance.done"])),
                            BATCH_OK, k=0)
    assert report.properties[0].verdict == "not reached"
    assert "bounded" in report.properties[0].why and "0 cycles" in report.note


def test_unbounded_loops_are_not_feasible_and_name_the_construct_and_line():
    source = DELAY_OK.replace("motor := t.Q;", "WHILE start DO\n  motor := t.Q;\nEND_WHILE;")
    report = bmc_properties(DELAY, source)
    assert {p.verdict for p in report.properties} == {"not feasible"}
    assert re.search(r"WHILE.*line 6", report.properties[0].why)


def test_a_solver_timeout_is_unknown():
    report = bmc_properties(STEP, REAL_OK, k=20, timeout_s=0.001)
    assert report.properties[0].verdict == "unknown"
    assert "no answer" in report.properties[0].why


CORPUS = SHARED_CORPUS / "st" / "agents4plc"
_INTERFACE = re.compile(r"^\s*(FUNCTION_BLOCK|PROGRAM)\b.*?^\s*END_\1\b", re.M | re.S)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="Agents4PLC corpus not present")
def test_the_empty_interfaces_of_the_corpus_encode_or_say_not_feasible():
    """The 96 prompts declare interfaces without bodies: every property gets a verdict,
    and no encoding crashes (measured: see docs/st.md)."""
    tasks = [t for f in sorted(CORPUS.glob("*.jsonl")) for t in import_agents4plc(f)]
    verdicts: Counter = Counter()
    encoded = 0
    for task in tasks:
        interface = "\n".join(m.group(0) for m in _INTERFACE.finditer(task.prompt))
        report = bmc_properties(task, interface, k=3, timeout_s=60)
        encoded += report.runs
        verdicts.update(p.verdict for p in report.properties)
    assert len(tasks) == 96
    assert encoded >= ENCODED_FLOOR, verdicts
    assert verdicts["proved"] + verdicts["violated"] + verdicts["reached"] \
        + verdicts["not reached"] >= DECIDED_FLOOR, verdicts


ENCODED_FLOOR = 88  # measured: 89 interfaces type-check, one names a variable it lacks
DECIDED_FLOOR = 419  # measured (k=3): 216 proved, 201 violated, 2 not reached; 13 not feasible


def test_assertion_comments_are_checked_where_they_stand():
    task = Task(id="ring-assert", language="st", prompt="FUNCTION_BLOCK Ring ...",
                properties=[{"property_description": "the assertions hold",
                             "property": {"job_req": "assertion"}}])
    check = "//#ASSERT pos >= 0 AND pos <= 3\nEND_FUNCTION_BLOCK"
    ok = RING_OK.replace("END_FUNCTION_BLOCK", check)
    wrong = RING_WRONG.replace("END_FUNCTION_BLOCK", check)
    assert bmc_properties(task, ok).properties[0].verdict == "proved"
    (p,) = bmc_properties(task, wrong).properties
    assert p.verdict == "violated" and p.counterexample.cycle == 4
    unknown = bmc_properties(task, ok.replace("pos >= 0", "no_such_var >= 0"))
    assert unknown.properties[0].verdict == "unsupported"
    assert any("#ASSERT" in problem for problem in unknown.problems)
