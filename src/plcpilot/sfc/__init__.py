"""Sequential Function Charts: reduced form ⇄ PLCopen XML, check, Safe-SFC verification,
simulation on the `st` interpreter.

The language object the registry loads (entry point `sfc` in pyproject.toml). A program is a
chart as text: the reduced JSON form (plcpilot.sfc.model; what a model writes, under its JSON
schema) or PLCopen TC6 XML. Its check report carries the structural and ST tiers and, as an
extra verdicts, `safe`: the Safe-SFC criteria decided by plcpilot.sfc.safety on the chart's
topology, and `valid_safe`: that and the checker's pass (what Safe@k counts).
"""

from __future__ import annotations

import json

from plcpilot.diagnostics import CheckReport, Code, Diagnostic, code_table
from plcpilot.errors import PlcPilotError
from plcpilot.sfc.codes import CODES

# per check: the corpus charts take 0.01-0.05 s, 244 M markings 0.8 s; generous for busy machines
SAFETY_SECONDS = 10.0
_CODES = code_table([*CODES.values(),
                     Code("unreadable", "error", "Not a chart",
                          "The text is neither the reduced JSON form nor PLCopen XML, or it "
                          "does not fit the form (the message says where).",
                          "Write one JSON object with name, variables, steps and transitions, "
                          "as the schema describes."),
                     Code("unsafe", "warning", "A Safe-SFC criterion fails",
                          "With conditions as free choices, some run reaches an unreachable "
                          "step, a token overflow, a deadlock, an unreachable convergence or "
                          "two exclusive steps together (`plcpilot sfc verify` shows the path).",
                          "Run plcpilot sfc verify and follow the counterexample."),
                     Code("safety-undecided", "warning", "Safe-SFC not decided in time",
                          f"The check gives the verifier {SAFETY_SECONDS:g} s; this chart took "
                          "longer, so its safety is unknown (and not counted as safe).",
                          "Run plcpilot sfc verify with a longer --timeout.")])


class SfcLanguage:
    name = "sfc"
    title = "IEC 61131-3 Sequential Function Chart"
    suffixes = (".sfc",)  # reduced JSON; PLCopen XML goes through `plcpilot sfc …`
    code_fence = "json"
    prompt_rules = (
        "A Sequential Function Chart as one JSON object: name; variables (name, kind input/"
        "output/local, IEC type, initial); steps (name, initial: true for exactly one, actions: "
        "qualifier N/S/R/P/L/D with time for L and D, and an ST body `st` or the name of a "
        "BOOL variable `action`); transitions (from: [steps], to: [steps], condition: an ST "
        "BOOL expression; several `to` steps open parallel branches, several `from` steps "
        "join them; jump: true to loop back). Conditions may read Step.X and Step.T.")
    answer_rule = "a single JSON object"
    options = ()
    codes = _CODES
    # `safe` judges the topology of any chart that reads, even one whose ST the checker rejects;
    # `valid_safe` also needs the checker's pass: a safe chart that cannot be used is no success,
    # so it is the one Safe@k counts
    verdicts = {"safe": "Safe-SFC topology", "valid_safe": "valid and safe (Safe@k)"}
    # warnings the repair loop treats as errors in generated charts: an unsafe chart is repaired
    generated_errors = frozenset({"unsafe", "dead-end", "never-entered"})

    def check(self, source: str, **_) -> CheckReport:
        from plcpilot.sfc.checks import check_chart
        from plcpilot.sfc.files import chart_from_text
        from plcpilot.sfc.safety import verify

        try:
            chart = chart_from_text(source)
        except PlcPilotError as e:
            return CheckReport(language=self.name, is_valid=False,
                               tiers={"structure": 0.0, "st": 0.0}, overall=0.0,
                               errors=[Diagnostic(code="unreadable", message=str(e))],
                               safe=False, valid_safe=False)
        report = check_chart(chart)
        safety = verify(chart, timeout_s=SAFETY_SECONDS)
        report.warnings += [Diagnostic(code="unsafe", message=f"{v.criterion}: {v.message}")
                            for v in safety.violations]
        if not safety.decided:
            report.warnings.append(Diagnostic(code="safety-undecided",
                                              message=safety.undecided_reason or ""))
        report.safe = bool(safety.decided and safety.safe)  # CheckReport allows extra fields
        report.valid_safe = report.is_valid and report.safe
        return report

    def simulator(self, source: str, entry: str | None = None, **_):
        from plcpilot.sfc.files import chart_from_text
        from plcpilot.sfc.simulator import simulator

        return simulator(chart_from_text(source, pou=entry))

    def constraint(self, backend, **_):
        """The reduced form's JSON schema (authoring fields only)."""
        from plcpilot.llm.base import choose
        from plcpilot.sfc.model import authoring_schema

        return choose(backend, {"json_schema": lambda: json.dumps(authoring_schema())})

    def close_truncated(self, source: str, **_) -> str | None:
        return None  # a JSON answer cut short is not closed: the schema run ends it whole

    def reads_as_code(self, line: str) -> bool:
        return line.strip()[:1] in ("{", "}", "[", "]", '"')

    export_suffixes = (".xml",)

    def export(self, source: str, suffix: str) -> str:
        """PLCopen TC6 v2.01, what CODESYS, TwinCAT, Beremiz and OpenPLC import."""
        from plcpilot.sfc.files import chart_from_text
        from plcpilot.sfc.plcopen import chart_xml

        return chart_xml(chart_from_text(source)).decode("utf-8")

    def mutants(self, source: str) -> list[tuple[str, str]]:
        from plcpilot.sfc.mutate import mutants

        return mutants(source)


language = SfcLanguage()
__all__ = ["language"]
