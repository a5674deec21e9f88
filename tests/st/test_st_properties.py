"""PLCverif-style properties of Agents4PLC tasks checked by simulation (plcpilot.st.properties).

The programs below are ours, written from the tasks' instructions: a correct one per task,
which holds every supported property, and a wrong one, whose counterexample must replay
through the interpreter to the same values."""

from __future__ import annotations

import json
import re

import pytest
from test_language_neutral import FixedScores, WordEmbedder

from conftest import CORPUS as SHARED_CORPUS
from conftest import ROOT, cli
from plcpilot.bench.runner import read_samples, run
from plcpilot.errors import PlcPilotError
from plcpilot.importers import import_agents4plc
from plcpilot.retrieval.index import ExemplarIndex
from plcpilot.spec import Task
from plcpilot.st import language
from plcpilot.st.interpreter import compile_unit
from plcpilot.st.parser import parse
from plcpilot.st.properties import (
    CompiledProperty,
    ParsedProperty,
    check_properties,
    compile_properties,
    interface_pou,
    parse_properties,
    st_expression,
)

CORPUS = SHARED_CORPUS / "st" / "agents4plc"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="Agents4PLC corpus not present")


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    return {t.id: t for f in sorted(CORPUS.glob("*.jsonl")) for t in import_agents4plc(f)}


LED_OK = """FUNCTION_BLOCK LED_Control
VAR_INPUT PB1 : BOOL; PB2 : BOOL; END_VAR
VAR_OUTPUT LED : BOOL; END_VAR
LED := PB1 AND NOT PB2;
END_FUNCTION_BLOCK
"""
LED_WRONG = LED_OK.replace("PB1 AND NOT PB2", "PB1 OR NOT PB2")

MAX_OK = """FUNCTION_BLOCK FIND_MAX_VALUE
VAR_INPUT Value1 : INT; Value2 : INT; END_VAR
VAR_OUTPUT MaxValue : INT; END_VAR
IF Value1 >= Value2 THEN
    MaxValue := Value1;
ELSE
    MaxValue := Value2;
END_IF;
END_FUNCTION_BLOCK
"""
# off by one: Value1 = Value2 + 1 gives the smaller one
MAX_WRONG = MAX_OK.replace("Value1 >= Value2", "Value1 > Value2 + 1")

TOGGLE_OK = """FUNCTION_BLOCK TOGGLE_OUTPUT
VAR_INPUT Button : BOOL; END_VAR
VAR_OUTPUT ToggledOutput : BOOL := FALSE; END_VAR
VAR PrevButtonState : BOOL := FALSE; END_VAR
IF Button AND NOT PrevButtonState THEN
    ToggledOutput := NOT ToggledOutput;
END_IF;
PrevButtonState := Button;
END_FUNCTION_BLOCK
"""
# toggles when the button is released instead of when it is pressed
TOGGLE_WRONG = TOGGLE_OK.replace("Button AND NOT PrevButtonState",
                                 "NOT Button AND PrevButtonState")

STATE_OK = """FUNCTION_BLOCK StateMachineControl
VAR_INPUT request : BOOL; done : BOOL; END_VAR
VAR_OUTPUT listen : BOOL; END_VAR
VAR state : INT := 0; END_VAR
CASE state OF
0: IF request THEN
       state := 1;
       listen := FALSE;
   ELSE
       listen := TRUE;
   END_IF;
1: listen := FALSE;
   IF done THEN
       state := 0;
   END_IF;
END_CASE;
//#ASSERT state = 0 OR state = 1
END_FUNCTION_BLOCK
"""
# a detour through a state 2 on the way back to idle
STATE_WRONG = STATE_OK.replace("       state := 0;\n   END_IF;\nEND_CASE;",
                               "       state := 2;\n   END_IF;\n2: state := 0;\nEND_CASE;")

CASES = [("v1-E-9", LED_OK, LED_WRONG), ("v1-E-12", MAX_OK, MAX_WRONG),
         ("v1-E-11", TOGGLE_OK, TOGGLE_WRONG), ("v2-M-34", STATE_OK, STATE_WRONG)]


