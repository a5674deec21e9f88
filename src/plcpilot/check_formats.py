"""Check reports for editors and CI: `file:line:col: severity: message [code]` lines and SARIF.

The line form is the one GCC prints, so editors' problem matchers (VS Code's $gcc, Vim's
quickfix, Emacs' compile mode) jump to the place without configuration. SARIF 2.1.0 is what CI
code-scanning services read (GitHub, GitLab, Azure DevOps). Both are built from the same
`FileCheck` list the CLI collects, one per file; an unusable file keeps its message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from plcpilot import __version__
from plcpilot.diagnostics import CheckReport, Diagnostic, explain

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass
class FileCheck:
    path: str
    report: CheckReport | None = None
    error: str | None = None  # the file could not be checked (unusable input)

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid, 2 unusable: a run over several files exits with the worst."""
        if self.report is None:
            return 2
        return 0 if self.report.is_valid else 1

    def diagnostics(self) -> list[tuple[str, Diagnostic]]:
        if self.report is None:
            return []
        return [("error", d) for d in self.report.errors] + \
               [("warning", d) for d in self.report.warnings]


def as_lines(checks: list[FileCheck]) -> str:
    out = []
    for c in checks:
        if c.error is not None:
            out.append(f"{c.path}: error: {c.error} [unusable-input]")
        for severity, d in sorted(c.diagnostics(), key=lambda sd: (sd[1].line or 0,
                                                                    sd[1].column or 0)):
            where = f"{c.path}:{d.line}:{d.column or 1}" if d.line else c.path
            out.append(f"{where}: {severity}: {d.message} [{d.code}]")
    return "".join(line + "\n" for line in out)


def as_json(checks: list[FileCheck]) -> str:
    """One file: its report exactly (the check report format); several: a list, each entry
    with its "file" and either the report's fields or an "error"."""
    if len(checks) == 1 and checks[0].report is not None:
        return checks[0].report.to_json()
    entries = [{"file": c.path, **(json.loads(c.report.to_json()) if c.report else
                                   {"error": c.error})} for c in checks]
    return json.dumps(entries, indent=2)


def as_sarif(checks: list[FileCheck]) -> str:
    results, rules = [], {}
    for c in checks:
        for severity, d in c.diagnostics():
            if d.code not in rules:
                rules[d.code] = _rule(d.code, c.report.language)
            region = {"startLine": d.line, "startColumn": d.column or 1} if d.line else None
            location = {"artifactLocation": {"uri": c.path}} | ({"region": region} if region
                                                                else {})
            results.append({"ruleId": d.code, "level": severity, "message": {"text": d.message},
                            "locations": [{"physicalLocation": location}]})
    notes = [{"level": "error", "message": {"text": f"{c.path}: {c.error}"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": c.path}}}]}
             for c in checks if c.error is not None]
    run = {"tool": {"driver": {"name": "plcpilot", "version": __version__,
                               "rules": list(rules.values())}},
           "invocations": [{"executionSuccessful": not notes,
                            "toolExecutionNotifications": notes}],
           "results": results}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _rule(code: str, language: str) -> dict:
    _, c = explain(code, language)
    return {"id": c.code, "name": c.title, "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.explanation}, "help": {"text": c.hint},
            "defaultConfiguration": {"level": c.severity}}
