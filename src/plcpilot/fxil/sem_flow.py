"""Program flow: END/FEND, MC/MCR, STL/RET, CJ, CALL/SRET, FOR/NEXT, WDT, REF.

Jumps can break what the checker saw in the text (a CJ into a FOR body reaches NEXT with no
FOR running; a subroutine entered without CALL reaches SRET): the FX answers with operation
error 6709 and goes on, and so does the simulator. Loops that never end trip the watchdog.
"""

from __future__ import annotations

from collections.abc import Callable

from plcpilot.fxil.runtime import (
    BAD_BRANCH,
    CALL_DEPTH,
    WATCHDOG_STEPS,
    Build,
    Op,
    OperationError,
    WatchdogError,
    edge_detector,
)
from plcpilot.fxil.structure import FOR_DEPTH


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
    """Count the instructions a backward jump runs again: an endless or overlong loop trips
    the watchdog instead of hanging."""
    c = b.c
    if target <= b.i:
        c.jumps += b.i - target + 1
        if c.jumps > WATCHDOG_STEPS:
            raise WatchdogError(f"watchdog: the scan did not reach END in time (loops ran "
                                f"{WATCHDOG_STEPS} instructions again, ≈200 ms on an FX3U; "
                                f"line {b.st.line} jumps back)")


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


def _branch_error(b: Build, message: str) -> None:
    b.c.operation_error(b.st.line, OperationError(BAD_BRANCH, message))


def b_call(b: Build) -> Op:
    c, nxt, fires = b.c, b.nxt, _firing(b)
    target = b.label_index(b.ops[0].index)

    def call() -> int:
        if not fires():
            return nxt
        if len(c.calls) >= CALL_DEPTH:
            _branch_error(b, f"CALL nested deeper than {CALL_DEPTH} levels; not called")
            return nxt
        _jump(b, target)
        c.calls.append(nxt)
        return target
    return call


def b_sret(b: Build) -> Op:
    c, end = b.c, b.end_index

    def sret() -> int:
        if c.calls:
            return c.calls.pop()
        _branch_error(b, "SRET without a CALL (a subroutine reached without CALL, e.g. no FEND "
                         "before it); the scan goes to END")
        return end
    return sret


def b_for(b: Build) -> Op:
    c, nxt, count = b.c, b.nxt, b.mem.reader(b.ops[0])

    def for_() -> int:
        if len(c.loops) >= FOR_DEPTH:
            _branch_error(b, f"FOR nested deeper than {FOR_DEPTH} levels; the loop is ignored")
            return nxt
        c.loops.append([max(count(), 1), nxt])  # FOR K0 or less runs once (FX3U manual)
        return nxt
    return for_


def b_next(b: Build) -> Op:
    c, nxt = b.c, b.nxt

    def next_() -> int:
        if not c.loops:
            _branch_error(b, "NEXT without a running FOR (a jump entered the loop body)")
            return nxt
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
