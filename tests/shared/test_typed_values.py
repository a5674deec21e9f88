"""Typed test values (FORMATS.md §1 for ST/SFC): a task file's bools, integers, REALs, TIMEs,
strings, whole ARRAYs and STRUCT/FB mappings, set and compared through `run_tests` (what
`simulate --tests` runs) on a small dict-backed machine that declares its types, as the ST/SFC
interpreter will."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcpilot import languages
from plcpilot.errors import PlcPilotError
from plcpilot.iec import array_type, duration_literal, duration_ms, elementary
from plcpilot.spec import Event, Task, Trace, load_tasks, run_tests

DECLARED = {"run": "BOOL", "count": "INT", "flags": "WORD", "speed": "REAL", "third": "LREAL",
            "delay": "TIME", "label": "STRING(20)", "stack": "ARRAY[1..3] OF INT",
            "grid": "ARRAY[0..1, 0..2] OF REAL", "motor": "MotorData",
            "motors": "ARRAY[0..1] OF MotorData", "t1": "TON", "Step3": "STEP"}
FIELDS = {"MotorData": {"running": "BOOL", "speed": "REAL"},
          "TON": {"IN": "BOOL", "PT": "TIME", "Q": "BOOL", "ET": "TIME"},
          "STEP": {"X": "BOOL", "T": "TIME"}}
POWER_ON = {"BOOL": False, "REAL": 0.0, "LREAL": 0.0, "TIME": 0, "STRING(20)": ""}
_PART = re.compile(r"\.([A-Za-z_]\w*)|\[([^\]]*)\]")


class DictMachine:
    """Variables in a dict by full name (`stack[1]`, `motors[0].speed`); each scan runs
    `program`. Names are resolved against DECLARED and FIELDS as an interpreter would."""

    scans = 0  # every scan of every machine, to show that errors come before the first

    def __init__(self, program=None):
        self.vars: dict[str, object] = {}
        self.program = program or (lambda m, dt: None)

    def scan(self, now_ms, scan_ms):
        DictMachine.scans += 1
        self.program(self, scan_ms)

    def type_of(self, name: str) -> str:
        root = re.match(r"[A-Za-z_]\w*", name)
        if root is None or root.group() not in DECLARED:
            raise PlcPilotError(f"no variable {name!r}")
        t, pos = DECLARED[root.group()], root.end()
        while pos < len(name):
            part = _PART.match(name, pos)
            if part is None:
                raise PlcPilotError(f"cannot read the name {name!r}")
            if part.group(1):
                if part.group(1) not in FIELDS.get(t, {}):
                    raise PlcPilotError(f"{name[:pos]} ({t}) has no field {part.group(1)!r}")
                t = FIELDS[t][part.group(1)]
            else:
                array = array_type(t)
                index = [int(i) for i in part.group(2).split(",")]
                if array is None or len(index) != len(array.dims) or not all(
                        lo <= i <= hi for i, (lo, hi) in zip(index, array.dims, strict=True)):
                    raise PlcPilotError(f"{name[:part.end()]} is out of bounds of {t}")
                t = array.element
            pos = part.end()
        return t

    def read(self, name: str):
        t = self.type_of(name)
        if array_type(t) or t in FIELDS:  # a whole ARRAY or STRUCT, as an interpreter holds it
            return {"whole": t}
        return self.vars.get(name, POWER_ON.get(t, 0))

    def write(self, name: str, value) -> None:
        t = self.type_of(name)
        if elementary(t) is None:
            raise PlcPilotError(f"{name} is a {t}: set its elements or fields")
        self.vars[name] = value

    @property
    def notes(self):
        return []

    def signals(self):
        return list(DECLARED)


def program(m: DictMachine, dt: int) -> None:
    """count counts scans while run; motor follows run and speed/3; stack[3] = stack[1] +
    stack[2]; t1 times PT while IN; Step3 is active from the start."""
    v = m.vars
    if v.get("run"):
        v["count"] = v.get("count", 0) + 1
    v["motor.running"] = v.get("run", False)
    v["motor.speed"] = v.get("speed", 0.0) / 3
    v["stack[3]"] = v.get("stack[1]", 0) + v.get("stack[2]", 0)
    v["t1.ET"] = min(v.get("t1.ET", 0) + dt, v.get("t1.PT", 0)) if v.get("t1.IN") else 0
    v["t1.Q"] = bool(v.get("t1.IN")) and v["t1.ET"] >= v.get("t1.PT", 0)
    v["Step3.X"] = True
    v["Step3.T"] = v.get("Step3.T", 0) + dt


def machine():
    return DictMachine(program)


def _tests(tmp_path, timeline: str, extra: str = "") -> Task:
    """A task file with one test whose timeline has an event a line (`{` starts one)."""
    events = "".join(f"      {'- ' if line.startswith('{') else '  '}{line}\n"
                     for line in (x.strip() for x in timeline.strip().splitlines()))
    path = tmp_path / "tasks.yaml"
    path.write_text(f"- id: st-1\n  language: st\n  prompt: p\n{extra}  tests:\n"
                    f"  - name: typed\n    timeline:\n{events}")
    return load_tasks(path)[0]


def _run(task: Task, factory=machine):
    return run_tests(factory, task.tests, task=task.id)


# ---- values as the program holds them ----------------------------------------------------

def test_every_value_form_is_set_and_compared_by_its_declared_type(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {run: true, speed: 1.5, flags: 0xFF00, label: "pump 1",
                         delay: "T#1m30s", stack: [1, 2, 0], t1: {IN: 1, PT: "T#50ms"}}}
        {at_ms: 100, expect: {run: 1, count: 10, flags: 65280, speed: 1.5, delay: 90000}}
        {at_ms: 100, expect: {motor: {running: true, speed: 0.5}, motor.speed: 0.500001}}
        {at_ms: 100, expect: {stack: [1, 2, 3], "stack[3]": 3, label: "pump 1"}}
        {at_ms: 100, expect: {t1: {Q: true, ET: "T#50ms"}, t1.ET: 50, Step3.X: true}}
        {at_ms: 100, expect: {Step3.T: "TIME#100ms", delay: "T#1.5m"}}
        {from_ms: 10, to_ms: 100, hold: {motor.running: true, "stack[3]": 3}}
        """)
    report = _run(task)
    assert report.passed, report.to_json()


