"""Lark grammar -> llama.cpp GBNF, for servers whose only grammar dialect is GBNF
(llama-cpp-python's server, llama.cpp's server without llguidance).

Lark itself compiles the grammar (EBNF expanded to BNF rules, terminals as regex or string
patterns); we print those rules in GBNF and translate each terminal's regex with Python's own
regex parser. The regex subset our grammars use — literals, classes, groups, alternation,
bounded repetition — all have a GBNF form; anything else is refused, not guessed.
"""

from __future__ import annotations

import re
from re import _constants as C  # noqa: N812  (the regex parser's opcode names)
from re import _parser as sre_parse

import lark

from plcpilot.errors import PlcPilotError


def _name(symbol: str, terminal: bool = False) -> str:
    # GBNF names are [a-z0-9-]; terminals get a prefix so NOP the token and nop the rule differ
    base = re.sub(r"[^a-z0-9]+", "-", symbol.lower()).strip("-") or "x"
    return f"t-{base}" if terminal else base


def _char(code: int) -> str:
    ch = chr(code)
    return {"\n": "\\n", "\t": "\\t", '"': '\\"', "\\": "\\\\"}.get(ch, ch)


def _class_char(code: int) -> str:
    ch = chr(code)
    # llama.cpp knows no `\-` or `\^` escape: those two go as hex
    return {"\n": "\\n", "]": "\\]", "\\": "\\\\", "-": "\\x2D", "^": "\\x5E"}.get(ch, ch)


def _regex(items) -> str:
    """A parsed regex (sre_parse.SubPattern) as a GBNF sequence."""
    out = []
    for op, arg in items:
        if op is C.LITERAL:
            out.append(f'"{_char(arg)}"')
        elif op is C.NOT_LITERAL:
            out.append(f"[^{_class_char(arg)}]")
        elif op is C.IN:
            body, negate = "", ""
            for cop, carg in arg:
                if cop is C.NEGATE:
                    negate = "^"
                elif cop is C.LITERAL:
                    body += _class_char(carg)
                elif cop is C.RANGE:
                    body += f"{_class_char(carg[0])}-{_class_char(carg[1])}"
                else:
                    raise PlcPilotError(f"regex class item {cop} has no GBNF form")
            out.append(f"[{negate}{body}]")
        elif op is C.BRANCH:
            out.append("(" + " | ".join(_regex(alt) for alt in arg[1]) + ")")
        elif op is C.SUBPATTERN:
            out.append("(" + _regex(arg[-1]) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = arg
            inner = "(" + _regex(sub) + ")"
            if (lo, hi) == (0, C.MAXREPEAT):
                out.append(inner + "*")
            elif (lo, hi) == (1, C.MAXREPEAT):
                out.append(inner + "+")
            elif (lo, hi) == (0, 1):
                out.append(inner + "?")
            elif hi == C.MAXREPEAT:
                out.append(f"{inner}{{{lo},}}")
            else:
                out.append(f"{inner}{{{lo},{hi}}}" if lo != hi else f"{inner}{{{lo}}}")
        else:
            raise PlcPilotError(f"regex construct {op} has no GBNF form")
    return " ".join(out) if out else '""'


def _alternatives(name: str, alts: list[list[str]]) -> str:
    """GBNF for one rule. llama.cpp's sampler cannot follow left recursion (it recurses until it
    crashes), and Lark expands `x*` into `r: x | r x`, so `r: b | r a` becomes `r: b (a)*`."""
    def seq(items: list[str]) -> str:
        return " ".join(items) or '""'
    recursive = [a[1:] for a in alts if a and a[0] == name]
    base = [a for a in alts if not a or a[0] != name]
    if not recursive:
        return " | ".join(seq(a) for a in alts)
    if not base:
        raise PlcPilotError(f"rule {name} only recurses into itself")
    return (f"({' | '.join(seq(a) for a in base)}) "
            f"({' | '.join(seq(a) for a in recursive)})*")


_RANGE = re.compile(r"~(\d+)\.\.\d+")


def lark_to_gbnf(grammar: str, start: str = "start") -> str:
    """GBNF for a Lark grammar. Bounded repetitions (`x~0..n`) become `*`/`+`: Python's Lark
    would expand them into thousands of rules (the bound is lost on GBNF servers). `%ignore`d
    terminals (whitespace, comments) may come before and after every terminal; GBNF has no
    lexer, so unlike Lark it does not make two words that touch one word (`IFx` may be read
    as `IF x`)."""
    grammar = _RANGE.sub(lambda m: "*" if m.group(1) == "0" else "+", grammar)
    parsed = lark.Lark(grammar, parser="earley", start=start)
    ignored = [_name(name, True) for name in parsed.ignore_tokens]
    after = " ignored" if ignored else ""
    rules: dict[str, list[list[str]]] = {}
    for rule in parsed.rules:
        seq = [_name(s.name, s.is_term) + (after if s.is_term else "") for s in rule.expansion]
        rules.setdefault(_name(rule.origin.name), []).append(seq)
    lines = [f"root ::= {'ignored ' if ignored else ''}{_name(start)}"]
    if ignored:
        lines.append(f"ignored ::= ({' | '.join(ignored)})*")
    lines += [f"{name} ::= {_alternatives(name, alts)}" for name, alts in rules.items()]
    for t in parsed.terminals:
        if isinstance(t.pattern, lark.lexer.PatternStr):
            body = '"' + "".join(_char(ord(c)) for c in t.pattern.value) + '"'
        else:
            body = _regex(sre_parse.parse(t.pattern.value))
        lines.append(f"{_name(t.name, True)} ::= {body}")
    return "\n".join(lines) + "\n"
