"""`plcpilot simulate` and `plcpilot tasks` as a user runs them."""

import csv
import json

from conftest import cli

TASKS = """
- id: latch
  category: basic_control
  prompt: Start X0, stop X1, motor Y0.
  reference: |
    LD X0
    OR Y0
    ANI X1
    OUT Y0
    END
  tests:
    - name: start latches, stop releases
      timeline:
        - {at_ms: 0,   set: {X0: 1}}
        - {at_ms: 100, set: {X0: 0}}
        - {at_ms: 500, expect: {Y0: 1}}
        - {at_ms: 600, set: {X1: 1}}
        - {at_ms: 700, expect: {Y0: 0}}
        - {from_ms: 700, to_ms: 2000, hold: {Y0: 0}}
- id: forever
  prompt: A test that would run for a day.
  tests:
    - name: one day
      timeline:
        - {at_ms: 86400000, expect: {Y0: 0}}
"""


def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_passing_program_exits_0_with_formats_json(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", tasks, "--task", "latch", "--json")
    assert r.returncode == 0
    report = json.loads(r.stdout)
    assert report["passed"] is True
    assert report["tests"][0]["name"] == "start latches, stop releases"


def test_failing_program_reports_expected_and_actual(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nOR Y0\nOUT Y0\nEND\n")  # stop button missing
    r = cli("simulate", prog, "--tests", tasks, "--task", "latch", "--json")
    assert r.returncode == 1
    failures = json.loads(r.stdout)["tests"][0]["failures"]
    assert failures[0] == {"at_ms": 700, "name": "Y0", "expected": 0, "actual": 1}
    assert failures[1]["kind"] == "hold" and failures[1]["scans"] == 130


def test_trace_csv_and_timing_diagram_png(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n")
    trace, png = tmp_path / "t.csv", tmp_path / "t.png"
    r = cli("simulate", prog, "--tests", tasks, "--task", "latch", "--trace", trace, "--plot", png)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(trace.open()))
    assert list(rows[0]) == ["test", "time_ms", "X0", "Y0", "X1"]
    assert len(rows) == 200 and rows[10]["Y0"] == "1" and rows[-1]["Y0"] == "0"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_test_that_would_run_forever_is_bounded_and_says_so(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", tasks, "--task", "forever", "--json")
    assert r.returncode == 1
    assert "--max-scans" in json.loads(r.stdout)["tests"][0]["error"]


def test_wall_time_bound(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", tasks, "--task", "forever", "--max-scans", "100000000",
            "--max-seconds", "0.5", "--json")
    assert r.returncode == 1
    assert "wall time" in json.loads(r.stdout)["tests"][0]["error"]


def test_wall_time_bound_holds_for_slow_scans(tmp_path):
    """Each scan runs a loop of 100 000 instructions; the bound is checked after every scan,
    so the latch test (200 scans) stops at the bound instead of running on."""
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    body = "LD M8000\nINC D0\n" * 10
    prog = write(tmp_path, "p.il", f"LD M8000\nFOR K5000\n{body}NEXT\nLD X0\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", tasks, "--task", "latch", "--max-seconds", "0.2",
            "--json")
    assert r.returncode == 1
    assert "wall time" in json.loads(r.stdout)["tests"][0]["error"]


def test_program_with_errors_is_unusable_input(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    prog = write(tmp_path, "p.il", "LD X0\nJMP P1\nEND\n")
    r = cli("simulate", prog, "--tests", tasks, "--task", "latch")
    assert r.returncode == 2 and "unknown-mnemonic" in r.stderr.decode()


def test_bad_task_file_and_unknown_task_are_clear_errors(tmp_path):
    prog = write(tmp_path, "p.il", "LD X0\nOUT Y0\nEND\n")
    bad = write(tmp_path, "bad.yaml", "- id: x\n  prompt: p\n  tests: [{name: t, timeline: "
                                      "[{at_ms: 5}]}]\n")
    r = cli("simulate", prog, "--tests", bad)
    assert r.returncode == 2 and "neither set nor expect" in r.stderr.decode()
    tasks = write(tmp_path, "tasks.yaml", TASKS)
    r = cli("simulate", prog, "--tests", tasks, "--task", "latc")
    assert r.returncode == 2 and "Did you mean latch" in r.stderr.decode()
    r = cli("simulate", prog, "--tests", tasks)
    assert r.returncode == 2 and "--task" in r.stderr.decode()


def test_json_and_jsonl_task_files_are_accepted(tmp_path):
    import yaml

    tasks = yaml.safe_load(TASKS)[:1]
    (tmp_path / "t.json").write_text(json.dumps(tasks))
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(t) for t in tasks))
    prog = write(tmp_path, "p.il", "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n")
    for name in ("t.json", "t.jsonl"):
        assert cli("simulate", prog, "--tests", tmp_path / name).returncode == 0


def test_tasks_verify_prints_the_category_table(tmp_path):
    tasks = write(tmp_path, "tasks.yaml", TASKS.split("- id: forever")[0])
    r = cli("tasks", "verify", tasks)
    assert r.returncode == 0
    assert "basic_control" in r.stdout.decode() and "1/1" in r.stdout.decode()