def test_a_whole_array_is_set_element_by_element_with_nested_lists_for_dimensions(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {grid: [[1, 2, 3], [4.5, 5, 6]], motors: [{speed: 2}, {running: 1}]}}
        {at_ms: 10, expect: {"grid[1, 0]": 4.5, "grid[0, 2]": 3, "motors[0].speed": 2.0}}
        {at_ms: 10, expect: {grid: [[1, 2, 3], [4.5, 5, 6.000001]], "motors[1]": {running: 1}}}
        """)
    m = machine()
    report = run_tests(lambda: m, task.tests, task=task.id)
    assert report.passed, report.to_json()
    assert m.vars["grid[1, 0]"] == 4.5 and isinstance(m.vars["grid[0, 0]"], float)
    assert m.vars["motors[1].running"] is True and "motors[1].speed" not in m.vars


@pytest.mark.parametrize(("expected", "actual", "passes"), [
    (1.0, 1.000009, True), (1.0, 1.00002, False), (0, 5e-7, True), (0, 2e-6, False),
    (1e6, 1e6 + 5, True), (1e6, 1e6 + 20, False), (-2.5, -2.5000001, True)])
def test_a_real_is_equal_within_a_relative_1e_5_and_an_absolute_1e_6(expected, actual, passes):
    task = Task(id="r", prompt="p", tests=[{"name": "real", "timeline": [
        {"at_ms": 0, "set": {"third": actual}}, {"at_ms": 0, "expect": {"third": expected}}]}])
    assert _run(task).passed is passes


def test_an_integer_and_a_bool_compare_exactly(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {count: 7, run: 0}}
        {at_ms: 0, expect: {count: 7.0, run: false}}
        {at_ms: 10, expect: {count: 8}}
        """)
    failure = _run(task).tests[0].failures[0]
    assert (failure.name, failure.expected, failure.actual) == ("count", 8, 7)


