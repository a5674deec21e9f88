"""The pipeline above the languages assumes no FX: a stand-in language
(tests/shared/toy_language.py), registered only here, goes through bench, generate, check,
explain and verify with its own checker, simulator, tiers, codes, options and constraint.
No model, no embeddings."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import toy_language
import yaml

from conftest import ROOT
from plcpilot import languages
from plcpilot.bench.report import write_report
from plcpilot.bench.runner import read_samples, run
from plcpilot.errors import PlcPilotError
from plcpilot.generate.pipeline import Settings, generate
from plcpilot.generate.prompts import build_messages
from plcpilot.llm.base import Completion
from plcpilot.paths import shipped_tasks
from plcpilot.retrieval.index import ExemplarIndex
from plcpilot.spec import load_tasks

FX_TASKS = shipped_tasks("fx-il") / "basic_control.yaml"
# an --every 11 run over [FX_TASKS, toy tasks]: bc-001, bc-012 and toy-latch, answered right
FX_RUN = {t.prompt.strip()[:40]: t.reference for t in load_tasks(FX_TASKS)[::11]}
LATCH = "Q0 = (I0 or Q0) and not I1\nDONE\n"
TOY_TASKS = [
    {"id": "toy-latch", "language": "toy", "category": "toy", "prompt": "Lamp latch: switch "
     "I0 turns lamp Q0 on, switch I1 turns it off.", "reference": LATCH,
     "tests": [{"name": "latches", "timeline": [
         {"at_ms": 0, "set": {"I0": 1}}, {"at_ms": 50, "set": {"I0": 0}},
         {"at_ms": 100, "expect": {"Q0": 1}}, {"at_ms": 110, "set": {"I1": 1}},
         {"at_ms": 200, "expect": {"Q0": 0}}]}]},
    {"id": "toy-follow", "language": "toy", "category": "toy", "prompt": "Lamp Q0 follows "
     "switch I0.", "reference": "Q0 = I0\nDONE\n",
     "tests": [{"name": "follows", "timeline": [
         {"at_ms": 0, "set": {"I0": 1}}, {"at_ms": 50, "expect": {"Q0": 1}}]}]},
]


@pytest.fixture
def toy(monkeypatch):
    """The toy registered for this test only (the registry is restored afterwards)."""
    monkeypatch.setattr(languages, "_REGISTRY", dict(languages.load_all()))
    return languages.register(toy_language.language)


@pytest.fixture
def toy_tasks(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(TOY_TASKS))
    return path


def replies(tmp_path, mapping: dict[str, str]) -> str:
    path = tmp_path / "replies.yaml"
    path.write_text(yaml.safe_dump(mapping))
    return f"scripted:{path}"


def toy_cli(*args, input: str | None = None) -> subprocess.CompletedProcess:
    """The `plcpilot` command in a process of its own, with the toy registered."""
    return subprocess.run([sys.executable, str(ROOT / "tests" / "shared" / "toy_language.py"),
                           *map(str, args)], input=input and input.encode(),
                          capture_output=True, cwd=ROOT, timeout=120)


def refused(r: subprocess.CompletedProcess) -> str:
    """The message of a command that refused its input (exit 2, no traceback)."""
    text = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in text, text
    return text


class FixedScores:
    def score(self, output, reference):
        return {"similarity": 1.0, "bleu": 1.0, "rouge_l": 1.0}


class WordEmbedder:
    """Bag of hashed words: similar prompts, similar vectors; no model."""

    name = "words"

    def encode(self, texts):
        out = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 64] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


# ---- bench -------------------------------------------------------------------------------

def test_a_bench_run_judges_each_task_with_its_own_language(toy, toy_tasks, tmp_path):
    out = tmp_path / "run"
    run([FX_TASKS, toy_tasks], [replies(tmp_path, {"Lamp latch": LATCH, **FX_RUN})],
        ["llm-only"], out, every=11, scorer=FixedScores())
    by_id = {r["task_id"]: r for r in read_samples(out)}
    toy_run = by_id["toy-latch"]
    assert toy_run["is_valid"] and toy_run["behaviour_passed"]
    assert toy_run["tiers"] == {"form": 1.0, "closure": 1.0}
    assert toy_run["prose_preamble"] is False and "paper_valid" not in toy_run
    fx = by_id["bc-001"]
    assert fx["is_valid"] and fx["paper_valid"] is True and "lexical" in fx["tiers"]


def test_the_report_shows_the_tiers_each_checker_returned(toy, toy_tasks, tmp_path):
    out = tmp_path / "run"
    run([toy_tasks], [replies(tmp_path, {"Lamp": "Q0 = I0\n"})], ["llm-only"], out,
        scorer=FixedScores())
    report = write_report(out).read_text()
    header = next(line for line in report.splitlines() if "checker pass" in line)
    assert "| form | closure | checker pass |" in header
    assert "lexical" not in report and "paper-valid" not in report and "93.3" not in report
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["groups"][0]["tiers"]) == {"form", "closure"}
    assert summary["groups"][0]["failures"]["top_error_codes"] == [["missing-end", 2]]


def test_examples_come_from_an_index_of_the_tasks_own_language(toy, toy_tasks, tmp_path):
    built = []

    def index_for(tasks):
        built.append({t.language for t in tasks})
        return ExemplarIndex(tasks, WordEmbedder(), root=tmp_path / "index")

    model = replies(tmp_path, {"Lamp": LATCH, **FX_RUN})
    run([FX_TASKS, toy_tasks], [model], ["rag"], tmp_path / "run", every=11,
        scorer=FixedScores(), index_for=index_for)
    assert sorted(map(sorted, built)) == [["fx-il"], ["toy"]]
    by_id = {r["task_id"]: r for r in read_samples(tmp_path / "run")}
    assert by_id["toy-latch"]["exemplars"] == ["toy-follow"]  # leave-one-out, same language
    assert all(e.startswith("bc-") for e in by_id["bc-001"]["exemplars"])


def test_examples_only_keeps_the_runs_own_tasks_out_of_retrieval(toy, toy_tasks, tmp_path):
    """A held-out family is measured without its siblings as exemplars."""
    index = lambda tasks: ExemplarIndex(tasks, WordEmbedder(), root=tmp_path / "i")  # noqa: E731
    model = replies(tmp_path, {"Lamp": LATCH})
    with pytest.raises(PlcPilotError, match="--examples-only needs --examples"):
        run([toy_tasks], [model], ["rag"], tmp_path / "a", examples_only=True)
    with pytest.raises(PlcPilotError, match="no --examples task in toy"):
        run([toy_tasks], [model], ["rag"], tmp_path / "a", examples=[FX_TASKS],
            examples_only=True)
    others = tmp_path / "others.json"
    others.write_text(json.dumps([{**TOY_TASKS[1], "id": "toy-other"}]))
    run([toy_tasks], [model], ["rag"], tmp_path / "b", examples=[others], examples_only=True,
        scorer=FixedScores(), index_for=index)
    by_id = {r["task_id"]: r for r in read_samples(tmp_path / "b")}
    assert by_id["toy-latch"]["exemplars"] == ["toy-other"]
    assert json.loads((tmp_path / "b" / "config.json").read_text())["examples_only"] is True


def test_a_run_refuses_an_option_none_of_its_languages_declares(toy, toy_tasks, tmp_path):
    model = replies(tmp_path, {"Lamp": LATCH})
    with pytest.raises(PlcPilotError, match="unknown option 'cpu' for toy; options: dialect"):
        run([toy_tasks], [model], ["llm-only"], tmp_path / "a", options={"cpu": "fx2n"})
    with pytest.raises(PlcPilotError, match="dialect cannot be 'loud'; allowed: plain, strict"):
        run([toy_tasks], [model], ["llm-only"], tmp_path / "b", options={"dialect": "loud"})


def test_in_a_mixed_run_each_language_gets_only_its_own_options(toy, toy_tasks, tmp_path):
    model = replies(tmp_path, {"Lamp": LATCH, **FX_RUN})
    records = run([FX_TASKS, toy_tasks], [model], ["llm-only"], tmp_path / "run", every=11,
                  options={"cpu": "fx2n", "dialect": "strict"}, scorer=FixedScores())
    assert all(r["error"] is None for r in records)  # the toy would raise on a cpu= keyword
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["options"] == {"cpu": "fx2n", "dialect": "strict"}


# ---- generate ----------------------------------------------------------------------------

class Recorder:
    """A backend that accepts the given constraint kinds and answers with one program."""

    spec = "recorder"
    max_concurrency = 1

    def __init__(self, accepts: set[str], answer: str):
        self.accepts = frozenset(accepts)
        self.answer = answer
        self.calls = []

    def preflight(self):
        pass

    def complete(self, messages, sampling=None, constraint=None, on_token=None):
        self.calls.append((messages, constraint))
        return Completion(text=self.answer, finish_reason="stop", tokens_in=1, tokens_out=1,
                          seconds=0.0, constrained=constraint is not None)


@pytest.mark.parametrize(("accepts", "kind"), [({"lark", "json_schema"}, "json_schema"),
                                               ({"lark"}, "lark")])
def test_generate_decodes_under_the_constraint_the_language_picks(toy, accepts, kind):
    backend = Recorder(accepts, LATCH)
    g = generate("Lamp latch", Settings(language="toy", rag=False), backend=backend)
    (messages, constraint), = backend.calls
    assert constraint.kind == kind
    assert constraint.text == {"lark": toy_language.LARK, "json_schema": toy_language.SCHEMA}[kind]
    assert g.is_valid and g.settings["options"] == {"dialect": "plain"}


def test_generate_prompts_with_the_languages_own_rules(toy):
    backend = Recorder({"lark"}, LATCH)
    generate("Lamp latch", Settings(language="toy", rag=False), backend=backend)
    system, user = backend.calls[0][0]
    assert toy_language.language.prompt_rules in system.content
    assert "closing with DONE." in user.content and "END" not in user.content
    fx = build_messages("Lamp Y0 follows X0.", languages.get("fx-il"), [], "code-only")
    assert "no comments, ending with END." in fx[1].content


def test_a_backend_that_accepts_none_of_the_languages_constraints_refuses_loudly(toy):
    with pytest.raises(PlcPilotError, match="cannot apply a json_schema or lark constraint"):
        generate("Lamp latch", Settings(language="toy", rag=False),
                 backend=Recorder(set(), LATCH))


def test_generate_with_a_task_writes_in_the_tasks_language(toy_tasks, tmp_path):
    model = replies(tmp_path, {"Lamp": LATCH})
    r = toy_cli("generate", "--tests", toy_tasks, "--task", "toy-latch", "--model", model,
                "--no-rag", "--json")
    assert r.returncode == 0, r.stderr.decode()
    out = json.loads(r.stdout)
    assert out["settings"]["language"] == "toy" and out["behaviour_passed"] is True
    assert out["attempts"][0]["check"]["tiers"] == {"form": 1.0, "closure": 1.0}
    r = toy_cli("generate", "--tests", toy_tasks, "--task", "toy-latch", "--lang", "fx-il",
                "--model", model, "--no-rag")
    assert "written in toy" in refused(r)


# ---- check, options, explain, verify -----------------------------------------------------

def test_the_verdict_line_names_the_cpu_for_fx_only(tmp_path):
    (tmp_path / "p.toy").write_text(LATCH)
    (tmp_path / "p.il").write_text("LD X0\nOUT Y0\nEND\n")
    assert "(toy)" in toy_cli("check", tmp_path / "p.toy").stdout.decode()
    assert "(fx-il, FX3U)" in toy_cli("check", tmp_path / "p.il").stdout.decode()
    for args in (["--cpu", "fx2n"], ["--opt", "cpu=fx2n"]):
        assert "(fx-il, FX2N)" in toy_cli("check", tmp_path / "p.il", *args).stdout.decode()


def test_options_reach_the_language_and_bad_ones_are_refused_by_name(tmp_path):
    prog = tmp_path / "p.toy"
    prog.write_text(LATCH)
    r = toy_cli("check", prog, "--opt", "dialect=strict", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["dialect"] == "strict"
    assert "unknown option 'cpu' for toy; options: dialect" in refused(
        toy_cli("check", prog, "--cpu", "fx2n"))
    assert "allowed: plain, strict" in refused(toy_cli("check", prog, "--opt", "dialect=loud"))
    assert "NAME=VALUE" in refused(toy_cli("check", prog, "--opt", "dialect"))
    listed = toy_cli("languages").stdout.decode()
    assert "--opt dialect=plain | strict" in listed and "--opt cpu=fx3u | fx2n" in listed
    assert "allowed: fx3u, fx2n" in refused(
        toy_cli("check", "-", "--lang", "fx-il", "--opt", "cpu=fx9", input="END\n"))


def test_each_language_explains_its_own_codes(tmp_path):
    toy_says = toy_cli("explain", "toy/missing-end").stdout.decode()
    assert "toy/missing-end" in toy_says and "DONE" in toy_says
    assert "FEND" in toy_cli("explain", "fx-il/missing-end").stdout.decode()
    assert "DONE" in toy_cli("explain", "missing-end", "--lang", "toy").stdout.decode()
    both = refused(toy_cli("explain", "missing-end"))
    assert "fx-il/missing-end" in both and "toy/missing-end" in both
    assert "toy/bad-line" in toy_cli("explain", "--list").stdout.decode()
    prog = tmp_path / "p.toy"
    prog.write_text("Q0 = I0\n")
    report = json.loads(toy_cli("check", prog, "--json").stdout)
    assert [e["code"] for e in report["errors"]] == ["missing-end"]  # bare, as FORMATS §2
    sarif = json.loads(toy_cli("check", prog, "--format", "sarif").stdout)
    assert sarif["runs"][0]["tool"]["driver"]["rules"][0]["name"] == "No DONE"


def test_verify_runs_the_languages_tests_and_says_it_has_no_mutants(toy_tasks):
    r = toy_cli("tasks", "verify", toy_tasks)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert "toy offers no mutants" in refused(toy_cli("tasks", "mutate", toy_tasks))
