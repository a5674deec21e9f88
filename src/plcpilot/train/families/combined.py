"""Several requirements in one task: two or three independent draws of the FX families, stated
in one prompt and written as one program.

Why: a single-family task states one requirement, while a real request (the shipped FX tasks)
states several at once: a latch and its lamps, a counter and a flasher. A model trained only on
one requirement per prompt learns the form but not to cover every requirement. Each part keeps
its own devices (inputs, outputs, timers, counters, relays, registers all distinct), so its
tests, rendered under the combined names, judge it exactly as they judge it alone, and every
part's mutants are killed by that part's tests.

FX only: an ST program of several parts would need merged declarations, and the FX goal is
what these tasks are for.
"""

from __future__ import annotations

import random
import re

from plcpilot.train.families.base import Draw, Family, Signal, map_values
from plcpilot.train.families.counting import COUNTER, SEQUENCE
from plcpilot.train.families.logic import INTERLOCK, LATCH
from plcpilot.train.families.timing import FLASHER, OFF_DELAY, ON_DELAY_CHAIN, PULSE

# the bit-logic and timing families, as the shipped basic-control tasks combine them (SCALING's
# word arithmetic and AVERAGE, ST only, are left out); sampling distinct families keeps a
# program to one STL sequence, as every sequence starts from S0
PARTS = (LATCH, INTERLOCK, ON_DELAY_CHAIN, OFF_DELAY, PULSE, FLASHER, COUNTER, SEQUENCE)
_BY_NAME = {f.name: f for f in PARTS}
MAX_BITS = 16  # assign_names numbers inputs and outputs from X0–X17 / Y0–Y17
_INTERNAL = re.compile(r"\b([TCMSD])(\d+)\b")
_SEPARATE = ("\n\n", " ", "\n\nIn the same program: ")


def _prefix(i: int, role: str) -> str:
    return f"p{i}.{role}"


def _internal_devices(family: Family, part: Draw) -> set[str]:
    """Timers, counters, relays, steps and registers the part's program uses besides its I/O
    (special relays such as M8002 are shared read-only, and are left out)."""
    placeholders = {s.role: f"<{n}>" for n, s in enumerate(part.signals)}
    program = family.fx(part, placeholders)
    return {f"{k}{n}" for k, n in _INTERNAL.findall(program) if not (k == "M" and int(n) >= 8000)}


def _draw_parts(rng: random.Random, count: int) -> list[tuple[Family, Draw]]:
    """`count` draws of distinct families whose devices do not overlap; redrawn until they fit."""
    while True:
        families = rng.sample(PARTS, count)
        parts = [(f, f.draw(rng)) for f in families]
        internal = [_internal_devices(f, d) for f, d in parts]
        inputs = sum(s.direction == "in" and not s.word for _, d in parts for s in d.signals)
        outputs = sum(s.direction == "out" and not s.word for _, d in parts for s in d.signals)
        if (sum(map(len, internal)) == len(set().union(*internal))
                and inputs <= MAX_BITS and outputs <= MAX_BITS):
            return parts


def _combined_draw(count: int):
    def draw(rng: random.Random) -> Draw:
        parts = _draw_parts(rng, count)
        signals = [Signal(_prefix(i, s.role), s.direction, s.what, s.names, s.word)
                   for i, (_, part) in enumerate(parts) for s in part.signals]
        return Draw(f"combined{count}", {
            "parts": [(f.name, part) for f, part in parts],
            "phrasings": [rng.randrange(len(f.phrasings)) for f, _ in parts],
            "separate": rng.randrange(len(_SEPARATE))}, signals)
    return draw


def _parts(draw: Draw, names: dict[str, str]):
    """(family, part draw, the part's names by its own roles) for each part."""
    for i, (family_name, part) in enumerate(draw.params["parts"]):
        own = {s.role: names[_prefix(i, s.role)] for s in part.signals}
        yield _BY_NAME[family_name], part, own


def _say(draw: Draw, names: dict[str, str]) -> str:
    texts = [family.phrasings[k](part, own).strip()
             for (family, part, own), k in zip(_parts(draw, names), draw.params["phrasings"],
                                                strict=True)]
    return _SEPARATE[draw.params["separate"]].join(texts)


def _fx(draw: Draw, names: dict[str, str]) -> str:
    """The parts' networks one after the other, a single END last; an STL sequence closes with
    its RET, so networks may follow it."""
    lines = [line for family, part, own in _parts(draw, names)
             for line in family.fx(part, own).splitlines() if line.strip() and line != "END"]
    return "\n".join([*lines, "END"]) + "\n"


def _tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    """Each part's tests, its roles renamed to the combined draw's."""
    return [(f"{family_name}: {name}",
             map_values(events, lambda values, i=i: {_prefix(i, r): v for r, v in values.items()}))
            for i, (family_name, part) in enumerate(draw.params["parts"])
            for name, events in _BY_NAME[family_name].tests(part)]


def _interchangeable(draw: Draw) -> list[list[str]]:
    return [[_prefix(i, role) for role in group]
            for i, (family_name, part) in enumerate(draw.params["parts"])
            for group in _BY_NAME[family_name].interchangeable(part)]


def _combined(count: int) -> Family:
    return Family(
        name=f"combined{count}", category="combined", draw=_combined_draw(count),
        phrasings=(_say,), fx=_fx, st=None, tests=_tests,
        interchangeable=_interchangeable,
        explain="Each requirement is its own network with its own devices, written one after "
                "the other; an STL sequence closes with RET before the next network.")


COMBINED2, COMBINED3 = _combined(2), _combined(3)
