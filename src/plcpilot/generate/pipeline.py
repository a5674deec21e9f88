"""Natural-language request -> checked and tested program.

retrieve -> prompt -> decode (grammar-constrained when asked) -> check -> run the task's tests
when it has them -> repair: the checker's errors and the first failing test go back to the
model, up to N rounds. Every round is kept. The pipeline reaches languages only through the
registry, so ST and SFC plug in without changes here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

from pydantic import BaseModel, Field

from plcpilot import languages
from plcpilot.diagnostics import CheckReport
from plcpilot.errors import PlcPilotError
from plcpilot.generate.prompts import build_messages, extract_program, repair_message
from plcpilot.llm.base import Backend, Completion, Message, Sampling, TokenClock
from plcpilot.spec import SimulationReport, Task, run_tests


@dataclass(frozen=True)
class Settings:
    language: str = languages.DEFAULT
    model: str = "embedded"
    rag: bool = True
    k: int = 3
    fetch_factor: int = 3
    threshold: float = 0.25
    lam: float = 0.5
    grammar: bool = True
    repair: int = 2
    template: str = "two-part"  # for unconstrained decoding; a grammar implies code-only
    options: dict[str, str] = field(default_factory=dict)  # the language's (Language.options)
    sampling: Sampling = field(default_factory=Sampling)


# the FX-IL benchmark's ablation ladder
MODES: dict[str, dict[str, Any]] = {
    "llm-only": {"rag": False, "grammar": False, "repair": 0},
    "rag": {"rag": True, "grammar": False, "repair": 0},
    "rag+grammar": {"rag": True, "grammar": True, "repair": 0},
    "rag+grammar+repair": {"rag": True, "grammar": True, "repair": 2},
}


def settings_for(mode: str, **overrides) -> Settings:
    if mode not in MODES:
        raise PlcPilotError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    return replace(Settings(), **{**MODES[mode], **overrides})


class Attempt(BaseModel):
    round: int
    messages: list[dict[str, str]]
    raw: str
    program: str
    finish_reason: str
    closed_truncated: bool = False  # cut by the budget or a loop, and the prefix was closed
    tokens_in: int = 0
    tokens_out: int = 0
    decode_s: float = 0.0
    check: CheckReport
    simulation: SimulationReport | None = None
    simulation_error: str | None = None


class Generation(BaseModel):
    request: str
    settings: dict[str, Any]
    exemplars: list[dict[str, Any]] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    interrupted: bool = False  # stopped (Ctrl-C, SIGTERM) after the attempts it holds

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def program(self) -> str:
        return self.final.program

    @property
    def is_valid(self) -> bool:
        return self.final.check.is_valid

    @property
    def behaviour_passed(self) -> bool | None:
        sim = self.final.simulation
        if sim is None:
            return None if self.final.simulation_error is None else False
        return sim.passed

    def to_json(self) -> str:
        data = self.model_dump()
        data |= {"program": self.program, "is_valid": self.is_valid,
                 "behaviour_passed": self.behaviour_passed}
        return json.dumps(data, indent=2)


@dataclass(frozen=True)
class Status:
    """What the pipeline is doing, for live progress: the stage, the round, and while decoding
    the answer's length so far."""

    stage: str  # "loading model", "retrieving examples", "decoding", "checking", "simulating"
    round: int = 0  # 1-based; 0 before the first round
    rounds: int = 0
    tokens: int = 0
    seconds: float = 0.0  # time in this stage
    rate: float = 0.0  # tokens/s since the first token (reading the prompt comes before it)

    def describe(self) -> tuple[str, str]:
        """(stage line, detail) for a status display."""
        stage = f"round {self.round}/{self.rounds}: {self.stage}" if self.round else self.stage
        detail = ""
        if self.tokens:
            detail = f"{self.tokens} tokens, {self.rate:.1f} tokens/s, {self.seconds:.0f} s"
        return stage, detail


def _counting(say: Callable[[Status], None], status: Status) -> Callable[[int], None]:
    """A backend's token callback that reports `status` with the answer's length and speed."""
    clock = TokenClock()

    def heard(n: int) -> None:
        seconds, rate = clock.tick(n)
        say(replace(status, tokens=n, seconds=seconds, rate=rate))
    return heard


def blocking(language, report: CheckReport) -> list:
    """What must be fixed in generated code: the checker's errors, and the warnings the language
    counts as errors for generated code (e.g. an FX coil driven twice)."""
    strict = getattr(language, "generated_errors", frozenset())
    return [*report.errors, *(w for w in report.warnings if w.code in strict)]


def _failures(sim: SimulationReport | None, error: str | None, limit: int = 6) -> list[str]:
    if error:
        return [error]
    if sim is None:
        return []
    for t in sim.tests:
        if not t.passed:
            lines = [f"test '{t.name}': {t.error}"] if t.error else []
            lines += [f"test '{t.name}': at {f.at_ms} ms {f.name} {f.describe()}"
                      for f in t.failures[:limit]]
            return lines
    return []


