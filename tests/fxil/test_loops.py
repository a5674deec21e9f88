"""The opt-in loop rules (`--stop-loops`, `--stop-counts`): where an answer is cut, that real
programs are never cut, and that a cut grammar answer is closed into a valid program."""

import json
import random

import pytest
import yaml

from conftest import cli
from plcpilot.llm.base import Completion, Sampling
from plcpilot.llm.loops import LoopDetector, stop_loops
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks

LOOPING = "LD X0\nINCP D0\n" + "MUL D1 K100 D10\n" * 40  # 16-character unit
COUNTING = "LD M8000\n" + "".join(f"MOV K1 D{n}\n" for n in range(100, 160))  # 12 characters


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


def test_the_rules_are_off_by_default_and_mark_what_they_cut():
    answer = Completion(text=LOOPING, finish_reason="length", tokens_in=1, tokens_out=1, seconds=1)
    assert stop_loops(answer, Sampling()) is answer
    cut = stop_loops(answer, Sampling(stop_loops=96))
    assert cut.finish_reason == "loop" and LOOPING.startswith(cut.text) and len(cut.text) < 150


def test_a_counting_sequence_is_cut_only_with_digits_alike():
    assert LoopDetector(96).feed(COUNTING) is None
    at = LoopDetector(160, fold_digits=True).feed(COUNTING)
    # 160 periodic characters: "000\n" of M8000 (digits alike, the end of a unit), then 156
    assert at == len("LD M8") + 160
    answer = Completion(text=COUNTING, finish_reason="length", tokens_in=1, tokens_out=1,
                        seconds=1)
    assert stop_loops(answer, Sampling(stop_loops=96)) is answer
    assert stop_loops(answer, Sampling(stop_loops=96, stop_counts=160)).text == COUNTING[:at]


def test_with_both_rules_the_first_cut_wins():
    both = Sampling(stop_loops=96, stop_counts=160)
    assert stop_loops(Completion(text=LOOPING, finish_reason="length", tokens_in=1,
                                 tokens_out=1, seconds=1), both).text == \
        LOOPING[:LoopDetector(96).feed(LOOPING)]


@pytest.mark.parametrize("window", [160, 256])
def test_no_shipped_reference_program_is_cut_with_digits_alike(window):
    """Real programs count (OUT Y0, OUT Y1, …): at 96 characters this rule cuts three shipped
    references, at 160 and above none."""
    cut = [t.id for t in load_tasks(shipped_tasks("fx-il"))
           if LoopDetector(window, fold_digits=True).feed(t.reference) is not None]
    assert cut == []


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


def test_a_bench_run_records_the_counting_rule_and_its_report_says_so(tmp_path):
    f = tmp_path / "replies.yaml"
    f.write_text(yaml.safe_dump([COUNTING]))
    out = tmp_path / "run"
    r = cli("bench", "run", "--tasks", shipped_tasks("fx-il") / "basic_control.yaml",
            "--model", f"scripted:{f}", "--mode", "llm-only", "--every", "100",
            "--stop-counts", "160", "--out", out)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert json.loads((out / "config.json").read_text())["stop_counts"] == 160
    record = json.loads((out / "samples.jsonl").read_text())
    assert record["finish_reason"] == "loop" and record["output"] == COUNTING[:165]
    assert "cut where they count (last 160 characters" in (out / "report.md").read_text()


@pytest.mark.parametrize("option,chars", [("--stop-loops", "-1"), ("--stop-counts", "2")])
def test_a_window_too_small_for_a_rule_is_a_usage_error(option, chars):
    r = cli("generate", "X0 lights Y0", "--model", "scripted:none.yaml", option, chars)
    message = r.stderr.decode()  # rich wraps it in a box
    assert r.returncode == 2 and option in message and "at least 3" in message
    assert "Traceback" not in message
