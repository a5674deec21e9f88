"""`plcpilot bench run`: every (task, model, mode, sample) through the generation pipeline,
scored and appended to DIR/samples.jsonl as it finishes (FORMATS.md §4).

Resumable and safe: finished samples are never redone or lost (each line is flushed and
fsynced); a failing model call becomes an error sample, not a crash; the run's configuration is
stored in DIR/config.json and a resume with a different one is refused; one run at a time holds
DIR (plcpilot.runfolder), and lines of samples.jsonl that are not samples are skipped, named,
and run again. Server backends take concurrent requests; an in-process model runs one at a
time (llama.cpp contexts are not thread-safe). Checks and simulations run in the worker
threads, off the main thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plcpilot import languages
from plcpilot.errors import PlcPilotError, first_problem
from plcpilot.generate.pipeline import MODES, generate, settings_for
from plcpilot.llm.base import Completion, Sampling
from plcpilot.runfolder import Lines, locked, read_lines
from plcpilot.spec import Task, load_tasks


class RunConfig(BaseModel):
    """What makes a run: stored once, compared on every resume."""

    tasks: list[str]
    every: int = 1  # every n-th task of the files (a reproducible sample)
    limit: int | None = None  # then only the first n of those
    task_fingerprint: str
    models: list[str]
    modes: list[str]
    samples: int = 1
    temperature: float = 0.7
    top_k: int = 40
    max_tokens: int = 1024
    stop_loops: int = 0
    stop_counts: int = 0
    k: int = 3
    options: dict[str, str] = Field(default_factory=dict)  # --opt: each language takes its own
    # task files whose references only serve retrieval (tasks without references, such as
    # Agents4PLC's, retrieve from these); never run
    examples: list[str] = Field(default_factory=list)
    # retrieve only from `examples`, never from the run's own tasks: a held-out family is
    # measured without its siblings as exemplars
    examples_only: bool = False
    bmc: int = 0  # properties: also bounded model checking over this many cycles (0: simulation)

    @model_validator(mode="before")
    @classmethod
    def _cpu_of_older_runs(cls, data: Any) -> Any:
        """A run folder written before options existed (FX only) stores `cpu`: it resumes with
        that CPU, and a default one is no option at all, as a run without --opt stores it."""
        if isinstance(data, dict) and "cpu" in data and "options" not in data:
            default = next(o.default for o in languages.get("fx-il").options if o.name == "cpu")
            data = {**data, "options": {} if data["cpu"] == default else {"cpu": data["cpu"]}}
        return data


def select_tasks(paths: list[Path] | list[str], every: int = 1, limit: int | None = None
                 ) -> tuple[list[Task], list[Task]]:
    """(the whole pool, the run's tasks): every n-th task of the files, the first `limit`."""
    pool = [t for p in paths for t in load_tasks(Path(p))]
    return pool, pool[::every][:limit]


def fingerprint(tasks: list[Task]) -> str:
    h = hashlib.sha256()
    for t in tasks:
        h.update(json.dumps([t.id, t.prompt, t.reference, [x.model_dump() for x in t.tests]],
                            sort_keys=True).encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    task: Task
    model: str
    mode: str
    sample: int

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.task.id, self.model, self.mode, self.sample)


def key_of(record: dict) -> tuple[str, str, str, int]:
    return (record["task_id"], record["model"], record["mode"], record["sample"])


# the report averages these: no NaN or infinity (statistics.stdev fails on them), and nothing
# so large that a sum of them overflows a float
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]


class Sample(BaseModel):
    """A samples.jsonl line as resume and report read it: FORMATS.md §4's keys with their
    types, and the extensions the report reads (older runs lack them); other keys pass."""

    model_config = ConfigDict(strict=True, extra="allow")

    task_id: str
    category: str
    model: str
    mode: str
    sample: int = Field(ge=0)
    output: str
    is_valid: bool
    tiers: dict[str, Finite] | None  # the language's own tiers (FX: lexical, syntactic, ...)
    behaviour_passed: bool | None
    similarity: Finite | None
    bleu: Finite | None
    rouge_l: Finite | None
    latency_s: Finite | None
    tokens_out: Annotated[int, Field(ge=0, le=10**15)]
    error: str | None
    prose_preamble: bool | None = None
    closed_truncated: bool | None = None
    finish_reason: str | None = None
    error_codes: list[str] | None = None
    retrieval_ms: Finite | None = None
    simulate_s: Finite | None = None


