"""FX IL static checker: an ordered list of small rules that each collect every diagnostic.

The tiers and `paper_valid` follow the three-tier checker of the FX-IL RAG benchmark (FORMATS.md
§2); `is_valid` also counts our own structural errors (MPS never popped, unjoined blocks, STL/MC
pairing, missing END ...), which a real FX programming tool rejects too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from plcpilot.diagnostics import CheckReport, Diagnostic
from plcpilot.fxil.codes import CODES
from plcpilot.fxil.devices import (
    BITS32,
    CPUS,
    Operand,
    element_size,
    in_range,
    range_text,
    shown,
)
from plcpilot.fxil.instructions import CONST, PLAIN_BITS, TIMER_COUNTER, table_for
from plcpilot.fxil.parser import Program, Statement, parse
from plcpilot.fxil.structure import Finding, Layout, analyse

# paper's hard errors (the rest of our errors do not make a program invalid in the paper's terms)
PAPER_ERRORS = frozenset({"unknown-mnemonic", "operand-count", "operand-syntax", "operand-range",
                          "octal-digit", "first-not-load", "bad-label"})


@dataclass
class Context:
    program: Program
    cpu: str
    layout: Layout
    structure: list[Finding]  # what the structure walk found (it also made `layout`)
    findings: list[Finding] = field(default_factory=list)

    def add(self, line: int | None, code: str, message: str, column: int | None = None) -> None:
        self.findings.append(Finding(line, code, message, column))


def _operand_kinds(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds))


# (code, message, operand position or None for the statement as a whole)
Problem = tuple[str, str, int | None]


def operand_problems(st: Statement, cpu: str) -> list[Problem]:
    """Each operand problem of a recognised statement."""
    instr = st.mnemonic.instr
    specs = instr.operands
    problems: list[Problem] = []
    if not instr.required <= len(st.args) <= len(specs):
        want = (f"{instr.required}-{len(specs)}" if instr.required != len(specs)
                else str(len(specs)))
        problems.append(("operand-count",
                         f"{st.word} expects {want} operands, got {len(st.args)}", None))
    wide = st.mnemonic.d32
    for k, (op, err) in enumerate(zip(st.operands, st.operand_errors, strict=True)):
        if err is not None:
            problems.append((err.code, str(err), k))
            continue
        if k >= len(specs):
            continue
        if op.kind not in specs[k]:
            problems.append(("operand-device", f"{st.word} operand {k + 1} cannot be {op.text}; "
                                               f"allowed: {_operand_kinds(specs[k])}", k))
        elif not in_range(op, cpu):
            problems.append(("operand-range", f"{op.text} does not exist on {cpu.upper()} "
                                              f"({range_text(op.base, cpu)})", k))
        elif (span := operand_span(st, k)) > 1 and not in_range(op, cpu, span):
            problems.append(("operand-range", f"{st.word} reaches {span} devices from "
                                              f"{op.text}, past the end of "
                                              f"{range_text(op.base, cpu)}", k))
        elif op.kind in CONST and instr.sem != "out" and (
                msg := _constant_problem(op, wide) or _limit_problem(st, k)):
            problems.append(("constant-range", msg, k))
    if instr.sem == "out" and st.operands and st.operands[0] is not None:
        problems += _out_problems(st)
    if instr.sem == "zrst":
        problems += _zrst_problems(st)
    return problems


def _limit_problem(st: Statement, k: int) -> str | None:
    """A constant count outside the instruction table's limit (BMOV K0, DECO … K9)."""
    wide, op, ops = st.mnemonic.d32, st.operands[k], st.operands
    limit = st.mnemonic.instr.limit(k, ops, wide)
    if limit is None or limit.allows(op.value(wide), ops, wide):
        return None
    return f"{st.word} {op.text}: {limit.describe(ops, wide)}"


def _count(st: Statement, k: int) -> int:
    """A constant count operand's value when its limit allows it, else 0: a register is read
    at run time, and an out-of-range constant is reported, never used to size a span (a
    count of K-1 or K32767 must not shift or allocate)."""
    ops, wide = st.operands, st.mnemonic.d32
    op = ops[k] if k < len(ops) else None
    if op is None or op.kind not in CONST:
        return 0
    limit = st.mnemonic.instr.limit(k, ops, wide)
    return op.value(wide) if limit is not None and limit.allows(op.value(wide), ops, wide) else 0


def _zrst_pair(st: Statement) -> tuple[Operand, Operand] | None:
    """ZRST's two operands when both are readable."""
    ops = st.operands
    return (ops[0], ops[1]) if len(ops) == 2 and ops[0] and ops[1] else None


