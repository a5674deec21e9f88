"""Run-time pieces every FX instruction builder shares: CPU state, the build context handed to
a builder, edge memories, timer bookkeeping and the watchdog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plcpilot.errors import SimulationLimit
from plcpilot.fxil.devices import Operand
from plcpilot.fxil.memory import Memory
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


class Cpu:
    """Run-time state of the scan besides device memory."""

    __slots__ = ("acc", "bus", "blocks", "mps", "now", "dt", "scan_no", "calls", "loops", "jumps",
                 "transfers", "unsimulated", "mc_saved", "mem")

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
        self.mc_saved = [1] * 8


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
        n = len(Memory().T)
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

    def guarded(self, action: Callable[[], None]) -> Op:
        """An applied instruction: runs when its condition is on (P form: on its rising edge)."""
        c, nxt = self.c, self.nxt
        if self.pulse:
            rises = edge_detector()

            def pulse_op() -> int:
                if rises(c.acc & c.bus):
                    action()
                return nxt
            return pulse_op

        def op() -> int:
            if c.acc & c.bus:
                action()
            return nxt
        return op



def unsimulated(b: Build, why: str) -> Op:
    c, nxt, line = b.c, b.nxt, b.st.line

    def unsimulated() -> int:
        c.unsimulated.setdefault(line, why)
        return nxt
    return unsimulated