def load_samples(out: Path) -> Lines:
    """The samples of DIR and the lines skipped; `.warning(path)` words them for the user."""
    return read_lines(out / "samples.jsonl", Sample, key_of)


def read_samples(out: Path) -> list[dict]:
    """The samples of DIR (lines that are not samples skipped: see load_samples)."""
    return load_samples(out).records


def load_config(out: Path) -> RunConfig:
    path = out / "config.json"
    try:
        return RunConfig.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise PlcPilotError(f"{out} is not a bench run folder (no config.json)") from None
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read ({e.strerror or e})") from None
    except ValidationError as e:
        raise PlcPilotError(f"{path}: not a bench run configuration ({first_problem(e)}); "
                            "restore it, or use another --out") from None


def prepare(out: Path, config: RunConfig) -> Lines:
    """Create or resume DIR (the caller holds its lock); returns the samples already done."""
    out.mkdir(parents=True, exist_ok=True)
    stored = out / "config.json"
    if stored.exists():
        old = load_config(out)
        if old != config:
            diff = [f for f in RunConfig.model_fields if getattr(old, f) != getattr(config, f)]
            raise PlcPilotError(f"{out} holds a run with another configuration (differs in: "
                                f"{', '.join(diff)}); resume with the same options or use "
                                "another --out")
    else:
        stored.write_text(config.model_dump_json(indent=2))
    samples = out / "samples.jsonl"
    if samples.exists():  # a kill mid-write leaves a partial last line: drop it, it reruns
        data = samples.read_bytes()
        if data and not data.endswith(b"\n"):
            samples.write_bytes(data[: data.rfind(b"\n") + 1])
    return load_samples(out)


def prose_preamble(language, raw: str) -> bool:
    """Did the answer open with prose before any code (a known failure of chat models)?"""
    first = next((line for line in raw.splitlines() if line.strip()), "")
    if not first or first.lstrip().startswith("```"):
        return False
    return not language.reads_as_code(first)


# the repair mode continues the rag+grammar sample of the same task and sample number
SHARES_FIRST_ROUND = {"rag+grammar+repair": "rag+grammar"}


class FirstRounds:
    """First-round answers handed from a rag+grammar job to the repair job of the same task and
    sample. A repair job waits for its partner only when the partner is in this run (jobs start
    in order, so the partner is already running): on a resume it decodes its own first round."""

    def __init__(self, todo: list[Job]):
        keys = {(j.model, j.task.id, j.sample, j.mode) for j in todo}
        self._ready = {(m, t, s, shared): threading.Event() for (m, t, s, mode) in keys
                       if (shared := SHARES_FIRST_ROUND.get(mode)) and (m, t, s, shared) in keys}
        self._answers: dict[tuple, Completion | None] = {}

    def put(self, job: Job, g) -> None:
        key = (job.model, job.task.id, job.sample, job.mode)
        if key in self._ready:
            a = g.attempts[0] if g is not None else None
            self._answers[key] = a and Completion(
                text=a.raw, finish_reason=a.finish_reason, tokens_in=a.tokens_in,
                tokens_out=a.tokens_out, seconds=a.decode_s, constrained=True)
            self._ready[key].set()

    def get(self, job: Job) -> Completion | None:
        shared = SHARES_FIRST_ROUND.get(job.mode)
        key = (job.model, job.task.id, job.sample, shared)
        if key not in self._ready:
            return None
        self._ready[key].wait()
        return self._answers.get(key)


