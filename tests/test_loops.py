"""The opt-in loop rule (`--stop-loops`): where an answer is cut, that real programs are never
cut, and that a cut grammar answer is closed into a valid program."""

import json
import random

import pytest

from conftest import cli
from plcpilot.llm.base import Completion
from plcpilot.llm.loops import LoopDetector, stop_loops
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks

LOOPING = "LD X0\nINCP D0\n" + "MUL D1 K100 D10\n" * 40  # 16-character unit


def test_an_answer_is_cut_where_its_last_window_first_repeats_one_unit():
    at = LoopDetector(96).feed(LOOPING)
    # 96 periodic characters: the prefix's last two ("0\n") and 94 of the loop's 6 units
    assert at == len("LD X0\nINCP D0\n") + 94
    assert LOOPING[:at].endswith("0\n" + ("MUL D1 K100 D10\n" * 6)[:94])


def test_feeding_token_by_token_finds_the_same_cut_as_the_whole_text():
    rnd = random.Random(3)
    detector, i = LoopDetector(96), 0
    while i < len(LOOPING) and detector.at is None:
        step = rnd.randint(1, 7)
        detector.feed(LOOPING[i:i + step])
        i += step
    assert detector.at == LoopDetector(96).feed(LOOPING)


def test_a_unit_longer_than_a_third_of_the_window_is_not_a_loop():
    network = "LD X0\nAND X1\nOUT Y0\nMUL D1 K1 D2\n"  # 33 characters
    assert LoopDetector(96).feed(network * 10) is None
    assert LoopDetector(99).feed(network * 3) == 99


@pytest.mark.parametrize("window", [96, 160])
def test_no_shipped_reference_program_is_cut(window):
    cut = [t.id for t in load_tasks(shipped_tasks("fx-il"))
           if LoopDetector(window).feed(t.reference) is not None]
    assert cut == []


def test_the_rule_is_off_by_default_and_marks_what_it_cut():
    answer = Completion(text=LOOPING, finish_reason="length", tokens_in=1, tokens_out=1, seconds=1)
    assert stop_loops(answer, 0) is answer
    cut = stop_loops(answer, 96)
    assert cut.finish_reason == "loop" and LOOPING.startswith(cut.text) and len(cut.text) < 150


def test_generate_closes_a_looping_grammar_answer_into_a_valid_program(tmp_path):
    f = tmp_path / "replies.yaml"
    f.write_text("- |\n  LD X0\n  OUT Y0\n" + "  INCP D0\n" * 40)
    r = cli("generate", "X0 and X1 light Y0", "--model", f"scripted:{f}", "--no-rag",
            "--repair", "0", "--stop-loops", "96", "--json")
    out = json.loads(r.stdout)
    attempt = out["attempts"][0]
    assert attempt["finish_reason"] == "loop" and attempt["closed_truncated"]
    # cut inside the 12th unit (the window takes in the "0\n" before the loop), which is dropped
    assert out["is_valid"] and out["program"] == "LD X0\nOUT Y0\n" + "INCP D0\n" * 11 + "END\n"
