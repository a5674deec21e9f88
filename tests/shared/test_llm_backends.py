"""Real backends: the embedded model in-process with llguidance, and the OpenAI-compatible
client against llama-cpp-python's server started on loopback by the test."""

import json
import socket
import subprocess
import sys
import time

import pytest

from plcpilot import languages
from plcpilot.fxil.parser import canonical_text, parse
from plcpilot.llm.base import Constraint, Message, Sampling
from plcpilot.llm.models import model_path
from plcpilot.llm.specs import load_backend
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks

pytest.importorskip("llama_cpp")
pytest.importorskip("llguidance")
FX = languages.get("fx-il")


@pytest.fixture(scope="module")
def embedded():
    return load_backend("embedded")


def test_bounded_grammar_compiles_in_llguidance_and_accepts_every_reference(embedded):
    import llguidance

    tok = embedded.tokenizer()
    grammar = llguidance.grammar_from("lark", FX.grammar())
    rejected = []
    for task in load_tasks(shipped_tasks("fx-il")):
        matcher = llguidance.LLMatcher(tok, grammar)
        tokens = tok.tokenize_str(canonical_text(parse(task.reference)))
        if not (matcher.consume_tokens(tokens) and matcher.is_accepting()):
            rejected.append(task.id)
    assert rejected == []


def test_embedded_model_under_the_grammar_always_writes_a_valid_program(embedded):
    messages = [Message("user", "Write an FX IL program: X0 starts motor Y0, X1 stops it.")]
    for seed in range(3):
        out = embedded.complete(messages, Sampling(max_tokens=200, seed=seed),
                                Constraint("lark", FX.grammar()))
        program = out.text if out.finish_reason == "stop" else FX.close_truncated(out.text)
        assert out.constrained and FX.check(program).is_valid, out.text


def test_the_loop_rule_stops_decoding_where_the_answer_loops(embedded):
    """Not just a cut of the text: the model stops soon after the loop starts, which is the
    time `--stop-loops` saves."""
    forced = Constraint("lark", 'start: ("LD X0\\n")+')
    messages = [Message("user", "Write LD X0 many times.")]
    out = embedded.complete(messages, Sampling(max_tokens=300, seed=1, stop_loops=60), forced)
    assert out.finish_reason == "loop" and out.text == "LD X0\n" * 10
    assert out.tokens_out < 60, out.tokens_out


def test_the_counting_rule_stops_decoding_where_the_answer_counts(embedded):
    """Y0..Y3 repeated: a 28-character unit, too long for the exact rule at 60 characters
    (units up to 20); with digits alike it is a 7-character one."""
    count = "OUT Y0\\nOUT Y1\\nOUT Y2\\nOUT Y3\\n"
    forced = Constraint("lark", f'start: ("{count}") ~ 20')  # only a rule ends it
    messages = [Message("user", "Write OUT Y0 to OUT Y3, again and again.")]
    out = embedded.complete(messages, Sampling(max_tokens=300, seed=1, stop_counts=60), forced)
    assert out.finish_reason == "loop" and out.text == ("OUT Y0\nOUT Y1\nOUT Y2\nOUT Y3\n" * 3)[:60]
    assert out.tokens_out < 60, out.tokens_out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
         "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(10)


def test_openai_compatible_backend_chats_with_a_real_server(server):
    backend = load_backend(f"openai:{server}#smollm2")
    out = backend.complete([Message("user", "Say hello.")], Sampling(max_tokens=16, seed=1))
    assert out.text and out.tokens_out > 0 and out.finish_reason in ("stop", "length")
    assert backend.accepts == frozenset({"lark", "json_schema"})  # detected: llama.cpp dialect


def test_json_schema_constraint_through_the_server(server):
    backend = load_backend(f"openai:{server}#smollm2?dialect=llama.cpp")
    schema = {"type": "object", "properties": {"lamp": {"type": "string", "enum": ["Y0", "Y1"]}},
              "required": ["lamp"], "additionalProperties": False}
    out = backend.complete([Message("user", "Which lamp? Answer in JSON.")],
                           Sampling(max_tokens=30, temperature=0),
                           Constraint("json_schema", json.dumps(schema)))
    assert json.loads(out.text)["lamp"] in ("Y0", "Y1")


def test_random_programs_from_the_grammar_all_pass_the_checker(embedded):
    """Walk the grammar with random allowed tokens (no model): whatever it admits, the checker
    accepts; a walk cut off at its budget is closed like a truncated model output."""
    import random

    import llguidance
    import llguidance.numpy
    import numpy as np

    tok = embedded.tokenizer()
    grammar = llguidance.grammar_from("lark", FX.grammar())
    mask = llguidance.numpy.allocate_token_bitmask(1, tok.vocab_size)
    rnd = random.Random(7)
    eos = tok.eos_token
    for _ in range(40):
        matcher = llguidance.LLMatcher(tok, grammar)
        tokens = []
        while len(tokens) < 300 and not matcher.is_stopped():
            llguidance.numpy.fill_next_token_bitmask(matcher, mask, 0)
            bits = np.unpackbits(mask[0].view(np.uint8), bitorder="little")[: tok.vocab_size]
            allowed = np.flatnonzero(bits)
            if matcher.is_accepting() and (rnd.random() < 0.2 or len(allowed) == 1):
                break
            choice = int(rnd.choice([t for t in allowed[:5000] if t != eos] or [eos]))
            assert matcher.consume_token(choice), matcher.get_error()
            tokens.append(choice)
        text = tok.decode_str(tokens)
        program = text if matcher.is_accepting() else FX.close_truncated(text)
        report = FX.check(program)
        assert report.is_valid, (text, [e.message for e in report.errors])
