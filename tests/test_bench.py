"""`plcpilot bench` with the scripted backend: FORMATS.md §4 records, report and plots,
resume after a kill, refusal of a changed configuration, model failures as error samples."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT, cli
from plcpilot.bench.importers import import_agents4plc
from plcpilot.bench.stats import pass_at_k, wilcoxon_greater, wilson
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks

TASKS = shipped_tasks("fx-il") / "basic_control.yaml"
FIELDS = {"task_id", "category", "model", "mode", "sample", "output", "is_valid", "tiers",
          "behaviour_passed", "similarity", "bleu", "rouge_l", "latency_s", "tokens_out",
          "error"}


@pytest.fixture
def model(tmp_path):
    """Replies: the first task's reference (right for bc-001, wrong for the others)."""
    f = tmp_path / "replies.yaml"
    f.write_text(yaml.safe_dump([load_tasks(TASKS)[0].reference]))
    return f"scripted:{f}"


def bench(out, model, *extra):
    return cli("bench", "run", "--tasks", TASKS, "--model", model, "--mode", "llm-only",
               "--mode", "rag+grammar", "--out", out, *extra)


def records(out):
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def test_run_writes_every_sample_with_the_formats_fields_and_a_report(tmp_path, model):
    out = tmp_path / "run"
    r = bench(out, model, "--every", "11", "--samples", "2")
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    rows = records(out)
    assert len(rows) == 2 * 2 * 2  # tasks bc-001, bc-012 x modes x samples
    assert all(set(row) >= FIELDS for row in rows)
    first = next(x for x in rows if x["task_id"] == "bc-001")
    assert first["is_valid"] and first["behaviour_passed"] and first["similarity"] > 0.99
    assert first["bleu"] == pytest.approx(1.0) and first["rouge_l"] == pytest.approx(1.0)
    assert first["simulate_s"] > 0 and first["total_s"] >= first["check_s"] + first["simulate_s"]
    summary = json.loads((out / "summary.json").read_text())
    group = summary["groups"][0]
    assert group["behaviour"]["rate"] == 0.5 and group["pass_at_k"]["pass@2"] == 1.0
    assert summary["calibration"]["valid"]["rate"] == 1.0
    report = (out / "report.md").read_text()
    assert "Wilcoxon" in report and "![pass_rates](pass_rates.png)" in report
    for png in ("pass_rates", "pareto", "category_heatmap", "delta_similarity"):
        assert (out / f"{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_limit_takes_the_first_tasks_of_the_sample_and_the_report_says_so(tmp_path, model):
    out = tmp_path / "run"
    r = bench(out, model, "--every", "3", "--limit", "2")
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert sorted({x["task_id"] for x in records(out)}) == ["bc-001", "bc-004"]
    assert "(every 3. task, the first 2)" in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text())["calibration"]["n"] == 2


def test_a_killed_run_resumes_without_redoing_or_losing_samples(tmp_path, model):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "plcpilot", "bench", "run", "--tasks", str(TASKS), "--model",
           model, "--mode", "llm-only", "--mode", "rag", "--samples", "2", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    samples = out / "samples.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if samples.exists() and samples.read_text().count("\n") >= 5:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = samples.read_text().splitlines()
    assert 5 <= len(before) < 22 * 2 * 2
    r = bench_resume = cli(*cmd[3:])
    assert r.returncode == 0, bench_resume.stderr.decode()[-2000:]
    after = samples.read_text().splitlines()
    complete = [line for line in before if line.endswith("}")]
    assert after[: len(complete)] == complete  # nothing redone or rewritten
    keys = [(x["task_id"], x["mode"], x["sample"]) for x in map(json.loads, after)]
    assert len(keys) == len(set(keys)) == 22 * 2 * 2  # nothing lost, nothing twice


def test_resuming_with_another_configuration_is_refused(tmp_path, model):
    out = tmp_path / "run"
    assert bench(out, model, "--every", "11").returncode == 0
    r = bench(out, model, "--every", "11", "--temperature", "0.2")
    assert r.returncode == 2 and "temperature" in r.stderr.decode()


def test_a_failing_model_call_is_an_error_sample_not_a_crash(tmp_path):
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", TASKS, "--model",
            "openai:http://127.0.0.1:9/v1#m?retries=0&dialect=openai", "--mode", "llm-only",
            "--every", "11", "--out", out)
    assert r.returncode == 0
    rows = records(out)
    assert len(rows) == 2 and all("cannot reach" in x["error"] for x in rows)
    assert all(x["behaviour_passed"] is False for x in rows)


def test_wilson_interval_pass_at_k_and_wilcoxon():
    assert wilson(0, 10)[2] == pytest.approx(0.2775, abs=1e-4)
    rate, low, high = wilson(7, 10)
    assert (rate, round(low, 4), round(high, 4)) == (0.7, 0.3968, 0.8922)
    assert pass_at_k(10, 0, 1) == 0 and pass_at_k(10, 10, 5) == 1
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    w = wilcoxon_greater([0.9, 0.8, 0.7, 0.95, 0.85, 0.9], [0.5, 0.4, 0.6, 0.5, 0.3, 0.2])
    assert w["p"] < 0.05 and w["nonzero"] == 6
    assert wilcoxon_greater([1, 1], [1, 1])["p"] is None


def test_agents4plc_files_import_as_st_tasks_with_their_properties(corpus):
    files = sorted((corpus / "st" / "agents4plc").glob("*.jsonl"))
    tasks = [t for f in files for t in import_agents4plc(f)]
    assert len(tasks) == 96
    assert {t.category for t in tasks} == {"v1_easy", "v1_medium", "v2_medium", "v2_hard"}
    assert all(t.language == "st" and t.properties for t in tasks)


def test_the_repair_mode_continues_the_rag_grammar_sample(tmp_path):
    """A paired ablation, one decode fewer: repair starts from the rag+grammar answer."""
    reference = load_tasks(TASKS)[0].reference
    f = tmp_path / "replies.yaml"
    f.write_text(yaml.safe_dump(["LD X0\nOR Y0\nOUT Y0\nEND\n", reference]))
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", TASKS, "--model", f"scripted:{f}", "--every", "100",
            "--mode", "rag+grammar+repair", "--mode", "rag+grammar", "--out", out)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    plain, repaired = sorted(records(out), key=lambda x: x["mode"])
    assert plain["mode"] == "rag+grammar" and not plain["behaviour_passed"]
    assert repaired["first_round_shared"] and repaired["rounds"] == 2
    assert repaired["behaviour_passed"] and repaired["latency_s"] >= plain["latency_s"]