# ---- failures people can read ------------------------------------------------------------

def test_a_failing_list_reports_both_lists_and_the_elements_that_differ(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {stack: [1, 2, 0]}}
        {at_ms: 20, expect: {stack: [1, 2, 4], motor: {speed: 0.1}}}
        """)
    report = json.loads(_run(task).to_json())
    assert report["passed"] is False
    assert report["tests"][0]["failures"] == [
        {"at_ms": 20, "name": "stack", "expected": [1, 2, 4], "actual": [1, 2, 3],
         "differs": ["stack[3]"]},
        {"at_ms": 20, "name": "motor", "expected": {"speed": 0.1}, "actual": {"speed": 0.0},
         "differs": ["motor.speed"]}]


def test_a_failure_shows_floats_times_and_structs_as_a_test_would_write_them(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {speed: 1, t1: {IN: true, PT: "T#1s500ms"}}}
        {at_ms: 1400, expect: {motor.speed: 0.3, t1.ET: "T#1s500ms", t1: {Q: true}}}
        {from_ms: 0, to_ms: 30, hold: {label: "idle"}}
        """)
    failures = _run(task).tests[0].failures
    shown = {f.name: f.describe() for f in failures}
    assert shown == {"label": "expected 'idle', got ''",
                     "motor.speed": "expected 0.3, got 0.3333333",
                     "t1.ET": "expected T#1s500ms, got T#1s400ms",
                     "t1": "expected {Q: true}, got {Q: false} (differs: t1.Q)"}
    hold = next(f for f in failures if f.kind == "hold")
    assert (hold.at_ms, hold.scans) == (0, 3)


def test_a_nan_or_infinity_the_program_computes_is_reported_as_text_json_can_hold():
    def divide_by_zero(m, dt):
        m.vars.update({"third": math.nan, "delay": math.inf})
    task = Task(id="st-1", prompt="p", tests=[{"name": "nan", "timeline": [
        {"at_ms": 10, "expect": {"third": 1.5, "delay": "T#1s"}}]}])
    text = _run(task, lambda: DictMachine(divide_by_zero)).to_json()
    assert [f["actual"] for f in json.loads(text)["tests"][0]["failures"]] == ["nan", "inf"]
    assert "NaN" not in text and "Infinity" not in text


