"""Applied instructions: moves, arithmetic, logic, rotation and shift, compares, encode/decode."""

from __future__ import annotations

import operator

from plcpilot.fxil.devices import Operand
from plcpilot.fxil.memory import Memory, s16, s32
from plcpilot.fxil.runtime import Build, Op


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
