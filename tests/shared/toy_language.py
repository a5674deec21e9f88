"""A stand-in language for the tests that prove the pipeline is language-neutral.

Toy programs are boolean assignments, one a line (`Q0 = I0 and not I1`), closed by `DONE`.
It has everything a language must have, each face unlike FX's: its own tiers (`form`,
`closure`), its own codes (one of them, `missing-end`, also an FX code), its own option
(`dialect`, shown nowhere), a constraint that prefers a JSON schema to a Lark grammar, and no
mutants. Its methods take only their own option as a keyword, so an option of another language
(FX's `cpu`) reaching it fails the test with a TypeError.

`python tests/shared/toy_language.py ARGS` runs the `plcpilot` command with the toy registered.
"""

from __future__ import annotations

import json
import re

from plcpilot import languages
from plcpilot.diagnostics import CheckReport, Code, Diagnostic, code_table
from plcpilot.errors import PlcPilotError
from plcpilot.languages import Option
from plcpilot.llm.base import choose

_ASSIGN = re.compile(r"^([A-Z]\w*)\s*=\s*((?:not\b|and\b|or\b|[A-Z]\w*|[()\s])+)$")
_NAME = re.compile(r"\b[A-Z]\w*\b")
LARK = 'start: line* "DONE" _NL?\nline: NAME "=" expr _NL\n%import common (CNAME -> NAME)\n'
SCHEMA = json.dumps({"type": "object", "properties": {"lines": {"type": "array"}}})

CODES = code_table([
    Code("bad-line", "error", "Not an assignment",
         "Each toy line assigns an expression of names to a name.", "Write `Q0 = I0`."),
    Code("missing-end", "error", "No DONE",
         "A toy program is closed by the line DONE.", "Add DONE as the last line."),
])


class ToyMachine:
    def __init__(self, assignments: list[tuple[str, str]]):
        self.assignments = assignments
        names = {target for target, _ in assignments}
        names |= {n for _, expr in assignments for n in _NAME.findall(expr)}
        self.values = dict.fromkeys(sorted(names), 0)
        self.notes: list[str] = []

    def scan(self, now_ms: int, scan_ms: int) -> None:
        for target, expr in self.assignments:  # _ASSIGN lets only names, and/or/not, () in
            self.values[target] = int(bool(eval(expr, {}, dict(self.values))))

    def read(self, name: str) -> int:
        if name not in self.values:
            raise PlcPilotError(f"{name}: not a variable of this toy program")
        return self.values[name]

    def write(self, name: str, value: int) -> None:
        self.read(name)
        self.values[name] = value

    def signals(self) -> list[str]:
        return list(self.values)


class ToyLanguage:
    name = "toy"
    title = "Toy boolean assignments"
    suffixes = (".toy",)
    code_fence = "toy"
    prompt_rules = "one assignment NAME = EXPR a line, EXPR of names with and/or/not."
    answer_rule = "closing with DONE"
    options = (Option("dialect", "plain", ("plain", "strict"), "How strict the toy is."),)
    codes = CODES
    verdicts: dict[str, str] = {}

    def check(self, source: str, dialect: str = "plain") -> CheckReport:
        lines = [(n, text.strip()) for n, text in enumerate(source.splitlines(), 1)
                 if text.strip()]
        errors = [Diagnostic(line=n, code="bad-line", message=f"not an assignment: {text}")
                  for n, text in lines if text != "DONE" and not _ASSIGN.match(text)]
        done = any(text == "DONE" for _, text in lines)
        if not done:
            errors.append(Diagnostic(code="missing-end", message="the program has no DONE"))
        tiers = {"form": round(1 - (len(errors) - (not done)) / max(1, len(lines)), 3),
                 "closure": float(done)}
        return CheckReport(language=self.name, is_valid=not errors, tiers=tiers,
                           overall=sum(tiers.values()) / 2, errors=errors,
                           stats={"lines": len(lines)}, dialect=dialect)

    def simulator(self, source: str, dialect: str = "plain"):
        if not self.check(source, dialect).is_valid:
            raise PlcPilotError("the toy program has check errors")
        assignments = [m.groups() for line in source.splitlines()
                       if (m := _ASSIGN.match(line.strip()))]
        return lambda: ToyMachine(assignments)

    def constraint(self, backend, request: str = "", dialect: str = "plain"):
        return choose(backend, {"json_schema": lambda: SCHEMA, "lark": lambda: LARK})

    def close_truncated(self, source: str, dialect: str = "plain") -> str | None:
        return source.rstrip() + "\nDONE\n"

    def reads_as_code(self, line: str) -> bool:
        return line.strip() == "DONE" or bool(_ASSIGN.match(line.strip()))


language = ToyLanguage()

if __name__ == "__main__":
    from plcpilot.cli import main

    languages.register(language)
    main()
