"""Coils: OUT (bits, timers, counters, step transfers), SET, RST, PLS, PLF."""

from __future__ import annotations

from collections.abc import Callable

from plcpilot.fxil.devices import s32
from plcpilot.fxil.runtime import Build, Op, edge_detector, unsimulated


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
        return unsimulated(b, f"high-speed counter C{n} is not simulated")
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
        mem.clear(op.kind, op.index, op.index)
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
