"""The operator adapter from the outside: `plcpilot agent` uses the one installed in the
model cache (`embedded+lora:agent`) when no --model is named, says so when none is, and the
adapter scripts/train-agent-adapter builds answers held-out-worded logs the bare embedded model
got wrong (docs/results/plant-embedded vs plant-agent-lora3-coupled)."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, cli
from plcpilot.paths import data_dir
from plcpilot.plant import scenarios

pytest.importorskip("llama_cpp")

BUILT = ROOT / "runs" / "agent-lora"  # where scripts/train-agent-adapter trains it
# held-out wording; the bare model answered export_verify() to both
POINTS = {"storage-sop-003@held_out": "robot_arm_pick('A_5')",
          "storage-abn-007@held_out": "alert_to_supervisor('RFID verification failure')"}
LOG = "[CNC Station][08:00:00] hello\n"


@pytest.fixture(scope="module")
def logs() -> dict[str, str]:
    points = scenarios.rephrased(scenarios.load(data_dir() / "scenarios"), "held_out")
    return {p.id: p.log for p in points if p.id in POINTS}


@pytest.mark.skipif(not (BUILT / "adapter.gguf").is_file(),
                    reason="the operator adapter is not built (scripts/train-agent-adapter)")
@pytest.mark.parametrize("point", POINTS)
def test_the_built_operator_adapter_answers_what_the_bare_model_got_wrong(point, logs):
    r = cli("agent", "decide", "--mode", "llm", "--model", f"embedded+lora:{BUILT}", "--log",
            "-", input=logs[point])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["command"] == POINTS[point]


def test_without_an_installed_adapter_the_agent_says_it_uses_the_bare_model(tmp_path):
    r = cli("agent", "decide", "--mode", "llm", "--log", "-", input=LOG,
            env={"PLCPILOT_CACHE": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert b"operator adapter is not installed" in r.stderr
    assert set(json.loads(r.stdout)) == {"reason", "command"}


def _installed(cache, base: str) -> None:
    """An adapter folder in the cache; its config names `base`, which the spec checks first."""
    folder = cache / "adapters" / "agent"
    folder.mkdir(parents=True)
    (folder / "adapter.gguf").write_bytes(b"GGUF")
    (folder / "config.json").write_text(json.dumps({"base": base}))


def test_the_default_is_the_installed_adapter_and_a_local_folder_wins(tmp_path):
    cache, work = tmp_path / "cache", tmp_path / "work"
    _installed(cache, "/models/other-llama")
    env = {"PLCPILOT_CACHE": str(cache)}
    r = cli("agent", "decide", "--mode", "llm", "--log", "-", input=LOG, env=env)
    assert r.returncode == 2 and b"embedded+lora:agent" in r.stderr  # the cached one is tried
    assert b"trained on '/models/other-llama'" in r.stderr
    (work / "agent").mkdir(parents=True)
    r = cli("agent", "decide", "--mode", "llm", "--model", "embedded+lora:agent", "--log", "-",
            input=LOG, env=env, cwd=work)
    assert r.returncode == 2 and b"no adapter.gguf in agent" in r.stderr