def operand_span(st: Statement, k: int) -> int:
    """How many consecutive devices operand k reaches: a register pair in a 32-bit
    instruction, a double-width product, CMP's three result bits, a shift register's n bits,
    the devices ZRST clears."""
    instr, wide, op = st.mnemonic.instr, st.mnemonic.d32, st.operands[k]
    words = element_size(op, wide)
    sem = instr.sem
    if sem == "arith" and k == 2 and instr.attrs["op"] in "*/":
        return 4 if wide else 2  # product / quotient and remainder
    if sem in ("cmp", "zcp") and k == len(instr.operands) - 1:
        return 3
    if sem == "sft":
        return _count(st, 3) if k == 0 else _count(st, 2) if k == 1 else 1
    if sem == "deco" and op.kind in PLAIN_BITS and k in (0, 1):
        n = _count(st, 2)  # reads n bits of a bit source, sets one of 2^n destination bits
        return n if k == 0 else 1 << n
    if sem == "enco" and k == 0 and op.kind in PLAIN_BITS:
        return 1 << _count(st, 2)
    if sem in ("bmov", "fmov") and k == 1 or sem == "bmov" and k == 0:
        return words * _count(st, 2)
    if sem == "zrst" and k == 0 and (pair := _zrst_pair(st)) and pair[0].kind == pair[1].kind:
        return max(pair[1].index - pair[0].index + 1, 1)
    if sem == "out" and k == 1 and st.operands[0] is not None and \
            st.operands[0].kind == "C" and st.operands[0].index >= BITS32:
        return 2  # a 32-bit counter's preset register pair
    return words


def _constant_problem(op: Operand, wide: bool) -> str | None:
    bits = 32 if wide else 16
    if op.kind == "H":
        return None if op.index < 2**bits else f"{op.text} exceeds {bits} bits"
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return None if lo <= op.index <= hi else f"{op.text} is outside K{lo}..K{hi}"


def _out_problems(st: Statement) -> list[Problem]:
    """OUT's operands depend on the coil: a preset for T/C (32-bit for C200+), none else."""
    coil = st.operands[0]
    if coil.kind not in TIMER_COUNTER:
        if len(st.args) > 1:
            return [("operand-count", f"OUT {coil.text} takes no preset", 1)]
        return []
    if len(st.args) < 2:
        unit = "K50 = 5 s for a 100 ms timer" if coil.kind == "T" else "K10 = ten counts"
        return [("missing-preset", f"OUT {coil.text} needs a preset ({unit})", None)]
    preset = st.operands[1]
    if preset is None or preset.kind != "K":
        return []
    wide = coil.kind == "C" and coil.index >= BITS32
    limit = 2**31 - 1 if wide else 32767
    low = -limit - 1 if wide else 0
    if not low <= preset.index <= limit:
        return [("constant-range",
                 f"preset {preset.text} of {coil.text} is outside K{low}..K{limit}", 1)]
    return []


def _zrst_problems(st: Statement) -> list[Problem]:
    """ZRST clears one kind of device: `ZRST T0 M7679` and a 16-bit with a 32-bit counter
    (`ZRST C199 C200`) are rejected by GX Works."""
    if (pair := _zrst_pair(st)) is None:
        return []
    first, last = pair
    if first.kind != last.kind:
        return [("operand-device", f"ZRST clears one kind of device: {first.text} and "
                                   f"{last.text} are different kinds", 1)]
    if first.kind == "C" and (first.index >= BITS32) != (last.index >= BITS32):
        return [("operand-device", f"ZRST {first.text} {last.text} mixes 16-bit (C0-C199) and "
                                   "32-bit (C200-C255) counters", 1)]
    return []


# ---- rules: each takes the context and adds findings ------------------------------------

def rule_no_code(ctx: Context) -> None:
    """`Motor runs when …` alone -> no-code; `LD X0` -> nothing."""
    if not ctx.program.statements:
        skipped = len(ctx.program.prose)
        ctx.add(None, "no-code", "no FX IL instructions found"
                + (f" ({skipped} prose lines skipped)" if skipped else ""))


def rule_unclosed_comment(ctx: Context) -> None:
    """`LD X0 (* note` with no `*)` -> unclosed-comment; `(* note *)` -> nothing."""
    if ctx.program.unclosed_comment is not None:
        line, column = ctx.program.unclosed_comment
        ctx.add(line, "unclosed-comment", f"the comment opened with (* at line {line} is never "
                                          "closed with *): the rest of the text is ignored",
                column)


