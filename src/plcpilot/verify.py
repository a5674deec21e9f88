"""Verify a task set: every reference passes its language's checker and all of its tests.

This is what `plcpilot tasks verify` runs, and what the task-set test enforces.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from pydantic import BaseModel, Field

from plcpilot import languages
from plcpilot.errors import PlcPilotError
from plcpilot.spec import SimulationReport, Task, run_tests


class TaskVerdict(BaseModel):
    id: str
    category: str
    valid: bool
    passed: bool
    tests: int
    tests_passed: int
    seconds: float
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def simulate_task(source: str, task: Task, options: Mapping[str, str] = {},
                  **bounds) -> SimulationReport:
    """Run a task's tests on `source` (raises PlcPilotError if the program cannot run).
    `options` are the languages' (`--opt`); each language takes the ones it declares."""
    language = languages.get(task.language)
    factory = languages.simulator(language, source, options, task.entry)
    return run_tests(factory, task.tests, task=task.id, **bounds)


def verify_task(task: Task, options: Mapping[str, str] = {}) -> TaskVerdict:
    started = time.perf_counter()
    verdict = TaskVerdict(id=task.id, category=task.category or "-", valid=False, passed=False,
                          tests=len(task.tests), tests_passed=0, seconds=0.0)
    if task.reference is None:
        verdict.problems.append("no reference program")
    else:
        language = languages.get(task.language)
        report = language.check(task.reference, **languages.options_for(language, options))
        verdict.valid = report.is_valid
        verdict.problems += [f"line {e.line}: {e.code}: {e.message}" for e in report.errors]
        if report.is_valid:
            try:
                sim = simulate_task(task.reference, task, options)
            except PlcPilotError as e:
                verdict.problems.append(str(e))
            else:
                verdict.tests_passed = sum(t.passed for t in sim.tests)
                verdict.passed = sim.passed
                verdict.notes = sim.notes
                for t in sim.tests:
                    if t.error:
                        verdict.problems.append(f"{t.name}: {t.error}")
                    for f in t.failures[:3]:
                        verdict.problems.append(
                            f"{t.name}: at {f.at_ms} ms {f.name} {f.describe()}")
        if not task.tests:
            verdict.problems.append("no behavioural tests")
    verdict.seconds = time.perf_counter() - started
    return verdict


def verify_tasks(tasks: Iterable[Task], options: Mapping[str, str] = {},
                 progress: Callable[[TaskVerdict], None] | None = None) -> list[TaskVerdict]:
    tasks = list(tasks)
    check_languages(tasks, options)
    out = []
    for task in tasks:
        v = verify_task(task, options)
        out.append(v)
        if progress:
            progress(v)
    return out


class MutantOutcome(BaseModel):
    task: str
    mutant: str
    killed: bool
    exempt: bool = False


def mutation_check(task: Task, options: Mapping[str, str] = {}) -> list[MutantOutcome]:
    """Run the task's tests on each mutant of its reference; a surviving mutant is a weak test.
    PlcPilotError when the task's language offers no mutants."""
    source_of_mutants = languages.mutants_of(languages.get(task.language))
    if not task.reference or not task.tests:
        return []
    exempt = set(getattr(task, "equivalent_mutants", None) or [])
    outcomes = []
    for description, source in source_of_mutants.mutants(task.reference):
        try:
            killed = not simulate_task(source, task, options).passed
        except PlcPilotError:
            killed = True  # the mutant does not even run
        outcomes.append(MutantOutcome(task=task.id, mutant=description, killed=killed,
                                      exempt=description in exempt))
    return outcomes


def mutation_checks(tasks: list[Task], options: Mapping[str, str] = {},
                    progress: Callable[[Task], None] | None = None) -> list[MutantOutcome]:
    """mutation_check over a task set; refuses at once (before any work) a set with a task whose
    language offers no mutants, or options no language of the set declares."""
    check_languages(tasks, options)
    for name in dict.fromkeys(t.language for t in tasks):
        languages.mutants_of(languages.get(name))
    outcomes = []
    for task in tasks:
        if progress:
            progress(task)
        outcomes += mutation_check(task, options)
    return outcomes


def check_languages(tasks: list[Task], options: Mapping[str, str]) -> None:
    """Refuse options (`--opt`) that no language of the tasks declares, before any work."""
    names = dict.fromkeys(t.language for t in tasks)
    languages.check_options([languages.get(n) for n in names], options)


def by_category(verdicts: list[TaskVerdict]) -> dict[str, dict[str, float]]:
    keys = ("tasks", "valid", "passed", "tests", "tests_passed", "seconds")
    rows: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for v in verdicts:
        for key in (v.category, "all"):
            r = rows[key]
            r["tasks"] += 1
            r["valid"] += v.valid
            r["passed"] += v.passed
            r["tests"] += v.tests
            r["tests_passed"] += v.tests_passed
            r["seconds"] += v.seconds
    return dict(sorted(rows.items(), key=lambda kv: (kv[0] == "all", kv[0])))