def test_a_trace_keeps_numbers_and_bits_as_levels_and_text_as_written(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {run: true, speed: 0.75, label: "a, b"}}
        {at_ms: 20, expect: {run: true}}
        """)
    trace = Trace(["run", "motor.speed", "label"])
    run_tests(machine, task.tests, task=task.id, trace=trace)
    trace.write_csv(tmp_path / "trace.csv")
    assert (tmp_path / "trace.csv").read_text().splitlines() == [
        "test,time_ms,run,motor.speed,label", "typed,0,1,0.25,\"a, b\"",
        "typed,10,1,0.25,\"a, b\""]


# ---- test errors, before any scan --------------------------------------------------------

@pytest.mark.parametrize(("event", "message"), [
    ({"set": {"count": [1, 2]}},
     "count: a list sets or expects a whole ARRAY, but count is declared INT"),
    ({"expect": {"stack": [1, 2]}},
     "stack is declared ARRAY[1..3] OF INT: give a list of 3 values; the list has 2 values"),
    ({"set": {"grid": [[1, 2, 3], 4]}}, "give a list of 2 lists of 3 values; the list for "
                                        "grid[1, …] is not a list"),
    ({"expect": {"stack": 3}}, "give a list of 3 values, or name one element, e.g. stack[1]"),
    ({"expect": {"motor": {"speeed": 1}}}, "motor (MotorData) has no field 'speeed'"),
    ({"set": {"speed": {"x": 1}}}, "a mapping sets or expects fields of a STRUCT or FB "
                                   "instance, but speed is declared REAL"),
    ({"expect": {"motor": 1}}, "motor is a STRUCT or FB instance: expect a mapping"),
    ({"set": {"delay": "T#1x"}}, "delay is declared TIME: 'T#1x' is not an IEC duration "
                                 "literal: cannot read '1x'"),
    ({"expect": {"t1.PT": "1s"}}, "t1.PT is declared TIME: give milliseconds or an IEC "
                                  "duration literal such as 'T#1s500ms', not '1s'"),
    ({"set": {"count": 40000}}, "count is declared INT: give an integer -32768..32767, "
                                "not 40000"),
    ({"set": {"run": 2}}, "run is declared BOOL: give true/false or 0/1, not 2"),
    ({"expect": {"speed": "fast"}}, "speed is declared REAL: give a number, not 'fast'"),
    ({"set": {"label": 5}}, "label is declared STRING(20): give text, not 5"),
    ({"expect": {"nothing": 0}}, "no variable 'nothing'"),
])
def test_a_value_that_does_not_fit_the_declaration_names_task_and_test_before_any_scan(
        event, message):
    task = Task(id="st-1", prompt="p", tests=[{"name": "typed", "timeline": [
        {"at_ms": 0, "set": {"run": True}}, {"at_ms": 50, **event}]}])
    DictMachine.scans = 0
    with pytest.raises(PlcPilotError) as e:
        _run(task)
    assert str(e.value).startswith("task st-1, test 'typed': ")
    assert message in str(e.value)
    assert DictMachine.scans == 0


FX = languages.get("fx-il").simulator("LD X0\nOUT Y0\nMOV K5 D0\nEND\n")


@pytest.mark.parametrize(("event", "message"), [
    ({"set": {"X0": [1, 0]}}, "X0: a list sets or expects a whole ARRAY, but X0 is a single "
                              "value"),
    ({"expect": {"D0": {"low": 5}}}, "but D0 is a single value"),
    ({"expect": {"D0": "five"}}, "D0 holds a number, not text"),
    ({"set": {"D0": 1.5}}, "D0 is a 16-bit register: set it to an integer"),
])
def test_an_fx_device_takes_single_numbers_only(event, message):
    task = Task(id="fx-1", prompt="p", tests=[{"name": "fx", "timeline": [{"at_ms": 0,
                                                                             **event}]}])
    with pytest.raises(PlcPilotError, match=r"^task fx-1, test 'fx': ") as e:
        run_tests(FX, task.tests, task=task.id)
    assert message in str(e.value)


def test_fx_compares_integers_floats_and_durations_by_value():
    task = Task(id="fx-1", prompt="p", entry="Main", tests=[{"name": "fx", "timeline": [
        {"at_ms": 0, "set": {"X0": True}},
        {"at_ms": 20, "expect": {"Y0": True, "D0": 5.0000001}},
        {"at_ms": 20, "expect": {"D0": "T#5ms"}}]}])  # entry: fx-il runs the whole program
    assert run_tests(FX, task.tests, task=task.id).passed


names = st.sampled_from([*DECLARED, "stack[2]", "stack[9]", "grid[1, 2]", "grid[1]",
                         "motor.speed", "motor.x", "motors[1].running", "t1.ET", "Step3.T",
                         "stack[", "x.y"])
scalars = st.one_of(st.booleans(), st.integers(-(1 << 63), (1 << 64) - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
                    st.sampled_from(["T#1s", "T#-2.5m", "T#1x", "TIME#", "pump 1"]))
values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4)
                      | st.dictionaries(st.sampled_from(["running", "speed", "Q", "ET", "zz"]),
                                        kids, max_size=3), max_leaves=12)
timelines = st.lists(st.fixed_dictionaries({
    "at_ms": st.integers(0, 50), "set": st.dictionaries(names, values, max_size=2),
    "expect": st.dictionaries(names, values, min_size=1, max_size=2)}), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(timelines)
def test_any_value_in_any_shape_runs_or_is_refused_naming_the_task_and_test(timeline):
    task = Task(id="st-1", prompt="p", tests=[{"name": "fuzzed", "timeline": timeline}])
    try:
        report = _run(task)
    except PlcPilotError as e:
        assert str(e).startswith("task st-1, test 'fuzzed': ")
        return
    json.loads(report.to_json())
    for f in report.tests[0].failures:
        f.describe()


# ---- task files --------------------------------------------------------------------------

def test_a_task_file_keeps_every_value_form_as_written(tmp_path):
    task = _tests(tmp_path, """
        {at_ms: 0, set: {a: 0x10, b: -0.5, c: "T#1s", d: [1, [2, 3]], e: {f: {g: true}}}}
        """, extra="  entry: Lib.Main\n")
    assert task.entry == "Lib.Main"
    assert task.tests[0].timeline[0].set_ == {"a": 16, "b": -0.5, "c": "T#1s", "d": [1, [2, 3]],
                                              "e": {"f": {"g": True}}}


@pytest.mark.parametrize(("value", "message"), [
    ("null", "null is not a value"), ("[1, null]", "null at [1] is not a value"),
    (".nan", "nan is not a finite number"), ("{x: [-.inf]}", "-inf at .x[0] is not a finite"),
    ("-0x8000000000000001", "greater than or equal to -9223372036854775808")])
def test_a_value_no_variable_could_hold_is_refused_naming_task_and_test(tmp_path, value, message):
    with pytest.raises(PlcPilotError) as e:
        _tests(tmp_path, f"{{at_ms: 0, expect: {{d: {value}}}}}")
    assert "task #1 (st-1): test 'typed': tests.0.timeline.0.expect.d" in str(e.value)
    assert message in str(e.value)


@pytest.mark.parametrize("entry", ["main loop", "1Main", "Main.", "", "Main()"])
def test_an_entry_that_is_not_an_identifier_is_refused(tmp_path, entry):
    with pytest.raises(PlcPilotError, match="entry names the POU to run"):
        _tests(tmp_path, "{at_ms: 0, expect: {run: 0}}", extra=f"  entry: '{entry}'\n")


def test_events_keep_the_fx_bounds_on_integers():
    with pytest.raises(ValueError, match="greater than or equal to"):
        Event.model_validate({"at_ms": 0, "set": {"D0": [0, -(1 << 63) - 1]}})


# ---- IEC duration literals ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "ms"), [
    ("T#1s500ms", 1500), ("TIME#-2.5s", -2500), ("t#1h_30m", 5_400_000), ("T#90m", 5_400_000),
    ("T#1d2h3m4s5ms", 93_784_005), ("LTIME#1.5us", 0.0015), ("T#+2s", 2000), ("T#1_000ms", 1000),
    ("T#0.1s", 100), ("LT#250ns", 0.00025)])
def test_a_duration_literal_is_read_in_milliseconds(text, ms):
    assert duration_ms(text) == ms


@pytest.mark.parametrize("text", ["T#", "T#1x", "1s", "T#1s1h", "T#1s1s", "T#1.5s3ms", "T#--1s",
                                  "T#1 s", "TIME#s", "T#" + "9" * 30 + "s"])
def test_a_malformed_duration_literal_is_refused(text):
    with pytest.raises(ValueError, match="IEC duration literal|units go|only the last"):
        duration_ms(text)


@pytest.mark.parametrize(("ms", "text"), [(1500, "T#1s500ms"), (-60_000, "T#-1m"), (0, "T#0ms"),
                                          (93_784_005, "T#1d2h3m4s5ms"), (0.5, "T#0.5ms")])
def test_milliseconds_are_shown_as_a_duration_literal_that_reads_back(ms, text):
    assert duration_literal(ms) == text
    assert duration_ms(text) == ms
