"""The operator adapter shipped in data/adapters/agent, from the outside: `plcpilot agent`
uses it when no --model is named, and it answers held-out-worded logs the bare embedded model
got wrong (docs/results/plant-embedded vs plant-agent-lora3)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import cli
from plcpilot.paths import data_dir
from plcpilot.plant import scenarios

pytest.importorskip("llama_cpp")

# held-out wording; the bare model answered export_verify() to both
POINTS = {"storage-sop-003@held_out": "robot_arm_pick('A_5')",
          "storage-abn-007@held_out": "alert_to_supervisor('RFID verification failure')"}


@pytest.fixture(scope="module")
def logs() -> dict[str, str]:
    points = scenarios.rephrased(scenarios.load(data_dir() / "scenarios"), "held_out")
    return {p.id: p.log for p in points if p.id in POINTS}


@pytest.mark.parametrize("point", POINTS)
def test_agent_decide_defaults_to_the_shipped_operator_adapter(point, logs):
    r = cli("agent", "decide", "--mode", "llm", "--log", "-", input=logs[point])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["command"] == POINTS[point]


def test_a_folder_the_user_names_wins_over_a_shipped_adapter_of_that_name(tmp_path):
    """`embedded+lora:agent` is the shipped adapter unless the working directory has ./agent."""
    assert (data_dir() / "adapters" / "agent" / "adapter.gguf").is_file()
    (tmp_path / "agent").mkdir()
    r = subprocess.run([sys.executable, "-m", "plcpilot", "agent", "decide", "--mode", "llm",
                        "--model", "embedded+lora:agent", "--log", "-"], cwd=tmp_path,
                       input=b"[CNC Station][08:00:00] hello\n", capture_output=True, timeout=120)
    assert r.returncode == 2 and b"no adapter.gguf in agent" in r.stderr
