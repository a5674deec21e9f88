"""What each FX instruction does: one builder per semantics class of the instruction table.

A builder turns a statement into a closure `op() -> next_pc` over the CPU state, with its
operands resolved to accessors once. A semantics class without a builder is "not simulated":
its statements compile to a closure that records that they ran unsimulated (never a silent skip).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from plcpilot.errors import SimulationLimit
from plcpilot.fxil.devices import Operand
from plcpilot.fxil.memory import Memory, s16, s32
from plcpilot.fxil.parser import Statement
from plcpilot.fxil.structure import FOR_DEPTH, Layout

Op = Callable[[], int]
WATCHDOG_JUMPS = 100_000  # backward jumps/loop passes per scan before the watchdog trips
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
        self.jumps = 0
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


# ---- contacts ----------------------------------------------------------------------------

def _combine(b: Build, value: Callable[[], int]) -> Op:
    """Wire a contact value into the result according to the instruction's role."""
    c, nxt, role = b.c, b.nxt, b.st.mnemonic.instr.role
    if role == "load" and b.layout.new_network[b.i]:
        def load() -> int:
            c.acc = value()
            return nxt
        return load
    if role == "load":
        def load_block() -> int:
            c.blocks.append(c.acc)
            c.acc = value()
            return nxt
        return load_block
    if role == "series":
        def series() -> int:
            c.acc &= value()
            return nxt
        return series

    def parallel() -> int:
        c.acc |= value()
        return nxt
    return parallel


def b_contact(b: Build) -> Op:
    arr, i = b.bit(b.ops[0])
    variant = b.st.mnemonic.instr.attrs["variant"]
    if variant == "":
        c, nxt, role = b.c, b.nxt, b.st.mnemonic.instr.role
        # the plain contacts are the hot path: inline them
        if role == "load" and b.layout.new_network[b.i]:
            def ld() -> int:
                c.acc = arr[i]
                return nxt
            return ld
        if role == "series":
            def and_() -> int:
                c.acc &= arr[i]
                return nxt
            return and_
        return _combine(b, lambda: arr[i])
    if variant == "not":
        return _combine(b, lambda: 1 - arr[i])
    detect = edge_detector(variant == "rise")  # each instruction instance has its own memory
    return _combine(b, lambda: detect(arr[i]))


_COMPARE = {"=": operator.eq, ">": operator.gt, "<": operator.lt, "<>": operator.ne,
            "<=": operator.le, ">=": operator.ge}


def b_compare(b: Build) -> Op:
    left, right = (b.mem.reader(op, b.wide) for op in b.ops)
    test = _COMPARE[b.st.mnemonic.instr.attrs["op"]]
    return _combine(b, lambda: 1 if test(left(), right()) else 0)


