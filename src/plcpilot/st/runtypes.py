"""Run-time ST types for the interpreter: what a declared type means for the values a variable
holds.

Every type knows its declaration text (TypedMachine.type_of), its power-on value and `store`,
which turns any value the program computes into one the variable can hold: integers wrap to
their width, REAL rounds to float32, STRING cuts to its length, ARRAYs and STRUCTs copy (IEC
assigns them by value). Arithmetic runs on unbounded Python ints and on floats and is only
narrowed on store, the way CODESYS computes in registers at least 32 bits wide; IEC leaves
intermediate overflow implementation-defined.

Storage is uniform so that every place a value lives is a (list, index) pair, which is also
what a VAR_IN_OUT reference holds: a POU instance or STRUCT is a list of its fields, an ARRAY a
flat list of its elements in row-major order.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

from plcpilot.iec import ELEMENTARY

_F32 = struct.Struct("<f")


class Type:
    text = "?"
    composite = False  # held in a list of its own (ARRAY, STRUCT, FB instance)

    def default(self) -> Any:
        return 0

    def store(self, value: Any) -> Any:
        return value

    def __repr__(self) -> str:
        return self.text


class IntType(Type):
    """SINT…LINT, USINT…ULINT, BYTE…LWORD. An out-of-range result wraps modulo 2**bits, as
    the two's-complement hardware of every PLC we know does; CODESYS does the same (no overflow
    trap), IEC leaves it implementation-defined."""

    def __init__(self, name: str, lo: int, hi: int):
        self.text, self.lo, self.hi = name, lo, hi
        self.bits = (hi - lo).bit_length()
        self.signed = lo < 0

    def store(self, value: Any) -> int:
        if type(value) is int and self.lo <= value <= self.hi:
            return value
        return self.wrap(value)

    def wrap(self, value: Any) -> int:
        if isinstance(value, float):  # not IEC without a conversion; round as REAL_TO_* does
            value = round(value) if math.isfinite(value) else 0
        value = int(value) & ((1 << self.bits) - 1)
        return value - (1 << self.bits) if self.signed and value > self.hi else value


class BoolType(Type):
    text = "BOOL"

    def default(self) -> bool:
        return False

    def store(self, value: Any) -> bool:
        return bool(value)


class RealType(Type):
    def __init__(self, name: str):
        self.text = name
        self.single = name == "REAL"

    def default(self) -> float:
        return 0.0

    def store(self, value: Any) -> float:
        if self.single:
            try:
                return _F32.unpack(_F32.pack(value))[0]
            except OverflowError:  # beyond float32's range: what the FPU gives
                return math.copysign(math.inf, value)
        return float(value)


class TimeType(Type):
    """TIME and LTIME in milliseconds; a fraction (T#1.5ms, TIME * REAL) rounds to whole ms."""

    def __init__(self, name: str):
        self.text = name

    def store(self, value: Any) -> int:
        return value if type(value) is int else round(value)


class StringType(Type):
    """STRING(n): a longer value is cut to n characters on store, as CODESYS does. Without a
    length CODESYS gives 80."""

    def __init__(self, length: int | None = None, wide: bool = False):
        self.length, self.wide = length or 80, wide
        base = "WSTRING" if wide else "STRING"
        self.text = f"{base}({length})" if length else base  # as declared

    def default(self) -> str:
        return ""

    def store(self, value: Any) -> str:
        value = value if isinstance(value, str) else str(value)
        return value if len(value) <= self.length else value[: self.length]


class OtherType(Type):
    """DATE, TOD, DT: held as given; no arithmetic on them is simulated."""

    def __init__(self, name: str):
        self.text = name


class EnumType(Type):
    """Held as the enumerator's integer; read from outside as the enumerator's name."""

    def __init__(self, name: str, members: dict[str, int], first: int):
        """members: each enumerator as declared, with its value."""
        self.text, self.first = name, first
        self.values = {k.upper(): v for k, v in members.items()}
        self.names = {v: k for k, v in reversed(members.items())}  # the first of equal values

    def default(self) -> int:
        return self.first

    def store(self, value: Any) -> int:
        return int(value)


class ArrayType(Type):
    composite = True

    def __init__(self, dims: list[tuple[int, int]], element: Type):
        self.dims, self.element = dims, element
        self.size = math.prod(hi - lo + 1 for lo, hi in dims)
        bounds = ", ".join(f"{lo}..{hi}" for lo, hi in dims)
        self.text = f"ARRAY[{bounds}] OF {element.text}"

    def default(self) -> list:
        e = self.element
        if e.composite:
            return [e.default() for _ in range(self.size)]
        return [e.default()] * self.size

    def store(self, value: Any) -> list:
        store = self.element.store
        return [store(v) for v in value]


@dataclass(eq=False)
class Slot:
    """One variable of a POU or field of a STRUCT: where it lives in the frame."""

    index: int
    name: str  # as declared
    type: Type
    section: str = "VAR"  # VAR_INPUT, VAR_OUTPUT, VAR_IN_OUT, VAR, VAR_TEMP, RESULT, FIELD
    init: Any = None  # the declared initial value, evaluated; None: the type's default
    constant: bool = False

    @property
    def by_reference(self) -> bool:
        return self.section == "VAR_IN_OUT"

    def power_on(self) -> Any:
        if self.by_reference:  # until a caller binds it: a cell of its own
            return ([self.type.default()], 0)
        if self.init is None:
            return self.type.default()
        return self.type.store(self.init)


@dataclass(eq=False)
class Layout:
    """The variables of a POU instance or the fields of a STRUCT, by upper-case name."""

    slots: dict[str, Slot] = field(default_factory=dict)

    def add(self, name: str, type_: Type, section: str = "VAR", init: Any = None,
            constant: bool = False) -> Slot:
        slot = Slot(len(self.slots), name, type_, section, init, constant)
        self.slots[name.upper()] = slot
        return slot

    def get(self, name: str) -> Slot | None:
        return self.slots.get(name.upper())

    def new_frame(self) -> list:
        return [s.power_on() for s in self.slots.values()]


class StructType(Type):
    composite = True

    def __init__(self, name: str, layout: Layout | None = None):
        self.text, self.layout = name, layout or Layout()

    def default(self) -> list:
        return self.layout.new_frame()

    def store(self, value: Any) -> list:
        return [s.type.store(v) for s, v in zip(self.layout.slots.values(), value, strict=True)]


class FbType(StructType):
    """A FUNCTION_BLOCK (or the PROGRAM under test): its instance is the list of its variables;
    `run(instance)` runs its body once. Set once the body is compiled (a standard FB's is
    Python, see st.stdlib)."""

    def __init__(self, name: str, layout: Layout | None = None, run=None):
        super().__init__(name, layout)
        self.run = run

    def store(self, value: Any) -> list:
        return [s.type.store(v) if not s.by_reference else v
                for s, v in zip(self.layout.slots.values(), value, strict=True)]


def elementary_type(name: str) -> Type | None:
    """The run-time type of an elementary type name (upper case), None if it is not one."""
    kind = ELEMENTARY.get(name)
    if kind is None:
        return None
    if kind.name == "int":
        return IntType(name, kind.lo, kind.hi)
    if kind.name == "bool":
        return BoolType()
    if kind.name == "real":
        return RealType(name)
    if kind.name == "time":
        return TimeType(name)
    if kind.name == "string":
        if name in ("CHAR", "WCHAR"):
            char = StringType(1, name == "WCHAR")
            char.text = name
            return char
        return StringType(None, name == "WSTRING")
    return OtherType(name)


def int_width(t: Type | None, fallback: int = 32) -> int:
    """Bits of an integer type, for SHL/ROL; an untyped literal counts as DWORD."""
    return t.bits if isinstance(t, IntType) else fallback
