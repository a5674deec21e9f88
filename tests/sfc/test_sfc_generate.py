"""`plcpilot generate --lang sfc` on a deterministic scripted backend: the chart goes through
check, Safe-SFC verification and the task's tests, an unsafe first answer is repaired, and
`-o FILE.xml` writes PLCopen XML."""

from __future__ import annotations

import json

import yaml

from conftest import cli
from plcpilot.sfc.plcopen import read_chart

SAFE = {"name": "Lamp", "variables": [{"name": "start", "kind": "input"},
                                      {"name": "lamp", "kind": "output"}],
        "steps": [{"name": "Off", "initial": True},
                  {"name": "On", "actions": [{"action": "lamp"}]}],
        "transitions": [{"from": ["Off"], "to": ["On"], "condition": "start"},
                        {"from": ["On"], "to": ["Off"], "condition": "NOT start",
                         "jump": True}]}
# parallel branches never joined: both return to Off, a token overflow
UNSAFE = {**SAFE, "steps": [*SAFE["steps"], {"name": "Other"}],
          "transitions": [{"from": ["Off"], "to": ["On", "Other"], "condition": "start"},
                          {"from": ["On"], "to": ["Off"], "condition": "NOT start"},
                          {"from": ["Other"], "to": ["Off"], "condition": "NOT start"}]}
# SAFE's topology with a condition the checker rejects (an undeclared variable)
SAFE_BUT_INVALID = {**SAFE, "transitions": [{**SAFE["transitions"][0], "condition": "stat"},
                                            SAFE["transitions"][1]]}


def test_an_unsafe_chart_is_repaired_and_written_as_plcopen(tmp_path):
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([json.dumps(UNSAFE), json.dumps(SAFE)]))
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(yaml.safe_dump([{
        "id": "lamp", "language": "sfc", "prompt": "The lamp is on while start is pressed.",
        "tests": [{"name": "follows", "timeline": [
            {"at_ms": 0, "set": {"start": True}}, {"at_ms": 50, "expect": {"lamp": True}},
            {"at_ms": 60, "set": {"start": False}}, {"at_ms": 100, "expect": {"lamp": False}}]}]
    }]))
    out = tmp_path / "lamp.xml"
    r = cli("generate", "--tests", tasks, "--task", "lamp", "--model", f"scripted:{replies}",
            "--no-rag", "-o", out, "--json")
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    report = json.loads(r.stdout)
    assert len(report["attempts"]) == 2
    first = report["attempts"][0]["check"]
    assert first["safe"] is False and any(w["code"] == "unsafe" for w in first["warnings"])
    assert report["attempts"][1]["check"]["safe"] is True and report["behaviour_passed"]
    chart = read_chart(out)
    assert chart.name == "Lamp" and [s.name for s in chart.steps] == ["Off", "On"]


def test_a_bench_run_over_charts_reports_safe_at_k(tmp_path):
    """Safe@k counts charts that pass the checker and are safe; a safe topology around ST the
    checker rejects is shown apart, never as a success."""
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([json.dumps(c) for c in (UNSAFE, SAFE, SAFE_BUT_INVALID)]))
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(yaml.safe_dump([{"id": "lamp", "language": "sfc", "prompt": "lamp",
                                      "reference": json.dumps(SAFE)}]))
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", tasks, "--model", f"scripted:{replies}", "--mode",
            "llm-only", "--samples", "3", "--out", out)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    by_sample = {s["sample"]: s for s in samples}
    assert [by_sample[i]["safe"] for i in range(3)] == [False, True, True]
    assert [by_sample[i]["valid_safe"] for i in range(3)] == [False, True, False]
    report = (out / "report.md").read_text()
    assert "| checker | Safe-SFC topology | valid and safe (Safe@k) | behaviour |" in report
    assert "pass@1 66.7 %, pass@2 100.0 %" in report  # topology
    assert "pass@1 33.3 %, pass@2 66.7 %" in report  # valid and safe