def rule_labels(ctx: Context) -> None:
    """`2:` -> bad-label; `P2` twice -> duplicate-pointer; `P5000` -> operand-range;
    `P2` once -> nothing."""
    seen: dict[int, int] = {}
    for label in ctx.program.labels:
        if label.error is not None:
            ctx.add(label.line, label.error.code, str(label.error), label.column)
        elif label.pointer is None:
            ctx.add(label.line, "bad-label", f"label {shown(label.text)!r} is not FX syntax; "
                                             f"write P{shown(label.text.rstrip(':').strip())}",
                    label.column)
        elif not in_range(Operand(label.text, "P", label.pointer), ctx.cpu):
            ctx.add(label.line, "operand-range", f"{label.text} does not exist on "
                                                 f"{ctx.cpu.upper()} ({range_text('P', ctx.cpu)})",
                    label.column)
        elif label.pointer in seen:
            ctx.add(label.line, "duplicate-pointer",
                    f"P{label.pointer} already marks line {seen[label.pointer]}", label.column)
        else:
            seen[label.pointer] = label.line


def rule_mnemonics(ctx: Context) -> None:
    """`BSET D0 K4` -> unknown-mnemonic; `MEP` on FX2N -> not-on-cpu."""
    table = table_for(ctx.cpu)
    for st in ctx.program.statements:
        if st.mnemonic is None:
            ctx.add(st.line, "unknown-mnemonic", f"{st.word} is not an FX instruction")
        elif st.mnemonic.instr.name not in table:
            ctx.add(st.line, "not-on-cpu", f"{st.word} is not available on {ctx.cpu.upper()}")


def rule_operands(ctx: Context) -> None:
    """`OUT X0` -> operand-device; `LD X8` -> octal-digit; `OUT T0` -> missing-preset;
    `BMOV D0 D10 K0` -> constant-range; `ZRST T0 M10` -> operand-device."""
    for st in ctx.program.statements:
        if st.mnemonic is not None:
            for code, message, k in operand_problems(st, ctx.cpu):
                column = st.arg_columns[k] if k is not None and k < len(st.arg_columns) \
                    else st.column
                ctx.add(st.line, code, message, column)


def rule_structure(ctx: Context) -> None:
    """`LD X0 / LD X1 / OUT Y0` -> block-stack; `LD X0 / MPS / OUT Y0 / END` -> stack-unbalanced."""
    ctx.findings += ctx.structure


def rule_end(ctx: Context) -> None:
    """A program without END -> missing-end; `… / END` -> nothing."""
    if ctx.program.statements and ctx.layout.end is None:
        ctx.add(ctx.program.statements[-1].line, "missing-end", "the program has no END")


def rule_after_end(ctx: Context) -> None:
    """`END / LD X0 / OUT Y0` -> after-end."""
    end = ctx.layout.end
    rest = ctx.program.statements[end + 1:] if end is not None else []
    if rest:
        ctx.add(rest[0].line, "after-end",
                f"{len(rest)} instruction(s) after END (lines {rest[0].line}-{rest[-1].line}) "
                "never run")


def rule_steps(ctx: Context) -> None:
    """`STL S20` heading two steps -> duplicate-step (GX Works allows each state once as a
    step); `STL S21 / STL S31` merging parallel branches after their own steps -> nothing."""
    seen: dict[int, int] = {}
    for group in ctx.layout.groups:
        if len(group.states) != 1 or group.states[0] < 0:
            continue
        state, st = group.states[0], ctx.program.statements[group.start]
        if state in seen:
            ctx.add(st.line, "duplicate-step", f"S{state} is already the step at line "
                                               f"{seen[state]}; each state is one step")
        else:
            seen[state] = st.line


def rule_pointers(ctx: Context) -> None:
    """`CALL P1` with no `P1` label -> undefined-pointer (CJ P63 jumps to END)."""
    for st in ctx.program.statements:
        if st.mnemonic and st.mnemonic.instr.sem in ("cj", "call") and st.operands:
            op = st.operands[0]
            if op is None or op.kind != "P" or op.index in ctx.program.label_at:
                continue
            if st.mnemonic.instr.sem == "cj" and op.index == 63:
                continue
            ctx.add(st.line, "undefined-pointer", f"{st.word} P{op.index}: no label P{op.index}")