def run_job(job: Job, config: RunConfig, backend, index, scorer,
            firsts: FirstRounds | None = None) -> dict:
    """One sample; `firsts` hands first rounds between modes that share them."""
    record = {"task_id": job.task.id, "category": job.task.category, "model": job.model,
              "mode": job.mode, "sample": job.sample, "output": "", "is_valid": False,
              "tiers": None, "behaviour_passed": None, "similarity": None, "bleu": None,
              "rouge_l": None, "latency_s": None, "tokens_out": 0, "error": None}
    seed = int(hashlib.sha256(repr(job.key).encode()).hexdigest()[:8], 16)
    language = languages.get(job.task.language)
    settings = settings_for(job.mode, language=language.name, model=job.model, k=config.k,
                            options=languages.options_for(language, config.options),
                            sampling=Sampling(max_tokens=config.max_tokens,
                                              temperature=config.temperature,
                                              top_k=config.top_k, seed=seed,
                                              stop_loops=config.stop_loops,
                                              stop_counts=config.stop_counts))
    firsts = firsts or FirstRounds([])
    shared = firsts.get(job)
    g = None
    try:
        g = generate(job.task.prompt, settings, task=job.task, backend=backend, index=index,
                     first_answer=shared)
    except Exception as e:  # noqa: BLE001 - any model failure is an error sample, never a crash
        record["error"] = f"{type(e).__name__}: {e}"[:500] + _where(e)
        record["behaviour_passed"] = False if job.task.tests else None
        if _has_properties(job.task, language):
            record |= {"compiles": False, "verification_passed": False}
        return record
    finally:
        firsts.put(job, g)
    final = g.final
    record |= {
        "output": g.program, "is_valid": g.is_valid, "tiers": final.check.tiers,
        # a task with tests fails them when its program does not even check
        "behaviour_passed": bool(g.behaviour_passed) if job.task.tests else None,
        "latency_s": round(g.timings["decode_s"], 4), "tokens_out": sum(
            a.tokens_out for a in g.attempts),
        # extensions
        "overall": final.check.overall,
        "retrieval_ms": g.timings.get("retrieve_ms", 0.0), "rounds": len(g.attempts),
        "closed_truncated": final.closed_truncated, "finish_reason": final.finish_reason,
        "error_codes": [e.code for e in final.check.errors],
        "prose_preamble": prose_preamble(language, final.raw),
        "exemplars": [e["id"] for e in g.exemplars],
        "first_round_shared": shared is not None,
        # where a sample's wall time went besides the model: checking and simulating
        "check_s": g.timings["check_s"], "simulate_s": g.timings["simulate_s"],
        "total_s": g.timings["total_s"],
        # the language's own verdicts (FX: paper_valid)
        **{v: getattr(final.check, v, None) for v in language.verdicts},
    }
    record |= scorer.score(g.program, job.task.reference)
    if _has_properties(job.task, language):
        started = time.perf_counter()
        try:
            record |= property_fields(language.check_properties(job.task, g.program,
                                                                bmc=config.bmc))
        except Exception as e:  # noqa: BLE001 - a checker bug costs this sample, not the run
            record |= {"compiles": final.check.is_valid, "verification_passed": False,
                       "error": f"property check: {type(e).__name__}: {e}"[:500] + _where(e)}
        record["properties_s"] = round(time.perf_counter() - started, 3)
    return record


def _where(e: BaseException) -> str:
    """` (at plcpilot/st/checker.py:120 in rule_x)` for an error that is our bug rather than
    the model's: where it was raised, so a run's error samples can be diagnosed afterwards."""
    if isinstance(e, PlcPilotError):
        return ""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if "plcpilot" in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {f.filename.rsplit('src/', 1)[-1]}:{f.lineno} in {f.name})"


def _has_properties(task: Task, language) -> bool:
    return bool(getattr(task, "properties", None)) and isinstance(language, languages.Properties)


# Agents4PLC's verification pass, with our evidence: a property a simulation never broke
# ("held"), that z3 proved up to k cycles, or a reachability goal reached. "not reached" fails
# too: the program never got where the property says it can. Properties no finite run decides
# (liveness, branching time: "unsupported") count neither way; the report lists them.
_CONFIRMED = {"held", "proved", "reached"}
_REFUTED = {"violated", "not reached"}


def property_fields(reports: list) -> dict:
    """A sample's property fields from the language's reports (simulation first, then BMC)."""
    simulation = reports[0]
    verdicts = {how: [p.verdict for p in r.properties]
                for how, r in zip(("simulation", "bmc"), reports, strict=False)}
    compiles = simulation.parses and simulation.type_checks
    refuted = "violated" in verdicts.get("bmc", []) or any(
        v in _REFUTED for v in verdicts["simulation"])
    confirmed = any(v in _CONFIRMED for vs in verdicts.values() for v in vs)
    return {"compiles": compiles, "verification_passed": compiles and confirmed and not refuted,
            "properties": {how: dict(Counter(vs)) for how, vs in verdicts.items()},
            "property_problems": simulation.problems[:3]}


Progress = Callable[[dict], None]


