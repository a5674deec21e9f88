"""Code-generation training data from the synthetic families: tasks that verify, then the
chat examples inference would send for them.

Every drawn task is kept only if
- its reference passes the language's checker and every test, and every mutant of it that the
  task does not declare equivalent fails some test (plcpilot.verify, as `tasks verify|mutate`);
- its prompt is not a near-duplicate of a benchmark prompt (MiniLM cosine under `near`).
A draw makes one FX IL, one ST and (for the six families a chart states naturally) one SFC
task, which share the draw's group and so its split. Families in HELD_OUT go to the `test`
split only: they measure transfer to a kind of problem the model never trained on.

Each task gives two examples, built with generate.prompts exactly as inference builds them:
- rag+grammar's prompt: `code-only`, with k exemplars picked by the same MMR over MiniLM
  vectors from the synthetic pool of its language and split (never the benchmark's tasks);
  for half the tasks the task's own family is left out of the pool, so the answer cannot be
  copied from a sibling;
- llm-only's prompt: `two-part`, no exemplars; the answer is the program in a fence and the
  family's one-sentence explanation.
A chart (the families that state one as SFC) also gives a sub-graph-masked example, as LLM4SFC
trains with: a step and the transitions leaving it cut out, to be filled back in.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from plcpilot import languages
from plcpilot.generate.pipeline import Settings
from plcpilot.generate.prompts import build_messages, system_prompt
from plcpilot.llm.base import Message
from plcpilot.retrieval.mmr import fetch_count, mmr_pick, nearest
from plcpilot.spec import Task
from plcpilot.train.families import BY_NAME, FAMILIES, HELD_OUT
from plcpilot.train.families.base import LANGUAGES, Family, assign_names
from plcpilot.train.records import ChatMessage, Example, Split
from plcpilot.verify import mutation_check, verify_task

VALIDATION_EVERY = 10  # the second draw of every ten of a training family is validation
# MiniLM cosine from which a generated prompt counts as a benchmark's near-duplicate: our own
# paraphrases of shipped prompts scored 0.88 and 0.94, a terse rewrite 0.84; over the default
# build the generated prompts' closest benchmark prompt scores 0.82 (topic shared, wording not)
NEAR = 0.85
RETRIEVAL = Settings()  # the pipeline's k, fetch factor, threshold and λ


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
    return "validation" if draw_no % VALIDATION_EVERY == 1 else "train"


def problems(task: Task) -> str | None:
    """Why a generated task cannot be used (None: reference valid, passes, mutants killed)."""
    verdict = verify_task(task)
    if not verdict.passed:
        return "reference fails its tests" if verdict.valid else "reference fails the checker"
    if any(not o.killed and not o.exempt for o in mutation_check(task)):
        return "a mutant survives the tests"
    return None


def draw_tasks(per_family: int, seed: int) -> Iterator[tuple[Split, Task | str]]:
    """(split, task) for every drawn task, (split, "duplicate draw") for a repeated one; the
    same seed draws the same tasks."""
    for family in (*FAMILIES, *HELD_OUT):
        rng = random.Random(f"{seed}-{family.name}")
        seen: set[str] = set()
        for number in range(per_family):
            draw = family.draw(rng)
            assign_names(draw, rng)
            split = split_of(family, number)
            for language in family.languages:
                task = family.task(draw, language, number, rng)
                key = task.prompt + task.reference
                yield split, ("duplicate draw" if key in seen else task)
                seen.add(key)


def verified_tasks(per_family: int, seed: int,
                   progress: Callable[[int, int], None] = lambda done, total: None,
                   jobs: int = 1) -> Built:
    """Draw and verify, in `jobs` processes (each task's mutants are simulated: the slow part;
    start them before loading the embedder, which does not survive a fork well). `progress`
    hears (tasks verified, tasks to verify) after each one."""
    built = Built()
    drawn = list(draw_tasks(per_family, seed))
    tasks = [item for _, item in drawn if not isinstance(item, str)]
    with ProcessPoolExecutor(jobs) if jobs > 1 else nullcontext() as pool:
        verdicts = (pool.map if pool else map)(problems, tasks)
        found = {}
        for done, (task, reason) in enumerate(zip(tasks, verdicts, strict=True), 1):
            found[task.id] = reason
            progress(done, len(tasks))
    for split, item in drawn:
        reason = item if isinstance(item, str) else found[item.id]
        if reason:
            built.dropped[reason] += 1
        else:
            built.tasks.setdefault(split, []).append(item)
    return built


def screen(built: Built, benchmark: list[Task], embedder, near: float = NEAR) -> None:
    """Drop the tasks whose prompt nears a benchmark prompt; record the closest one kept."""
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


def _exemplars(pool: list[Task], vectors: np.ndarray, row: int, leave_family: bool
               ) -> list[tuple[str, str]]:
    """Exemplars for pool[row] by the pipeline's MMR, with its settings."""
    me, r = pool[row], RETRIEVAL
    exclude = {i for i, t in enumerate(pool)
               if i == row or (leave_family and t.family == me.family)}
    candidates = nearest(vectors[row], vectors, fetch_count(r.k, r.fetch_factor, len(pool)),
                         exclude)
    return [(pool[i].prompt, pool[i].reference) for i, _ in
            mmr_pick(candidates, vectors, k=r.k, threshold=r.threshold, lam=r.lam)]


