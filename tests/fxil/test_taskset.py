"""The shipped FX task set: big enough, covering the categories, every reference correct, and
tests strong enough that a mutated reference fails them."""

from collections import Counter

import pytest

from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks
from plcpilot.verify import mutation_check, verify_task

TASKS = load_tasks(shipped_tasks("fx-il"))
CATEGORIES = {
    # the FX-IL benchmark's five categories
    "traffic_light", "basic_instruction", "special_relay", "timer_counter", "basic_control",
    # the four it left out, which our simulator covers
    "step_ladder", "master_control", "applied_arithmetic", "counter_32bit",
}


def test_the_set_has_at_least_150_tasks_over_all_nine_categories():
    assert len(TASKS) >= 150
    per_category = Counter(t.category for t in TASKS)
    assert set(per_category) == CATEGORIES
    assert min(per_category.values()) >= 10


def test_ids_are_unique_and_every_task_is_complete():
    assert len({t.id for t in TASKS}) == len(TASKS)
    for t in TASKS:
        assert t.language == "fx-il" and t.reference and t.io and len(t.tests) >= 2, t.id
        assert all(device in t.prompt for device in t.io), f"{t.id}: prompt misses its I/O map"


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_reference_passes_the_checker_and_all_its_tests(task):
    verdict = verify_task(task)
    assert verdict.valid and verdict.passed, verdict.problems
    assert not verdict.notes  # nothing in a reference runs unsimulated


# swapping two inputs or changing a timer/counter preset must be caught (all tasks: ~7 s)
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_mutated_reference_fails_at_least_one_test(task):
    outcomes = mutation_check(task)
    survivors = [o.mutant for o in outcomes if not o.killed and not o.exempt]
    assert not survivors, f"{task.id}: tests pass these mutants: {survivors}"
    assert any(o.killed for o in outcomes) or not outcomes