def rule_coils(ctx: Context) -> None:
    """`OUT Y0` twice -> double-coil; `SET M0` and `OUT M0` -> set-and-out;
    `OUT T0 K10` twice -> timer-twice. The same coil in two different STL steps is allowed."""
    outs: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    latched: dict[str, int] = {}
    end = ctx.layout.end if ctx.layout.end is not None else len(ctx.program.statements)
    for i, st in enumerate(ctx.program.statements[:end]):
        if not st.mnemonic or not st.operands or st.operands[0] is None:
            continue
        op, sem = st.operands[0], st.mnemonic.instr.sem
        if sem == "out" and op.kind in "YMTC":
            outs[op.name()].append((st.line, ctx.layout.step_of[i]))
        elif sem in ("set", "rst") and op.kind in "YM":
            latched.setdefault(op.name(), st.line)
    for name, places in outs.items():
        steps = [step for _, step in places]
        if len(places) > 1 and (None in steps or len(set(steps)) < len(steps)):
            code = "timer-twice" if name[0] in "TC" else "double-coil"
            ctx.add(places[-1][0], code, f"{name} is driven by OUT {len(places)} times "
                                         f"(lines {_some([line for line, _ in places])})")
        if name in latched:
            ctx.add(places[0][0], "set-and-out",
                    f"{name} is driven by OUT (line {places[0][0]}) and SET/RST "
                    f"(line {latched[name]})")


def rule_prose(ctx: Context) -> None:
    """A sentence between instructions -> prose-skipped (one warning naming the lines)."""
    prose = ctx.program.prose
    if prose and ctx.program.statements:
        ctx.add(prose[0], "prose-skipped", f"{len(prose)} line(s) read as prose and skipped: "
                                           f"{_some(prose)}")


def _some(lines: list[int]) -> str:
    """Line numbers for a message: the first ten (a long program can name half a million)."""
    return ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")


RULES: list[Callable[[Context], None]] = [
    rule_no_code, rule_unclosed_comment, rule_labels, rule_mnemonics, rule_operands,
    rule_structure, rule_end, rule_after_end, rule_steps, rule_pointers, rule_coils, rule_prose,
]


def _tiers(ctx: Context, codes_by_line: dict[int | None, set[str]]) -> dict[str, float]:
    sts = ctx.program.statements
    table = table_for(ctx.cpu)
    units = len(sts) + sum(1 for lb in ctx.program.labels if lb.pointer is None)
    recognised = [st for st in sts if st.mnemonic and st.mnemonic.instr.name in table]
    well_formed = [st for st in recognised if not operand_problems(st, ctx.cpu)]
    codes = {c for cs in codes_by_line.values() for c in cs}
    invariants = [
        any(st.mnemonic and st.mnemonic.instr.name in ("END", "FEND") for st in sts),
        bool(sts) and "first-not-load" not in codes,
        "stack-unbalanced" not in codes,
        # STL-aware: the same Y in two different steps is legal FX, not a double coil
        not any(c == "double-coil" for c in codes),
    ]
    return {
        "lexical": round(len(recognised) / units, 3) if units else 0.0,
        "syntactic": round(len(well_formed) / len(recognised), 3) if recognised else 0.0,
        "semantic": round(sum(invariants) / len(invariants), 3) if sts else 0.0,
    }


def check_program(program: Program, cpu: str = "fx3u") -> CheckReport:
    if cpu not in CPUS:
        from plcpilot.errors import PlcPilotError

        raise PlcPilotError(f"unknown CPU {cpu!r}; choose one of {', '.join(CPUS)}")
    ctx = Context(program, cpu, *analyse(program))
    for rule in RULES:
        rule(ctx)
    ctx.findings.sort(key=lambda f: (f.line or 0))
    errors, warnings = [], []
    by_line: dict[int | None, set[str]] = defaultdict(set)
    # a finding about a statement points at its mnemonic unless a rule named a column
    columns = {st.line: st.column for st in program.statements}
    for f in ctx.findings:
        by_line[f.line].add(f.code)
        code = CODES[f.code]
        column = f.column if f.column is not None else columns.get(f.line)
        diag = Diagnostic(line=f.line, column=column, code=f.code, message=f.message,
                          hint=code.hint)
        (errors if code.severity == "error" else warnings).append(diag)
    tiers = _tiers(ctx, by_line)
    return CheckReport(
        language="fx-il", is_valid=not errors, tiers=tiers,
        overall=round(sum(tiers.values()) / 3, 3), errors=errors, warnings=warnings,
        paper_valid=bool(program.statements) and not any(e.code in PAPER_ERRORS for e in errors),
        stats={"instructions": len(program.statements), "prose_lines": len(program.prose),
               "labels": len(program.labels)},
    )


def check(text: str, cpu: str = "fx3u") -> CheckReport:
    return check_program(parse(text), cpu)