def code_examples(built: Built, embedder, seed: int,
                  only: tuple[str, ...] = LANGUAGES) -> Iterator[Example]:
    """The examples of every task of the `only` languages (the train and validation splits)."""
    rng = random.Random(seed)
    for split, tasks in built.tasks.items():
        if split == "test":  # held out: measured by a bench run over its task file
            continue
        for language_name in LANGUAGES:
            pool = [t for t in tasks if t.language == language_name]
            if language_name not in only or not pool:
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
                    yield _example(f"{task.id}-{template}", f"code-{language_name}", split,
                                   task, messages, answer)
                if language_name == "sfc":
                    yield masked_chart_example(task, language, split, rng)


def _example(id_: str, kind: str, split: str, task: Task, messages, answer: str) -> Example:
    return Example(id=id_, kind=kind, split=split, group=task.group,
                   messages=[ChatMessage(role=m.role, content=m.content) for m in messages],
                   answer=answer)


MASK = "<MASK {}>"


def masked_chart_example(task: Task, language, split: str, rng: random.Random) -> Example:
    """LLM4SFC's sub-graph masking: a step that is not initial and the transitions that leave it
    are cut out of the chart (its lines, one element per line as the references write them);
    the answer gives each cut line by its mask."""
    lines = task.reference.strip().splitlines()
    chart = json.loads(task.reference)
    name = rng.choice([s["name"] for s in chart["steps"] if not s.get("initial")])
    cut = [i for i, line in enumerate(lines)
           if (line.strip().startswith('{"name": "' + name + '"') or
               line.strip().startswith('{"from": ["' + name + '"]'))]
    masked, answers = list(lines), []
    for n, i in enumerate(cut, 1):
        body = lines[i].rstrip().removesuffix(",")
        masked[i] = lines[i].replace(body.strip(), MASK.format(n))
        answers.append(f"{MASK.format(n)}: {body.strip()}")
    user = (f"The chart below answers this request, in the reduced JSON form, with lines cut "
            f"out and marked {MASK.format('n')} (numbered from 1):\n\n"
            f"Request: {task.prompt.strip()}\n\n" + "\n".join(masked) + "\n\n"
            f"Write each missing line as `{MASK.format('n')}: line`, one per line, nothing else.")
    messages = [Message("system", system_prompt(language)), Message("user", user)]
    return _example(f"{task.id}-masked", "sfc-masked", split, task, messages, "\n".join(answers))
