"""Contacts and result logic: LD/AND/OR families, comparisons, ANB/ORB, MPS/MRD/MPP, INV, MEP."""

from __future__ import annotations

import operator
from collections.abc import Callable

from plcpilot.fxil.runtime import Build, Op, edge_detector


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
