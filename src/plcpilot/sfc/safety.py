"""Safe-SFC verification (LLM4SFC's Safe@k criteria), decided in seconds.

The chart is read as its Petri net with conditions as free choices, as model checkers abstract
them: any enabled transition may fire. With free conditions the markings IEC's synchronous
evolution reaches are exactly those one transition at a time reaches (firing a set of
non-conflicting transitions together equals firing them in turn; each subset is a possible
choice of conditions), so the state space is the interleaving one: a marking is the set of
active steps.

Criteria, each with a shortest counterexample (the markings and the transition fired into each):
- every step reachable;
- no token overflow: never a transition firing into a step that is already active and that the
  firing does not deactivate (two tokens in one sequence);
- no deadlock: no reachable marking in which no transition is enabled (a dead end);
- every parallel convergence reachable: its source steps active together at some point;
- no simultaneous activation of step pairs the user marks exclusive.

Two engines, the same answers (tests/sfc compare them): `bdd` (default), symbolic reachability
with dd's CUDD binding, one BDD variable per step, images computed per transition without
primed variables; `explicit`, breadth-first search over markings as integers, the baseline of
benchmarks/bench_sfc_verify.py. Both stop at a user bound (seconds, and states for explicit)
and say `undecided` rather than run on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from plcpilot.errors import PlcPilotError
from plcpilot.sfc.model import Chart

Criterion = Literal["reachable", "overflow", "deadlock", "convergence", "exclusive"]
ORDER = ("reachable", "overflow", "deadlock", "convergence", "exclusive")  # as reports list them


class Move(BaseModel):
    """One marking of a counterexample, and the transition (index from 1) that led to it."""

    active: list[str]
    fired: int | None = None


class Violation(BaseModel):
    criterion: Criterion
    message: str
    path: list[Move] = Field(default_factory=list)  # from the initial marking
    # the steps it is about when no path can show it (a step that is never active)
    steps: list[str] = Field(default_factory=list)


class SafetyReport(BaseModel):
    chart: str
    engine: str
    decided: bool
    safe: bool | None  # None when undecided
    states: int | None  # reachable markings (exact for both engines when decided)
    seconds: float
    violations: list[Violation] = Field(default_factory=list)
    undecided_reason: str | None = None
    note: str = ("conditions are free choices (any enabled transition may fire); a chart safe "
                 "here is safe whatever its conditions compute")


class _Net:
    """The chart as bit masks: step i is bit i."""

    def __init__(self, chart: Chart):
        self.names = [s.name for s in chart.steps]
        index = {n: i for i, n in enumerate(self.names)}
        self.transitions: list[tuple[int, int, int]] = []  # (k, source mask, target mask)
        for k, t in enumerate(chart.transitions):
            if t.source and t.target and all(n in index for n in t.source + t.target):
                self.transitions.append((k, _mask(index[n] for n in t.source),
                                         _mask(index[n] for n in t.target)))
        self.initial = _mask(i for i, s in enumerate(chart.steps) if s.initial)
        self.convergences = [(k, src) for k, src, _ in self.transitions if bin(src).count("1") > 1]

    def active(self, marking: int) -> list[str]:
        return [n for i, n in enumerate(self.names) if marking >> i & 1]

    def label(self, k: int, chart: Chart) -> str:
        return f"transition {k + 1} ({chart.transitions[k].label})"


def _mask(bits: Iterable[int]) -> int:
    m = 0
    for b in bits:
        m |= 1 << b
    return m


def verify(chart: Chart, *, exclusive: Iterable[tuple[str, str]] = (), engine: str = "bdd",
           timeout_s: float = 10.0, max_states: int = 5_000_000) -> SafetyReport:
    pairs = [tuple(p) for p in exclusive]
    unknown = sorted({n for p in pairs for n in p} - {s.name for s in chart.steps})
    if unknown:
        raise PlcPilotError(f"exclusive steps {', '.join(unknown)} are not steps of the chart")
    net = _Net(chart)
    started = time.perf_counter()
    if engine == "bdd":
        from plcpilot.sfc.safety_bdd import search
    elif engine == "explicit":
        search = _explicit
    else:
        raise PlcPilotError(f"unknown engine {engine!r}: bdd or explicit")
    result = search(net, chart, pairs, started + timeout_s, max_states)
    seconds = round(time.perf_counter() - started, 4)
    if isinstance(result, str):
        return SafetyReport(chart=chart.name, engine=engine, decided=False, safe=None,
                            states=None, seconds=seconds, undecided_reason=result)
    states, violations = result
    violations.sort(key=lambda v: ORDER.index(v.criterion))
    return SafetyReport(chart=chart.name, engine=engine, decided=True, safe=not violations,
                        states=states, seconds=seconds, violations=violations)


# ---- explicit-state search -----------------------------------------------------------------

def _explicit(net: _Net, chart: Chart, pairs, deadline: float, max_states: int):
    """Breadth-first over markings; parents kept for the shortest counterexamples."""
    parent: dict[int, tuple[int, int] | None] = {net.initial: None}
    queue = deque([net.initial])
    found: dict[tuple, tuple[int, str]] = {}  # key → (first marking, message)
    seen_steps = 0
    converged: set[int] = set()
    index = {n: i for i, n in enumerate(net.names)}
    while queue:
        if len(parent) > max_states:
            return f"over {max_states} reachable markings (the explicit engine's bound)"
        if time.perf_counter() > deadline:
            return f"over the time bound after {len(parent)} markings"
        m = queue.popleft()
        seen_steps |= m
        for a, b in pairs:
            if m >> index[a] & 1 and m >> index[b] & 1:
                found.setdefault(("exclusive", a, b), (m, f"{a} and {b} are active together"))
        enabled = [(k, src, dst) for k, src, dst in net.transitions if m & src == src]
        if not enabled:
            found.setdefault(("deadlock",), (m, "no transition can fire: a dead end"))
        for k, src, dst in enabled:
            converged.add(k)
            overflow = dst & ~src & m
            if overflow:
                found.setdefault(("overflow", k), (m, f"{net.label(k, chart)} fires into "
                                                      f"{', '.join(net.active(overflow))}, "
                                                      "already active"))
            nxt = (m & ~src) | dst
            if nxt not in parent:
                parent[nxt] = (m, k)
                queue.append(nxt)

    violations = [Violation(criterion=key[0], message=msg, path=_shortest(parent, net, m))
                  for key, (m, msg) in found.items()]
    violations += _unreached(net, chart, seen_steps, converged)
    return len(parent), violations


def _shortest(parent: dict[int, tuple[int, int] | None], net: _Net, m: int) -> list[Move]:
    moves: list[Move] = []
    cur: int | None = m
    while cur is not None:
        link = parent[cur]
        moves.append(Move(active=net.active(cur), fired=None if link is None else link[1] + 1))
        cur = None if link is None else link[0]
    return moves[::-1]


def _unreached(net: _Net, chart: Chart, seen_steps: int, converged: set[int]
               ) -> list[Violation]:
    out = [Violation(criterion="reachable", message=f"step {n} is never active", steps=[n])
           for i, n in enumerate(net.names) if not seen_steps >> i & 1]
    out += [Violation(criterion="convergence", message=f"{net.label(k, chart)} never has all "
                      "its source steps active: the parallel convergence is never reached")
            for k, _ in net.convergences if k not in converged]
    return out
