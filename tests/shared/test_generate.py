"""`plcpilot generate` end to end with the deterministic scripted backend (no model, no network)
and the real exemplar index."""

import json

import pytest
import yaml

from conftest import cli
from plcpilot.errors import PlcPilotError
from plcpilot.generate.pipeline import Settings, generate, settings_for
from plcpilot.llm.http_chat import ollama
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks

TASKS = shipped_tasks("fx-il") / "basic_control.yaml"
TASK = next(t for t in load_tasks(TASKS) if t.id == "bc-001")
WRONG = "LD X0\nOR Y0\nOUT Y0\nEND\n"  # no stop button
NOT_FX = "LD X0\nJMP P1\nOUT Y0\nEND\n"


def script(tmp_path, *replies):
    f = tmp_path / "replies.yaml"
    f.write_text(yaml.safe_dump(list(replies)))
    return f"scripted:{f}"


def run(model, *args):
    r = cli("generate", "--tests", TASKS, "--task", "bc-001", "--model", model, "--json", *args)
    return r, (json.loads(r.stdout) if r.stdout.strip().startswith(b"{") else None)


def test_correct_first_answer_is_checked_and_tested(tmp_path):
    r, out = run(script(tmp_path, f"```fx-il\n{TASK.reference}```\nIt latches."), "--no-rag",
                 "--no-grammar")
    assert r.returncode == 0, r.stderr
    assert out["is_valid"] and out["behaviour_passed"] and len(out["attempts"]) == 1
    assert out["program"].strip() == TASK.reference.strip()


def test_repair_feeds_back_the_failing_test_and_keeps_every_round(tmp_path):
    r, out = run(script(tmp_path, WRONG, TASK.reference), "--no-rag", "--repair", "2")
    assert r.returncode == 0
    first, second = out["attempts"]
    assert first["check"]["is_valid"] and not first["simulation"]["passed"]
    feedback = second["messages"][-1]["content"]
    assert "behavioural test fails" in feedback and "Y0 expected 0, got 1" in feedback
    assert second["simulation"]["passed"]


def test_repair_feeds_back_checker_errors_with_their_codes(tmp_path):
    r, out = run(script(tmp_path, NOT_FX, TASK.reference), "--no-rag", "--no-grammar")
    feedback = out["attempts"][1]["messages"][-1]["content"]
    assert "unknown-mnemonic" in feedback and "fix:" in feedback
    assert out["is_valid"] and out["behaviour_passed"]


def test_repair_lists_only_the_first_diagnostics_of_a_runaway_answer(tmp_path):
    """An answer that loops draws hundreds of diagnostics; the next round must still fit a
    small model's context, so the feedback names the first dozen and counts the rest."""
    runaway = "\n".join(f"JMP P{i}" for i in range(300)) + "\nEND\n"
    r, out = run(script(tmp_path, runaway, TASK.reference), "--no-rag", "--no-grammar")
    assert r.returncode == 0, r.stderr
    feedback = out["attempts"][1]["messages"][-1]["content"]
    assert feedback.count("unknown-mnemonic") == 12 and "… and 288 more" in feedback
    assert out["behaviour_passed"]


def test_a_coil_driven_twice_is_repaired_although_the_checker_only_warns(tmp_path):
    """Generated code must not carry logic without effect: the FX language counts double-coil
    (and its kin) as errors for generated code, so the repair loop hears of it."""
    twice = TASK.reference.replace("END", "LD X0\nOUT Y1\nEND")  # the second OUT Y1 wins
    r, out = run(script(tmp_path, twice, TASK.reference), "--no-rag", "--repair", "2")
    first, second = out["attempts"]
    assert first["check"]["is_valid"]
    assert "double-coil" in [w["code"] for w in first["check"]["warnings"]]
    assert "double-coil" in second["messages"][-1]["content"]
    assert r.returncode == 0 and out["behaviour_passed"]


def test_rounds_are_bounded_and_a_failure_exits_1(tmp_path):
    r, out = run(script(tmp_path, WRONG), "--no-rag", "--repair", "1")
    assert r.returncode == 1 and len(out["attempts"]) == 2 and out["behaviour_passed"] is False


def test_retrieval_leaves_the_task_itself_out(tmp_path):
    r, out = run(script(tmp_path, TASK.reference), "--k", "3")
    ids = [e["id"] for e in out["exemplars"]]
    assert len(ids) == 3 and "bc-001" not in ids
    prompt = out["attempts"][0]["messages"][1]["content"]
    assert prompt.count("Q: ") == 4 and "A:" in prompt


def test_request_without_tests_is_only_checked(tmp_path):
    model = script(tmp_path, "LD X0\nOUT Y0\nEND\n")
    r = cli("generate", "Lamp Y0 follows switch X0.", "--model", model, "--no-rag", "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["is_valid"] and out["behaviour_passed"] is None


@pytest.mark.parametrize(("spec", "needle"), [
    ("olama:qwen", "Did you mean ollama"),
    ("openai:localhost#m", "openai:<base-url>#<model>"),
    ("scripted:/nonexistent.yaml", "no such file"),
    ("embedded:qwen2.5-coder-1.5", "Did you mean qwen2.5-coder-1.5b"),
])
def test_bad_model_specs_are_clear_errors(spec, needle):
    r = cli("generate", "Lamp Y0 follows X0.", "--model", spec, "--no-rag")
    assert r.returncode == 2 and needle in r.stderr.decode()


def test_a_server_that_is_not_there_is_a_clear_error():
    r = cli("generate", "Lamp Y0 follows X0.", "--no-rag", "--no-grammar", "--model",
            "openai:http://127.0.0.1:9/v1#m?retries=0")
    assert r.returncode == 2 and "cannot reach http://127.0.0.1:9/v1" in r.stderr.decode()


def test_a_backend_that_cannot_apply_the_grammar_refuses_loudly():
    backend = ollama("qwen2.5-coder:7b")  # OpenAI dialect: JSON schemas only; not contacted
    with pytest.raises(PlcPilotError, match="cannot apply a lark constraint"):
        generate("Lamp Y0 follows X0.", Settings(rag=False), backend=backend)


def test_modes_are_the_benchmark_ablation_ladder():
    assert settings_for("llm-only") == Settings(rag=False, grammar=False, repair=0)
    assert settings_for("rag+grammar+repair").repair == 2
    with pytest.raises(PlcPilotError):
        settings_for("rag+magic")
