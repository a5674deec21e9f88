"""What every synthetic family shares: signals named per language, prompts from phrasings,
references in FX IL, ST and (where a chart states the problem naturally) SFC, and behavioural
tests written against roles.

One draw of a family's parameters makes one task per language. The FX task names FX devices
(inputs X, outputs Y, words D, all distinct and octal where FX numbers them so); the ST and SFC
tasks name variables from each role's pool of engineer-style names. Tests are written once,
against roles, from the parameters drawn (the specification), never by running the reference.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from plcpilot.spec import Task

LANGUAGES = ("fx-il", "st", "sfc")  # sfc only for the families that write a chart
SCAN_MS = 10
# tests look this far away from every timed edge (FX_SEMANTICS.md: timers err by about two
# scans, and the errors of chained timers add up)
MARGIN = 150


@dataclass(frozen=True)
class Signal:
    """An input or output of the task: FX gives it a random free device of its kind, ST the
    first of `names` (shuffled per draw) that no other signal took."""

    role: str
    direction: str  # "in" or "out"
    what: str  # for the io table: "start push button (NO)"
    names: tuple[str, ...]
    word: bool = False  # an INT value (FX: a D register) rather than a bit


@dataclass
class Draw:
    """One instance: the family's parameters, its signals, and the names each language gives."""

    family: str
    params: dict[str, Any]
    signals: list[Signal]
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # language → role → name


def _octal(n: int) -> str:
    return format(n, "o")


def assign_names(draw: Draw, rng: random.Random) -> None:
    """FX: random distinct X/Y addresses (octal) and D registers; ST: the first free name of
    each role's pool, the pools shuffled so names vary between draws."""
    bits_in = rng.sample(range(16), sum(s.direction == "in" and not s.word for s in draw.signals))
    bits_out = rng.sample(range(16), sum(s.direction == "out" and not s.word
                                         for s in draw.signals))
    registers = rng.sample(range(0, 200, 2), sum(s.word for s in draw.signals))
    fx, st, used = {}, {}, set()
    for s in draw.signals:
        if s.word:
            fx[s.role] = f"D{registers.pop()}"
        elif s.direction == "in":
            fx[s.role] = f"X{_octal(bits_in.pop())}"
        else:
            fx[s.role] = f"Y{_octal(bits_out.pop())}"
        pool = list(s.names)
        rng.shuffle(pool)
        st[s.role] = next(n for n in pool if n.lower() not in used)
        used.add(st[s.role].lower())
    draw.names = {"fx-il": fx, "st": st, "sfc": st}  # a chart's variables are ST variables


def words(names: Sequence[str], conjunction: str = "or") -> str:
    """`X0`, `X0 or X1`, `X0, X1 or X2`."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def seconds(ms: int) -> str:
    s = ms / 1000
    return f"{s:g} s"


def st_time(ms: int) -> str:
    return f"T#{ms}ms" if ms % 1000 else f"T#{ms // 1000}s"


def tenths(rng: random.Random, low_ms: int, high_ms: int) -> int:
    """A duration in whole tenths of a second (what a 100 ms FX timer can time exactly)."""
    return rng.randrange(low_ms // 100, high_ms // 100 + 1) * 100


def timer_numbers(rng: random.Random, n: int) -> list[int]:
    """n distinct 100 ms FX timers (T0–T199)."""
    return rng.sample(range(200), n)


def fx_k(ms: int) -> str:
    """A 100 ms timer's preset (T0–T199)."""
    return f"K{ms // 100}"


# --- tests, written against roles ------------------------------------------------------------

def at(ms: int, **values) -> dict:
    return {"at_ms": ms, "set": values}


def expect(ms: int, **values) -> dict:
    return {"at_ms": ms, "expect": values}


def hold(start: int, end: int, **values) -> dict:
    return {"from_ms": start, "to_ms": end, "hold": values}


def press(role: str, ms: int, length: int = 100) -> list[dict]:
    """A push of `length` ms: on at `ms`, off after."""
    return [at(ms, **{role: True}), at(ms + length, **{role: False})]


def _named(values: dict, names: dict[str, str], language: str) -> dict:
    def value(v):
        return int(v) if language == "fx-il" and isinstance(v, bool) else v

    return {names[role]: value(v) for role, v in values.items()}


def map_values(events: Iterable[dict], fn: Callable[[dict], dict]) -> list[dict]:
    """The events with each of their set/expect/hold mappings passed through `fn`."""
    return [{k: fn(v) if k in ("set", "expect", "hold") else v for k, v in e.items()}
            for e in events]


def render_test(name: str, events: Iterable[dict], draw: Draw, language: str) -> dict:
    """A test of FORMATS.md §1 with the language's names (FX bits as 0/1, ST as BOOL)."""
    names = draw.names[language]
    timeline = map_values(events, lambda values: _named(values, names, language))
    timeline.sort(key=lambda e: e.get("at_ms", e.get("from_ms")))
    return {"name": name, "scan_ms": SCAN_MS, "timeline": timeline}


# --- ST programs -------------------------------------------------------------------------------

