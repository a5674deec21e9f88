"""FX devices: operand parsing and the device ranges of each CPU model.

X/Y are numbered in octal (X10 is the ninth input); both compact (X0) and GX Works' zero-padded
(X000) spellings are accepted. Digit-specified bit devices (K4M0: 16 bits from M0) read and write
words. Ranges follow the FX3U / FX2N programming manuals (FX_SEMANTICS.md). Numbers longer than
any FX number are refused before conversion, so operand text of any length parses in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CPUS = ("fx3u", "fx2n")

# device letter -> (first, last) ranges per CPU; X/Y bounds are values of octal numbers
RANGES: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {
    "fx3u": {
        "X": ((0, 0o367),), "Y": ((0, 0o367),),
        "M": ((0, 7679), (8000, 8511)), "S": ((0, 4095),),
        "T": ((0, 511),), "C": ((0, 255),), "D": ((0, 7999), (8000, 8511)),
        "P": ((0, 4095),), "N": ((0, 7),), "V": ((0, 7),), "Z": ((0, 7),),
    },
    "fx2n": {
        "X": ((0, 0o267),), "Y": ((0, 0o267),),
        "M": ((0, 3071), (8000, 8255)), "S": ((0, 999),),
        "T": ((0, 255),), "C": ((0, 255),), "D": ((0, 7999), (8000, 8255)),
        "P": ((0, 127),), "N": ((0, 7),), "V": ((0, 7),), "Z": ((0, 7),),
    },
}
# array sizes the simulator allocates (the largest CPU's ranges)
SIZES = {d: max(hi for _, hi in RANGES["fx3u"][d]) + 1 for d in RANGES["fx3u"]}

OCTAL = frozenset("XY")
BIT_DEVICES = frozenset("XYMSTC")
WORD_DEVICES = frozenset("DTCVZ")
BITS32 = 200  # C200 and up are 32-bit counters: one device holds a 32-bit value

_DIGIT = re.compile(r"^K([1-8])([XYMS])(\d+)$")
_DEVICE = re.compile(r"^([XYMSTCDPNVZ])(\d+)$")
_DEC = re.compile(r"^K([+-]?)(\d+)$")
_HEX = re.compile(r"^H([0-9A-F]+)$")
_BARE_INDEX = re.compile(r"^([VZ])$")
# digits of the longest FX number (K-2147483648, a 32-bit constant). Python refuses int() of
# decimal strings over 4300 digits, and a longer number is out of range anyway; counting the
# leading zeros too keeps every readable operand short (the parse cache holds them).
MAX_DIGITS = 10


def s16(v: int) -> int:
    """`v` as a signed 16-bit word (wraps like the PLC)."""
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


def shown(text: str, limit: int = 24) -> str:
    """Operand text for a message: a megabyte-long operand is not echoed whole."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


@dataclass(frozen=True, slots=True)
class Operand:
    """One parsed operand. `kind` is a device letter, 'K'/'H' for constants, or 'KnX' etc.

    For devices `index` is the device number (X/Y: value of the octal number); for constants it
    is the value; for digit-specified devices `digits` is n and `index` the first bit device.
    """

    text: str
    kind: str
    index: int
    digits: int = 0

    @property
    def base(self) -> str:
        """The device letter whose array holds this operand (KnM -> M)."""
        return self.kind[-1] if self.digits else self.kind

    def canonical(self) -> str:
        """As the decoding grammar writes it: upper case, compact numbers (X010 -> X10)."""
        if self.digits:
            return f"K{self.digits}{device_name(self.base, self.index)}"
        if self.kind == "K":
            return f"K{self.index}"
        if self.kind == "H":
            return f"H{self.index:X}"
        return self.name()

    def value(self, wide: bool = False) -> int:
        """A constant as the instruction reads it: H is a bit pattern, so HFFFF is -1 in a
        16-bit instruction and 65535 in a 32-bit one; K is its value."""
        if self.kind == "H":
            return s32(self.index) if wide else s16(self.index)
        return self.index

    def name(self, offset: int = 0) -> str:
        """Canonical device name of this operand (+offset devices), e.g. Y7+1 -> Y10."""
        return device_name(self.base, self.index + offset)


