"""`plcpilot bench` with the scripted backend: FORMATS.md §4 records, report and plots,
resume after a kill, refusal of a changed configuration, model failures as error samples; and
hostile run folders (lines that are not samples, a broken config.json, two runs at once), for
`bench run` and `agent bench` alike."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT, cli
from plcpilot.bench.report import summarize, write_report
from plcpilot.bench.runner import RunConfig, load_samples, run
from plcpilot.bench.stats import pass_at_k, wilcoxon_greater, wilson
from plcpilot.errors import PlcPilotError
from plcpilot.importers import import_agents4plc
from plcpilot.paths import shipped_tasks
from plcpilot.plant import bench as agent_bench
from plcpilot.runfolder import locked
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
    replies = tmp_path / "replies.yaml"
    replies.write_text("a prompt no task has: LD X0\n")  # every call fails: no reply matches
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", TASKS, "--model", f"scripted:{replies}", "--mode",
            "llm-only", "--every", "11", "--out", out)
    assert r.returncode == 0
    rows = records(out)
    assert len(rows) == 2 and all("no scripted reply matches" in x["error"] for x in rows)
    assert all(x["behaviour_passed"] is False for x in rows)


def test_an_unreachable_server_stops_the_run_before_any_sample(tmp_path):
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", TASKS, "--model",
            "openai:http://127.0.0.1:9/v1#m?retries=0&dialect=openai", "--mode", "llm-only",
            "--every", "11", "--out", out)
    assert r.returncode == 2 and "cannot reach http://127.0.0.1:9/v1" in r.stderr.decode()
    samples = out / "samples.jsonl"
    assert not samples.exists() or records(out) == []


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


# ---- hostile folders: lines that are not samples, a broken config, two runs at once ----------

class Exact:
    """A scorer without the embedding model: 1.0 when the program is the reference."""

    def score(self, output, reference):
        same = float(output.strip() == (reference or "").strip())
        return {"similarity": same, "bleu": same, "rouge_l": same}


def run_two(out, model, **extra):
    """bc-001 and bc-012, llm-only, in-process (no retrieval, no embedding model)."""
    return run([TASKS], [model], ["llm-only"], out, every=11, scorer=Exact(), **extra)


def test_lines_that_are_not_samples_are_skipped_named_and_their_samples_run_again(tmp_path,
                                                                                   model):
    out = tmp_path / "run"
    first, second = run_two(out, model)
    broken = {**second, "tokens_out": "many"}
    missing = {k: v for k, v in first.items() if k != "output"}
    (out / "samples.jsonl").write_bytes(b"\n".join([
        json.dumps(first).encode(), b"123", b"{}", json.dumps(broken).encode(),
        json.dumps(first).encode(), b"\xff\xfe not utf-8", json.dumps(missing).encode(),
        b'{"task_id": "bc-0'  # cut by a kill
    ]))
    heard = []
    records = run_two(out, model, warn=heard.append)
    assert [r["task_id"] for r in records] == ["bc-001", "bc-012"]
    assert records[1]["tokens_out"] == second["tokens_out"]  # bc-012 ran again
    assert len(heard) == 1 and "skipped 6 line(s)" in heard[0] and "line 2, 3, 4, 5, 6, 7;" in \
        heard[0] and "samples.jsonl" in heard[0]
    assert "line 2: Input should be a valid dictionary" in heard[0]
    lines = load_samples(out)
    assert [n for n, _ in lines.skipped] == [2, 3, 4, 5, 6, 7]
    assert dict(lines.skipped)[4] == "tokens_out: Input should be a valid integer"
    assert dict(lines.skipped)[5] == "the same result as line 1"
    summary = summarize(out, warn=heard.append)
    assert summary["groups"][0]["n"] == 2 and summary["skipped_lines"] == [2, 3, 4, 5, 6, 7]
    assert len(heard) == 2
    assert "Not counted: 6 line(s) of samples.jsonl" in write_report(out).read_text()


@pytest.mark.parametrize("text", ["{", "[]", '{"tasks": 1}', "\xff"])
def test_a_broken_config_json_is_a_clear_error_on_resume_and_report(tmp_path, model, text):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(text, errors="surrogateescape")
    (out / "samples.jsonl").write_text("")
    for attempt in (lambda: run_two(out, model), lambda: summarize(out)):
        with pytest.raises(PlcPilotError, match=r"config\.json: not a bench run configuration"):
            attempt()


def test_a_second_run_on_a_folder_is_refused_naming_who_holds_it(tmp_path, model):
    out = tmp_path / "run"
    with locked(out):
        with pytest.raises(PlcPilotError) as e:
            run_two(out, model)
        r = bench(out, model, "--every", "11")
    message = str(e.value)
    assert f"{out} is in use by another run (pid {os.getpid()} on " in message
    assert " since 20" in message and "pytest" in message
    assert r.returncode == 2 and b"in use by another run" in r.stderr
    assert not (out / "samples.jsonl").exists()
    assert len(run_two(out, model)) == 2  # released with the block


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from plcpilot.runfolder import locked\nwith locked(Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(120)", str(out)],
        stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    with pytest.raises(PlcPilotError, match=f"pid {holder.pid} on"), locked(out):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with locked(out):
        assert json.loads((out / "run.lock").read_text())["pid"] == os.getpid()


def test_two_runs_started_together_never_write_a_sample_twice(tmp_path, model):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "plcpilot", "bench", "run", "--tasks", str(TASKS), "--model",
           model, "--mode", "llm-only", "--every", "11", "--out", str(out)]
    runs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    assert all(code == 0 or (code == 2 and b"in use by another run" in err)
               for code, err in results), results
    assert len(records(out)) == 2  # bc-001 and bc-012, once each


def test_an_agent_bench_folder_with_lines_that_are_not_results_still_reports(tmp_path):
    out = tmp_path / "agent"
    shutil.copytree(ROOT / "docs" / "results" / "plant-embedded", out)
    expected = json.loads((out / "summary.json").read_text())
    expected.pop("skipped_lines")
    n = len((out / "decisions.jsonl").read_text().splitlines())
    with (out / "decisions.jsonl").open("a") as f:
        f.write('123\n{}\n{"id": "x", "mode": "sop"}\n')
        f.write((out / "decisions.jsonl").read_text().splitlines()[0] + "\n")  # twice
        f.write('{"id": "storage-sop-0')  # cut by a kill
    heard = []
    summary = agent_bench.summarize(out, warn=heard.append)
    skipped = summary.pop("skipped_lines")
    assert summary == expected
    bad = list(range(n + 1, n + 6))
    assert skipped == {"decisions.jsonl": bad} and len(heard) == 1
    report = agent_bench.write_report(out, "t").read_text()
    assert f"Not counted: line {', '.join(map(str, bad))} of decisions.jsonl" in report
    assert ("storage-sop-001", "sop") in agent_bench._done(out, agent_bench.DECISIONS)


def test_an_agent_bench_folder_takes_one_run_at_a_time_and_keeps_its_configuration(tmp_path):
    out = tmp_path / "agent"
    config = {"model": None, "modes": ["sop"], "scenarios": "shipped", "points": 3}
    with agent_bench.open_run(out, config), \
            pytest.raises(PlcPilotError, match="in use by another run"), \
            agent_bench.open_run(out, config):
        pass
    assert agent_bench.read_config(out) == config
    with pytest.raises(PlcPilotError, match="another configuration"), \
            agent_bench.open_run(out, {**config, "points": 4}):
        pass
    (out / "config.json").write_text("{")
    with pytest.raises(PlcPilotError, match=r"config\.json: not an agent bench configuration"):
        agent_bench.read_config(out)


def test_a_run_folder_from_before_language_options_keeps_its_cpu():
    stored = json.loads((ROOT / "docs/results/fx-il-embedded-every4-counts160/config.json")
                        .read_text())
    assert stored["cpu"] == "fx3u" and "options" not in stored
    assert RunConfig.model_validate(stored).options == {}  # the default: resumes without --opt
    assert RunConfig.model_validate({**stored, "cpu": "fx2n"}).options == {"cpu": "fx2n"}
