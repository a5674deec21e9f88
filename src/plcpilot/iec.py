"""IEC 61131-3 data types and duration literals, as a declared type decides what a value means.

Language-neutral: the behavioural tests (plcpilot.testvalues) coerce and compare values with it,
and an ST/SFC interpreter needs the same table (integer ranges, which types are elementary) and
the same TIME literal reader, so both read one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Kind:
    """What a type's values are, for setting and comparing them."""

    # bool, int, real, time (ms), string; "other": elementary, but no test form is defined for
    # it yet (DATE, TOD, DT), so values are kept as the machine gives them
    name: str
    lo: int | None = None  # "int": the range the type holds
    hi: int | None = None


def _ints() -> dict[str, Kind]:
    signed = {"SINT": 8, "INT": 16, "DINT": 32, "LINT": 64}
    unsigned = {"USINT": 8, "UINT": 16, "UDINT": 32, "ULINT": 64,
                "BYTE": 8, "WORD": 16, "DWORD": 32, "LWORD": 64}
    return ({n: Kind("int", -(1 << (b - 1)), (1 << (b - 1)) - 1) for n, b in signed.items()}
            | {n: Kind("int", 0, (1 << b) - 1) for n, b in unsigned.items()})


ELEMENTARY: dict[str, Kind] = {
    "BOOL": Kind("bool"), **_ints(), "REAL": Kind("real"), "LREAL": Kind("real"),
    "TIME": Kind("time"), "LTIME": Kind("time"),
    **dict.fromkeys(("STRING", "WSTRING", "CHAR", "WCHAR"), Kind("string")),
    **dict.fromkeys(("DATE", "LDATE", "TOD", "LTOD", "TIME_OF_DAY", "LTIME_OF_DAY", "DT", "LDT",
                     "DATE_AND_TIME", "LDATE_AND_TIME"), Kind("other")),
}

_SIZED = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:[\[(]\s*\d+\s*[\])])?\s*$")  # STRING(20), STRING[20]


def elementary(type_name: str | None) -> Kind | None:
    """The kind of an elementary type name as declared (any case, a STRING with its length);
    None for ARRAYs, STRUCTs, FB types, enumerations and unknown names."""
    m = _SIZED.match(type_name or "")
    return ELEMENTARY.get(m.group(1).upper()) if m else None


@dataclass(frozen=True)
class ArrayType:
    dims: tuple[tuple[int, int], ...]  # (lower, upper) bound per dimension
    element: str  # the element's declared type


_ARRAY = re.compile(r"\s*ARRAY\s*\[(.*?)\]\s*OF\s+(.+?)\s*$", re.IGNORECASE | re.DOTALL)
_BOUNDS = re.compile(r"\s*([+-]?\d+)\s*\.\.\s*([+-]?\d+)\s*$")


def array_type(type_name: str | None) -> ArrayType | None:
    """`ARRAY[1..3, 0..1] OF REAL` as bounds and element type; None when not an ARRAY.

    Raises ValueError for an ARRAY whose bounds are not integer literals (`ARRAY[*]`, a named
    constant the machine left unresolved): its elements cannot be named."""
    m = _ARRAY.match(type_name or "")
    if not m:
        return None
    dims = []
    for part in m.group(1).split(","):
        b = _BOUNDS.match(part)
        if not b or int(b.group(1)) > int(b.group(2)):
            raise ValueError(f"the bounds [{m.group(1)}] of {type_name} are not lo..hi integers")
        dims.append((int(b.group(1)), int(b.group(2))))
    return ArrayType(tuple(dims), m.group(2))


# ---- TIME literals -----------------------------------------------------------------------

_UNIT_MS = {"d": Fraction(86_400_000), "h": Fraction(3_600_000), "m": Fraction(60_000),
            "s": Fraction(1000), "ms": Fraction(1), "us": Fraction(1, 1000),
            "ns": Fraction(1, 1_000_000)}
_PREFIX = re.compile(r"(?:L?TIME|L?T)#", re.IGNORECASE)
# at most 24 digits a part: no duration needs more, and Fraction() of a long text is slow
_PART = re.compile(r"(\d[\d_]{0,23}(?:\.\d{1,24})?)(ms|us|ns|d|h|m|s)_?", re.IGNORECASE)
EXAMPLE = "T#1s500ms, TIME#-2.5s, T#1h_30m"


def is_duration(text: str) -> bool:
    """Whether a string is meant as a duration: it starts with T#, TIME#, LT# or LTIME#."""
    return _PREFIX.match(text) is not None


def duration_ms(text: str) -> int | float:
    """The milliseconds an IEC duration literal stands for: `T#1s500ms` is 1500, `T#-0.5s` is
    -500, `T#1.5us` is 0.0015. Units d, h, m, s, ms, us, ns, largest first, each at most once;
    only the last may have a fraction; `_` may separate them.

    Raises ValueError saying what is wrong."""
    prefix = _PREFIX.match(text)
    if prefix is None:
        raise ValueError(f"{text!r} is not an IEC duration literal (it starts with T# or TIME#, "
                         f"e.g. {EXAMPLE})")
    body = text[prefix.end():]
    sign = -1 if body.startswith("-") else 1
    if body[:1] in ("+", "-"):
        body = body[1:]
    total, pos, order = Fraction(0), 0, list(_UNIT_MS)
    last = -1
    while pos < len(body):
        part = _PART.match(body, pos)
        if part is None:
            raise ValueError(f"{text!r} is not an IEC duration literal: cannot read "
                             f"{body[pos:]!r} (e.g. {EXAMPLE})")
        number, unit = part.group(1).replace("_", ""), part.group(2).lower()
        rank = order.index(unit)
        if rank <= last:
            raise ValueError(f"{text!r}: units go from days down to nanoseconds, each once")
        if "." in number and part.end() < len(body):
            raise ValueError(f"{text!r}: only the last unit may have a fraction")
        total += Fraction(number) * _UNIT_MS[unit]
        last, pos = rank, part.end()
    if last < 0:
        raise ValueError(f"{text!r} is not an IEC duration literal: no value after # "
                         f"(e.g. {EXAMPLE})")
    ms = sign * total
    return int(ms) if ms.denominator == 1 else float(ms)


def duration_literal(ms: int | float) -> str:
    """Milliseconds as an IEC duration literal: 1500 is `T#1s500ms`, -60000 is `T#-1m`, 0 is
    `T#0ms`; a fraction of a millisecond stays on the ms."""
    rest = abs(Fraction(ms).limit_denominator(1_000_000))  # ns: 1000.1 stays 1000.1
    parts = []
    for unit in ("d", "h", "m", "s"):
        whole = int(rest // _UNIT_MS[unit])
        if whole:
            parts.append(f"{whole}{unit}")
            rest -= whole * _UNIT_MS[unit]
    if rest or not parts:
        ms_text = f"{float(rest):.6f}".rstrip("0") if rest.denominator > 1 else str(int(rest))
        parts.append(f"{ms_text}ms")
    return f"T#{'-' if ms < 0 else ''}{''.join(parts)}"