def run(tasks_paths: list[Path], models: list[str], modes: list[str], out: Path, *,
        samples: int = 1, temperature: float = 0.7, top_k: int = 40, max_tokens: int = 1024,
        stop_loops: int = 0, stop_counts: int = 0, k: int = 3, options: Mapping[str, str] = {},
        every: int = 1, limit: int | None = None, examples: list[Path] | list[str] = (),
        examples_only: bool = False, bmc: int = 0, concurrency: int = 4, scorer=None,
        index_for=None,
        progress: Progress | None = None, total: Callable[[int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> list[dict]:
    """Run what is not done yet; returns every sample of the run (old and new). `warn` hears
    of lines in samples.jsonl that are not samples (skipped; their samples run again)."""
    from plcpilot.llm.specs import load_backend

    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise PlcPilotError(f"unknown mode(s) {', '.join(unknown)}; one of {', '.join(MODES)}")
    if examples_only and not examples:
        raise PlcPilotError("--examples-only needs --examples: the task files to retrieve from")
    pool, tasks = select_tasks(tasks_paths, every, limit)
    pool = [] if examples_only else pool
    pool += [t for p in examples for t in load_tasks(Path(p))]
    if examples_only and (missing := {t.language for t in tasks} - {t.language for t in pool}):
        raise PlcPilotError(f"--examples-only: no --examples task in {', '.join(sorted(missing))}"
                            "; retrieval would have nothing to draw on")
    languages.check_options({t.language: languages.get(t.language) for t in tasks}.values(),
                            options)
    config = RunConfig(tasks=[str(p) for p in tasks_paths], every=every, limit=limit,
                       task_fingerprint=fingerprint(tasks),
                       models=models, modes=modes, samples=samples, temperature=temperature,
                       top_k=top_k, max_tokens=max_tokens, stop_loops=stop_loops,
                       stop_counts=stop_counts, k=k, options=dict(options),
                       examples=[str(p) for p in examples], examples_only=examples_only,
                       bmc=bmc)
    with locked(out):  # one run per folder: two would redo each other's samples
        have = prepare(out, config)
        if warn and (message := have.warning(out / "samples.jsonl")):
            warn(message)
        done = {key_of(r) for r in have.records}
        ordered = sorted(modes, key=list(MODES).index)  # a shared first round is decoded first
        jobs = [Job(t, m, mode, s) for m in models for t in tasks for mode in ordered
                for s in range(samples)]
        todo = [j for j in jobs if j.key not in done]
        if total:
            total(len(jobs), len(jobs) - len(todo))
        if scorer is None:
            from plcpilot.bench.metrics import Similarity

            scorer = Similarity()
        lock = threading.Lock()
        path = out / "samples.jsonl"
        with path.open("a", encoding="utf-8") as sink:
            def save(record: dict) -> None:
                with lock:
                    sink.write(json.dumps(record) + "\n")
                    sink.flush()
                    os.fsync(sink.fileno())
                if progress:
                    progress(record)

            indexes = _indexes(pool, modes, index_for)
            for model in models:
                backend = load_backend(model)
                mine = [j for j in todo if j.model == model]
                workers = max(1, min(concurrency, getattr(backend, "max_concurrency", 1)))
                firsts = FirstRounds(mine)
                if workers == 1:
                    for job in mine:
                        save(run_job(job, config, backend, indexes.get(job.task.language),
                                     scorer, firsts))
                    continue
                with ThreadPoolExecutor(workers) as executor:
                    futures = [executor.submit(run_job, j, config, backend,
                                           indexes.get(j.task.language), scorer, firsts)
                               for j in mine]
                    for f in as_completed(futures):
                        save(f.result())
        return read_samples(out)


def _indexes(pool: list[Task], modes: list[str], index_for=None) -> dict:
    """One exemplar index per language over the run's whole pool (leave-one-out), when a mode
    retrieves: a task's examples are always in its own language. `index_for(tasks)` builds one
    (default: MiniLM embeddings)."""
    if not any(MODES[m]["rag"] for m in modes):
        return {}
    if index_for is None:
        from plcpilot.retrieval.embeddings import default_embedder
        from plcpilot.retrieval.index import ExemplarIndex

        embedder = default_embedder()
        index_for = lambda tasks: ExemplarIndex(tasks, embedder)  # noqa: E731
    by_language: dict[str, list[Task]] = {}
    for t in pool:
        by_language.setdefault(t.language, []).append(t)
    return {name: index_for(tasks) for name, tasks in by_language.items()}
