"""Parse IEC 61131-3 Structured Text: text -> `Parsed` (typed AST + syntax diagnostics).

Parser: tree-sitter-iec61131-3-st, because it is MIT, error-recovering and compiled (all of OSCAT,
467 kB, in 0.04 s; 0.3-0.5 s with our AST: benchmarks/bench_st_parse.py), where blark is GPL-2.0 and
far slower. It reads 500 of OSCAT's 503 distinct POUs (tests/st/test_st_parser.py says why not
the other three).

A bad program never raises: syntax errors become diagnostics (line, column, code, message) and
the POUs around them still parse. Input that is not a program at all (binary, not UTF-8, over
MAX_BYTES) raises PlcPilotError. The grammar has no entry point for a lone expression or
statement list, so `parse_expression` and `parse_statements` wrap the text in a PROGRAM on
lines of its own, which keeps the user's columns and lets line numbers be shifted back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from plcpilot.diagnostics import Diagnostic
from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.st import ast
from plcpilot.st.build import Builder
from plcpilot.st.syntax import diagnostics

MAX_BYTES = 5_000_000  # OSCAT BASIC, the largest real ST library we know, is under 1 MB


@dataclass
class Parsed:
    unit: ast.CompilationUnit
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


@cache
def _parser():
    ts = optional_import("tree_sitter", "Structured Text parsing", "st", "tree-sitter")
    grammar = optional_import("tree_sitter_iec61131_3_st", "Structured Text parsing", "st",
                              "tree-sitter-iec61131-3-st")
    return ts.Parser(ts.Language(grammar.language()))


def source_bytes(source: str | bytes, name: str = "input") -> bytes:
    """The program as UTF-8 bytes (BOM dropped), or PlcPilotError if it is not program text."""
    if isinstance(source, str):
        try:
            source = source.encode("utf-8")
        except UnicodeEncodeError as e:
            raise PlcPilotError(f"{name}: holds a character that is not valid text "
                                f"(at character {e.start}); save it as UTF-8") from None
    if len(source) > MAX_BYTES:
        raise PlcPilotError(f"{name}: {len(source):,} bytes is over the {MAX_BYTES:,}-byte limit "
                            "for an ST source; split it into several files")
    if b"\x00" in source:
        line = source.count(b"\n", 0, source.index(b"\x00")) + 1
        raise PlcPilotError(f"{name}: line {line} holds a NUL byte: this is a binary file, "
                            "not Structured Text")
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as e:
        line = source.count(b"\n", 0, e.start) + 1
        raise PlcPilotError(f"{name}: line {line} is not UTF-8 text (byte "
                            f"0x{source[e.start]:02x}); save the file as UTF-8") from None
    return source.removeprefix(b"\xef\xbb\xbf")


def parse_tree(source: bytes):
    """The raw tree-sitter tree (for tools and for the benchmark's baseline)."""
    return _parser().parse(source)


def _parse(data: bytes, line_offset: int = 0) -> Parsed:
    builder = Builder(data, line_offset)
    unit = builder.build(parse_tree(data).root_node)
    text = data.decode("utf-8")
    return Parsed(unit, diagnostics(builder.problems, builder, text))


def parse(source: str | bytes, name: str = "input") -> Parsed:
    """A whole compilation unit: POUs, TYPEs, CONFIGURATIONs, global VARs."""
    return _parse(source_bytes(source, name))


def parse_statements(source: str | bytes, name: str = "input"
                     ) -> tuple[list[ast.Statement], list[Diagnostic]]:
    """A statement list (an SFC action, a POU body), as the body of a wrapper PROGRAM."""
    parsed = _parse(b"PROGRAM _\n" + source_bytes(source, name) + b"\nEND_PROGRAM\n", 1)
    return _body(parsed), parsed.diagnostics


def parse_expression(source: str | bytes, name: str = "input"
                     ) -> tuple[ast.Expr | None, list[Diagnostic]]:
    """One expression (an SFC transition condition), as the value of a wrapper assignment
    `_ := <text> ;`. Text that reads as more than one expression is a `syntax` diagnostic."""
    parsed = _parse(b"PROGRAM _\n_ :=\n" + source_bytes(source, name) + b"\n;\nEND_PROGRAM\n", 2)
    body = _body(parsed)
    if parsed.diagnostics:
        return None, parsed.diagnostics
    if len(body) != 1 or not isinstance(body[0], ast.Assign):
        return None, [Diagnostic(line=1, column=1, code="syntax",
                                 message="expected one expression, found statements")]
    return body[0].value, []


def _body(parsed: Parsed) -> list[ast.Statement]:
    return parsed.unit.pous[0].body if len(parsed.unit.pous) == 1 else []