@pytest.mark.parametrize(("task_id", "correct", "wrong"), CASES)
def test_correct_program_holds_every_supported_property(tasks, task_id, correct, wrong):
    report = check_properties(tasks[task_id], correct)
    assert report.parses and report.type_checks, report.problems
    assert report.runs == 200 and report.problems == []
    assert report.count("held") + report.count("not applicable") == len(report.properties), \
        report.model_dump_json(indent=1)
    assert report.count("held") >= 1


@pytest.mark.parametrize(("task_id", "correct", "wrong"), CASES)
def test_wrong_program_gets_a_counterexample_that_replays(tasks, task_id, correct, wrong):
    report = check_properties(tasks[task_id], wrong)
    violated = [p for p in report.properties if p.verdict == "violated"]
    assert violated, report.model_dump_json(indent=1)
    new_machine = language.simulator(wrong, report.entry)
    for p in violated:
        if p.pattern == "assertion":  # its flag lives in the instrumented program
            continue
        cx = p.counterexample
        machine = new_machine()
        for k, inputs in enumerate(cx.inputs):
            for name, value in inputs.items():
                machine.write(name, value)
            if k + 1 == cx.cycle:
                assert {name: machine.read(name) for name in cx.start} == cx.start
            machine.scan(k * cx.scan_ms, cx.scan_ms)
        assert len(cx.inputs) == cx.cycle
        assert {name: machine.read(name) for name in cx.values} == cx.values


def test_a_violation_shows_the_values_that_break_it(tasks):
    report = check_properties(tasks["v1-E-9"], LED_WRONG)
    (broken,) = [p for p in report.properties
                 if p.expressions == ["instance.PB1 = FALSE", "instance.LED = FALSE"]]
    assert broken.verdict == "violated"
    assert broken.meaning == ("if `instance.PB1 = FALSE` is true at the end of a cycle, "
                              "`instance.LED = FALSE` is true at the end of the same cycle")
    assert broken.counterexample.values["PB1"] is False
    assert broken.counterexample.values["LED"] is True


def test_a_failing_assertion_comment_violates_the_assertion_job(tasks):
    report = check_properties(tasks["v2-M-34"], STATE_WRONG)
    (assertion,) = [p for p in report.properties if p.pattern == "assertion"]
    assert assertion.verdict == "violated"
    assert "state = 0 OR state = 1" in assertion.description
    assert check_properties(tasks["v2-M-34"], LED_OK).properties[0].verdict == "not applicable"


def test_an_assertion_that_cannot_run_leaves_the_job_unsupported_and_the_rest_checked(tasks):
    source = STATE_OK.replace("//#ASSERT state = 0 OR state = 1", "//#ASSERT no_such_var")
    report = check_properties(tasks["v2-M-34"], source)
    assert report.properties[0].verdict == "unsupported"
    assert any("#ASSERT" in p for p in report.problems)
    assert report.count("held") == len(report.properties) - 1


def test_the_report_is_deterministic_for_a_seed_and_serialisable(tasks):
    one = check_properties(tasks["v1-E-12"], MAX_WRONG, runs=20, cycles=10, seed=3)
    two = check_properties(tasks["v1-E-12"], MAX_WRONG, runs=20, cycles=10, seed=3)
    assert one.model_dump_json() == two.model_dump_json()


def test_a_program_that_does_not_check_is_reported_not_run(tasks):
    report = check_properties(tasks["v1-E-9"], "FUNCTION_BLOCK LED_Control\nLED := ;\n")
    assert not report.type_checks and report.problems and report.runs == 0


def _task(properties: list[dict]) -> Task:
    return Task(id="t", language="st", prompt="FUNCTION_BLOCK Counter ...",
                properties=[{"property": p} for p in properties])


COUNTER = """FUNCTION_BLOCK Counter
VAR_INPUT up : BOOL; END_VAR
VAR_OUTPUT n : INT; END_VAR
IF up THEN n := n + 1; ELSE n := 0; END_IF;
END_FUNCTION_BLOCK
"""


def _verdicts(properties: list[dict], runs: int = 30) -> list[str]:
    return [p.verdict for p in check_properties(_task(properties), COUNTER, runs=runs,
                                                cycles=20).properties]


