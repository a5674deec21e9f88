"""FX scan-cycle simulator (FX_SEMANTICS.md): a program compiled to closures, one scan at a time.

`FxMachine` implements the language-neutral `Machine` protocol of plcpilot.spec, so the same
timeline runner tests FX, ST and SFC programs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from plcpilot.errors import PlcPilotError
from plcpilot.fxil.checker import check_program
from plcpilot.fxil.devices import Operand, OperandError, parse_name, shown
from plcpilot.fxil.memory import Memory
from plcpilot.fxil.parser import Program, parse
from plcpilot.fxil.runtime import Build, Cpu, Timers
from plcpilot.fxil.sem_coils import timer_resolution
from plcpilot.fxil.semantics import build
from plcpilot.fxil.structure import analyse

WRITABLE = frozenset("XMDVZ")  # what a timeline may set: inputs and HMI-written relays/registers
WORD = (-32768, 32767)  # what a timeline may write to a register: a signed 16-bit word


class FxMachine:
    def __init__(self, program: Program, cpu: str = "fx3u"):
        self.program = program
        self.cpu_model = cpu
        self.mem = Memory()
        self.cpu = Cpu(self.mem)
        self.timers = Timers()
        self.executed = 0  # instructions executed, for throughput measurements
        layout, _ = analyse(program)
        sts = program.statements
        stop = layout.end if layout.end is not None else len(sts) - 1
        self.end_index = stop + 1

        def label_index(pointer: int) -> int:
            if pointer in program.label_at:
                return program.label_at[pointer]
            return stop  # CJ P63: jump to END

        self.ops = [
            build(Build(self.cpu, st, i, layout, label_index, self.end_index,
                        st.mnemonic.d32, st.mnemonic.pulse, self.timers, cpu))
            for i, st in enumerate(sts[: self.end_index])
        ]

    # -- Machine protocol ------------------------------------------------------------------
    def scan(self, now_ms: int, scan_ms: int) -> None:
        c, mem = self.cpu, self.mem
        M = mem.M
        c.now, c.dt = now_ms, scan_ms
        c.scan_no += 1
        first = c.scan_no == 1
        M[8000], M[8001], M[8002], M[8003] = 1, 0, int(first), int(not first)
        M[8011] = int(now_ms % 10 < 5)
        M[8012] = int(now_ms % 100 < 50)
        M[8013] = int(now_ms % 1000 < 500)
        M[8014] = int(now_ms % 60000 < 30000)
        mem.D[8010] = mem.D[8011] = mem.D[8012] = scan_ms * 10  # 0.1 ms units
        mem.X[:] = mem.x_ext  # input refresh
        c.acc, c.bus, c.jumps = 0, 1, 0
        c.blocks.clear()
        c.mps.clear()
        c.calls.clear()
        c.loops.clear()
        ops, n, pc, k = self.ops, self.end_index, 0, 0
        while pc < n:
            pc = ops[pc]()
            k += 1
        self.executed += k
        self._end_processing()

    def _end_processing(self) -> None:
        c, S = self.cpu, self.mem.S
        if c.transfers:  # source steps of this scan's transfers go off now
            for sources, target in c.transfers:
                for s in sources:
                    if s != target:
                        S[s] = 0
            c.transfers.clear()
        tm, mem = self.timers, self.mem
        for n in tm.used:  # a non-retentive timer whose coil did not execute this scan resets
            if tm.seen[n] != c.scan_no and not timer_resolution(n)[1]:
                mem.T[n] = mem.TV[n] = tm.rem[n] = 0

    def read(self, name: str) -> int:
        op = _named_device(name, self.cpu_model)
        mem = self.mem
        if op.kind == "X":
            return mem.x_ext[op.index]
        if op.kind == "Y":
            return 0 if mem.M[8034] else mem.Y[op.index]  # M8034: all outputs forced off
        if op.kind in "MSTC":
            return mem.bits(op.kind)[op.index]
        return mem.words(op.kind)[op.index]

    def write(self, name: str, value: int) -> None:
        """Set an input, relay or register; a value the device cannot hold is refused (a bit
        takes 0/1 or false/true, a register a signed 16-bit word) rather than wrapped."""
        op = _named_device(name, self.cpu_model)
        if op.kind not in WRITABLE:
            raise PlcPilotError(
                f"a test cannot set {name}: timelines set inputs (X), relays (M) and registers "
                "(D, V, Z); outputs, states, timers and counters are the program's")
        mem = self.mem
        if op.kind in "XM":
            if value not in (0, 1):  # True and False are 1 and 0
                raise PlcPilotError(f"{op.name()} is a bit: set it to 0 or 1 (false/true), "
                                    f"not {value!r}")
            (mem.x_ext if op.kind == "X" else mem.M)[op.index] = int(value)
            return
        lo, hi = WORD
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise PlcPilotError(f"{op.name()} is a 16-bit register: set it to an integer "
                                f"{lo}..{hi}, not {value!r} (a 32-bit value is two registers: "
                                f"low word in {op.name()}, high word in {op.name(1)})")
        mem.words(op.kind)[op.index] = value

    @property
    def notes(self) -> list[str]:
        """What ran but was not simulated, and each line's operation error, by line."""
        c = self.cpu
        return [f"line {line}: {why}"
                for line, why in sorted([*c.unsimulated.items(), *c.errors.items()])]

    def signals(self) -> list[str]:
        """Devices worth tracing: every bit device the program names, in program order."""
        seen: dict[str, None] = {}
        for st in self.program.statements[: self.end_index]:
            for op in st.operands:
                if op is not None and op.kind in "XYMSTC" and not op.digits:
                    seen.setdefault(op.name())
        return list(seen)


@lru_cache(maxsize=4096)  # a timeline reads the same few names every scan
def _named_device(name: str, cpu: str) -> Operand:
    """The device a test names, if it exists on the CPU (the caller adds which task and test
    named it)."""
    try:
        return parse_name(name, cpu)
    except OperandError as e:
        raise PlcPilotError(f"test names {shown(name)!r}: {e}") from None


def compile_program(source: str, cpu: str = "fx3u") -> Callable[[], FxMachine]:
    """Parse and check once; the result powers on a fresh machine per call.

    A program with check errors cannot be simulated: that raises PlcPilotError."""
    program = parse(source)
    report = check_program(program, cpu)
    if not report.is_valid:
        first = report.errors[0]
        where = f"line {first.line}: " if first.line else ""
        raise PlcPilotError(
            f"the program has {len(report.errors)} check error(s) and cannot be simulated; "
            f"first: {where}{first.code}: {first.message} (run `plcpilot check` for all)")
    return lambda: FxMachine(program, cpu)
