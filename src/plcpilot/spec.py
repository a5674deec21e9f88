"""Behavioural tests: task files and timelines (FORMATS.md §1), run on any language's Machine.

The timeline semantics are language-neutral: scans of `scan_ms` from power-on, events in time
order, `set` writes from outside, `expect` compares now, `hold` compares after every scan in a
window. A language supplies a `Machine`; this module owns time, bounds and verdicts.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from plcpilot.errors import PlcPilotError, SimulationLimit, first_problem
from plcpilot.taskfile import read_task_file
from plcpilot.testvalues import Mismatch, Scalar, Value, Values, shown


class Machine(Protocol):
    """A program powered on, as a language's simulator runs it for the timeline.

    read and write take a single value by name: a device (`X0`, `D100`), a variable, an ARRAY
    element (`stack[2]`, `m[1, 0]`) or a field (`motor.running`, `Step3.X`); the values are
    bool/int for bits and integers, float for REAL, milliseconds for TIME, str for STRING. A
    name or value the machine cannot take raises PlcPilotError saying why.

    A machine that knows declared types also offers `type_of` (see TypedMachine): then lists
    and mappings reach whole ARRAYs, STRUCTs and FB instances, and values are set and compared
    by type (plcpilot.testvalues)."""

    def scan(self, now_ms: int, scan_ms: int) -> None: ...
    def read(self, name: str) -> Scalar: ...
    def write(self, name: str, value: Scalar) -> None: ...
    @property
    def notes(self) -> list[str]: ...
    def signals(self) -> list[str]: ...


class TypedMachine(Machine, Protocol):
    def type_of(self, name: str) -> str | None:
        """The IEC type `name` is declared with, as a declaration writes it: `REAL`, `TIME`,
        `STRING(20)`, `ARRAY[1..3] OF INT`, `ARRAY[0..1, 0..2] OF REAL`, a STRUCT's or FB's
        type name (`TON`, `MotorData`); None when it cannot tell (FX rules apply). ARRAY bounds
        are integer literals (constants resolved). An unknown name raises PlcPilotError, as
        read does."""


class Event(BaseModel):
    """A point event (set and/or expect at `at_ms`) or a window (`hold` over [from_ms, to_ms)).
    Values are JSON data checked for range; their fit to the variable is checked when the test
    runs, against the machine's declared types (plcpilot.testvalues)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    at_ms: int | None = Field(None, ge=0)
    set_: dict[str, Value] | None = Field(None, alias="set")
    expect: dict[str, Value] | None = None
    from_ms: int | None = Field(None, ge=0)
    to_ms: int | None = Field(None, ge=0)
    hold: dict[str, Value] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Event:
        point = self.at_ms is not None
        window = self.hold is not None
        if point == window:
            raise ValueError("an event is either {at_ms, set/expect} or {from_ms, to_ms, hold}")
        if point and not (self.set_ or self.expect):
            raise ValueError(f"event at {self.at_ms} ms has neither set nor expect")
        if window and (self.from_ms is None or self.to_ms is None or self.to_ms <= self.from_ms):
            raise ValueError("a hold needs from_ms < to_ms")
        return self

    @property
    def names(self) -> list[str]:
        """Every device or variable the event sets, expects or holds."""
        return [*(self.set_ or {}), *(self.expect or {}), *(self.hold or {})]

    @property
    def end_ms(self) -> int:
        return self.to_ms if self.hold is not None else self.at_ms