def test_statechange_during_cycle_compares_the_start_of_the_cycle_with_its_end():
    during = {"job_req": "pattern", "pattern_id": "pattern-statechange-duringcycle"}
    assert _verdicts([{**during, "pattern_params": {"1": "instance.up AND instance.n = 2",
                                                    "2": "instance.n = 3"}},
                      {**during, "pattern_params": {"1": "instance.up AND instance.n = 2",
                                                    "2": "instance.n = 2"}}]) \
        == ["held", "violated"]


def test_statechange_between_cycles_compares_consecutive_cycle_ends():
    between = {"job_req": "pattern", "pattern_id": "pattern-statechange-betweencycles"}
    assert _verdicts([{**between, "pattern_params": {"1": "instance.n = 1", "2": "instance.up",
                                                     "3": "instance.n = 2"}},
                      {**between, "pattern_params": {"1": "instance.n = 1", "2": "instance.up",
                                                     "3": "instance.n = 1"}}]) \
        == ["held", "violated"]


def test_reachability_says_reached_or_not_reached():
    reach = {"job_req": "pattern", "pattern_id": "pattern-reachability"}
    assert _verdicts([{**reach, "pattern_params": {"1": "instance.n = 3"}},
                      {**reach, "pattern_params": {"1": "instance.n < 0"}}], runs=10) \
        == ["reached", "not reached"]


def test_unsupported_properties_say_why():
    report = check_properties(_task([
        {"job_req": "pattern", "pattern_id": "pattern-repeatability",
         "pattern_params": {"1": "instance.up"}},
        {"job_req": "pattern", "pattern_id": "pattern-invariant",
         "pattern_params": {"1": "instance.missing > 0"}},
        {"job_req": "pattern", "pattern_id": "pattern-invariant",
         "pattern_params": {"1": "instance.n + 1"}}]), COUNTER, runs=3)
    assert [p.verdict for p in report.properties] == ["unsupported"] * 3
    assert "branching-time" in report.properties[0].why
    assert "missing" in report.properties[1].why
    assert "not a condition" in report.properties[2].why


def test_plcverif_implication_becomes_st():
    assert st_expression("instance.i = 0 --> instance.o = 0") == "NOT (i = 0) OR (o = 0)"
    assert st_expression("instance.a AND instance.b;") == "a AND b"


# the corpus: 479 pattern properties (28 `assertion` jobs besides) in 96 tasks
PATTERN_PROPERTIES = 479
PARSE_FLOOR = 477  # measured: all but the two patterns simulation cannot decide
INTERFACE_FLOOR = 442  # measured: compiled against the interfaces the prompts declare
_INTERFACE = re.compile(r"^\s*(FUNCTION_BLOCK|PROGRAM)\b.*?^\s*END_\1\b", re.M | re.S)


def test_the_corpus_properties_parse_and_which_kinds_are_unsupported(tasks):
    assert len(tasks) == 96
    parsed = [p for t in tasks.values() for p in parse_properties(t)
              if (p.result if isinstance(p, ParsedProperty) else p).pattern != "assertion"]
    assert len(parsed) == PATTERN_PROPERTIES
    supported = [p for p in parsed if isinstance(p, ParsedProperty)]
    assert len(supported) >= PARSE_FLOOR
    assert {p.pattern for p in parsed if not isinstance(p, ParsedProperty)} \
        <= {"pattern-repeatability", "pattern-leadsto-trigger"}


def test_the_corpus_properties_compile_against_the_task_interfaces(tasks):
    """Where a prompt's interface compiles (90 of 96 tasks; the rest write VAR_IN or no
    END_FUNCTION_BLOCK), its properties compile against it, but for the two undecidable
    patterns and a few that name variables the interface does not declare."""
    compiled = total = 0
    for task in tasks.values():
        interface = "\n".join(m.group(0) for m in _INTERFACE.finditer(task.prompt))
        try:
            machine = compile_unit(parse(interface).unit, interface_pou(task))()
        except PlcPilotError:  # an interface that does not compile: not counted
            continue
        for p in compile_properties(task, machine):
            if (p.result if isinstance(p, CompiledProperty) else p).pattern != "assertion":
                total += 1
                compiled += isinstance(p, CompiledProperty)
    assert total >= 450 and compiled >= INTERFACE_FLOOR


