"""What every model backend offers: chat completion, optionally under a decoding constraint.

Constraints are compiled outside the backends (a language's grammar, a JSON schema); a backend
declares which kinds it can apply and refuses the rest loudly, so a pipeline never believes an
output was constrained when it was not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from plcpilot.errors import PlcPilotError

ConstraintKind = Literal["lark", "json_schema"]


@dataclass(frozen=True)
class Constraint:
    kind: ConstraintKind
    text: str  # Lark grammar text, or a JSON schema as a JSON string


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class Completion:
    text: str
    finish_reason: str  # "stop" (the model or the grammar ended it) or "length" (budget hit)
    tokens_in: int
    tokens_out: int
    seconds: float  # the model call only
    constrained: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_out / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; defaults follow the FX-IL RAG benchmark (temperature 0.7, top_k 40)."""

    max_tokens: int = 1024
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 1.0
    seed: int | None = None
    stop_loops: int = 0  # cut an answer that loops (plcpilot.llm.loops); 0: off, as the paper
    stop_counts: int = 0  # the same with digits alike: cuts counting sequences too; 0: off


# told the number of tokens decoded so far as an answer grows (for live progress)
OnToken = Callable[[int], None]


class TokenClock:
    """How fast an answer grows: tokens/s counted from its first token, since reading the
    prompt comes before it (seconds on a long RAG prompt) and would make the rate look low."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.first: float | None = None

    def tick(self, tokens: int) -> tuple[float, float]:
        """(seconds since the call began, tokens/s) when `tokens` have come."""
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        rate = (tokens - 1) / (now - self.first) if now > self.first else 0.0
        return now - self.began, rate


class Backend(Protocol):
    spec: str  # the model spec that made it, e.g. "ollama:qwen2.5-coder:7b"
    accepts: frozenset[str]  # constraint kinds it can apply
    max_concurrency: int  # requests it may serve at once (1: an in-process model)

    def preflight(self) -> None:
        """Fail now, with a clear PlcPilotError, if the backend cannot work at all (a missing
        package, an unreachable server): before a command spends minutes on other work."""

    def complete(self, messages: list[Message], sampling: Sampling = Sampling(),
                 constraint: Constraint | None = None,
                 on_token: OnToken | None = None) -> Completion: ...


def choose(backend: Backend, offers: Mapping[ConstraintKind, Callable[[], str]]) -> Constraint:
    """The first kind of `offers` (in the offerer's order of preference) the backend accepts,
    built only then; fails loudly when it accepts none of them."""
    for kind, build in offers.items():
        if kind in backend.accepts:
            return Constraint(kind, build())
    raise _refusal(backend, " or ".join(offers))


def require(backend: Backend, constraint: Constraint | None) -> None:
    """Fail loudly when a backend cannot apply a constraint."""
    if constraint is not None and constraint.kind not in backend.accepts:
        raise _refusal(backend, constraint.kind)


def _refusal(backend: Backend, kinds: str) -> PlcPilotError:
    can = ", ".join(sorted(backend.accepts)) or "no constraints"
    return PlcPilotError(
        f"{backend.spec} cannot apply a {kinds} constraint (it accepts: {can}); "
        "run without the grammar (--no-grammar) or pick a backend that accepts it")