class OperandError(ValueError):
    """An operand that cannot be read; `code` is the diagnostic code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def device_name(letter: str, index: int) -> str:
    return f"{letter}{index:o}" if letter in OCTAL else f"{letter}{index}"


def _integer(digits: str, base: int, code: str, text: str) -> int:
    """int() of a run of digits, refused (with diagnostic `code`) past MAX_DIGITS digits:
    operand-range for a device number, constant-range for a constant."""
    if len(digits) > MAX_DIGITS:
        what = "device number" if code == "operand-range" else "constant"
        raise OperandError(code, f"{shown(text)}: a {len(digits)}-digit {what} is out of "
                                 f"range (FX numbers have at most {MAX_DIGITS} digits)")
    return int(digits, base)


def _number(letter: str, digits: str, text: str) -> int:
    if letter in OCTAL and any(ch in "89" for ch in digits):
        raise OperandError(
            "octal-digit",
            f"{shown(text)}: {letter} devices are numbered in octal, so digits 8 and 9 do not "
            f"exist (after {letter}7 comes {letter}10)",
        )
    return _integer(digits, 8 if letter in OCTAL else 10, "operand-range", text)


@lru_cache(maxsize=65536)  # operands are immutable: a long program shares one per spelling
def parse_operand(text: str) -> Operand:
    """Parse one operand as written; raises OperandError with a diagnostic code."""
    t = text.upper()
    if m := _DIGIT.match(t):
        letter = m.group(2)
        return Operand(text, "Kn" + letter, _number(letter, m.group(3), text), int(m.group(1)))
    if m := _DEC.match(t):
        sign = -1 if m.group(1) == "-" else 1
        return Operand(text, "K", sign * _integer(m.group(2), 10, "constant-range", text))
    if m := _HEX.match(t):
        return Operand(text, "H", _integer(m.group(1), 16, "constant-range", text))
    if m := _DEVICE.match(t):
        letter = m.group(1)
        return Operand(text, letter, _number(letter, m.group(2), text))
    if m := _BARE_INDEX.match(t):
        return Operand(text, m.group(1), 0)
    raise OperandError("operand-syntax", f"{shown(text)!r} is not an FX device or constant")


def element_size(op: Operand, wide: bool) -> int:
    """Devices one element of `op` takes: a register pair in a 32-bit instruction (a 32-bit
    counter alone holds its value), else one device (K4M0: one group of bits)."""
    return 2 if wide and not op.digits and op.kind in WORD_DEVICES and not (
        op.kind == "C" and op.index >= BITS32) else 1


def last_reached(op: Operand, span: int = 1) -> int:
    """The last device number `span` consecutive elements from `op` reach (K4M0: words of 16
    bits, so K4M0 with span 2 reaches M31)."""
    size = op.digits * 4 if op.digits else 1
    return op.index + size * max(span, 1) - 1


def in_range(op: Operand, cpu: str, span: int = 1) -> bool:
    """Whether the device exists on the CPU, with all the `span` consecutive devices (or, for
    K4M0, words of bits) an instruction reaches from it; constants always do."""
    if op.kind in ("K", "H"):
        return True
    last = last_reached(op, span)
    return any(lo <= op.index and last <= hi for lo, hi in RANGES[cpu][op.base])


def past_end(op: Operand, cpu: str, span: int = 1) -> str | None:
    """Why `span` elements from `op` do not fit on the CPU ("reaches D20009, past D7999"), or
    None when they do: the operation-error message of a count read at run time."""
    if in_range(op, cpu, span):
        return None
    ends = [hi for lo, hi in RANGES[cpu][op.base] if lo <= op.index <= hi]
    if not ends:
        return f"{op.name()} does not exist on {cpu.upper()}"
    return (f"reaches {device_name(op.base, last_reached(op, span))}, "
            f"past {device_name(op.base, ends[0])}")


def range_text(letter: str, cpu: str) -> str:
    return ", ".join(
        f"{device_name(letter, lo)}–{device_name(letter, hi)}" for lo, hi in RANGES[cpu][letter]
    )


def parse_name(name: str, cpu: str = "fx3u") -> Operand:
    """A device named in a test timeline (X0, Y7, D10, T0, C3, M8000) that exists on the CPU."""
    op = parse_operand(name.strip())
    if op.kind not in RANGES[cpu] or op.kind in ("P", "N"):
        raise OperandError("operand-syntax", f"{shown(name)!r} is not a readable FX device")
    if not in_range(op, cpu):
        raise OperandError("operand-range", f"{op.name()} does not exist on {cpu.upper()} "
                                            f"({range_text(op.base, cpu)})")
    return op
