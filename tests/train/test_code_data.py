"""The code-generation data builder from the outside: `plcpilot train data code` writes
examples whose prompts are inference's, whose answers the decoding grammar accepts, from tasks
that verify and kill their mutants, with the held-out family kept out, and no prompt that is a
near-duplicate of a benchmark's."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conftest import CORPUS, cli
from plcpilot import languages
from plcpilot.generate.prompts import instruction, system_prompt
from plcpilot.paths import shipped_tasks
from plcpilot.spec import Task, load_tasks
from plcpilot.train.code_data import NEAR, Built, draw_tasks, screen
from plcpilot.train.families import FAMILIES, HELD_OUT
from plcpilot.train.records import read_examples
from plcpilot.verify import mutation_check, verify_task

pytest.importorskip("sentence_transformers")
llguidance = pytest.importorskip("llguidance")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("code")
    result = cli("train", "data", "code", "--out", str(folder / "code.jsonl"),
                 "--per-family", "2", "--tasks-out", str(folder / "tasks"),
                 "--benchmark", str(CORPUS / "st" / "agents4plc"),
                 timeout=900)  # verifies ~60 tasks and their mutants: about a minute idle
    assert result.returncode == 0, result.stderr.decode()
    return SimpleNamespace(folder=folder, output=result.stdout.decode(),
                           examples=read_examples(folder / "code.jsonl"),
                           tasks={split: load_tasks(folder / "tasks" / split)
                                  for split in ("train", "validation", "test")})


def test_every_family_gives_verified_tasks_in_each_of_its_languages(built):
    kept = [t for tasks in built.tasks.values() for t in tasks]
    assert {(t.family, t.language) for t in kept} == {
        (f.name, lang) for f in (*FAMILIES, *HELD_OUT) for lang in f.languages}
    assert sum(f.sfc is not None for f in FAMILIES) >= 6
    for task in kept:
        assert verify_task(task).passed, task.id
    # the mutants of a sample fail the tests (the builder checked all of them)
    for task in kept[::5]:
        outcomes = mutation_check(task)
        assert all(o.killed or o.exempt for o in outcomes), task.id


def test_held_out_family_is_only_in_the_test_split(built):
    held = {f.name for f in HELD_OUT}
    assert {t.family for t in built.tasks["test"]} == held
    trained = {e.id.rsplit("-", 1)[0] for e in built.examples}
    assert not any(t.id in trained for t in built.tasks["test"])
    assert {e.split for e in built.examples} == {"train", "validation"}
    by_split = {s: {e.group for e in built.examples if e.split == s}
                for s in ("train", "validation")}
    assert not by_split["train"] & by_split["validation"]


def test_examples_use_the_inference_prompts(built):
    tasks = {t.id: t for tasks in built.tasks.values() for t in tasks}
    for example in built.examples:
        task_id, _, template = example.id.rpartition("-")
        if template == "masked":
            continue
        template = {"only": "code-only", "part": "two-part"}[template]
        task = tasks[task_id.removesuffix("-code").removesuffix("-two")]
        language = languages.get(task.language)
        assert example.messages[0].content == system_prompt(language)
        user = example.messages[1].content
        assert user.endswith(f"Q: {task.prompt.strip()}\n{instruction(language, template)}\nA:")
        if template == "code-only":
            assert example.answer == task.reference.strip()
        else:
            assert example.answer.startswith(f"```{language.code_fence}\n"
                                             f"{task.reference.strip()}\n```\n")


def test_masked_charts_are_the_reference_with_lines_cut_out(built):
    """Sub-graph masking (LLM4SFC): filling each mask with its answer line gives the chart."""
    tasks = {t.id: t for tasks in built.tasks.values() for t in tasks}
    masked = [e for e in built.examples if e.kind == "sfc-masked"]
    assert masked and len(masked) == sum(e.id.endswith("code-only") and e.kind == "code-sfc"
                                         for e in built.examples)
    for example in masked:
        task = tasks[example.id.removesuffix("-masked")]
        text = example.messages[1].content
        assert "<MASK 1>" in text and task.prompt.strip() in text
        for line in example.answer.splitlines():
            mask, _, body = line.partition(": ")
            assert text.count(mask) == 1
            text = text.replace(mask, body)
        assert task.reference.strip() in text


class _Bytes:
    """Tokens are the 256 bytes: the matcher accepts exactly the strings the grammar does."""

    eos_token_id, bos_token_id, special_token_ids = 256, None, [256]
    tokens = [bytes([i]) for i in range(256)] + [b""]

    def __call__(self, text):
        return list(text if isinstance(text, bytes) else text.encode())


def test_code_only_answers_are_accepted_by_the_decoding_grammar(built):
    """A model must be able to say what it is taught under rag+grammar: each answer is fed
    byte by byte to llguidance with the grammar the pipeline decodes with."""
    tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(_Bytes()))
    backend = SimpleNamespace(accepts=frozenset({"lark", "json_schema"}))
    grammars = {}
    for example in built.examples:
        if not example.id.endswith("code-only"):
            continue
        name = example.kind.removeprefix("code-")
        if name not in grammars:
            constraint = languages.get(name).constraint(backend)
            grammars[name] = llguidance.grammar_from(constraint.kind, constraint.text)
        matcher = llguidance.LLMatcher(tokenizer, grammars[name], log_level=0)
        assert all(matcher.consume_token(b) for b in example.answer.encode()), example.id
        assert matcher.is_accepting(), example.id


def test_no_prompt_is_a_near_duplicate_of_a_benchmark_prompt(built):
    """Checked here independently of the builder's own screen, against the shipped task sets
    and Agents4PLC."""
    from plcpilot.retrieval.embeddings import default_embedder

    embedder = default_embedder()
    benchmark = [t for lang in ("fx-il", "st", "sfc") for t in load_tasks(shipped_tasks(lang))]
    benchmark += load_tasks(CORPUS / "st" / "agents4plc")
    generated = [t for tasks in built.tasks.values() for t in tasks]
    closest = (embedder.encode([t.prompt for t in generated])
               @ embedder.encode([t.prompt for t in benchmark]).T).max()
    assert closest < NEAR
    # the screen would catch a close paraphrase: ours of shipped bc-001 scores over the limit
    original = next(t for t in load_tasks(shipped_tasks("fx-il")) if t.id == "bc-001")
    paraphrase = ("Conveyor belt start/stop. Start push button X0 (NO) switches on the conveyor "
                  "motor contactor Y0, which must keep running once the button is let go; stop "
                  "push button X1 (NO) stops it. When both are pressed together, stop wins. "
                  "Green lamp Y1 on while running, red lamp Y2 on while stopped.")
    vectors = embedder.encode([original.prompt, paraphrase])
    assert float(vectors[0] @ vectors[1]) >= NEAR


def test_a_benchmark_prompt_among_the_draws_is_dropped():
    from plcpilot.retrieval.embeddings import default_embedder

    drawn = [task for _, task in draw_tasks(1, 0)][:4]
    built = Built(tasks={"train": drawn})
    copied = drawn[0]
    screen(built, [Task(id="bench", prompt=copied.prompt)], default_embedder())
    assert copied.id not in {t.id for t in built.all()}
    assert built.dropped["near-duplicate of a benchmark prompt"] >= 1


def test_a_combined_task_states_and_tests_each_part_with_its_own_devices(built):
    combined = [t for t in built.tasks["train"] + built.tasks["validation"]
                if t.family in ("combined2", "combined3")]
    assert {t.language for t in combined} == {"fx-il"} and len(combined) >= 2
    for task in combined:
        by_part: dict[str, set[str]] = {}
        for test in task.tests:  # "latch: stop wins over start"
            part = test.name.split(":")[0]
            by_part.setdefault(part, set()).update(n for e in test.timeline for n in e.names)
        # the tests of every part are there, and no two parts test a shared device
        assert len(by_part) == int(task.family[-1])
        assert sum(map(len, by_part.values())) == len(set().union(*by_part.values()))
        assert set().union(*by_part.values()) <= set(task.io)
        assert task.reference.splitlines().count("END") == 1  # verified by the test above
        assert all(device in task.prompt for device in task.io)  # the prompt names every I/O


def test_examples_of_one_language_only(tmp_path):
    result = cli("train", "data", "code", "--out", str(tmp_path / "fx.jsonl"), "--per-family",
                 "1", "--language", "fx-il", timeout=900)
    assert result.returncode == 0, result.stderr.decode()
    kinds = {json.loads(line)["kind"] for line in (tmp_path / "fx.jsonl").read_text().splitlines()}
    assert kinds == {"code-fx-il"}
    result = cli("train", "data", "code", "--out", str(tmp_path / "x.jsonl"), "--language", "il")
    assert result.returncode == 2 and "not a language of the synthetic families" in \
        result.stderr.decode()


def test_report_and_hostile_options(built, tmp_path):
    assert "tasks kept: train" in built.output and "closest to a benchmark prompt" in built.output
    assert "answer tokens" in built.output
    line = json.loads((built.folder / "code.jsonl").read_text().splitlines()[0])
    assert line["kind"] in ("code-fx-il", "code-st")
    result = cli("train", "data", "code", "--out", str(tmp_path), "--per-family", "1")
    assert result.returncode == 2 and "is a directory" in result.stderr.decode()
    (tmp_path / "file").write_text("x")
    result = cli("train", "data", "code", "--out", str(tmp_path / "a.jsonl"), "--per-family",
                 "1", "--tasks-out", str(tmp_path / "file"))
    assert result.returncode == 2 and "is a file" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
