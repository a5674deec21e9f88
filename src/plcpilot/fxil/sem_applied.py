"""Applied instructions: moves, arithmetic, logic, rotation and shift, compares, encode/decode.

A value the instruction cannot use (a count a register supplies out of range, a division by
zero, a source with no bit on) raises OperationError before anything is written: the FX does
not execute the instruction and flags the error (runtime.Cpu.operation_error). Nothing here
allocates more than the table's limits allow (BMOV 512 words, DECO 256 bits).
"""

from __future__ import annotations

import operator

from plcpilot.fxil.devices import Operand, element_size, s16, s32
from plcpilot.fxil.instructions import PLAIN_BITS
from plcpilot.fxil.runtime import OUT_OF_RANGE, Build, Op, OperationError


def b_mov(b: Build) -> Op:
    src, dst = b.mem.reader(b.ops[0], b.wide), b.mem.writer(b.ops[1], b.wide)
    return b.guarded(lambda: dst(src()))


def _offset(op: Operand, k: int, wide: bool = False) -> Operand:
    """The k-th element after `op`: next word (pair, if wide) or next n*4 bits for KnM."""
    step = op.digits * 4 if op.digits else element_size(op, wide)
    return Operand(op.text, op.kind, op.index + k * step, op.digits)


def b_bmov(b: Build) -> Op:
    mem = b.mem
    src_op, dst_op = b.ops[0], b.ops[1]
    count = b.count(2)

    def bmov() -> None:
        n = count()
        b.fits(src_op, n)
        b.fits(dst_op, n)
        values = [mem.reader(_offset(src_op, k))() for k in range(n)]
        for k, v in enumerate(values):
            mem.writer(_offset(dst_op, k))(v)
    return b.guarded(bmov)


def b_fmov(b: Build) -> Op:
    mem, wide = b.mem, b.wide
    src, dst_op, count = mem.reader(b.ops[0], wide), b.ops[1], b.count(2)

    def fmov() -> None:
        n = count()
        b.fits(dst_op, n)
        v = src()
        for k in range(n):
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


def b_bcd(b: Build) -> Op:
    mem, limit, word = b.mem, 99_999_999 if b.wide else 9_999, b.st.word
    src, dst = mem.reader(b.ops[0], b.wide), mem.writer(b.ops[1], b.wide)

    def bcd() -> None:
        v = src()
        if not 0 <= v <= limit:
            raise OperationError(OUT_OF_RANGE, f"{word} of {v}: BCD holds 0..{limit}")
        dst(int(str(v), 16))
    return b.guarded(bcd)


def b_bin(b: Build) -> Op:
    mem, word = b.mem, b.st.word
    src, dst = mem.reader(b.ops[0], b.wide), mem.writer(b.ops[1], b.wide)
    mask = 0xFFFFFFFF if b.wide else 0xFFFF

    def bin_() -> None:
        digits = f"{src() & mask:x}"
        if not digits.isdigit():
            raise OperationError(OUT_OF_RANGE, f"{word} of H{digits.upper()}: not BCD digits")
        dst(int(digits))
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
            raise OperationError(OUT_OF_RANGE, f"{b.st.word} {a} by zero")
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
    n = b.ops[1].value(wide)  # 0..width-1: the table's limit, checked before building

    def rot() -> None:
        v = src() & mask
        v = ((v << n) | (v >> (width - n))) & mask if left else \
            ((v >> n) | (v << (width - n))) & mask
        M[8022] = (v & 1) if left else (v >> (width - 1)) & 1  # carry: last bit moved out
        dst(v)
    return b.guarded(rot)


def b_sft(b: Build) -> Op:
    left = b.st.mnemonic.instr.attrs["dir"] == "left"
    src_arr, s0 = b.bit(b.ops[0])
    dst_arr, d0 = b.bit(b.ops[1])
    n1, count = b.ops[2].value(), b.count(3)

    def sft() -> None:
        n2 = count()
        b.fits(b.ops[0], n2)
        bits = dst_arr[d0:d0 + n1]
        incoming = src_arr[s0:s0 + n2]
        # left: towards higher device numbers, S enters at the bottom; right: the reverse
        bits = (incoming + bits)[:n1] if left else (bits + incoming)[-n1:]
        dst_arr[d0:d0 + n1] = bits
    return b.guarded(sft)


def b_zrst(b: Build) -> Op:
    """Both operands are of one kind (checked); D1 > D2 resets D1 only (FX3U manual)."""
    mem, first, last = b.mem, b.ops[0], b.ops[1]
    kind, lo, hi = first.kind, first.index, max(first.index, last.index)
    rem = b.timers.rem

    def zrst() -> None:
        mem.clear(kind, lo, hi)
        if kind == "T":
            rem[lo:hi + 1] = [0] * (hi - lo + 1)
    return b.guarded(zrst)


def _nothing() -> None:
    """DECO/ENCO with n = 0: no processing (FX3U manual)."""


def b_deco(b: Build) -> Op:
    """The low n bits of S (n bit devices from a bit source) select one of 2^n bits of D."""
    mem, n, src_op, dst = b.mem, b.ops[2].value(), b.ops[0], b.ops[1]
    if n == 0:
        return b.guarded(_nothing)
    src = (mem.bit_field(src_op.kind, src_op.index, n) if src_op.kind in PLAIN_BITS
           else mem.reader(src_op))
    width = 1 << n  # at most 256 bits (n <= 8), 16 for a word (n <= 4): the table's limits
    if dst.kind in PLAIN_BITS:
        arr, start = mem.bits(dst.kind), dst.index

        def deco_bits() -> None:
            v = src() & (width - 1)
            arr[start:start + width] = [int(k == v) for k in range(width)]
        return b.guarded(deco_bits)
    write = mem.writer(dst)
    return b.guarded(lambda: write(1 << (src() & (width - 1))))


def b_enco(b: Build) -> Op:
    """The number of the highest bit on among 2^n bits of S; none on is an operation error."""
    mem, n, src, word = b.mem, b.ops[2].value(), b.ops[0], b.st.word
    if n == 0:
        return b.guarded(_nothing)
    dst = mem.writer(b.ops[1])
    width = 1 << n
    if src.kind in PLAIN_BITS:
        arr, start = mem.bits(src.kind), src.index

        def bits() -> int:
            v = 0
            for k in range(width - 1, -1, -1):  # 256 bits at most
                v = (v << 1) | arr[start + k]
            return v
    else:
        read, mask = mem.reader(src), (1 << width) - 1

        def bits() -> int:
            return read() & mask

    def enco() -> None:
        v = bits()
        if not v:
            raise OperationError(OUT_OF_RANGE, f"{word}: no bit of {src.text} is on")
        dst(v.bit_length() - 1)
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
