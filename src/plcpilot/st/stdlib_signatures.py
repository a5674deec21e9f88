"""Signatures of the IEC 61131-3 standard functions and function blocks, as data.

One table for every consumer: the checker types calls with it, an interpreter can take its
parameter names and order (SEL's G, IN0, IN1) from it, and docs can list it. Types are
elementary names or the IEC generic names of `GENERICS`; a function's result named after a
generic is "the type its arguments bound that generic to" (MAX(INT, INT) is INT), or some type
of that generic when no parameter has it (SIZEOF). Type
conversions `SRC_TO_DST` (INT_TO_REAL, TIME_TO_DWORD …) are the cross product of
`CONVERTIBLE` and not listed one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

_INTS = ("SINT", "INT", "DINT", "LINT", "USINT", "UINT", "UDINT", "ULINT")
_BITS = ("BOOL", "BYTE", "WORD", "DWORD", "LWORD")
_REALS = ("REAL", "LREAL")
_TIMES = ("TIME", "LTIME", "DATE", "TOD", "TIME_OF_DAY", "DT", "DATE_AND_TIME")
_STRINGS = ("STRING", "WSTRING", "CHAR", "WCHAR")

# IEC 61131-3 (2013) figure 5, the generic type hierarchy: each generic, the elementary types
GENERICS: dict[str, frozenset[str]] = {
    "ANY_INT": frozenset(_INTS),
    "ANY_REAL": frozenset(_REALS),
    "ANY_NUM": frozenset(_INTS + _REALS),
    "ANY_BIT": frozenset(_BITS),
    "ANY_MAGNITUDE": frozenset(_INTS + _REALS + ("TIME", "LTIME")),
    "ANY_STRING": frozenset(_STRINGS),
    "ANY_DATE": frozenset(_TIMES[2:]),
    "ANY_ELEMENTARY": frozenset(_INTS + _BITS + _REALS + _TIMES + _STRINGS),
    "ANY": frozenset(),  # every type, also arrays, structures and FB instances
}

CONVERTIBLE = frozenset(_INTS + _BITS + _REALS + _TIMES + _STRINGS + ("BCD",))


@dataclass(frozen=True)
class Param:
    name: str
    type: str


@dataclass(frozen=True)
class FunctionSig:
    params: tuple[Param, ...]
    returns: str
    variadic: bool = False  # the last parameter may repeat (IN1, IN2, … of ADD, MAX, CONCAT)


@dataclass(frozen=True)
class FbSig:
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]


def _p(spec: str) -> tuple[Param, ...]:
    """`"IN:BOOL PT:TIME"` -> the parameters."""
    return tuple(Param(*item.split(":")) for item in spec.split())


def _f(spec: str, returns: str, variadic: bool = False) -> FunctionSig:
    return FunctionSig(_p(spec), returns, variadic)


_TIMER = FbSig(_p("IN:BOOL PT:TIME"), _p("Q:BOOL ET:TIME"))

FUNCTION_BLOCKS: dict[str, FbSig] = {
    "TON": _TIMER, "TOF": _TIMER, "TP": _TIMER,
    "CTU": FbSig(_p("CU:BOOL R:BOOL PV:INT"), _p("Q:BOOL CV:INT")),
    "CTD": FbSig(_p("CD:BOOL LD:BOOL PV:INT"), _p("Q:BOOL CV:INT")),
    "CTUD": FbSig(_p("CU:BOOL CD:BOOL R:BOOL LD:BOOL PV:INT"), _p("QU:BOOL QD:BOOL CV:INT")),
    "R_TRIG": FbSig(_p("CLK:BOOL"), _p("Q:BOOL")),
    "F_TRIG": FbSig(_p("CLK:BOOL"), _p("Q:BOOL")),
    "SR": FbSig(_p("S1:BOOL R:BOOL"), _p("Q1:BOOL")),
    "RS": FbSig(_p("S:BOOL R1:BOOL"), _p("Q1:BOOL")),
    "RTC": FbSig(_p("IN:BOOL PDT:DT"), _p("Q:BOOL CDT:DT")),
}

_UNARY_REAL = _f("IN:ANY_REAL", "ANY_REAL")

FUNCTIONS: dict[str, FunctionSig] = {
    # arithmetic (ADD and MUL extensible)
    "ADD": _f("IN1:ANY_MAGNITUDE IN2:ANY_MAGNITUDE", "ANY_MAGNITUDE", True),
    "MUL": _f("IN1:ANY_MAGNITUDE IN2:ANY_NUM", "ANY_MAGNITUDE", True),
    "SUB": _f("IN1:ANY_MAGNITUDE IN2:ANY_MAGNITUDE", "ANY_MAGNITUDE"),
    "DIV": _f("IN1:ANY_MAGNITUDE IN2:ANY_NUM", "ANY_MAGNITUDE"),
    "MOD": _f("IN1:ANY_INT IN2:ANY_INT", "ANY_INT"),
    "EXPT": _f("IN1:ANY_REAL IN2:ANY_NUM", "ANY_REAL"),
    "MOVE": _f("IN:ANY", "ANY"),
    "ABS": _f("IN:ANY_NUM", "ANY_NUM"),
    "SQRT": _UNARY_REAL, "LN": _UNARY_REAL, "LOG": _UNARY_REAL, "EXP": _UNARY_REAL,
    "SIN": _UNARY_REAL, "COS": _UNARY_REAL, "TAN": _UNARY_REAL,
    "ASIN": _UNARY_REAL, "ACOS": _UNARY_REAL, "ATAN": _UNARY_REAL,
    "TRUNC": _f("IN:ANY_REAL", "DINT"),
    # comparison (extensible: GT(a, b, c) is a > b AND b > c)
    **dict.fromkeys(("GT", "GE", "EQ", "LE", "LT"),
                    _f("IN1:ANY_ELEMENTARY IN2:ANY_ELEMENTARY", "BOOL", True)),
    "NE": _f("IN1:ANY_ELEMENTARY IN2:ANY_ELEMENTARY", "BOOL"),
    # bitwise and bit shift
    **dict.fromkeys(("AND", "OR", "XOR"), _f("IN1:ANY_BIT IN2:ANY_BIT", "ANY_BIT", True)),
    "NOT": _f("IN:ANY_BIT", "ANY_BIT"),
    **dict.fromkeys(("SHL", "SHR", "ROL", "ROR"), _f("IN:ANY_BIT N:ANY_INT", "ANY_BIT")),
    # selection
    "SEL": _f("G:BOOL IN0:ANY IN1:ANY", "ANY"),
    "MUX": _f("K:ANY_INT IN0:ANY", "ANY", True),
    "LIMIT": _f("MN:ANY_ELEMENTARY IN:ANY_ELEMENTARY MX:ANY_ELEMENTARY", "ANY_ELEMENTARY"),
    "MIN": _f("IN1:ANY_ELEMENTARY IN2:ANY_ELEMENTARY", "ANY_ELEMENTARY", True),
    "MAX": _f("IN1:ANY_ELEMENTARY IN2:ANY_ELEMENTARY", "ANY_ELEMENTARY", True),
    # strings
    "LEN": _f("IN:ANY_STRING", "INT"),
    "LEFT": _f("IN:ANY_STRING L:ANY_INT", "ANY_STRING"),
    "RIGHT": _f("IN:ANY_STRING L:ANY_INT", "ANY_STRING"),
    "MID": _f("IN:ANY_STRING L:ANY_INT P:ANY_INT", "ANY_STRING"),
    "CONCAT": _f("IN1:ANY_STRING IN2:ANY_STRING", "ANY_STRING", True),
    "INSERT": _f("IN1:ANY_STRING IN2:ANY_STRING P:ANY_INT", "ANY_STRING"),
    "DELETE": _f("IN:ANY_STRING L:ANY_INT P:ANY_INT", "ANY_STRING"),
    "REPLACE": _f("IN1:ANY_STRING IN2:ANY_STRING L:ANY_INT P:ANY_INT", "ANY_STRING"),
    "FIND": _f("IN1:ANY_STRING IN2:ANY_STRING", "INT"),
    # references (IEC 3rd edition REF) and the CODESYS operators ADR and SIZEOF, common in
    # real code; POINTER is an address, and SIZEOF's integer type depends on the size
    "REF": _f("IN:ANY", "POINTER"),
    "ADR": _f("IN:ANY", "POINTER"),
    "SIZEOF": _f("IN:ANY", "ANY_INT"),
}
