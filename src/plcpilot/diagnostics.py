"""Diagnostics and check reports shared by every language.

Each language defines its diagnostic codes once in a table of `Code` entries (code, title,
explanation, fix hint); that table feeds the report, `plcpilot explain CODE`, the docs and the
repair loop's feedback to a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from plcpilot.errors import PlcPilotError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str
    explanation: str
    hint: str


_CODES: dict[str, Code] = {}


def register_codes(codes: list[Code]) -> dict[str, Code]:
    """Add a language's code table to the global one (codes are unique across languages)."""
    table = {}
    for c in codes:
        if c.code in _CODES and _CODES[c.code] != c:
            raise ValueError(f"diagnostic code {c.code!r} defined twice")
        _CODES[c.code] = table[c.code] = c
    return table


def all_codes() -> list[Code]:
    """Every diagnostic code of every installed language, sorted by code."""
    from plcpilot.languages import load_all

    load_all()
    return sorted(_CODES.values(), key=lambda c: c.code)


def explain(code: str) -> Code:
    import difflib

    from plcpilot.languages import load_all

    load_all()
    if code in _CODES:
        return _CODES[code]
    close = difflib.get_close_matches(code, list(_CODES), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise PlcPilotError(f"unknown diagnostic code {code!r}.{hint}")


class Diagnostic(BaseModel):
    line: int | None = None
    column: int | None = None  # 1-based, where the instruction or operand starts
    code: str
    message: str
    hint: str | None = None


class CheckReport(BaseModel):
    """FORMATS.md §2. `paper_valid` and `stats` are our extensions (optional fields)."""

    language: str
    is_valid: bool
    tiers: dict[str, float]
    overall: float
    errors: list[Diagnostic] = Field(default_factory=list)
    warnings: list[Diagnostic] = Field(default_factory=list)
    paper_valid: bool | None = None
    stats: dict[str, int] = Field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), indent=2)
