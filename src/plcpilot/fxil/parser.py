"""Tolerant FX IL parser: text as users and models write it -> statements.

Accepts comments (`;`, `//`, `(* *)`), step numbers (`0000 LD X000`), markdown fences,
pointer labels (`P0` / `P0:`), comma-separated operands, `LD =` written apart, and prose lines
mixed with code. Prose is skipped but remembered (the checker reports it), and a line that only
looks like an instruction because its first word is one ("To turn on the pump, …" is not TO) is
prose. Nothing is dropped silently: every line ends up as a statement, a label, prose or blank.

Every step is linear in the length of the text (a hostile text of megabytes parses in seconds),
and statements remember the column where their mnemonic and each operand start, for editors.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from plcpilot.fxil.devices import Operand, OperandError, parse_operand
from plcpilot.fxil.instructions import COMPARE_OPS, Mnemonic, resolve

_LINE_COMMENT = re.compile(r"(//|;).*")
_STEP_NUMBER = re.compile(r"^\d+\s*[:.)]?\s+(?=\S)")
_NUMBER_LABEL = re.compile(r"^(\d+)\s*:$")
_POINTER_LABEL = re.compile(r"^P(\d+)\s*:?\s*(.*)$", re.I)
_OPERAND_LIKE = re.compile(
    r"^(K[1-8][XYMS]\d+|[XYMSTCDPNVZ]\d+|K[+-]?\d+|H[0-9A-F]+|[VZ]|[A-Z]{1,3}\d+)$", re.I)
_MNEMONIC_LIKE = re.compile(r"^[A-Z][A-Z0-9]{0,7}[=<>]{0,2}$")
_TOKEN = re.compile(r"[^\s,]+")


@dataclass(slots=True)  # a 4 MB program holds half a million of them
class Statement:
    line: int
    word: str  # mnemonic as written, upper-cased
    args: list[str]
    mnemonic: Mnemonic | None
    operands: list[Operand | None] = field(default_factory=list)
    operand_errors: list[OperandError | None] = field(default_factory=list)
    column: int | None = None  # 1-based column of the mnemonic in the raw line
    arg_columns: list[int] = field(default_factory=list)  # and of each operand

    @property
    def name(self) -> str:
        return self.mnemonic.instr.name if self.mnemonic else self.word


@dataclass
class Label:
    line: int
    pointer: int | None  # None for a numbered label such as "2:" (not FX syntax)
    text: str
    column: int = 1
    error: OperandError | None = None  # a pointer number that cannot be read (P<5000 digits>)


@dataclass
class Program:
    statements: list[Statement]
    labels: list[Label]
    prose: list[int]  # line numbers skipped as prose
    # position of each label: index of the statement that follows it
    label_at: dict[int, int] = field(default_factory=dict)
    unclosed_comment: tuple[int, int] | None = None  # (line, column) of a `(*` never closed


# what str.splitlines() breaks lines at, so blanking a comment keeps every line it spans
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _blank(text: str) -> str:
    """Text as spaces, line breaks kept: a comment removed without moving lines or columns."""
    return "".join(" " * len(body) + line[len(body):] for line in text.splitlines(True)
                   for body in (line.rstrip(_LINE_BREAKS),))


def _strip_comments(text: str) -> tuple[str, tuple[int, int] | None]:
    """Blank out `(* … *)` comments in one left-to-right pass (a regex with a lazy `.*?`
    rescans the rest of the text at every unclosed `(*`: quadratic). An unclosed `(*` comments
    out the rest of the text; its (line, column) is returned for the checker to report."""
    out: list[str] = []
    pos = 0
    while (start := text.find("(*", pos)) >= 0:
        out.append(text[pos:start])
        stop = text.find("*)", start + 2)
        if stop < 0:
            before = (text[:start] + "(").splitlines()  # lines up to and including the `(`
            out.append(_blank(text[start:]))
            return "".join(out), (len(before), len(before[-1]))
        out.append(_blank(text[start:stop + 2]))
        pos = stop + 2
    out.append(text[pos:])
    return "".join(out), None


def _tokens(code: str) -> list[tuple[str, int]]:
    """The words of a line with their offsets."""
    toks = [(m.group(0), m.start()) for m in _TOKEN.finditer(code)]
    # "LD = D0 K1" / "ANDD >= ..." -> one comparison mnemonic
    if len(toks) > 1 and toks[1][0] in COMPARE_OPS and toks[0][0].upper() in (
            "LD", "AND", "OR", "LDD", "ANDD", "ORD"):
        toks[0:2] = [(toks[0][0] + toks[1][0], toks[0][1])]
    return toks


def _is_code(toks: list[str], mnemonic: Mnemonic | None) -> bool:
    """The prose filter: does this line read as an instruction rather than a sentence?"""
    first, args = toks[0], toks[1:]
    operand_like = [bool(_OPERAND_LIKE.match(a)) for a in args]
    if mnemonic is not None:
        if first.isupper():
            # written like code: keep it, bad operands (Y0.1) become operand errors
            return not args or any(operand_like) or all(any(ch.isdigit() for ch in a)
                                                        for a in args)
        return all(operand_like)  # "To turn on ..." is prose, "ld x0" is code
    # unknown word: an instruction only if it is shaped like one with operand-shaped operands
    return bool(_MNEMONIC_LIKE.match(first)) and bool(args) and all(operand_like)


def _operand(text: str) -> tuple[Operand | None, OperandError | None]:
    try:
        return parse_operand(text), None
    except OperandError as e:
        return None, e


def _label(number: int, digits: str, column: int) -> Label:
    """A pointer label `P<digits>`; its number is read like an operand's (bounded digits)."""
    try:
        pointer = parse_operand("P" + digits).index
    except OperandError as e:
        return Label(number, None, "P" + digits, column, e)
    return Label(number, pointer, f"P{pointer}", column)


