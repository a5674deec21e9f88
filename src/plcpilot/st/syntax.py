"""Syntax problems as diagnostics a PLC engineer can act on.

tree-sitter recovers from errors by wrapping unreadable text in ERROR nodes and by assuming
MISSING tokens; `st.build` collects both. Here each becomes a diagnostic that quotes the text and
names the construct it sits in. An unclosed `(*` or string is found by a separate lexical scan,
because the tree shows it only as a confusing ERROR further on; its knock-on errors are dropped.
"""

from __future__ import annotations

import re

from plcpilot.diagnostics import Diagnostic
from plcpilot.st.build import MAX_DEPTH, Builder, Problem
from plcpilot.st.codes import CODES

MAX_DIAGNOSTICS = 100  # garbage input recovers into thousands of ERROR nodes

_OPENERS = re.compile(r"\(\*|//|\{|'|\"")
_STRING = {"'": re.compile(r"'(?:[^'$\r\n]|\$[^\r\n])*'"),
           '"': re.compile(r'"(?:[^"$\r\n]|\$[^\r\n])*"')}
# constructs outside standard ST that users bring from other languages or vendors
_FOREIGN = [
    (re.compile(r"(INITIAL_STEP|STEP|TRANSITION|ACTION|END_STEP|END_TRANSITION|END_ACTION)\b",
                re.I), "textual SFC (STEP, TRANSITION, ACTION) is not Structured Text"),
    (re.compile(r"/\*"), "C-style /* */ comments are not ST: write (* … *) or //"),
    (re.compile(r"\[\d+\]"), "a sized string is written STRING(10) in this grammar, "
                             "not STRING[10]"),
]
_CONTEXT = {
    "variable_declaration": "a variable declaration", "var_block": "a VAR section",
    "var_input": "a VAR_INPUT section", "var_output": "a VAR_OUTPUT section",
    "var_in_out": "a VAR_IN_OUT section", "var_temp": "a VAR_TEMP section",
    "var_global": "a VAR_GLOBAL section", "var_external": "a VAR_EXTERNAL section",
    "var_config": "a VAR_CONFIG section", "if_statement": "an IF statement",
    "case_statement": "a CASE statement", "for_statement": "a FOR loop",
    "while_statement": "a WHILE loop", "repeat_statement": "a REPEAT loop",
    "assignment_statement": "an assignment", "argument_list": "a call's arguments",
    "type_declaration": "a TYPE declaration", "structure_type_inline": "a STRUCT",
    "program_declaration": "a PROGRAM", "function_declaration": "a FUNCTION",
    "function_block_declaration": "a FUNCTION_BLOCK", "source_file": "the file",
    "configuration_declaration": "a CONFIGURATION", "resource_declaration": "a RESOURCE",
}


def lexical_problems(text: str) -> list[tuple[str, int]]:
    """(code, character offset) of the first unclosed `(*` and of every string left open on
    its line, skipping comments and pragmas; linear in the text."""
    found: list[tuple[str, int]] = []
    pos = 0
    while m := _OPENERS.search(text, pos):
        start, opener = m.start(), m.group()
        if opener == "(*":
            stop = text.find("*)", start + 2)
            if stop < 0:
                found.append(("unterminated-comment", start))
                break
            pos = stop + 2
        elif opener in ("//", "{"):
            stop = text.find("\n" if opener == "//" else "}", start)
            pos = len(text) if stop < 0 else stop + 1
        elif s := _STRING[opener].match(text, start):
            pos = s.end()
        else:
            found.append(("unterminated-string", start))
            stop = text.find("\n", start)
            pos = len(text) if stop < 0 else stop + 1
    return found


def _snippet(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= 40 else first[:37] + "…"


def _leaf_before(node, b: Builder) -> str:
    """The token just before `node` (for "missing `;` after `BOOL`"), if it is the user's and
    not part of a wrapper that `parse_expression` put around the text."""
    prev = node.prev_sibling
    while prev is None and node.parent is not None:
        node = node.parent
        prev = node.prev_sibling
    while prev is not None and prev.child_count:
        prev = prev.child(prev.child_count - 1)
    if prev is None or prev.start_point[0] < b.line_offset:
        return ""
    return b.text(prev)


def _context(node) -> str:
    parent = node.parent
    while parent is not None and parent.type not in _CONTEXT:
        parent = parent.parent
    return _CONTEXT[parent.type] if parent is not None else "the file"


def _describe(problem: Problem, b: Builder) -> Diagnostic:
    node = problem.node
    at = b.at(node)
    if problem.kind == "missing":
        wanted = "a name or value" if node.type == "identifier" else f"`{node.type}`"
        after = _leaf_before(node, b)
        where = f" after `{_snippet(after)}`" if after else ""
        return Diagnostic(**at, code="missing-token",
                          message=f"missing {wanted}{where} in {_context(node)}",
                          hint=CODES["missing-token"].hint)
    if problem.kind == "too-deep":
        return Diagnostic(**at, code="too-deep", hint=CODES["too-deep"].hint,
                          message=f"expressions or statements nest deeper than {MAX_DEPTH} levels")
    if problem.kind == "bad-number":
        return Diagnostic(**at, code="bad-number", hint=CODES["bad-number"].hint,
                          message=problem.detail)
    text = b.text(node)
    foreign = next((why for pattern, why in _FOREIGN if pattern.search(text)), None)
    return Diagnostic(**at, code="syntax",
                      message=f"cannot read `{_snippet(text)}` in {_context(node)}",
                      hint=foreign or CODES["syntax"].hint)


def diagnostics(problems: list[Problem], b: Builder, text: str) -> list[Diagnostic]:
    """Every problem as a diagnostic, sorted by position, at most MAX_DIAGNOSTICS."""
    found = [_describe(p, b) for p in problems]
    if any(p.kind in ("error", "missing") for p in problems):
        for code, offset in lexical_problems(text):
            line = text.count("\n", 0, offset) + 1 - b.line_offset
            column = offset - text.rfind("\n", 0, offset)
            if code == "unterminated-comment":
                found = [d for d in found if (d.line, d.column) < (line, column)]
                message = "comment `(*` is never closed: the rest of the file is comment"
            else:
                found = [d for d in found if d.line != line or d.code != "syntax"]
                message = f"string `{_snippet(text[offset:])}` is not closed on its line"
            found.append(Diagnostic(line=line, column=column, code=code, message=message,
                                    hint=CODES[code].hint))
    found.sort(key=lambda d: (d.line, d.column))
    if len(found) > MAX_DIAGNOSTICS:
        last = found[MAX_DIAGNOSTICS - 1]
        found[MAX_DIAGNOSTICS - 1:] = [last.model_copy(update={
            "message": f"{last.message} (and {len(found) - MAX_DIAGNOSTICS} more syntax errors)"})]
    return found
