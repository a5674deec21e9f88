"""Code-generation training data from the synthetic families: tasks that verify, then the
chat examples inference would send for them.

Every drawn task is kept only if
- its reference passes the language's checker and every test, and every mutant of it that the
  task does not declare equivalent fails some test (plcpilot.verify, as `tasks verify|mutate`);
- its prompt is not a near-duplicate of a benchmark prompt (MiniLM cosine under `near`).
A draw makes one FX IL and one ST task; both share the draw's group and so its split. Families
in HELD_OUT go to the `test` split only: they measure transfer to a kind of problem the model
never trained on.

Each task gives two examples, built with generate.prompts exactly as inference builds them:
- rag+grammar's prompt: `code-only`, with K exemplars picked by the same MMR over MiniLM
  vectors from the synthetic pool of its language and split (never the benchmark's tasks);
  for half the tasks the task's own family is left out of the pool, so the answer cannot be
  copied from a sibling;
- llm-only's prompt: `two-part`, no exemplars; the answer is the program in a fence and the
  family's one-sentence explanation.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from plcpilot import languages
from plcpilot.generate.prompts import build_messages
from plcpilot.retrieval.mmr import fetch_count, mmr_pick, nearest
from plcpilot.spec import Task
from plcpilot.train.families import BY_NAME, FAMILIES, HELD_OUT
from plcpilot.train.families.base import LANGUAGES, Family, assign_names
from plcpilot.train.records import ChatMessage, Example, Split
from plcpilot.verify import mutation_check, verify_task

VALIDATION_EVERY = 10  # the third draw of every ten of a training family is validation
# MiniLM cosine from which a generated prompt counts as a benchmark's near-duplicate: our own
# paraphrases of shipped prompts scored 0.88 and 0.94, a terse rewrite 0.84; the generated
# prompts' closest benchmark prompt, 0.77 (topics shared, wording not)
NEAR = 0.85
K = 3


@dataclass
class Built:
    """The tasks that passed, by split, and why the others were dropped."""

    tasks: dict[str, list[Task]] = field(default_factory=dict)  # split → tasks
    dropped: Counter = field(default_factory=Counter)  # reason → count
    nearest_benchmark: float = 0.0  # the highest cosine of a kept prompt to a benchmark prompt

    def all(self) -> list[Task]:
        return [t for tasks in self.tasks.values() for t in tasks]


def split_of(family: Family, draw_no: int) -> Split:
    if family in HELD_OUT:
        return "test"
    return "validation" if draw_no % VALIDATION_EVERY == 2 else "train"


def problems(task: Task) -> str | None:
    """Why a generated task cannot be used (None: reference valid, passes, mutants killed)."""
    verdict = verify_task(task)
    if not verdict.passed:
        return "reference fails its tests" if verdict.valid else "reference fails the checker"
    if any(not o.killed and not o.exempt for o in mutation_check(task)):
        return "a mutant survives the tests"
    return None


def draw_tasks(per_family: int, seed: int,
               progress: Callable[[], None] = lambda: None) -> Iterator[tuple[Split, Task | str]]:
    """(split, task) for each verified task, (split, reason) for each dropped one."""
    for family in (*FAMILIES, *HELD_OUT):
        rng = random.Random(f"{seed}-{family.name}")
        seen: set[str] = set()
        for number in range(per_family):
            draw = family.draw(rng)
            assign_names(draw, rng)
            split = split_of(family, number)
            for language in LANGUAGES:
                task = family.task(draw, language, number, rng)
                key = task.prompt + task.reference
                reason = "duplicate draw" if key in seen else problems(task)
                seen.add(key)
                yield split, (reason or task)
            progress()


def build_tasks(per_family: int, seed: int, benchmark: list[Task], embedder,
                near: float = NEAR, progress: Callable[[], None] = lambda: None) -> Built:
    built = Built()
    for split, item in draw_tasks(per_family, seed, progress):
        if isinstance(item, str):
            built.dropped[item] += 1
        else:
            built.tasks.setdefault(split, []).append(item)
    kept = built.all()
    if kept and benchmark:
        closest = (embedder.encode([t.prompt for t in kept])
                   @ embedder.encode([t.prompt for t in benchmark]).T).max(axis=1)
        near_ids = {t.id for t, c in zip(kept, closest, strict=True) if c >= near}
        built.dropped["near-duplicate of a benchmark prompt"] += len(near_ids)
        built.tasks = {s: [t for t in ts if t.id not in near_ids] for s, ts in
                       built.tasks.items()}
        built.nearest_benchmark = float(max((c for t, c in zip(kept, closest, strict=True)
                                             if t.id not in near_ids), default=0.0))
    return built


def _exemplars(pool: list[Task], vectors: np.ndarray, row: int, leave_family: bool
               ) -> list[tuple[str, str]]:
    """K exemplars for pool[row] by the pipeline's MMR (same fetch factor, threshold, λ)."""
    me = pool[row]
    exclude = {i for i, t in enumerate(pool)
               if i == row or (leave_family and t.family == me.family)}
    candidates = nearest(vectors[row], vectors, fetch_count(K, 3, len(pool)), exclude)
    return [(pool[i].prompt, pool[i].reference) for i, _ in
            mmr_pick(candidates, vectors, k=K, threshold=0.25, lam=0.5)]


def code_examples(built: Built, embedder, seed: int) -> Iterator[Example]:
    rng = random.Random(seed)
    for split, tasks in built.tasks.items():
        if split == "test":  # held out: measured by a bench run over its task file
            continue
        for language_name in LANGUAGES:
            pool = [t for t in tasks if t.language == language_name]
            if not pool:
                continue
            language = languages.get(language_name)
            vectors = embedder.encode([t.prompt for t in pool])
            for row, task in enumerate(pool):
                leave_family = rng.random() < 0.5
                prompts = {
                    "code-only": build_messages(task.prompt, language,
                                                _exemplars(pool, vectors, row, leave_family),
                                                "code-only"),
                    "two-part": build_messages(task.prompt, language, [], "two-part")}
                for template, messages in prompts.items():
                    answer = task.reference.strip()
                    if template == "two-part":
                        answer = (f"```{language.code_fence}\n{answer}\n```\n"
                                  f"{BY_NAME[task.family].explain}")
                    yield Example(
                        id=f"{task.id}-{template}", kind=f"code-{language_name}", split=split,
                        group=task.group,
                        messages=[ChatMessage(role=m.role, content=m.content) for m in messages],
                        answer=answer)
