"""FX devices: operand parsing and the device ranges of each CPU model.

X/Y are numbered in octal (X10 is the ninth input); both compact (X0) and GX Works' zero-padded
(X000) spellings are accepted. Digit-specified bit devices (K4M0: 16 bits from M0) read and write
words. Ranges follow the FX3U / FX2N programming manuals (FX_SEMANTICS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_DIGIT = re.compile(r"^K([1-8])([XYMS])(\d+)$")
_DEVICE = re.compile(r"^([XYMSTCDPNVZ])(\d+)$")
_DEC = re.compile(r"^K([+-]?\d+)$")
_HEX = re.compile(r"^H([0-9A-F]+)$")
_BARE_INDEX = re.compile(r"^([VZ])$")


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


def _number(letter: str, digits: str, text: str) -> int:
    if letter in OCTAL:
        if any(ch in "89" for ch in digits):
            raise OperandError(
                "octal-digit",
                f"{text}: {letter} devices are numbered in octal, so digits 8 and 9 do not exist "
                f"(after {letter}7 comes {letter}10)",
            )
        return int(digits, 8)
    return int(digits)


def parse_operand(text: str) -> Operand:
    """Parse one operand as written; raises OperandError with a diagnostic code."""
    t = text.upper()
    if m := _DIGIT.match(t):
        letter = m.group(2)
        return Operand(text, "Kn" + letter, _number(letter, m.group(3), text), int(m.group(1)))
    if m := _DEC.match(t):
        return Operand(text, "K", int(m.group(1)))
    if m := _HEX.match(t):
        return Operand(text, "H", int(m.group(1), 16))
    if m := _DEVICE.match(t):
        letter = m.group(1)
        return Operand(text, letter, _number(letter, m.group(2), text))
    if m := _BARE_INDEX.match(t):
        return Operand(text, m.group(1), 0)
    raise OperandError("operand-syntax", f"{text!r} is not an FX device or constant")


def in_range(op: Operand, cpu: str, span: int = 1) -> bool:
    """Whether the device exists on the CPU, with all the `span` consecutive devices (or, for
    K4M0, words of bits) an instruction reaches from it; constants always do."""
    if op.kind in ("K", "H"):
        return True
    size = op.digits * 4 if op.digits else 1
    last = op.index + size * max(span, 1) - 1
    return any(lo <= op.index and last <= hi for lo, hi in RANGES[cpu][op.base])


def range_text(letter: str, cpu: str) -> str:
    return ", ".join(
        f"{device_name(letter, lo)}–{device_name(letter, hi)}" for lo, hi in RANGES[cpu][letter]
    )


def parse_name(name: str) -> Operand:
    """A device named in a test timeline (X0, Y7, D10, T0, C3, M8000)."""
    op = parse_operand(name.strip())
    if op.kind not in RANGES["fx3u"] or op.kind in ("P", "N"):
        raise OperandError("operand-syntax", f"{name!r} is not a readable FX device")
    return op