class Test(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    scan_ms: int = Field(10, gt=0)
    timeline: list[Event] = Field(min_length=1)


class Task(BaseModel):
    model_config = ConfigDict(extra="allow")  # FORMATS.md: new optional fields are welcome

    id: str
    language: str = "fx-il"
    category: str = ""
    prompt: str
    io: dict[str, str] = Field(default_factory=dict)
    reference: str | None = None
    tests: list[Test] = Field(default_factory=list)
    # st/sfc: the POU under test (FORMATS.md §1, "What runs"); None: the language's default.
    # fx-il runs the whole program and ignores it, so one task file may serve several languages
    entry: str | None = None

    @field_validator("entry")
    @classmethod
    def _identifier(cls, entry: str | None) -> str | None:
        if entry is not None and not _IDENTIFIER.fullmatch(entry):
            raise ValueError(f"entry names the POU to run, an IEC identifier such as Main or "
                             f"FB_Motor (a namespace may qualify it: Lib.Main), not {entry!r}")
        return entry


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Failure(BaseModel):
    at_ms: int
    name: str  # as the test wrote it
    expected: JsonValue  # as the test wrote it
    actual: JsonValue  # the machine's value in the expected value's shape (testvalues.reported)
    kind: str | None = None  # "hold" for window checks
    scans: int | None = None  # hold: how many scans mismatched
    differs: list[str] | None = None  # a list or mapping: the elements and fields that differ

    def describe(self) -> str:
        """`expected [1, 2, 3], got [1, 2, 4] (differs: stack[2])`, for reports people read."""
        differs = f" (differs: {', '.join(self.differs)})" if self.differs else ""
        return f"expected {shown(self.expected)}, got {shown(self.actual)}{differs}"


class TestResult(BaseModel):
    name: str
    passed: bool
    failures: list[Failure] = Field(default_factory=list)
    error: str | None = None  # the run could not finish (bound hit, watchdog)
    scans: int = 0
    notes: list[str] = Field(default_factory=list)  # instructions run but not simulated


class SimulationReport(BaseModel):
    """FORMATS.md §3; `task`, `notes` and `error` are our extensions."""

    passed: bool
    tests: list[TestResult]
    task: str | None = None
    notes: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), indent=2)


# ---- task files --------------------------------------------------------------------------

TASK_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def task_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in TASK_SUFFIXES)
        if not files:
            raise PlcPilotError(f"{path}: no task files (*.yaml, *.json, *.jsonl) in it")
        return files
    if not path.exists():
        raise PlcPilotError(f"{path}: no such file or directory")
    return [path]


def load_tasks(path: Path | str) -> list[Task]:
    """Tasks from a YAML/JSON/JSONL file or a directory of them; ids unique per file."""
    tasks: list[Task] = []
    for file in task_files(Path(path)):
        seen: set[str] = set()
        for k, record in enumerate(read_task_file(file)):
            try:
                task = Task.model_validate(record)
            except ValidationError as e:
                name = record.get("id", "?") if isinstance(record, dict) else "?"
                raise PlcPilotError(f"{file}: task #{k + 1} ({str(name)[:80]}): "
                                    f"{_in_test(record, e)}{first_problem(e)}") from None
            if task.id in seen:
                raise PlcPilotError(f"{file}: task id {task.id!r} appears twice")
            seen.add(task.id)
            tasks.append(task)
    return tasks


def _in_test(record: Any, e: ValidationError) -> str:
    """`test 'start latches': ` when the problem is inside a test that has a name."""
    loc = e.errors()[0]["loc"]
    tests = record.get("tests") if isinstance(record, dict) else None
    if len(loc) > 2 and loc[0] == "tests" and isinstance(tests, list) \
            and isinstance(loc[1], int) and loc[1] < len(tests):
        name = tests[loc[1]].get("name") if isinstance(tests[loc[1]], dict) else None
        if isinstance(name, str):
            return f"test {name[:80]!r}: "
    return ""


def find_task(tasks: list[Task], task_id: str | None) -> Task:
    if task_id is None:
        if len(tasks) == 1:
            return tasks[0]
        raise PlcPilotError(f"the task file holds {len(tasks)} tasks; choose one with --task ID")
    for t in tasks:
        if t.id == task_id:
            return t
    import difflib

    close = difflib.get_close_matches(task_id, [t.id for t in tasks], n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise PlcPilotError(f"no task {task_id!r} in the task file.{hint}")


# ---- running a timeline ------------------------------------------------------------------

class Trace:
    """Values of chosen signals after every scan: CSV for tools, PNG timing diagram for people."""

    def __init__(self, signals: list[str]):
        self.signals = signals
        self.rows: list[tuple[str, int, list[Any]]] = []

    def record(self, test: str, t_ms: int, machine: Machine) -> None:
        self.rows.append((test, t_ms, [_traced(machine.read(s)) for s in self.signals]))

    def write_csv(self, path: Path) -> None:
        import csv

        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["test", "time_ms", *self.signals])
            for test, t, values in self.rows:
                w.writerow([test, t, *(v if isinstance(v, int | float | str) else shown(v)
                                       for v in values)])

    def plot(self, path: Path, test: str | None = None) -> None:
        from plcpilot.plots import timing_diagram

        rows = [r for r in self.rows if test is None or r[0] == test]
        if not rows:
            raise PlcPilotError("nothing traced to plot")
        first = rows[0][0]
        rows = [r for r in rows if r[0] == first]
        timing_diagram([t for _, t, _ in rows], self.signals,
                       [[v[k] if isinstance(v[k], int | float) else math.nan for _, _, v in rows]
                        for k in range(len(self.signals))],
                       title=first, path=path)


