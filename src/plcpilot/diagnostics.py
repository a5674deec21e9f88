"""Diagnostics and check reports shared by every language.

Each language defines its diagnostic codes once in a table of `Code` entries (code, title,
explanation, fix hint); that table feeds the report, `plcpilot explain LANGUAGE/CODE`, the docs
and the repair loop's feedback to a model. Reports carry the bare code; the report's `language`
says whose it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from plcpilot.errors import PlcPilotError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str
    explanation: str
    hint: str


def code_table(codes: list[Code]) -> dict[str, Code]:
    """A language's code table, by code. Each language has its own namespace (the registry
    reaches it as `language.codes`), so two languages may both define e.g. `missing-end`."""
    table: dict[str, Code] = {}
    for c in codes:
        if c.code in table:
            raise ValueError(f"diagnostic code {c.code!r} defined twice")
        table[c.code] = c
    return table


def all_codes() -> list[tuple[str, Code]]:
    """(language, code) for every diagnostic code of every installed language, sorted."""
    from plcpilot.languages import load_all

    return sorted(((name, c) for name, lang in load_all().items() for c in lang.codes.values()),
                  key=lambda lc: (lc[0], lc[1].code))


def explain(code: str, language: str | None = None) -> tuple[str, Code]:
    """(language, code) for `code`, written `language/code` or bare: bare, it is looked up in
    `language` if given, else in every language (and must name one code only)."""
    import difflib

    from plcpilot.languages import get, load_all

    if "/" in code and language is None:
        language, code = code.split("/", 1)
    names = [get(language).name] if language else sorted(load_all())
    found = [(name, get(name).codes[code]) for name in names if code in get(name).codes]
    if len(found) == 1:
        return found[0]
    if found:
        raise PlcPilotError(f"{code!r} is a code of several languages: "
                            f"{', '.join(f'{n}/{code}' for n, _ in found)}; name one")
    close = difflib.get_close_matches(code, sorted({c for n in names for c in get(n).codes}), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    where = f" of {language}" if language else ""
    raise PlcPilotError(f"unknown diagnostic code {code!r}{where}.{hint}")


class Diagnostic(BaseModel):
    line: int | None = None
    column: int | None = None  # 1-based, where the instruction or operand starts
    code: str
    message: str
    hint: str | None = None


class CheckReport(BaseModel):
    """FORMATS.md §2. `stats` is our extension; a language may add its own verdicts as extra
    fields (FX: `paper_valid`), which it names in `Language.verdicts`."""

    model_config = ConfigDict(extra="allow")

    language: str
    is_valid: bool
    tiers: dict[str, float]
    overall: float
    errors: list[Diagnostic] = Field(default_factory=list)
    warnings: list[Diagnostic] = Field(default_factory=list)
    stats: dict[str, int] = Field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), indent=2)
