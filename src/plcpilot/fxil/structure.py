"""Network structure of an FX program: one walk that both the checker and the simulator use.

IL has no explicit rung boundaries: a load (LD…) after an output starts a new network, a load
inside an open condition opens a block that ANB/ORB must join. The walk decides which loads start
networks, tracks the block and MPS stacks, the STL step groups and MC levels, and reports every
structural problem it meets (it never stops at the first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plcpilot.fxil.instructions import (
    BLOCK,
    FREE,
    LOAD,
    MODIFY,
    OUTPUT,
    PARALLEL,
    SERIES,
    STACK,
    STEP,
)
from plcpilot.fxil.parser import Program

MPS_DEPTH = 11
MC_LEVELS = 8
FOR_DEPTH = 5


@dataclass
class Finding:
    line: int | None
    code: str
    message: str
    column: int | None = None  # None: the checker uses the column of the line's statement


@dataclass
class StepGroup:
    """Consecutive STL lines (their states ANDed) and the statements they govern."""

    start: int  # index of the first STL statement
    states: list[int]
    end: int = -1  # index of the statement that ends the group's block (exclusive)


@dataclass
class Layout:
    new_network: list[bool]  # for load statements: starts a network (else opens a block)
    step_of: list[int | None]  # STL group governing each statement
    groups: list[StepGroup] = field(default_factory=list)
    end: int | None = None  # index of the first END


@dataclass
class _State:
    has_result: bool = False  # a result exists (outputs may follow)
    open: bool = False  # the result has not been consumed by an output yet
    blocks: int = 0
    mps: list[int] = field(default_factory=list)  # lines of pending MPS
    mc: list[tuple[int, int]] = field(default_factory=list)  # (level, line)
    loops: list[int] = field(default_factory=list)  # lines of open FOR
    group: StepGroup | None = None
    in_stl: bool = False
    prev_step: bool = False
    last_load_line: int | None = None


def analyse(program: Program) -> tuple[Layout, list[Finding]]:
    sts = program.statements
    n = len(sts)
    layout = Layout([False] * n, [None] * n)
    out: list[Finding] = []
    s = _State()
    label_positions = set(program.label_at.values())

    def boundary(line: int) -> None:
        """A network ends here: dangling conditions and pending MPS are errors."""
        if s.open and s.last_load_line is not None:
            out.append(Finding(s.last_load_line, "dangling-condition",
                               f"the condition loaded at line {s.last_load_line} drives nothing"))
        for mps_line in s.mps:
            out.append(Finding(mps_line, "stack-unbalanced",
                               f"MPS at line {mps_line} is never popped by MPP "
                               f"(network ends before line {line})"))
        s.mps.clear()
        s.has_result = s.open = False
        s.blocks = 0

    def close_group(i: int) -> None:
        if s.group is not None:
            s.group.end = i
            s.group = None

    def close_program(i: int, line: int, what: str) -> None:
        close_group(i)
        if s.in_stl:
            out.append(Finding(line, "stl-without-ret",
                               f"step ladder not closed by RET before {what}"))
            s.in_stl = False
        for level, mc_line in s.mc:
            out.append(Finding(mc_line, "mc-nesting",
                               f"MC N{level} at line {mc_line} is not closed by MCR N{level}"))
        s.mc.clear()
        for for_line in s.loops:
            out.append(Finding(for_line, "for-next", f"FOR at line {for_line} has no NEXT"))
        s.loops.clear()

    for i, st in enumerate(sts):
        if i in label_positions:
            boundary(st.line)
        if st.mnemonic is None:  # unknown: assume it consumed the condition, avoid cascades
            s.open, s.blocks = False, min(s.blocks, 1)
            continue
        instr = st.mnemonic.instr
        role = instr.role
        if role != STEP:
            s.prev_step = False
        if s.in_stl and s.group is not None:
            layout.step_of[i] = len(layout.groups) - 1
        if role == LOAD:
            if s.open:
                s.blocks += 1
            else:
                if s.mps:
                    boundary(st.line)
                s.has_result = s.open = True
                s.blocks = 1
                layout.new_network[i] = True
            s.last_load_line = st.line
        elif role in (SERIES, PARALLEL, MODIFY):
            if not s.has_result:
                code = "first-not-load" if i == 0 else "no-condition"
                out.append(Finding(st.line, code, f"{st.word} at line {st.line} has no "
                                                  "preceding load (LD/LDI) to connect to"))
                s.has_result, s.blocks = True, 1
            s.open = True
        elif role == BLOCK:
            if s.blocks < 2:
                out.append(Finding(st.line, "block-stack",
                                   f"{st.word} needs two blocks but only {max(s.blocks, 0)} is "
                                   "open; start the second block with LD"))
                if i == 0:
                    out.append(Finding(st.line, "first-not-load", f"program starts with {st.word}"))
            else:
                s.blocks -= 1
            s.open = s.has_result = True
        elif role == STACK:
            if instr.name == "MPS":
                if not s.has_result:
                    out.append(Finding(st.line, "first-not-load" if i == 0 else "no-condition",
                                       "MPS has no result to push"))
                s.mps.append(st.line)
                if len(s.mps) > MPS_DEPTH:
                    out.append(Finding(st.line, "stack-unbalanced",
                                       f"MPS nested deeper than {MPS_DEPTH}"))
            elif not s.mps:
                code = "first-not-load" if i == 0 else "stack-unbalanced"
                out.append(Finding(st.line, code, f"{instr.name} at line {st.line} without a "
                                                  "preceding MPS"))
            elif instr.name == "MPP":
                s.mps.pop()
            s.has_result = s.open = True
            s.blocks = max(s.blocks, 1)
        elif role == OUTPUT:
            if not s.has_result:
                out.append(Finding(st.line, "first-not-load" if i == 0 else "no-condition",
                                   f"{st.word} at line {st.line} has no driving condition; "
                                   "start the network with LD"))
            elif s.blocks > 1:
                out.append(Finding(st.line, "block-stack",
                                   f"{s.blocks} blocks are not joined by ANB/ORB before "
                                   f"{st.word} at line {st.line}"))
            s.blocks = 1
            s.has_result, s.open = True, False
            if instr.name == "MC":
                _open_mc(st, s, out)
        elif role == STEP:
            if s.mc:
                out.append(Finding(st.line, "mc-in-stl", "STL inside an MC region"))
            if s.prev_step and s.group is not None:
                s.group.states.append(st.operands[0].index if st.operands and st.operands[0]
                                      else -1)
            else:
                boundary(st.line)
                close_group(i)
                state = st.operands[0].index if st.operands and st.operands[0] else -1
                s.group = StepGroup(i, [state])
                layout.groups.append(s.group)
            layout.step_of[i] = len(layout.groups) - 1
            s.in_stl = s.prev_step = True
            s.has_result, s.open, s.blocks = True, False, 1
        elif role == FREE:
            if instr.name == "NOP":
                continue
            boundary(st.line)
            name = instr.name
            if name == "RET":
                if not s.in_stl:
                    out.append(Finding(st.line, "ret-without-stl",
                                       "RET without a preceding STL step; subroutines return "
                                       "with SRET"))
                close_group(i)
                s.in_stl = False
            elif name == "MCR":
                _close_mc(st, s, out)
            elif name == "FOR":
                s.loops.append(st.line)
                if len(s.loops) > FOR_DEPTH:
                    out.append(Finding(st.line, "for-next", f"FOR nested deeper than {FOR_DEPTH}"))
            elif name == "NEXT":
                if s.loops:
                    s.loops.pop()
                else:
                    out.append(Finding(st.line, "for-next", "NEXT without a preceding FOR"))
            elif name in ("END", "FEND"):
                close_program(i, st.line, name)
                if name == "END":
                    layout.end = i
                    break
    else:
        last = sts[-1].line if sts else 0
        boundary(last)
        close_program(n, last, "the end of the program")
    return layout, out


def _open_mc(st, s: _State, out: list[Finding]) -> None:
    if s.in_stl:
        out.append(Finding(st.line, "mc-in-stl", "MC is not allowed between STL and RET"))
    op = st.operands[0] if st.operands else None
    if op is None or op.kind != "N":
        return
    level = op.index
    if level != len(s.mc):
        expected = f"N{len(s.mc)}" if len(s.mc) < MC_LEVELS else "none (8 levels used)"
        out.append(Finding(st.line, "mc-nesting",
                           f"MC N{level} opened at nesting depth {len(s.mc)}; expected {expected}"))
    s.mc.append((level, st.line))


def _close_mc(st, s: _State, out: list[Finding]) -> None:
    op = st.operands[0] if st.operands else None
    if op is None or op.kind != "N":
        return
    levels = [lv for lv, _ in s.mc]
    if op.index not in levels:
        out.append(Finding(st.line, "mc-nesting",
                           f"MCR N{op.index} without an open MC N{op.index}"))
        return
    while s.mc and s.mc[-1][0] != op.index:
        s.mc.pop()
    s.mc.pop()