def _traced(value: Any) -> Any:
    """Bits as 0/1 (a timing diagram's levels), numbers as they are; text, a whole ARRAY or
    STRUCT as read (the CSV writes them, the diagram leaves a gap)."""
    return int(value) if isinstance(value, bool) else value


def run_test(new_machine: Callable[[], Machine], test: Test, *, task: str | None = None,
             max_scans: int = 500_000, max_seconds: float = 60.0,
             trace: Trace | None = None) -> TestResult:
    """Run one test on a fresh machine (power-on state). A name or value the machine refuses,
    before or during the run, is a PlcPilotError naming the task and the test."""
    try:
        return _run_test(new_machine, test, max_scans, max_seconds, trace)
    except PlcPilotError as e:
        where = f"task {task}, test {test.name!r}" if task else f"test {test.name!r}"
        raise PlcPilotError(f"{where}: {e}") from None


def _try_values(spare: Machine, test: Test) -> None:
    """Every value the test compares and sets, tried on a spare machine: a name, value or shape
    the machine refuses fails before any scan runs, not minutes into a long timeline."""
    values = Values(spare)
    for event in test.timeline:
        for name, want in {**(event.expect or {}), **(event.hold or {})}.items():
            values.compare(name, want)
    for event in test.timeline:
        for name, value in (event.set_ or {}).items():
            values.set(name, value)


def _failure(at_ms: int, name: str, want: Any, miss: Mismatch, **hold: Any) -> Failure:
    return Failure(at_ms=at_ms, name=name, expected=want, actual=miss.actual,
                   differs=miss.differs or None, **hold)


def _run_test(new_machine: Callable[[], Machine], test: Test, max_scans: int,
              max_seconds: float, trace: Trace | None) -> TestResult:
    dt = test.scan_ms
    points = sorted((e for e in test.timeline if e.hold is None), key=lambda e: e.at_ms)
    holds = [e for e in test.timeline if e.hold is not None]
    end = max(e.end_ms for e in test.timeline)
    needed = -(-end // dt)
    result = TestResult(name=test.name, passed=False)
    if needed > max_scans:
        result.error = (f"the timeline runs to {end} ms = {needed} scans of {dt} ms, over the "
                        f"limit of {max_scans} scans (raise it with --max-scans)")
        return result
    _try_values(new_machine(), test)
    machine = new_machine()
    values = Values(machine)
    hold_failures: dict[tuple[int, str], Failure] = {}
    started = time.monotonic()
    k = 0

    def run_until(t_ms: int) -> None:
        nonlocal k
        while k * dt < t_ms:
            now = k * dt
            machine.scan(now, dt)
            k += 1
            if trace is not None:
                trace.record(test.name, now, machine)
            for h, hold in enumerate(holds):
                if hold.from_ms <= now < hold.to_ms:
                    for name, want in hold.hold.items():
                        if miss := values.compare(name, want):
                            if (h, name) not in hold_failures:
                                hold_failures[h, name] = _failure(now, name, want, miss,
                                                                  kind="hold", scans=0)
                            hold_failures[h, name].scans += 1
            # every scan: one scan of a loop-heavy program can take a second
            if time.monotonic() - started > max_seconds:
                raise SimulationLimit(f"stopped after {max_seconds:g} s of wall time at "
                                   f"{now} ms of {end} ms (raise it with --max-seconds)")

    failures: list[Failure] = []
    try:
        for event in points:
            run_until(event.at_ms)
            for name, value in (event.set_ or {}).items():
                values.set(name, value)
            for name, want in (event.expect or {}).items():
                if miss := values.compare(name, want):
                    failures.append(_failure(event.at_ms, name, want, miss))
        run_until(end)
    except SimulationLimit as e:
        result.error = str(e)
    failures += hold_failures.values()
    failures.sort(key=lambda f: f.at_ms)
    result.failures = failures
    result.scans = k
    result.notes = machine.notes
    result.passed = not failures and result.error is None
    return result


def run_tests(new_machine: Callable[[], Machine], tests: Iterable[Test], *,
              task: str | None = None, trace: Trace | None = None, **bounds) -> SimulationReport:
    results = [run_test(new_machine, test, task=task, trace=trace, **bounds) for test in tests]
    notes = sorted({note for r in results for note in r.notes})
    return SimulationReport(passed=all(r.passed for r in results) and bool(results),
                            tests=results, task=task, notes=notes)
