"""Tolerant FX IL parser: text as users and models write it -> statements.

Accepts comments (`;`, `//`, `(* *)`), step numbers (`0000 LD X000`), markdown fences,
pointer labels (`P0` / `P0:`), comma-separated operands, `LD =` written apart, and prose lines
mixed with code. Prose is skipped but remembered (the checker reports it), and a line that only
looks like an instruction because its first word is one ("To turn on the pump, …" is not TO) is
prose. Nothing is dropped silently: every line ends up as a statement, a label, prose or blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plcpilot.fxil.devices import Operand, OperandError, parse_operand
from plcpilot.fxil.instructions import COMPARE_OPS, Mnemonic, resolve

_BLOCK_COMMENT = re.compile(r"\(\*.*?\*\)", re.S)
_LINE_COMMENT = re.compile(r"(//|;).*")
_STEP_NUMBER = re.compile(r"^\d+\s*[:.)]?\s+(?=\S)")
_NUMBER_LABEL = re.compile(r"^(\d+)\s*:$")
_POINTER_LABEL = re.compile(r"^P(\d+)\s*:?\s*(.*)$", re.I)
_OPERAND_LIKE = re.compile(
    r"^(K[1-8][XYMS]\d+|[XYMSTCDPNVZ]\d+|K[+-]?\d+|H[0-9A-F]+|[VZ]|[A-Z]{1,3}\d+)$", re.I)
_MNEMONIC_LIKE = re.compile(r"^[A-Z][A-Z0-9]{0,7}[=<>]{0,2}$")
_SPLIT = re.compile(r"[\s,]+")


@dataclass
class Statement:
    line: int
    word: str  # mnemonic as written, upper-cased
    args: list[str]
    mnemonic: Mnemonic | None
    operands: list[Operand | None] = field(default_factory=list)
    operand_errors: list[OperandError | None] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.mnemonic.instr.name if self.mnemonic else self.word


@dataclass
class Label:
    line: int
    pointer: int | None  # None for a numbered label such as "2:" (not FX syntax)
    text: str


@dataclass
class Program:
    statements: list[Statement]
    labels: list[Label]
    prose: list[int]  # line numbers skipped as prose
    # position of each label: index of the statement that follows it
    label_at: dict[int, int] = field(default_factory=dict)


def _strip_comments(text: str) -> str:
    # keep newlines inside (* *) so line numbers stay right
    return _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _tokens(code: str) -> list[str]:
    toks = [t for t in _SPLIT.split(code) if t]
    # "LD = D0 K1" / "ANDD >= ..." -> one comparison mnemonic
    if len(toks) > 1 and toks[1] in COMPARE_OPS and toks[0].upper() in (
            "LD", "AND", "OR", "LDD", "ANDD", "ORD"):
        toks[0:2] = [toks[0] + toks[1]]
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


def parse(text: str) -> Program:
    statements: list[Statement] = []
    labels: list[Label] = []
    prose: list[int] = []
    label_at: dict[int, int] = {}
    for number, raw in enumerate(_strip_comments(text).splitlines(), start=1):
        line = _LINE_COMMENT.sub("", raw).strip()
        if not line or line.startswith("```"):
            continue
        if m := _NUMBER_LABEL.match(line):
            labels.append(Label(number, None, line))
            continue
        line = _STEP_NUMBER.sub("", line)
        if m := _POINTER_LABEL.match(line):
            rest = m.group(2)
            if not rest or not _OPERAND_LIKE.match(rest.split()[0]):
                pointer = int(m.group(1))
                labels.append(Label(number, pointer, f"P{pointer}"))
                label_at.setdefault(pointer, len(statements))
                if not rest:
                    continue
                line = rest
        toks = _tokens(line)
        mnemonic = resolve(toks[0])
        if not _is_code(toks, mnemonic):
            prose.append(number)
            continue
        st = Statement(number, toks[0].upper(), toks[1:], mnemonic)
        for arg in st.args:
            try:
                st.operands.append(parse_operand(arg))
                st.operand_errors.append(None)
            except OperandError as e:
                st.operands.append(None)
                st.operand_errors.append(e)
        statements.append(st)
    return Program(statements, labels, prose, label_at)


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