def b_anb(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def anb() -> int:
        c.acc &= c.blocks.pop()
        return nxt
    return anb


def b_orb(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def orb() -> int:
        c.acc |= c.blocks.pop()
        return nxt
    return orb


def b_mps(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def mps() -> int:
        c.mps.append(c.acc)
        return nxt
    return mps


def b_mrd(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def mrd() -> int:
        c.acc = c.mps[-1]
        return nxt
    return mrd


def b_mpp(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def mpp() -> int:
        c.acc = c.mps.pop()
        return nxt
    return mpp


def b_inv(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def inv() -> int:
        c.acc = 1 - c.acc
        return nxt
    return inv


def _result_edge(b: Build, rising: bool) -> Op:
    c, nxt, detect = b.c, b.nxt, edge_detector(rising)

    def edge() -> int:
        c.acc = detect(c.acc)
        return nxt
    return edge


def b_mep(b: Build) -> Op:
    return _result_edge(b, True)


def b_mef(b: Build) -> Op:
    return _result_edge(b, False)


# ---- coils -------------------------------------------------------------------------------

def _transfer(b: Build, target: int) -> Callable[[], None]:
    """SET/OUT Sm inside an active step: Sm on now, the source step(s) off at END."""
    c, S, M, sources = b.c, b.mem.S, b.mem.M, b.step_states()

    def transfer() -> None:
        if not M[8040]:  # M8040 inhibits transfers
            S[target] = 1
            c.transfers.append((sources, target))
    return transfer


def b_out(b: Build) -> Op:
    coil = b.ops[0]
    if coil.kind == "T":
        return _timer(b, coil.index, b.mem.reader(b.ops[1]))
    if coil.kind == "C":
        return _counter(b, coil.index, b.mem.reader(b.ops[1], wide=coil.index >= 200))
    c, nxt = b.c, b.nxt
    if coil.kind == "S" and b.step_states() is not None:
        transfer = _transfer(b, coil.index)

        def out_step() -> int:
            if c.acc & c.bus:
                transfer()
            return nxt
        return out_step
    arr, i = b.bit(coil)

    def out() -> int:
        arr[i] = c.acc & c.bus
        return nxt
    return out


def timer_resolution(n: int) -> tuple[int, bool]:
    """(ms per count, retentive) of timer Tn (FX_SEMANTICS.md timer table)."""
    if n < 200:
        return 100, False
    if n < 246:
        return 10, False
    if n < 250:
        return 1, True
    if n < 256:
        return 100, True
    return 1, False


def _timer(b: Build, n: int, preset: Callable[[], int]) -> Op:
    """Each scan the coil is on adds that scan's time; the contact closes at the preset."""
    c, nxt, mem, tm = b.c, b.nxt, b.mem, b.timers
    res, retentive = timer_resolution(n)
    T, TV, rem, seen = mem.T, mem.TV, tm.rem, tm.seen
    tm.used.add(n)

    def timer() -> int:
        if c.acc & c.bus:
            seen[n] = c.scan_no
            pv = preset()
            rem[n] += c.dt
            if rem[n] >= res:
                ticks = rem[n] // res
                rem[n] -= ticks * res
                if TV[n] < pv:
                    TV[n] = min(TV[n] + ticks, pv)
            T[n] = 1 if TV[n] >= pv else 0
        elif not retentive:
            TV[n] = T[n] = rem[n] = 0
        return nxt
    return timer


def _counter(b: Build, n: int, preset: Callable[[], int]) -> Op:
    c, nxt, mem = b.c, b.nxt, b.mem
    C, CV, M, rises = mem.C, mem.CV, mem.M, edge_detector()
    if n >= 235:
        return _unsimulated(b, f"high-speed counter C{n} is not simulated")
    if n >= 200:  # 32-bit up/down: direction M8200+n-200, counts past preset, wraps
        def counter32() -> int:
            if rises(c.acc & c.bus):
                CV[n] = s32(CV[n] + (-1 if M[8000 + n] else 1))
            C[n] = 1 if CV[n] >= preset() else 0
            return nxt
        return counter32

    def counter() -> int:
        pv = preset()
        if rises(c.acc & c.bus) and CV[n] < pv:
            CV[n] += 1
        C[n] = 1 if CV[n] >= pv else 0
        return nxt
    return counter


def b_set(b: Build) -> Op:
    op = b.ops[0]
    if op.kind == "S" and b.step_states() is not None:
        return b.guarded(_transfer(b, op.index))
    arr, i = b.bit(op)

    def set_() -> None:
        arr[i] = 1
    return b.guarded(set_)


def b_rst(b: Build) -> Op:
    op, mem, tm = b.ops[0], b.mem, b.timers

    def rst() -> None:
        mem.clear(op)
        if op.kind == "T":
            tm.rem[op.index] = 0
    return b.guarded(rst)


def _pulse_coil(b: Build, rising: bool) -> Op:
    c, nxt, detect = b.c, b.nxt, edge_detector(rising)
    arr, i = b.bit(b.ops[0])

    def pulse() -> int:
        arr[i] = detect(c.acc & c.bus)
        return nxt
    return pulse


def b_pls(b: Build) -> Op:
    return _pulse_coil(b, True)


def b_plf(b: Build) -> Op:
    return _pulse_coil(b, False)


# ---- program flow ------------------------------------------------------------------------

def b_nop(b: Build) -> Op:
    nxt = b.nxt
    return lambda: nxt


def b_end(b: Build) -> Op:
    end = b.end_index
    return lambda: end


b_fend = b_end


def b_mc(b: Build) -> Op:
    c, nxt, level = b.c, b.nxt, b.ops[0].index
    arr, i = b.bit(b.ops[1])

    def mc() -> int:
        on = c.acc & c.bus
        c.mc_saved[level] = c.bus
        c.bus = on
        arr[i] = on
        return nxt
    return mc


def b_mcr(b: Build) -> Op:
    c, nxt, level = b.c, b.nxt, b.ops[0].index

    def mcr() -> int:
        c.bus = c.mc_saved[level]
        return nxt
    return mcr


def b_stl(b: Build) -> Op:
    c, nxt, S = b.c, b.nxt, b.mem.S
    g = b.layout.step_of[b.i]
    group = b.layout.groups[g]
    if group.start != b.i:  # a later line of a merged STL group: the first line did the work
        return b_nop(b)
    states, skip, was = group.states, group.end, [0]

    def stl() -> int:
        if all(S[s] for s in states):
            c.bus = c.acc = was[0] = 1
            return nxt
        if was[0]:  # the scan after deactivation: run once powerless, outputs go off
            c.bus = c.acc = was[0] = 0
            return nxt
        return skip
    return stl


def b_ret(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def ret() -> int:
        c.bus = 1
        return nxt
    return ret


def _jump(b: Build, target: int) -> None:
    """Count backward jumps: an endless loop trips the watchdog instead of hanging."""
    c = b.c
    if target <= b.i:
        c.jumps += 1
        if c.jumps > WATCHDOG_JUMPS:
            raise WatchdogError(f"watchdog: the scan did not reach END (line {b.st.line} jumped "
                                f"back {WATCHDOG_JUMPS} times)")


def _firing(b: Build) -> Callable[[], int]:
    """The condition of a jump/call: on while driven, or on its rising edge for the P form."""
    c = b.c
    if b.pulse:
        rises = edge_detector()
        return lambda: rises(c.acc & c.bus)
    return lambda: c.acc & c.bus


def b_cj(b: Build) -> Op:
    nxt, fires = b.nxt, _firing(b)
    target = b.label_index(b.ops[0].index)
    backward = target <= b.i

    def cj() -> int:
        if not fires():
            return nxt
        if backward:
            _jump(b, target)
        return target
    return cj


def b_call(b: Build) -> Op:
    c, nxt, fires = b.c, b.nxt, _firing(b)
    target = b.label_index(b.ops[0].index)

    def call() -> int:
        if not fires():
            return nxt
        if len(c.calls) >= CALL_DEPTH:
            raise WatchdogError(f"CALL at line {b.st.line} nested deeper than {CALL_DEPTH}")
        _jump(b, target)
        c.calls.append(nxt)
        return target
    return call


def b_sret(b: Build) -> Op:
    c, end = b.c, b.end_index
    return lambda: c.calls.pop() if c.calls else end


def b_for(b: Build) -> Op:
    c, nxt, count = b.c, b.nxt, b.mem.reader(b.ops[0])

    def for_() -> int:
        if len(c.loops) >= FOR_DEPTH:
            raise WatchdogError(f"FOR at line {b.st.line} nested deeper than {FOR_DEPTH}")
        c.loops.append([max(count(), 1), nxt])
        return nxt
    return for_


def b_next(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def next_() -> int:
        loop = c.loops[-1]
        loop[0] -= 1
        if loop[0] > 0:
            _jump(b, loop[1] - 1)
            return loop[1]
        c.loops.pop()
        return nxt
    return next_


def b_wdt(b: Build) -> Op:
    return b.guarded(lambda: None)  # refreshing the watchdog changes nothing we model


def b_ref(b: Build) -> Op:
    # inputs only change between scans in a timeline, so an immediate refresh reads the same
    return b.guarded(lambda: None)


def _unsimulated(b: Build, why: str) -> Op:
    c, nxt, line = b.c, b.nxt, b.st.line

    def unsimulated() -> int:
        c.unsimulated.setdefault(line, why)
        return nxt
    return unsimulated


# ---- applied instructions ----------------------------------------------------------------

def b_mov(b: Build) -> Op:
    src, dst = b.mem.reader(b.ops[0], b.wide), b.mem.writer(b.ops[1], b.wide)
    return b.guarded(lambda: dst(src()))


def _offset(op: Operand, k: int, wide: bool = False) -> Operand:
    """The k-th element after `op`: next word (pair, if wide) or next n*4 bits for KnM."""
    step = op.digits * 4 if op.digits else (2 if wide else 1)
    return Operand(op.text, op.kind, op.index + k * step, op.digits)


def b_bmov(b: Build) -> Op:
    mem = b.mem
    src_op, dst_op = b.ops[0], b.ops[1]
    count = mem.reader(b.ops[2])

    def bmov() -> None:
        n = count()
        values = [mem.reader(_offset(src_op, k))() for k in range(n)]
        for k, v in enumerate(values):
            mem.writer(_offset(dst_op, k))(v)
    return b.guarded(bmov)


def b_fmov(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    src, dst_op, count = mem.reader(b.ops[0], wide), b.ops[1], mem.reader(b.ops[2])

    def fmov() -> None:
        v = src()
        for k in range(count()):
            mem.writer(_offset(dst_op, k, wide), wide)(v)
    return b.guarded(fmov)


def b_xch(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    r1, r2 = mem.reader(b.ops[0], wide), mem.reader(b.ops[1], wide)
    w1, w2 = mem.writer(b.ops[0], wide), mem.writer(b.ops[1], wide)

    def xch() -> None:
        a, c = r1(), r2()
        w1(c)
        w2(a)
    return b.guarded(xch)


def _op_error(mem: Memory) -> None:
    mem.M[8067] = 1  # operation error flag


def b_bcd(b: Build) -> Op:
    mem, limit = b.mem, 99_999_999 if b.wide else 9_999
    src, dst = mem.reader(b.ops[0], b.wide), mem.writer(b.ops[1], b.wide)

    def bcd() -> None:
        v = src()
        if 0 <= v <= limit:
            dst(int(str(v), 16))
        else:
            _op_error(mem)
    return b.guarded(bcd)


def b_bin(b: Build) -> Op:
    mem = b.mem
    src, dst = mem.reader(b.ops[0], b.wide), mem.writer(b.ops[1], b.wide)
    mask = 0xFFFFFFFF if b.wide else 0xFFFF

    def bin_() -> None:
        digits = f"{src() & mask:x}"
        if digits.isdigit():
            dst(int(digits))
        else:
            _op_error(mem)
    return b.guarded(bin_)


def b_arith(b: Build) -> Op:
    mem, wide, kind = b.mem, b.wide, b.st.mnemonic.instr.attrs["op"]
    s1, s2 = mem.reader(b.ops[0], wide), mem.reader(b.ops[1], wide)
    dst_op = b.ops[2]
    M = mem.M
    bits = 32 if wide else 16
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind in "+-":
        dst = mem.writer(dst_op, wide)
        sign = s32 if wide else s16

        def add_sub() -> None:
            v = s1() + s2() if kind == "+" else s1() - s2()
            M[8022], M[8021] = int(v > hi), int(v < lo)  # carry, borrow
            v = sign(v)
            M[8020] = int(v == 0)  # zero
            dst(v)
        return b.guarded(add_sub)
    if kind == "*":  # the product is double width: D pair (16-bit), D..D+3 (32-bit)
        low = mem.writer(dst_op, True)
        high = mem.writer(_offset(dst_op, 1, True), True) if wide else None

        def mul() -> None:
            v = s1() * s2()
            low(v)
            if high:
                high(v >> 32)
        return b.guarded(mul)
    quot = mem.writer(dst_op, wide)
    remainder = mem.writer(_offset(dst_op, 1, wide), wide)

    def div() -> None:
        a, d = s1(), s2()
        if d == 0:
            _op_error(mem)
            return
        q = abs(a) // abs(d) * (1 if (a >= 0) == (d >= 0) else -1)  # truncates toward zero
        quot(q)
        remainder(a - q * d)
    return b.guarded(div)


def b_incdec(b: Build) -> Op:
    mem, wide, step = b.mem, b.wide, b.st.mnemonic.instr.attrs["step"]
    src, dst = mem.reader(b.ops[0], wide), mem.writer(b.ops[0], wide)
    return b.guarded(lambda: dst(src() + step))


_LOGIC = {"and": operator.and_, "or": operator.or_, "xor": operator.xor}


def b_logic(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    s1, s2 = mem.reader(b.ops[0], wide), mem.reader(b.ops[1], wide)
    dst, f = mem.writer(b.ops[2], wide), _LOGIC[b.st.mnemonic.instr.attrs["op"]]
    return b.guarded(lambda: dst(f(s1(), s2())))


def b_neg(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    src, dst = mem.reader(b.ops[0], wide), mem.writer(b.ops[0], wide)
    return b.guarded(lambda: dst(-src()))


def b_rot(b: Build) -> Op:
    mem, wide, left = b.mem, b.wide, b.st.mnemonic.instr.attrs["dir"] == "left"
    src, dst, M = mem.reader(b.ops[0], wide), mem.writer(b.ops[0], wide), mem.M
    width = 32 if wide else 16
    mask = (1 << width) - 1
    n = b.ops[1].index % width

    def rot() -> None:
        v = src() & mask
        v = ((v << n) | (v >> (width - n))) & mask if left else \
            ((v >> n) | (v << (width - n))) & mask
        M[8022] = (v & 1) if left else (v >> (width - 1)) & 1  # carry: last bit moved out
        dst(v)
    return b.guarded(rot)


def b_sft(b: Build) -> Op:
    mem, left = b.mem, b.st.mnemonic.instr.attrs["dir"] == "left"
    src_arr, s0 = b.bit(b.ops[0])
    dst_arr, d0 = b.bit(b.ops[1])
    n1, count = b.ops[2].index, mem.reader(b.ops[3])

    def sft() -> None:
        n2 = count()
        bits = dst_arr[d0:d0 + n1]
        incoming = src_arr[s0:s0 + n2]
        # left: towards higher device numbers, S enters at the bottom; right: the reverse
        bits = (incoming + bits)[:n1] if left else (bits + incoming)[-n1:]
        dst_arr[d0:d0 + n1] = bits
    return b.guarded(sft)


def _bit_range(b: Build, first: Operand, last: Operand):
    mem = b.mem
    if first.kind in "XYMS":
        arr = mem.bits(first.kind)

        def clear_bits() -> None:
            arr[first.index:last.index + 1] = [0] * (last.index - first.index + 1)
        return clear_bits

    def clear_devices() -> None:
        for k in range(first.index, last.index + 1):
            mem.clear(Operand(first.text, first.kind, k))
            if first.kind == "T":
                b.timers.rem[k] = 0
    return clear_devices


def b_zrst(b: Build) -> Op:
    return b.guarded(_bit_range(b, b.ops[0], b.ops[1]))


def b_deco(b: Build) -> Op:
    mem, n = b.mem, b.ops[2].index
    src = (mem._digits_reader(Operand("", "Kn" + b.ops[0].kind, b.ops[0].index, 1), False)
           if b.ops[0].kind in "XYMS" else mem.reader(b.ops[0]))
    dst = b.ops[1]
    width = 1 << n

    def deco() -> None:
        v = src() & (width - 1)
        if dst.kind in "YMS":
            arr = mem.bits(dst.kind)
            arr[dst.index:dst.index + width] = [int(k == v) for k in range(width)]
        else:
            mem.writer(dst)(1 << v)
    return b.guarded(deco)


def b_enco(b: Build) -> Op:
    mem, n, src = b.mem, b.ops[2].index, b.ops[0]
    dst = mem.writer(b.ops[1])
    width = 1 << n

    def enco() -> None:
        if src.kind in "XYMS":
            arr = mem.bits(src.kind)
            bits = arr[src.index:src.index + width]
        else:
            v = mem.reader(src)()
            bits = [(v >> k) & 1 for k in range(width)]
        if not any(bits):
            _op_error(mem)
            return
        dst(max(k for k, bit in enumerate(bits) if bit))
    return b.guarded(enco)


def b_cmp(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    s1, s2 = mem.reader(b.ops[0], wide), mem.reader(b.ops[1], wide)
    arr, i = b.bit(b.ops[2])

    def cmp() -> None:
        a, c = s1(), s2()
        arr[i], arr[i + 1], arr[i + 2] = int(a > c), int(a == c), int(a < c)
    return b.guarded(cmp)


def b_zcp(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    lo, hi, s = (mem.reader(op, wide) for op in b.ops[:3])
    arr, i = b.bit(b.ops[3])

    def zcp() -> None:
        v, low, high = s(), lo(), hi()
        arr[i], arr[i + 1], arr[i + 2] = int(v < low), int(low <= v <= high), int(v > high)
    return b.guarded(zcp)


def b_alt(b: Build) -> Op:
    arr, i = b.bit(b.ops[0])

    def alt() -> None:
        arr[i] = 1 - arr[i]
    return b.guarded(alt)


BUILDERS: dict[str, Callable[[Build], Op]] = {
    name[2:]: fn for name, fn in globals().items() if name.startswith("b_") and callable(fn)
}
NOT_SIMULATED = {
    "to": "TO writes a special function module buffer (no modules are simulated)",
    "from": "FROM reads a special function module buffer (no modules are simulated)",
    "ei": "interrupts are not simulated", "di": "interrupts are not simulated",
    "iret": "interrupts are not simulated",
}


def build(b: Build) -> Op:
    sem = b.st.mnemonic.instr.sem
    if sem in BUILDERS:
        return BUILDERS[sem](b)
    return _unsimulated(b, NOT_SIMULATED.get(sem, f"{b.st.word} is not simulated"))
