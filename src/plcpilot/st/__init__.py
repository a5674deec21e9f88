"""IEC 61131-3 Structured Text: parse -> check -> simulate -> grammar.

The language object the registry loads (entry point `st` in pyproject.toml). Parser:
tree-sitter (plcpilot.st.parser); checker: plcpilot.st.checker; interpreter: closures compiled
once per program (plcpilot.st.interpreter), one scan per call as FORMATS.md §1 describes;
decoding grammar: plcpilot.st.grammar, measured against the parser in tests/st.
"""

from __future__ import annotations

import re

from plcpilot.diagnostics import CheckReport, Diagnostic
from plcpilot.errors import PlcPilotError
from plcpilot.st.codes import CODES

# a line of ST code rather than prose: it ends a statement or declaration, is a keyword line, or
# a comment (a header comment is part of the program, not a preamble before it)
_CODE_LINE = re.compile(
    r";\s*(\(\*.*\*\)|//.*)?$|^\s*(\(\*|//)|^\s*(END_\w+|VAR\w*|PROGRAM|FUNCTION(_BLOCK)?|TYPE|"
    r"IF|ELSIF|ELSE|CASE|FOR|WHILE|REPEAT|UNTIL|THEN|DO|STRUCT)\b", re.I)


class StLanguage:
    name = "st"
    title = "IEC 61131-3 Structured Text"
    suffixes = (".st",)
    code_fence = "st"
    prompt_rules = ("IEC 61131-3 Structured Text: a PROGRAM (or FUNCTION_BLOCK / FUNCTION) with "
                    "typed VAR_INPUT, VAR_OUTPUT and VAR sections, statements ending with ';', "
                    "IF … END_IF, CASE … END_CASE, FOR … END_FOR, standard blocks such as TON "
                    "and CTU called through an instance (t1(IN := start, PT := T#5s);).")
    answer_rule = "ending with END_PROGRAM (or the END_ of the last POU)"
    options = ()
    codes = CODES
    verdicts: dict[str, str] = {}

    def check(self, source: str, **_) -> CheckReport:
        """The checker's report; text that is not a program at all is reported too (the
        pipeline checks whatever a model wrote), as an `unreadable` error."""
        from plcpilot.st.checker import check

        try:
            return check(source)
        except PlcPilotError as e:
            return CheckReport(language=self.name, is_valid=False,
                               tiers={"lexical": 0.0, "syntactic": 0.0, "semantic": 0.0},
                               overall=0.0, errors=[Diagnostic(code="unreadable", message=str(e))])

    def simulator(self, source: str, entry: str | None = None, **_):
        """Parse, check and compile once; the `entry` POU (FORMATS.md §1) runs each scan."""
        from plcpilot.st.checker import check_parsed
        from plcpilot.st.interpreter import compile_unit
        from plcpilot.st.parser import parse

        parsed = parse(source)
        report = check_parsed(parsed, source)
        if not report.is_valid:
            first = report.errors[0]
            raise PlcPilotError(f"the program has {len(report.errors)} check error(s), first at "
                                f"line {first.line}: {first.message} ({first.code})")
        return compile_unit(parsed.unit, entry)

    def constraint(self, backend, **_):
        """The Lark grammar of plcpilot.st.grammar (llguidance in process, GBNF over HTTP)."""
        from plcpilot.llm.base import choose
        from plcpilot.st.grammar import lark_grammar

        return choose(backend, {"lark": lark_grammar})

    def close_truncated(self, source: str, **_) -> str | None:
        from plcpilot.st.closing import close_truncated

        return close_truncated(source)

    def reads_as_code(self, line: str) -> bool:
        return bool(_CODE_LINE.search(line))

    def mutants(self, source: str) -> list[tuple[str, str]]:
        from plcpilot.st.mutate import mutants

        return mutants(source)

    def check_properties(self, task, source: str, *, bmc: int = 0) -> list:
        """Simulation always; bounded model checking too when `bmc` (cycles) is set."""
        from plcpilot.st.properties import check_properties

        reports = [check_properties(task, source, max_seconds=20.0)]
        if bmc:
            from plcpilot.st.bmc import bmc_properties

            reports.append(bmc_properties(task, source, k=bmc))
        return reports


language = StLanguage()
__all__ = ["language"]