def test_the_cli_checks_properties_and_exits_1_on_a_counterexample(tmp_path):
    imported = tmp_path / "a4.jsonl"
    assert cli("tasks", "import", "agents4plc", CORPUS / "benchmark_v1_easy.jsonl",
               "--out", imported).returncode == 0
    good, bad = tmp_path / "ok.st", tmp_path / "wrong.st"
    good.write_text(MAX_OK)
    bad.write_text(MAX_WRONG)
    args = ("tasks", "properties", "--tests", imported, "--task", "v1-E-12", "--runs", "40")
    r = cli(*args[:2], good, *args[2:], "--json")
    assert r.returncode == 0, r.stderr
    assert {p["verdict"] for p in json.loads(r.stdout)["properties"]} == {"held"}
    r = cli(*args[:2], bad, *args[2:])
    assert r.returncode == 1 and b"counterexample" in r.stdout and b"not a proof" in r.stdout
    pytest.importorskip("z3")
    r = cli(*args[:2], good, *args[2:], "--bmc", "5", "--json")
    assert r.returncode == 0, r.stderr
    assert {p["verdict"] for p in json.loads(r.stdout)["properties"]} == {"proved"}
    r = cli(*args[:2], bad, *args[2:], "--bmc", "5")
    assert r.returncode == 1 and b"counterexample" in r.stdout and b"up to 5 cycles" in r.stdout


# ---- the Agents4PLC benchmark run: `bench run` on the benchmark's own file -----------------

def test_bench_reports_syntax_and_verification_pass_on_agents4plc_files(tmp_path):
    """The benchmark's file as it is (pretty-printed objects), one task, two samples: a wrong
    answer, then a right one."""
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", _one_task(tmp_path, "v1-E-12"), "--model",
            _replies(tmp_path, MAX_WRONG, MAX_OK), "--mode", "llm-only", "--samples", "2",
            "--bmc", "5", "--out", out)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    wrong, right = read_samples(out)
    assert wrong["compiles"] and not wrong["verification_passed"]
    assert wrong["properties"]["simulation"]["violated"] >= 1
    assert wrong["properties"]["bmc"]["violated"] >= 1
    assert right["verification_passed"] and "violated" not in right["properties"]["bmc"]
    report = (out / "report.md").read_text()
    assert "## Properties (Agents4PLC's metrics)" in report
    assert "| llm-only | 2 | 100.0 % [34.2, 100.0] | 50.0 % [9.5, 90.5] |" in report
    assert "| v1-E-12 | ✗ " in report  # the first sample's verdict


def test_tasks_without_references_retrieve_from_the_examples(tmp_path):
    """Agents4PLC has no reference programs: retrieval draws on --examples (never run)."""
    pools = []

    def index_for(tasks):
        pools.append(tasks)
        return ExemplarIndex(tasks, WordEmbedder(), root=tmp_path / "index")

    out = tmp_path / "run"
    run([_one_task(tmp_path, "v1-E-12")], [_replies(tmp_path, MAX_OK)], ["rag"], out,
        examples=[ROOT / "data" / "tasks" / "st"], scorer=FixedScores(), index_for=index_for)
    (sample,) = read_samples(out)
    assert len(pools[0]) == 1 + 100  # the task itself (no reference: not indexed) + ours
    assert sample["exemplars"] and all(e.startswith("st-") for e in sample["exemplars"])
    assert sample["verification_passed"] and json.loads(
        (out / "config.json").read_text())["examples"] == [str(ROOT / "data" / "tasks" / "st")]


def _one_task(tmp_path, task_id):
    """One Agents4PLC task in the benchmark's own file format."""
    objects = [o for o in _objects_of(CORPUS / "benchmark_v1_easy.jsonl") if o["id"] == task_id]
    path = tmp_path / "benchmark_v1_easy.jsonl"
    path.write_text("\n".join(json.dumps(o, indent=4) for o in objects))
    return path


def _replies(tmp_path, *replies):
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return f"scripted:{path}"


def _objects_of(path):
    decoder, text, out, i = json.JSONDecoder(), path.read_text().strip(), [], 0
    while i < len(text):
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
        i = len(text) - len(text[i:].lstrip())
    return out