def parse(text: str) -> Program:
    statements: list[Statement] = []
    labels: list[Label] = []
    prose: list[int] = []
    label_at: dict[int, int] = {}
    stripped, unclosed = _strip_comments(text)
    for number, raw in enumerate(stripped.splitlines(), start=1):
        line = _LINE_COMMENT.sub("", raw)
        start = len(line) - len(line.lstrip())  # offset of `line` in the raw line
        line = line.strip()
        if not line or line.startswith("```"):
            continue
        if m := _NUMBER_LABEL.match(line):
            labels.append(Label(number, None, line, start + 1))
            continue
        if m := _STEP_NUMBER.match(line):
            start += m.end()
            line = line[m.end():]
        if m := _POINTER_LABEL.match(line):
            rest = m.group(2)
            if not rest or not _OPERAND_LIKE.match(rest.split()[0]):
                label = _label(number, m.group(1), start + 1)
                labels.append(label)
                if label.pointer is not None:
                    label_at.setdefault(label.pointer, len(statements))
                if not rest:
                    continue
                start += m.start(2)
                line = rest
        toks = _tokens(line)
        if not toks:  # only separators (", ,")
            continue
        words = [t for t, _ in toks]
        mnemonic = resolve(words[0])
        if not _is_code(words, mnemonic):
            prose.append(number)
            continue
        read = [_operand(arg) for arg in words[1:]]
        statements.append(Statement(
            number, sys.intern(words[0].upper()), words[1:], mnemonic,
            [op for op, _ in read], [err for _, err in read], column=start + toks[0][1] + 1,
            arg_columns=[start + offset + 1 for _, offset in toks[1:]]))
    return Program(statements, labels, prose, label_at, unclosed)


def canonical_text(program: Program) -> str:
    """The program one instruction per line, no comments or prose, compact operands: the form
    the decoding grammar produces. Operands that do not parse are kept as written."""
    labels = {lb.line: lb for lb in program.labels}
    items = [(st.line, " ".join([st.word] + [op.canonical() if op else arg for op, arg in
                                              zip(st.operands, st.args, strict=True)]))
             for st in program.statements]
    items += [(line, lb.text if lb.pointer is None else f"P{lb.pointer}")
              for line, lb in labels.items()]
    return "".join(text + "\n" for _, text in sorted(items))
