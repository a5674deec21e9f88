"""Mutants of an ST program, to measure whether a task's tests pin its behaviour.

A test set that passes a mutant (AND read as OR, a comparison off by one, a constant changed, an
assignment left out, the branches of an IF swapped) does not pin what the prompt asks for.
`plcpilot tasks mutate` reports the survivors. Edits are made to the source text, so a mutant
reads like the reference with one slip in it; the parser's AST says where each operator, literal
and statement is. A mutant that no longer parses or checks is dropped: the tests should judge
behaviour, and the checker already rejects that mutant.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from plcpilot.st import ast
from plcpilot.st.checker import check_parsed
from plcpilot.st.compile_expr import text_of
from plcpilot.st.parser import parse

# operator -> (its replacement, a pattern finding it as written between its two operands)
_SWAPS = {
    "AND": ("OR", r"\bAND\b"),
    "&": ("OR", r"&"),
    "OR": ("AND", r"\bOR\b"),
    "<": ("<=", r"<(?![=>])"),
    "<=": ("<", r"<="),
    ">": (">=", r"(?<![<=])>(?!=)"),
    ">=": (">", r">="),
    "=": ("<>", r"(?<![<>:])=(?!>)"),
    "<>": ("=", r"<>"),
}
_IF_WORDS = re.compile(r"\b(IF|CASE|END_IF|END_CASE|ELSE)\b", re.I)

Edit = tuple[int, int, str, str]  # (start offset, end offset, replacement, description)


def mutants(source: str) -> list[tuple[str, str]]:
    """(description, mutated source) pairs in source order, deterministic; only mutants that
    parse and check without errors, each one distinct from the source."""
    parsed = parse(source)
    offsets = _line_offsets(source)
    out: list[tuple[str, str]] = []
    seen = {source}
    for start, end, text, description in sorted(_edits(parsed.unit, source, offsets)):
        mutated = source[:start] + text + source[end:]
        if mutated in seen:
            continue
        seen.add(mutated)
        again = parse(mutated)
        if again.ok and check_parsed(again, mutated).is_valid:
            out.append((description, mutated))
    return out


def _line_offsets(source: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\n", source)]
    return starts


def _edits(unit: ast.CompilationUnit, source: str, offsets: list[int]) -> Iterator[Edit]:
    def at(node: ast.Node) -> int:
        return offsets[node.line - 1] + node.column - 1

    for node in _nodes(unit):
        where = f"line {node.line}"
        if isinstance(node, ast.Binary) and node.op in _SWAPS:
            new, pattern = _SWAPS[node.op]
            between = source[at(node.left):at(node.right)]
            found = list(re.finditer(pattern, between, re.I))
            if found:
                m = found[-1]
                text = f" {new} " if node.op == "&" else new  # `a&b` -> `a OR b`
                yield (at(node.left) + m.start(), at(node.left) + m.end(), text,
                       f"{where}: {node.op} -> {new}")
        elif isinstance(node, ast.Unary) and node.op == "NOT":
            m = re.compile(r"NOT\s*", re.I).match(source, at(node))
            if m:
                yield m.start(), m.end(), "", f"{where}: drop NOT"
        elif isinstance(node, ast.Literal):
            new_text = _changed_literal(node)
            if new_text is not None:
                start = at(node)
                yield (start, start + len(node.text), new_text,
                       f"{where}: {node.text} -> {new_text}")
        elif isinstance(node, ast.Assign):
            end = _statement_end(source, at(node.value))
            if end is not None:
                yield at(node), end, ";", f"{where}: delete assignment to {text_of(node.target)}"
        elif (isinstance(node, ast.If) and len(node.branches) == 1
              and node.else_body is not None):
            swap = _swapped_branches(source, at(node.branches[0].condition))
            if swap:
                yield (*swap, f"{where}: swap THEN/ELSE")


def _nodes(unit: ast.CompilationUnit) -> Iterator[ast.Node]:
    """Every expression and statement of the POU bodies and of the variables' initial values;
    types are left alone (an array bound or a string length changed is not a slip in logic)."""
    stack: list[object] = []
    for pou in unit.pous:
        stack += pou.body
        stack += [d.init for s in pou.sections for d in s.decls if d.init is not None]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack += item
        elif isinstance(item, ast.Node) and not isinstance(item, _TYPES):
            yield item
            stack += [getattr(item, f.name) for f in dataclasses.fields(item)]


_TYPES = (ast.NamedType, ast.StringType, ast.ArrayType, ast.PointerType, ast.SubrangeType,
          ast.EnumType, ast.StructType)


def _changed_literal(lit: ast.Literal) -> str | None:
    """Integers +1, REAL and TIME doubled (zero becomes 1.0 / 10 ms), TRUE <-> FALSE; a typed
    literal keeps its type prefix."""
    value = lit.value
    if lit.kind == "bool":
        return "FALSE" if value else "TRUE"
    if lit.kind == "integer" and isinstance(value, int):
        text = str(value + 1)
    elif lit.kind == "real" and isinstance(value, float):
        text = repr(value * 2 if value else 1.0)
    elif lit.kind == "time" and isinstance(value, (int, float)):
        return f"T#{int(value * 2) if value else 10}ms"
    else:
        return None
    return f"{lit.type_name}#{text}" if lit.type_name else text


def _statement_end(source: str, start: int) -> int | None:
    """The offset after the `;` that ends the statement whose value starts at `start` (string
    literals skipped)."""
    m = re.compile(r"(?:'[^']*'|\"[^\"]*\"|[^;'\"])*;").match(source, start)
    return m.end() if m else None


def _swapped_branches(source: str, condition: int) -> tuple[int, int, str] | None:
    """(start, end, text) replacing `THEN a ELSE b END_IF` by `THEN b ELSE a END_IF` for the IF
    whose condition starts at `condition`; nested IF and CASE (which has an ELSE too) skipped."""
    then = re.compile(r"\bTHEN\b", re.I).search(source, condition)
    if not then:
        return None
    depth, else_at = 0, None
    for m in _IF_WORDS.finditer(source, then.end()):
        word = m.group(1).upper()
        if word in ("IF", "CASE"):
            depth += 1
        elif word.startswith("END_"):
            if depth == 0:
                if else_at is None:
                    return None
                then_text = source[then.end():else_at.start()]
                else_text = source[else_at.end():m.start()]
                return then.end(), m.start(), f"{else_text}ELSE{then_text}"
            depth -= 1
        elif depth == 0:
            else_at = m
    return None