Progress = Callable[[Status], None]


def generate(request: str, settings: Settings = Settings(), *, task: Task | None = None,
             backend: Backend | None = None, index=None,
             progress: Progress | None = None,
             on_round: Callable[[Generation], None] | None = None,
             first_answer: Completion | None = None) -> Generation:
    """Generate a program for `request`; with a task, its tests judge it and feed repair.

    `index` is an ExemplarIndex (built on demand when RAG is on); with a task from the index,
    retrieval leaves that task out (leave-one-out). `first_answer` is a first-round answer already
    decoded for the same prompt and constraint (a benchmark's rag+grammar sample, which its
    repair mode then continues: a paired comparison, and one decode fewer). `progress` hears
    every stage and, while decoding, the answer's length; `on_round` gets the generation so far
    after each finished round (so a caller can keep it, whatever happens later)."""
    say = progress or (lambda _status: None)
    language = languages.get(settings.language)
    languages.check_options([language], settings.options)  # before minutes of model loading
    options = languages.options_for(language, settings.options)
    if backend is None:
        from plcpilot.llm.specs import load_backend

        say(Status(f"loading model {settings.model}"))
        backend = load_backend(settings.model)
    constraint = language.constraint(backend, request=request, **options) \
        if settings.grammar else None
    result = Generation(request=request, settings=asdict(settings) | {"options": options})
    timings = {"retrieve_ms": 0.0, "decode_s": 0.0, "check_s": 0.0, "simulate_s": 0.0}
    started = time.perf_counter()

    exemplars: list[tuple[str, str]] = []
    if settings.rag and settings.k > 0:
        say(Status("retrieving examples"))
        if index is None:
            index = default_index(settings.language)
        found, timing = index.search(request, k=settings.k, fetch_factor=settings.fetch_factor,
                                     threshold=settings.threshold, lam=settings.lam,
                                     exclude_id=task.id if task else None)
        timings["retrieve_ms"] = timing.total_ms
        timings |= {"encode_ms": timing.encode_ms, "search_ms": timing.search_ms,
                    "mmr_ms": timing.mmr_ms}
        exemplars = [(r.task.prompt, r.task.reference) for r in found]
        result.exemplars = [{"id": r.task.id, "score": round(r.score, 4)} for r in found]

    template = "code-only" if settings.grammar else settings.template
    first = messages = build_messages(request, language, exemplars, template)
    rounds = settings.repair + 1
    for round_no in range(rounds):
        now = partial(Status, round=round_no + 1, rounds=rounds)
        say(now("decoding"))
        completion = first_answer if round_no == 0 and first_answer is not None else \
            backend.complete(messages, settings.sampling, constraint,
                             on_token=_counting(say, now("decoding")))
        timings["decode_s"] += completion.seconds
        program = completion.text if constraint else extract_program(completion.text)
        closed = False
        if constraint and completion.finish_reason in ("length", "loop"):
            fixed = language.close_truncated(program, **options)
            if fixed is not None:
                program, closed = fixed, True
        say(now("checking"))
        t0 = time.perf_counter()
        report = language.check(program, **options)
        timings["check_s"] += time.perf_counter() - t0
        attempt = Attempt(round=round_no, messages=[asdict(m) for m in messages],
                          raw=completion.text, program=program,
                          finish_reason=completion.finish_reason, closed_truncated=closed,
                          tokens_in=completion.tokens_in, tokens_out=completion.tokens_out,
                          decode_s=completion.seconds, check=report)
        if report.is_valid and task is not None and task.tests:
            say(now(f"simulating {len(task.tests)} tests"))
            t0 = time.perf_counter()
            try:
                attempt.simulation = run_tests(
                    languages.simulator(language, program, options, task.entry),
                    task.tests, task=task.id)
            except PlcPilotError as e:
                attempt.simulation_error = str(e)
            timings["simulate_s"] += time.perf_counter() - t0
        result.attempts.append(attempt)
        timings["total_s"] = time.perf_counter() - started
        result.timings = {k: round(v, 4) for k, v in timings.items()}
        if on_round is not None:
            on_round(result)
        problems = blocking(language, report)
        done = not problems and (attempt.simulation is None or attempt.simulation.passed)
        if done or round_no == settings.repair:
            break
        # feedback on the last answer only: the context stays bounded however many rounds
        messages = [*first, Message("assistant", completion.text),
                    repair_message(problems, _failures(attempt.simulation,
                                                       attempt.simulation_error))]
    return result


def default_index(language: str):
    """The exemplar index over the shipped task set of a language (persistent, cached)."""
    from plcpilot.paths import shipped_tasks
    from plcpilot.retrieval.embeddings import default_embedder
    from plcpilot.retrieval.index import ExemplarIndex
    from plcpilot.spec import load_tasks

    return ExemplarIndex(load_tasks(shipped_tasks(language)), default_embedder())
