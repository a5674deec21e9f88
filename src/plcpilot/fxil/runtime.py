"""Run-time pieces every FX instruction builder shares: CPU state, the build context handed to
a builder, edge memories, timer bookkeeping, operation errors and the watchdog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plcpilot.errors import SimulationLimit
from plcpilot.fxil.devices import SIZES, Operand, element_size, past_end, s16
from plcpilot.fxil.memory import Memory, Reader
from plcpilot.fxil.parser import Statement
from plcpilot.fxil.structure import Layout

Op = Callable[[], int]
# The FX watchdog stops a scan that runs past 200 ms (D8000's default). An FX3U takes about
# 0.65 µs per applied instruction, so a scan that re-executes ~300 000 instructions through
# backward jumps (CJ, FOR/NEXT) would have tripped it; counting re-executed instructions rather
# than jumps also stops a long loop body early (100 000 passes of 400 instructions took minutes).
WATCHDOG_STEPS = 300_000
CALL_DEPTH = 5  # FX nests CALL five levels deep


class WatchdogError(SimulationLimit):
    """The scan did not reach END (endless CJ/FOR loop): FX stops with a watchdog error."""


# FX3U operation error codes (D8067): a device number or data value out of range; anything
# else (FOR/NEXT, CALL/SRET pairing broken). 6705 (an operand the instruction cannot use) does
# not arise: operands are fixed devices the checker accepted (no index registers).
OUT_OF_RANGE, BAD_BRANCH = 6706, 6709


class OperationError(Exception):
    """What a real FX calls an operation error: raised by an instruction before it changes
    anything, so it is not executed; the scan goes on (see Cpu.operation_error)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Cpu:
    """Run-time state of the scan besides device memory."""

    __slots__ = ("acc", "bus", "blocks", "mps", "now", "dt", "scan_no", "calls", "loops", "jumps",
                 "transfers", "unsimulated", "errors", "mc_saved", "mem")

    def __init__(self, mem: Memory):
        self.mem = mem
        self.acc = 0  # operation result
        self.bus = 1  # power of the STL step / MC region the output sits in
        self.blocks: list[int] = []
        self.mps: list[int] = []
        self.now = 0  # scan start (ms since RUN)
        self.dt = 0  # this scan's duration (ms)
        self.scan_no = 0
        self.calls: list[int] = []
        self.loops: list[list[int]] = []
        self.jumps = 0  # instructions re-executed by backward jumps this scan (the watchdog)
        self.transfers: list[tuple[list[int], int]] = []
        self.unsimulated: dict[int, str] = {}
        self.errors: dict[int, str] = {}  # line -> its first operation error, for the notes
        self.mc_saved = [1] * 8

    def operation_error(self, line: int, error: OperationError) -> None:
        """As an FX3U: M8067 on, the code in D8067 and the step in D8069 (D8314/D8315 as 32
        bits), updated by every error; M8068 latches the first one's step in D8068
        (D8312/D8313) until the program or a test resets M8068. We use the line as the step.
        One note per line keeps memory bounded however often the error repeats."""
        M, D = self.mem.M, self.mem.D
        M[8067], D[8067] = 1, error.code
        D[8069], D[8314], D[8315] = s16(line), s16(line), s16(line >> 16)
        if not M[8068]:
            M[8068] = 1
            D[8068], D[8312], D[8313] = s16(line), s16(line), s16(line >> 16)
        self.errors.setdefault(line, f"operation error {error.code}: {error}")


def edge_detector(rising: bool = True) -> Callable[[int], int]:
    """An edge memory of its own (off at RUN): returns 1 on the call where `v` rises (falls)."""
    prev = [0]

    def detect(v: int) -> int:
        hit = (v and not prev[0]) if rising else (prev[0] and not v)
        prev[0] = v
        return 1 if hit else 0
    return detect


class Timers:
    """Per-timer bookkeeping: sub-resolution remainder (ms) and the scan it was last driven."""

    def __init__(self) -> None:
        n = SIZES["T"]
        self.rem = [0] * n
        self.seen = [0] * n
        self.used: set[int] = set()


@dataclass
class Build:
    c: Cpu
    st: Statement
    i: int
    layout: Layout
    label_index: Callable[[int], int]
    end_index: int
    wide: bool
    pulse: bool
    timers: Timers
    model: str  # the CPU model whose device ranges bound run-time counts

    @property
    def nxt(self) -> int:
        return self.i + 1

    @property
    def ops(self) -> list[Operand]:
        return self.st.operands  # validated by the checker before building

    @property
    def mem(self) -> Memory:
        return self.c.mem

    def bit(self, op: Operand) -> tuple[list[int], int]:
        return self.mem.bits(op.kind), op.index

    def step_states(self) -> list[int] | None:
        g = self.layout.step_of[self.i]
        return None if g is None else self.layout.groups[g].states

    def count(self, k: int) -> Reader:
        """Operand k as a count, checked against the table's limit each time it is read: a
        register can hold anything, and a real FX refuses a count out of range (6706)."""
        ops, wide, word = self.ops, self.wide, self.st.word
        read = self.mem.reader(ops[k])
        limit = self.st.mnemonic.instr.limit(k, ops, wide)
        lo, hi = limit.bounds(ops, wide)
        rule = limit.describe(ops, wide)

        def value() -> int:
            v = read()
            if not lo <= v <= hi:
                raise OperationError(OUT_OF_RANGE, f"{word} {ops[k].text} = {v}, but {rule}")
            return v
        return value

    def fits(self, op: Operand, elements: int) -> None:
        """Raise 6706 unless `elements` consecutive elements from `op` exist on the CPU (a
        count read at run time decides how far BMOV/FMOV/SFTL reach)."""
        if why := past_end(op, self.model, elements * element_size(op, self.wide)):
            raise OperationError(OUT_OF_RANGE, f"{self.st.word} {why}")

    def guarded(self, action: Callable[[], None]) -> Op:
        """An applied instruction: runs when its condition is on (P form: on its rising edge);
        an operation error it raises is recorded and the scan goes on."""
        c, nxt, line = self.c, self.nxt, self.st.line
        if self.pulse:
            rises = edge_detector()

            def pulse_op() -> int:
                if rises(c.acc & c.bus):
                    try:
                        action()
                    except OperationError as e:
                        c.operation_error(line, e)
                return nxt
            return pulse_op

        def op() -> int:  # the try costs nothing until an error is raised (Python 3.11)
            if c.acc & c.bus:
                try:
                    action()
                except OperationError as e:
                    c.operation_error(line, e)
            return nxt
        return op


def unsimulated(b: Build, why: str) -> Op:
    c, nxt, line = b.c, b.nxt, b.st.line

    def unsimulated() -> int:
        c.unsimulated.setdefault(line, why)
        return nxt
    return unsimulated
