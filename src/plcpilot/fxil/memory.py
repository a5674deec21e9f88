"""FX device memory and typed accessors (readers, writers, bits) built once per operand.

Accessors are closures over the device arrays, so the simulator's hot path is a list lookup,
not a name lookup. Words are signed 16-bit; a 32-bit operand is the pair Dn (low), Dn+1 (high).
Every index an accessor uses was range-checked against the CPU before it was built (by the
checker for fixed operands, by the instruction for counts read at run time).
"""

from __future__ import annotations

from collections.abc import Callable

from plcpilot.fxil.devices import BITS32, SIZES, Operand, s16, s32

Reader = Callable[[], int]
Writer = Callable[[int], None]


class Memory:
    def __init__(self) -> None:
        self.X = [0] * SIZES["X"]  # input image (read at scan start)
        self.x_ext = [0] * SIZES["X"]  # input terminals, written by tests
        self.Y = [0] * SIZES["Y"]
        self.M = [0] * SIZES["M"]
        self.S = [0] * SIZES["S"]
        self.T = [0] * SIZES["T"]  # timer contacts
        self.C = [0] * SIZES["C"]  # counter contacts
        self.TV = [0] * SIZES["T"]  # timer current values
        self.CV = [0] * SIZES["C"]  # counter current values
        self.D = [0] * SIZES["D"]
        self.V = [0] * SIZES["V"]
        self.Z = [0] * SIZES["Z"]

    def bits(self, letter: str) -> list[int]:
        """The array holding bit device `letter` (T/C: contacts)."""
        return getattr(self, letter)

    def words(self, letter: str) -> list[int]:
        return {"D": self.D, "T": self.TV, "C": self.CV, "V": self.V, "Z": self.Z}[letter]

    # -- word access -------------------------------------------------------------------
    def reader(self, op: Operand, wide: bool = False) -> Reader:
        if op.kind in ("K", "H"):
            value = op.value(wide)
            return lambda: value
        if op.digits:
            return self._digits_reader(op, wide)
        arr, i = self.words(op.kind), op.index
        if op.kind == "C" and i >= BITS32:  # 32-bit counters hold 32-bit values
            return (lambda: arr[i]) if wide else (lambda: s16(arr[i]))
        if wide:
            return lambda: s32((arr[i + 1] & 0xFFFF) << 16 | (arr[i] & 0xFFFF))
        return lambda: arr[i]

    def writer(self, op: Operand, wide: bool = False) -> Writer:
        if op.digits:
            return self._digits_writer(op, wide)
        arr, i = self.words(op.kind), op.index
        if op.kind == "C" and i >= BITS32:
            def write_c32(v: int) -> None:
                arr[i] = s32(v)
            return write_c32
        if wide:
            def write32(v: int) -> None:
                arr[i] = s16(v)
                arr[i + 1] = s16(v >> 16)
            return write32

        def write16(v: int) -> None:
            arr[i] = s16(v)
        return write16

    def bit_field(self, letter: str, start: int, width: int) -> Reader:
        """`width` consecutive bit devices from `start` as an unsigned number (DECO's n bits)."""
        arr = self.bits(letter)

        def read() -> int:
            v = 0
            for k in range(width - 1, -1, -1):
                v = (v << 1) | arr[start + k]
            return v
        return read

    def _digits_reader(self, op: Operand, wide: bool) -> Reader:
        width = op.digits * 4
        field = self.bit_field(op.base, op.index, width)
        # the top bit is a sign only at the operation's full width: K4M0 is signed in a 16-bit
        # instruction, zero-extended in a 32-bit one (FX3U manual)
        if width == (32 if wide else 16):
            sign = s32 if wide else s16
            return lambda: sign(field())
        return field

    def _digits_writer(self, op: Operand, wide: bool) -> Writer:
        arr, start, width = self.bits(op.base), op.index, op.digits * 4

        def write(v: int) -> None:
            for k in range(width):
                arr[start + k] = (v >> k) & 1
        return write

    def clear(self, letter: str, first: int, last: int) -> None:
        """RST/ZRST semantics for devices first..last of one kind: bits off; timers and
        counters value and contact 0; registers 0."""
        if letter in "TC":
            arrays = [self.bits(letter), self.words(letter)]
        else:
            arrays = [self.bits(letter) if letter in "XYMS" else self.words(letter)]
        for arr in arrays:
            arr[first:last + 1] = [0] * (last - first + 1)
