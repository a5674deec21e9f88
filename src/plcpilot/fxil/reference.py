"""The FX IL reference page (docs/fx-il-reference.md), generated from the instruction and code
tables so the docs cannot drift from what the checker and simulator do.

Regenerate: .venv/bin/python -m plcpilot.fxil.reference > docs/fx-il-reference.md
"""

from __future__ import annotations

from plcpilot.fxil.codes import CODES
from plcpilot.fxil.instructions import TABLE, Instr
from plcpilot.fxil.semantics import BUILDERS


def _kinds(kinds: frozenset[str]) -> str:
    return " ".join(sorted(kinds))


def _limits(i: Instr, k: int) -> str:
    """The table's limits on operand k, e.g. " (n2 1..1024, at most n1)"."""
    names = {lim.operand: lim.what for lim in i.limits}
    texts = [f"{lim.what} {lim.lo}..{lim.hi}{lim.condition}"
             + (f", at most {names[lim.at_most]}" if lim.at_most is not None else "")
             for lim in i.limits if lim.operand == k]
    return f" ({'; '.join(texts)})" if texts else ""


def reference_markdown() -> str:
    lines = ["# FX IL reference (generated)", "",
             "Generated from `plcpilot/fxil/instructions.py` and `codes.py` by "
             "`python -m plcpilot.fxil.reference`; a test keeps it in sync.", "",
             "## Instructions", "",
             "| mnemonic | FNC | forms | operands (allowed device classes per position) "
             "| simulated | summary |", "|---|---|---|---|---|---|"]
    for i in TABLE.values():
        forms = ", ".join(f for f, ok in (("D", i.d32), ("P", i.pulse)) if ok) or "-"
        ops = " ; ".join(
            _kinds(k) + _limits(i, n) + (" (optional)" if n >= i.required else "")
            for n, k in enumerate(i.operands)
        ) or "-"
        sim = "yes" if i.sem in BUILDERS else "**no** (reported)"
        fnc = "" if i.fnc is None else str(i.fnc)
        cpu = " (FX3U only)" if i.fx3u_only else ""
        lines.append(f"| {i.name} | {fnc} | {forms} | {ops} | {sim} | {i.summary}{cpu} |")
    lines += ["", "## Diagnostics", "", "| code | severity | title | explanation | fix |",
              "|---|---|---|---|---|"]
    for c in CODES.values():
        lines.append(f"| `{c.code}` | {c.severity} | {c.title} | {c.explanation} | {c.hint} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
