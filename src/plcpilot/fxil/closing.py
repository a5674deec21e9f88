"""Close a program the decoder cut off at its token budget.

A grammar keeps every prefix valid but does not make the model stop; when the budget runs out
the text ends mid-network. We cut back to the last line where a network is complete, close the
regions still open (RET for steps, MCR for master controls, NEXT for loops) and add END, taking
the longest prefix the checker accepts. The pipeline records that it did this, so a closed
program is never mistaken for the model's own.
"""

from __future__ import annotations

from plcpilot.fxil.checker import check
from plcpilot.fxil.parser import canonical_text, parse


def _closers(lines: list[str]) -> list[str]:
    stl_open, mc, loops = False, [], 0
    for line in lines:
        word, _, rest = line.partition(" ")
        if word == "STL":
            stl_open = True
        elif word == "RET":
            stl_open = False
        elif word == "MC":
            mc.append(rest.split()[0])
        elif word == "MCR":
            level = rest.split()[0] if rest else ""
            while mc and mc.pop() != level:
                pass
        elif word == "FOR":
            loops += 1
        elif word == "NEXT":
            loops -= 1
    return ["NEXT"] * max(loops, 0) + ["RET"] * stl_open + [f"MCR {n}" for n in reversed(mc)]


def close_truncated(text: str, cpu: str = "fx3u") -> str | None:
    """The longest checker-valid program made of a prefix of `text` plus closers and END
    (whole networks only: a cut-off condition that drives nothing is dropped). When not even
    the first network was finished this is `END` alone: valid, and failing every test."""
    lines = canonical_text(parse(text)).splitlines()
    if lines and lines[-1] == "END":
        lines.pop()
    for cut in range(len(lines), -1, -1):  # cut 0: no network finished, an empty program
        candidate = lines[:cut] + _closers(lines[:cut]) + ["END"]
        program = "\n".join(candidate) + "\n"
        report = check(program, cpu)
        if report.is_valid and not any(w.code == "dangling-condition" for w in report.warnings):
            return program
    return None
