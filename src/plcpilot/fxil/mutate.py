"""Mutants of an FX program, to measure whether a task's tests pin its behaviour.

A test set that passes a mutant (two inputs swapped, a timer or counter preset changed) does not
pin what the prompt asks for. `plcpilot tasks mutate` reports such surviving mutants; the task-set
test requires every mutant to be killed unless the task declares it equivalent
(`equivalent_mutants:` in the task file, with the mutant's description).
"""

from __future__ import annotations

import re

from plcpilot.fxil.parser import parse

_X = re.compile(r"\bX0*([0-7]+)\b", re.I)


def mutants(source: str) -> list[tuple[str, str]]:
    """(description, mutated source) pairs, deterministic."""
    program = parse(source)
    inputs: list[str] = []
    presets: list[tuple[int, str, str]] = []  # (line, device, preset text)
    for st in program.statements:
        for op in st.operands:
            if op is not None and op.kind == "X" and not op.digits and op.name() not in inputs:
                inputs.append(op.name())
        if (st.name == "OUT" and len(st.operands) == 2 and st.operands[0] is not None
                and st.operands[0].kind in "TC" and st.operands[1] is not None
                and st.operands[1].kind == "K"):
            presets.append((st.line, st.operands[0].name(), st.args[1]))
    out = []
    for a, b in zip(inputs, inputs[1:], strict=False):
        out.append((f"swap {a} {b}", _swap(source, a, b)))
    lines = source.splitlines()
    for line, device, text in presets:
        value = int(text[1:])
        new = (value * 2 if value > 0 else 10) if device[0] == "T" else value + 1
        mutated = lines.copy()
        mutated[line - 1] = re.sub(rf"\b{re.escape(text)}\b", f"K{new}", mutated[line - 1], count=1)
        out.append((f"{device} preset {text}->K{new}", "\n".join(mutated) + "\n"))
    return out


def _swap(source: str, a: str, b: str) -> str:
    def repl(m: re.Match) -> str:
        name = "X" + m.group(1)
        return {a: b, b: a}.get(name, m.group(0))
    return _X.sub(repl, source)