def st_program(name: str, draw: Draw, body: str, local: Iterable[str] = (),
               pou: str = "PROGRAM") -> str:
    """A PROGRAM (or FUNCTION_BLOCK) over the draw's signals: VAR_INPUT for inputs, VAR_OUTPUT
    for outputs, VAR for `local` declarations ("edge : R_TRIG"), then the body."""
    names = draw.names["st"]

    def section(kind: str, lines: list[str]) -> list[str]:
        return [kind, *(f"  {line};" for line in lines), "END_VAR"] if lines else []

    def decl(s: Signal) -> str:
        return f"{names[s.role]} : {'INT' if s.word else 'BOOL'}"

    inputs = [decl(s) for s in draw.signals if s.direction == "in"]
    outputs = [decl(s) for s in draw.signals if s.direction == "out"]
    lines = [f"{pou} {name}", *section("VAR_INPUT", inputs), *section("VAR_OUTPUT", outputs),
             *section("VAR", list(local)), *body.strip().splitlines(), f"END_{pou}"]
    return "\n".join(lines) + "\n"


def fx_program(lines: Iterable[str]) -> str:
    return "\n".join([*lines, "END"]) + "\n"


# --- SFC charts ----------------------------------------------------------------------------------

def step(name: str, *outputs: str, initial: bool = False) -> dict:
    """A step whose actions switch `outputs` on while it is active (qualifier N)."""
    out = {"name": name, **({"initial": True} if initial else {})}
    if outputs:
        out["actions"] = [{"qualifier": "N", "action": o} for o in outputs]
    return out


def move(source: str, target: str, condition: str, jump: bool = False) -> dict:
    return {"from": [source], "to": [target], "condition": condition,
            **({"jump": True} if jump else {})}


def sfc_chart(name: str, draw: Draw, steps: list[dict], transitions: list[dict]) -> str:
    """The reduced form as the shipped SFC references write it: one element per line.
    Alternative branches leave a step in the order written (IEC's priority)."""
    names = draw.names["sfc"]
    variables = [{"name": names[s.role], "kind": "input" if s.direction == "in" else "output",
                  "type": "INT" if s.word else "BOOL"} for s in draw.signals]

    def block(key: str, items: list[dict]) -> str:
        lines = ",\n".join(f"    {json.dumps(i, ensure_ascii=False)}" for i in items)
        return f'  "{key}": [\n{lines}\n  ]'

    return ("{\n" + f'  "name": "{name}",\n' + ",\n".join(
        [block("variables", variables), block("steps", steps),
         block("transitions", transitions)]) + "\n}\n")


# --- a family ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """A parametrised control problem.

    draw: parameters and signals for one instance;
    phrasings: prompt writers (draw, names) → text, several sentence shapes each;
    fx / st: the reference program for the draw, with the language's names (None: a problem
        the language does not state naturally, such as a function block over an array in FX
        IL, or several independent requirements in one ST program);
    sfc: the chart for the draw, for the families a chart states naturally (None: no SFC task);
    tests: (test name, role-level events) pairs from the draw's specification;
    explain: one sentence on how the reference works (the two-part answer's explanation)."""

    name: str
    category: str
    draw: Callable[[random.Random], Draw]
    phrasings: tuple[Callable[[Draw, dict[str, str]], str], ...]
    fx: Callable[[Draw, dict[str, str]], str] | None
    st: Callable[[Draw, dict[str, str]], str] | None
    tests: Callable[[Draw], list[tuple[str, list[dict]]]]
    explain: str
    # role groups whose inputs the specification treats alike (the starts of a latch): an FX
    # mutant that swaps two of them is equivalent, and the task says so (equivalent_mutants)
    interchangeable: Callable[[Draw], list[list[str]]] = lambda draw: []
    sfc: Callable[[Draw, dict[str, str]], str] | None = None
    # SFC mutants no test of the specification can tell from the chart: priority between
    # transitions that only compete when two events fall in one scan, and targets the chart
    # leaves again in the next scan (a one-scan difference)
    sfc_equivalent: tuple[str, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        written = {"fx-il": self.fx, "st": self.st, "sfc": self.sfc}
        return tuple(lang for lang in LANGUAGES if written[lang])

    def task(self, draw: Draw, language: str, number: int, rng: random.Random) -> Task:
        names = draw.names[language]
        phrasing = rng.choice(self.phrasings)
        reference = {"fx-il": self.fx, "st": self.st, "sfc": self.sfc}[language](draw, names)
        io = {names[s.role]: s.what for s in draw.signals}
        tests = [render_test(n, events, draw, language) for n, events in self.tests(draw)]
        equivalent = {"fx-il": [f"swap {names[a]} {names[b]}"
                                for group in self.interchangeable(draw)
                                for a in group for b in group if a != b],
                      "sfc": list(self.sfc_equivalent)}.get(language, [])
        return Task.model_validate({
            "id": f"syn-{self.name}-{language}-{number:04d}", "language": language,
            "category": self.category, "prompt": phrasing(draw, names).strip() + "\n",
            "io": io, "reference": reference, "tests": tests, "family": self.name,
            "group": f"{self.name}-{number:04d}",
            **({"equivalent_mutants": equivalent} if equivalent else {})})
