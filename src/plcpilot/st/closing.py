"""Close a Structured Text program the decoder cut off at its token budget.

The grammar keeps every prefix valid but does not make the model stop: when the budget runs out
the text ends inside a statement, a comment or a string, with blocks still open. We close the
comment or string, then try the longest candidates first: the whole text, the same with its
brackets and statement closed (`x := (a + b` becomes `x := (a + b);`), then the text cut back to
each statement boundary before the cut. Each gets the ENDs of the blocks still open, innermost
first (END_IF … END_VAR … END_PROGRAM; UNTIL TRUE for a REPEAT, so its body runs once), and the
first that the parser reads without a diagnostic wins. The pipeline records that it did this,
so a closed program is never mistaken for the model's own.
"""

from __future__ import annotations

import re

from plcpilot.errors import PlcPilotError
from plcpilot.st.parser import parse

# block keyword -> the END that closes it
_END_OF = {
    "PROGRAM": "END_PROGRAM", "FUNCTION_BLOCK": "END_FUNCTION_BLOCK", "FUNCTION": "END_FUNCTION",
    "TYPE": "END_TYPE", "STRUCT": "END_STRUCT", "IF": "END_IF", "CASE": "END_CASE",
    "FOR": "END_FOR", "WHILE": "END_WHILE", "REPEAT": "END_REPEAT", "UNTIL": "END_REPEAT",
    **dict.fromkeys(("VAR", "VAR_INPUT", "VAR_OUTPUT", "VAR_IN_OUT", "VAR_TEMP", "VAR_GLOBAL",
                     "VAR_EXTERNAL"), "END_VAR"),
}
_ENDS = set(_END_OF.values())
_WITH_SEMICOLON = {"END_STRUCT", "END_IF", "END_CASE", "END_FOR", "END_WHILE", "END_REPEAT"}


def _closer(block: str) -> str:
    # a REPEAT cut before its UNTIL gets the condition TRUE: the body runs once
    end = _END_OF[block]
    return ("UNTIL TRUE " if block == "REPEAT" else "") + end + (
        ";" if end in _WITH_SEMICOLON else "")


# where a statement or declaration may end: a cut here leaves nothing half-written
_BOUNDARY_WORDS = {"THEN", "ELSE", "DO", "OF"} | set(_END_OF) | _ENDS
_TOKEN = re.compile(r"\(\*|//|'|\"|[A-Za-z_][A-Za-z0-9_]*|[()\[\];]|:(?!=)")


def _lex(text: str) -> tuple[list[tuple[str, int]], str]:
    """(token, end offset) of the words, brackets, `;` and `:` outside comments and strings, and
    what closes a comment or string the text ends in ("" if none)."""
    tokens, pos = [], 0
    while m := _TOKEN.search(text, pos):
        tok, start = m.group(), m.start()
        if tok == "(*":
            stop = text.find("*)", start + 2)
            if stop < 0:
                return tokens, " *)"
            pos = stop + 2
        elif tok == "//":
            stop = text.find("\n", start)
            if stop < 0:
                return tokens, "\n"
            pos = stop + 1
        elif tok in "'\"":
            end = re.compile(rf"(?:[^{tok}$\n]|\$.)*{tok}").match(text, start + 1)
            if end is None:
                return tokens, tok
            pos = end.end()
        else:
            tokens.append((tok.upper(), m.end()))
            pos = m.end()
    return tokens, ""


def _closers(tokens: list[tuple[str, int]]) -> list[str]:
    """The ENDs of the blocks still open after `tokens`, innermost first."""
    stack: list[str] = []
    for tok, _ in tokens:
        if tok == "UNTIL" and stack and stack[-1] == "REPEAT":
            stack[-1] = "UNTIL"
        elif tok in _END_OF:
            stack.append(tok)
        elif tok in _ENDS:
            while stack and _END_OF[stack.pop()] != tok:
                pass
    return [_closer(b) for b in reversed(stack)]


def _brackets(tokens: list[tuple[str, int]]) -> str:
    """The `)` and `]` that close the brackets still open, innermost first."""
    open_: list[str] = []
    for tok, _ in tokens:
        if tok in "([":
            open_.append(")" if tok == "(" else "]")
        elif tok in ")]" and open_:
            open_.pop()
    return "".join(reversed(open_))


def _candidates(text: str):
    """(prefix, closers) to try, longest first."""
    tokens, tail = _lex(text)
    whole = text
    if tail in ("'", '"') and (len(text) - len(text.rstrip("$"))) % 2:
        whole = text[:-1]  # a string cut after `$`: drop the half-written escape
    whole += tail
    closers = _closers(tokens)
    yield whole, closers
    yield whole + _brackets(tokens) + ";", closers
    for i in range(len(tokens) - 1, -1, -1):
        tok, end = tokens[i]
        if tok in (";", ":") or tok in _BOUNDARY_WORDS:  # ":" ends a CASE label
            yield text[:end], _closers(tokens[:i + 1])


def close_truncated(source: str) -> str | None:
    """The longest parser-valid program made of a prefix of `source` plus closers (a cut-off
    statement is completed if closing its brackets makes it whole, else dropped). None when no
    declaration was finished (an empty program would pass for an answer) or when nothing
    parses (the text was not a grammar-valid prefix, or not program text at all: a NUL byte)."""
    for prefix, closers in _candidates(source):
        if not prefix.strip():
            return None
        program = prefix.rstrip() + "".join(f"\n{c}" for c in closers) + "\n"
        try:
            if parse(program).ok:
                return program
        except PlcPilotError:  # parse refuses binary text outright: nothing to close
            return None
    return None
