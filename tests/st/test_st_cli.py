"""Structured Text through the command line, as an engineer runs it: `check` and `simulate` pick
the language by the `.st` suffix or the task, tests name the POU to run, values are typed, and
errors are clear (exit 2 for unusable input, 1 for an invalid program or a failed test)."""

from __future__ import annotations

import json

import pytest

from conftest import cli

pytest.importorskip("tree_sitter_iec61131_3_st")

PROGRAM = """\
TYPE Axis : STRUCT pos : REAL; homed : BOOL; END_STRUCT; END_TYPE

FUNCTION Scale : REAL
VAR_INPUT raw : INT; END_VAR
Scale := INT_TO_REAL(raw) * 0.1;
END_FUNCTION

FUNCTION_BLOCK Filler
VAR_INPUT go : BOOL; level : INT; END_VAR
VAR_OUTPUT valve : BOOL; litres : REAL; axis : Axis; history : ARRAY[1..3] OF INT; END_VAR
VAR t : TON; k : INT; END_VAR
litres := Scale(level);
t(IN := go AND litres < 50.0, PT := T#200ms);
valve := go AND NOT t.Q AND litres < 50.0;
axis.pos := litres;
axis.homed := TRUE;
FOR k := 3 TO 2 BY -1 DO history[k] := history[k - 1]; END_FOR;
history[1] := level;
END_FUNCTION_BLOCK

PROGRAM Other
VAR x : INT; END_VAR
x := x + 1;
END_PROGRAM
"""

TASKS = """\
- id: st-fill
  language: st
  category: process
  entry: Filler
  prompt: Open the valve while filling, at most 200 ms, below 50 litres.
  tests:
    - name: fills, times out, reports typed values
      timeline:
        - {at_ms: 0, set: {go: true, level: 123}}
        - {at_ms: 100, expect: {valve: true, litres: 12.3, axis: {homed: true, pos: 12.3}}}
        - {at_ms: 100, expect: {history: [123, 123, 123], t.ET: "T#100ms"}}
        - {at_ms: 300, expect: {valve: false}}
        - {at_ms: 300, set: {level: 600}}
        - {at_ms: 400, expect: {litres: 60.0, history: [600, 600, 600]}}
"""


@pytest.fixture
def files(tmp_path):
    program, tasks = tmp_path / "filler.st", tmp_path / "tasks.yaml"
    program.write_text(PROGRAM)
    tasks.write_text(TASKS)
    return program, tasks


def test_check_picks_st_by_suffix_and_reports_its_tiers(files):
    r = cli("check", files[0], "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["language"] == "st" and report["is_valid"]
    assert set(report["tiers"]) == {"lexical", "syntactic", "semantic"}


def test_check_finds_a_type_error_with_line_and_code(tmp_path):
    bad = tmp_path / "bad.st"
    bad.write_text("PROGRAM P\nVAR on_ : BOOL; n : INT; END_VAR\nn := on_;\nEND_PROGRAM\n")
    r = cli("check", bad, "--json")
    assert r.returncode == 1
    errors = json.loads(r.stdout)["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(3, "type-mismatch")]
    assert cli("explain", "st/type-mismatch").returncode == 0


def test_simulate_runs_the_tasks_entry_with_typed_values(files):
    r = cli("simulate", files[0], "--tests", files[1], "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["passed"]


def test_a_failed_expectation_shows_both_values_in_the_expected_shape(files, tmp_path):
    tasks = tmp_path / "wrong.yaml"
    tasks.write_text(TASKS.replace("history: [600, 600, 600]", "history: [600, 600, 601]"))
    r = cli("simulate", files[0], "--tests", tasks, "--json")
    assert r.returncode == 1
    failure = json.loads(r.stdout)["tests"][0]["failures"][0]
    assert failure["expected"] == [600, 600, 601] and failure["actual"] == [600, 600, 600]
    assert failure["differs"] == ["history[3]"]


def test_an_out_of_range_index_is_the_tests_error_not_a_crash(tmp_path):
    program = tmp_path / "p.st"
    program.write_text("PROGRAM P\nVAR_INPUT i : INT; END_VAR\nVAR a : ARRAY[1..3] OF INT; "
                       "END_VAR\na[i] := 1;\nEND_PROGRAM\n")
    tasks = tmp_path / "t.yaml"
    tasks.write_text("- id: idx\n  language: st\n  prompt: p\n  tests:\n    - name: bounds\n"
                     "      timeline:\n        - {at_ms: 0, set: {i: 4}}\n"
                     "        - {at_ms: 20, expect: {a: [0, 0, 0]}}\n")
    r = cli("simulate", program, "--tests", tasks, "--json")
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    assert "index 4 is outside a[1..3]" in json.loads(r.stdout)["tests"][0]["error"]


def test_an_unknown_entry_and_an_invalid_program_are_clear_errors(files, tmp_path):
    tasks = tmp_path / "entry.yaml"
    tasks.write_text(TASKS.replace("entry: Filler", "entry: Nope"))
    r = cli("simulate", files[0], "--tests", tasks)
    assert r.returncode == 2 and b"entry Nope" in r.stderr and b"Traceback" not in r.stderr
    broken = tmp_path / "broken.st"
    broken.write_text(PROGRAM.replace("litres := Scale(level);", "litres := Scale(level)"))
    r = cli("simulate", broken, "--tests", files[1])
    assert r.returncode == 2 and b"check error" in r.stderr and b"Traceback" not in r.stderr
