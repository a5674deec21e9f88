"""IEC 61131-3 standard function blocks and functions, as the interpreter runs them.

One table each (STYLE.md 7): `standard_fbs` gives the FB types (TON … RS) with their variables
and a Python body; `FUNCTIONS` maps a function name to its parameter names and a factory that,
given the static types of the arguments, returns the Python callable and the result type, so
width-dependent functions (SHL, ROL) and conversions pick their behaviour once, at compile
time. The operators of expressions (`/`, MOD, `**`) use the same callables as DIV, MOD, EXPT.

Choices where IEC leaves room, and what CODESYS does:
- REAL_TO_<int> rounds to the nearest integer, ties to even (IEC 60559's default rounding; the
  CODESYS manual's example REAL_TO_INT(-1.5) = -2 agrees); TRUNC cuts toward zero.
- Integer `/` truncates toward zero; MOD takes the dividend's sign (IN1 - (IN1 / IN2) * IN2).
  Integer division or MOD by zero is a run-time error (CODESYS raises a division exception);
  REAL division by zero gives ±inf or NaN (IEEE 754, as the FPU does).
- SQRT, LN … outside their domain give NaN, overflow gives ±inf (IEEE 754), never an error.
- Timers advance by the scan's elapsed time: a TON whose IN is on in the scan starting at t
  has ET = t + scan_ms - (start of the first such scan), so with 10 ms scans TON(PT := T#100ms)
  is on after the scan that starts at 90 ms, the same count as an FX timer coil. Every timer
  counts the scan in progress, so a TP(PT := T#80ms) started in the scan at 0 ms is on for
  the scans starting 0..60 ms and off from the one at 70 ms; tests check away from edges.
- F_TRIG fires on a falling edge only: its edge memory starts as "CLK was FALSE", so the first
  call with CLK FALSE gives no pulse (the IEC 2nd edition's text, M := FALSE and
  Q := NOT CLK AND NOT M, gives one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plcpilot.iec import duration_literal
from plcpilot.st.runtime import Runtime
from plcpilot.st.runtypes import (
    BoolType,
    FbType,
    IntType,
    Layout,
    RealType,
    StringType,
    TimeType,
    Type,
    elementary_type,
    int_width,
)

# ---- operators and arithmetic ------------------------------------------------------------


def div(a: Any, b: Any) -> Any:
    """IEC `/`: truncating for integers (ZeroDivisionError for 0), IEEE 754 for REALs."""
    if type(a) is float or type(b) is float:
        if b == 0:
            return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * \
                math.copysign(1.0, b)
        return a / b
    q = a // b
    return q + 1 if q < 0 and q * b != a else q


def mod(a: Any, b: Any) -> Any:
    """IEC MOD: the remainder takes the dividend's sign; ZeroDivisionError for 0."""
    if type(a) is float or type(b) is float:
        if b == 0:
            raise ZeroDivisionError
        return math.fmod(a, b)
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def expt(a: Any, b: Any) -> Any:
    """EXPT / `**`: integers stay integers for a non-negative integer exponent."""
    if type(a) is int and type(b) is int and b >= 0:
        return a ** b
    return _ieee(math.pow)(a, b)


def _ieee(fn: Callable) -> Callable:
    """A math function with IEEE 754 results instead of Python's exceptions."""
    def safe(*args: Any) -> float:
        try:
            return fn(*args)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf
        except ZeroDivisionError:
            return math.inf
    return safe


# ---- standard functions --------------------------------------------------------------------

Make = Callable[[list[Type | None]], tuple[Callable, Type | None]]
LREAL = RealType("LREAL")
INT = elementary_type("INT")
DINT = elementary_type("DINT")
BOOL = BoolType()
STRING = StringType()


@dataclass(frozen=True)
class StdFunction:
    params: tuple[str, ...] | None  # None: extensible (IN1, IN2, … / IN0, IN1, …)
    make: Make
    first_index: int = 1  # extensible inputs are named from IN1 (MUX: IN0)


def _first_typed(types: list[Type | None]) -> Type | None:
    return next((t for t in types if t is not None), None)


def _same(fn: Callable) -> Make:
    """Result of the arguments' type (ADD of INTs is INT)."""
    return lambda types: (fn, _first_typed(types))


def _real(fn: Callable) -> Make:
    """A REAL function: LREAL unless the argument is REAL."""
    def make(types: list[Type | None]) -> tuple[Callable, Type | None]:
        t = types[0] if isinstance(types[0], RealType) else LREAL
        return _ieee(fn), t
    return make


def _fixed(fn: Callable, result: Type) -> Make:
    return lambda types: (fn, result)


def _chain(op: Callable[[Any, Any], bool]) -> Callable:
    """GT(a, b, c) is a > b AND b > c (IEC's extensible comparison)."""
    def compare(*xs: Any) -> bool:
        return all(op(x, y) for x, y in zip(xs, xs[1:], strict=False))
    return compare


def _fold(op: Callable[[Any, Any], Any]) -> Callable:
    def folded(*xs: Any) -> Any:
        acc = xs[0]
        for x in xs[1:]:
            acc = op(acc, x)
        return acc
    return folded


def _shift(kind: str) -> Make:
    """SHL, SHR, ROL, ROR on the bits of the first argument's type (DWORD for a literal)."""
    def make(types: list[Type | None]) -> tuple[Callable, Type | None]:
        bits = int_width(types[0])
        mask = (1 << bits) - 1

        def shl(x: int, n: int) -> int:
            return (x << n) & mask

        def shr(x: int, n: int) -> int:
            return (x & mask) >> n

        def rol(x: int, n: int) -> int:
            n %= bits
            x &= mask
            return ((x << n) | (x >> (bits - n))) & mask

        def ror(x: int, n: int) -> int:
            return rol(x, bits - n % bits)
        return {"SHL": shl, "SHR": shr, "ROL": rol, "ROR": ror}[kind], types[0]
    return make


def _not(types: list[Type | None]) -> tuple[Callable, Type | None]:
    return (lambda x: not x if type(x) is bool else ~x), types[0]


def _mux(k: int, *xs: Any) -> Any:
    if not 0 <= k < len(xs):
        raise IndexError(f"MUX selector K = {k} has no input IN{k} (IN0..IN{len(xs) - 1})")
    return xs[k]


def _mid(s: str, length: int, pos: int) -> str:
    return s[max(pos - 1, 0): max(pos - 1, 0) + max(length, 0)]


def _find(s: str, sub: str) -> int:
    return s.find(sub) + 1


FUNCTIONS: dict[str, StdFunction] = {
    "ADD": StdFunction(None, _same(_fold(lambda a, b: a + b))),
    "MUL": StdFunction(None, _same(_fold(lambda a, b: a * b))),
    "SUB": StdFunction(("IN1", "IN2"), _same(lambda a, b: a - b)),
    "DIV": StdFunction(("IN1", "IN2"), _same(div)),
    "MOD": StdFunction(("IN1", "IN2"), _same(mod)),
    "EXPT": StdFunction(("IN1", "IN2"), _same(expt)),
    "MOVE": StdFunction(("IN",), _same(lambda x: x)),
    "ABS": StdFunction(("IN",), _same(abs)),
    "SQRT": StdFunction(("IN",), _real(math.sqrt)),
    "LN": StdFunction(("IN",), _real(math.log)),
    "LOG": StdFunction(("IN",), _real(math.log10)),
    "EXP": StdFunction(("IN",), _real(math.exp)),
    "SIN": StdFunction(("IN",), _real(math.sin)),
    "COS": StdFunction(("IN",), _real(math.cos)),
    "TAN": StdFunction(("IN",), _real(math.tan)),
    "ASIN": StdFunction(("IN",), _real(math.asin)),
    "ACOS": StdFunction(("IN",), _real(math.acos)),
    "ATAN": StdFunction(("IN",), _real(math.atan)),
    "TRUNC": StdFunction(("IN",), _fixed(lambda x: int(x) if math.isfinite(x) else 0, DINT)),
    "GT": StdFunction(None, _fixed(_chain(lambda a, b: a > b), BOOL)),
    "GE": StdFunction(None, _fixed(_chain(lambda a, b: a >= b), BOOL)),
    "EQ": StdFunction(None, _fixed(_chain(lambda a, b: a == b), BOOL)),
    "LT": StdFunction(None, _fixed(_chain(lambda a, b: a < b), BOOL)),
    "LE": StdFunction(None, _fixed(_chain(lambda a, b: a <= b), BOOL)),
    "NE": StdFunction(("IN1", "IN2"), _fixed(lambda a, b: a != b, BOOL)),
    "AND": StdFunction(None, _same(_fold(lambda a, b: a & b))),
    "OR": StdFunction(None, _same(_fold(lambda a, b: a | b))),
    "XOR": StdFunction(None, _same(_fold(lambda a, b: a ^ b))),
    "NOT": StdFunction(("IN",), _not),
    "SHL": StdFunction(("IN", "N"), _shift("SHL")),
    "SHR": StdFunction(("IN", "N"), _shift("SHR")),
    "ROL": StdFunction(("IN", "N"), _shift("ROL")),
    "ROR": StdFunction(("IN", "N"), _shift("ROR")),
    "SEL": StdFunction(("G", "IN0", "IN1"), lambda t: (lambda g, a, b: b if g else a,
                                                       _first_typed(t[1:]))),
    "MUX": StdFunction(None, lambda t: (_mux, _first_typed(t[1:])), first_index=0),
    "LIMIT": StdFunction(("MN", "IN", "MX"), _same(lambda lo, x, hi: min(max(x, lo), hi))),
    "MIN": StdFunction(None, _same(min)),
    "MAX": StdFunction(None, _same(max)),
    "LEN": StdFunction(("IN",), _fixed(len, INT)),
    "LEFT": StdFunction(("IN", "L"), _fixed(lambda s, n: s[: max(n, 0)], STRING)),
    "RIGHT": StdFunction(("IN", "L"), _fixed(lambda s, n: s[len(s) - n:] if n > 0 else "",
                                             STRING)),
    "MID": StdFunction(("IN", "L", "P"), _fixed(_mid, STRING)),
    "CONCAT": StdFunction(None, _fixed(lambda *xs: "".join(xs), STRING)),
    "FIND": StdFunction(("IN1", "IN2"), _fixed(_find, INT)),
    "INSERT": StdFunction(("IN1", "IN2", "P"), _fixed(lambda a, b, p: a[:p] + b + a[p:],
                                                      STRING)),
    "DELETE": StdFunction(("IN", "L", "P"), _fixed(
        lambda s, n, p: s[: max(p - 1, 0)] + s[max(p - 1, 0) + n:], STRING)),
    "REPLACE": StdFunction(("IN1", "IN2", "L", "P"), _fixed(
        lambda a, b, n, p: a[: max(p - 1, 0)] + b + a[max(p - 1, 0) + n:], STRING)),
}


# ---- type conversions ----------------------------------------------------------------------

_CONVERSION = re.compile(r"(?:([A-Z_]+?)_)?TO_([A-Z]+)$")


def conversion(name: str) -> StdFunction | None:
    """`INT_TO_REAL`, `REAL_TO_INT`, `TIME_TO_DINT`, CODESYS's `TO_INT`; None for other names.
    The value goes through the target type's store, so a too-large integer wraps."""
    m = _CONVERSION.match(name)
    target = elementary_type(m.group(2)) if m else None
    if target is None or (m.group(1) and elementary_type(m.group(1)) is None
                          and m.group(1) != "TRUNC"):
        return None
    truncate = m.group(1) == "TRUNC"

    def make(types: list[Type | None]) -> tuple[Callable, Type | None]:
        source = types[0]
        store = target.store
        if isinstance(target, IntType):
            def to_int(x: Any) -> int:
                if isinstance(x, float):
                    x = (int(x) if truncate else round(x)) if math.isfinite(x) else 0
                elif isinstance(x, str):
                    x = _parse_number(x, int)
                return store(int(x))
            return to_int, target
        if isinstance(target, RealType):
            return (lambda x: store(_parse_number(x, float) if isinstance(x, str) else x)), target
        if isinstance(target, BoolType):
            return (lambda x: x.strip().upper() == "TRUE" if isinstance(x, str) else x != 0), target
        if isinstance(target, TimeType):
            return (lambda x: store(x)), target
        if isinstance(target, StringType):
            return (lambda x: _text(x, source)), target
        return (lambda x: x), target
    return StdFunction(("IN",), make)


def _parse_number(text: str, kind: type) -> Any:
    try:
        return kind(text.strip().replace("_", ""))
    except ValueError:
        return kind(0)


def _text(x: Any, source: Type | None) -> str:
    """*_TO_STRING: TRUE/FALSE, digits, a REAL to its 7 significant digits, a TIME literal."""
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(source, TimeType):
        return duration_literal(x)
    if isinstance(x, float):
        return f"{x:.7g}" if isinstance(source, RealType) and source.single else repr(x)
    return str(x)


def standard_function(name: str) -> StdFunction | None:
    return FUNCTIONS.get(name) or conversion(name)


# ---- standard function blocks ------------------------------------------------------------------

CTR_MAX, CTR_MIN = 32767, -32768  # CV is INT (IEC 61131-3 CTU/CTD/CTUD)


def standard_fbs(rt: Runtime) -> dict[str, FbType]:
    """The standard FB types, their bodies reading this program's Runtime for the clock."""
    b, t, i = BoolType(), TimeType("TIME"), INT
    fbs: dict[str, FbType] = {}

    def fb(name: str, inputs: dict[str, Type], outputs: dict[str, Type],
           memory: dict[str, Type]) -> Callable[[Callable], None]:
        layout = Layout()
        for section, names in (("VAR_INPUT", inputs), ("VAR_OUTPUT", outputs), ("VAR", memory)):
            for n, ty in names.items():
                layout.add(n, ty, section)

        def register(body: Callable) -> None:
            fbs[name] = FbType(name, layout, body)
        return register

    @fb("TON", {"IN": b, "PT": t}, {"Q": b, "ET": t}, {"START": t, "M": b})
    def ton(f: list) -> None:
        if f[0]:
            if not f[5]:
                f[4] = rt.now
            et, pt = rt.now + rt.dt - f[4], f[1]
            f[3], f[2] = min(et, pt), et >= pt
        else:
            f[2], f[3] = False, 0
        f[5] = f[0]

    @fb("TOF", {"IN": b, "PT": t}, {"Q": b, "ET": t}, {"START": t, "M": b})
    def tof(f: list) -> None:
        if f[0]:
            f[2], f[3] = True, 0
        else:
            if f[5]:
                f[4] = rt.now
            if f[2]:
                et, pt = rt.now + rt.dt - f[4], f[1]
                f[3], f[2] = min(et, pt), et < pt
        f[5] = f[0]

    @fb("TP", {"IN": b, "PT": t}, {"Q": b, "ET": t}, {"START": t, "M": b})
    def tp(f: list) -> None:
        if f[0] and not f[5] and not f[2]:
            f[2], f[4] = True, rt.now
        if f[2]:
            et, pt = rt.now + rt.dt - f[4], f[1]
            f[3], f[2] = min(et, pt), et < pt
        elif not f[0]:
            f[3] = 0
        f[5] = f[0]

    @fb("CTU", {"CU": b, "R": b, "PV": i}, {"Q": b, "CV": i}, {"M": b})
    def ctu(f: list) -> None:
        if f[1]:
            f[4] = 0
        elif f[0] and not f[5] and f[4] < CTR_MAX:
            f[4] += 1
        f[3], f[5] = f[4] >= f[2], f[0]

    @fb("CTD", {"CD": b, "LD": b, "PV": i}, {"Q": b, "CV": i}, {"M": b})
    def ctd(f: list) -> None:
        if f[1]:
            f[4] = f[2]
        elif f[0] and not f[5] and f[4] > CTR_MIN:
            f[4] -= 1
        f[3], f[5] = f[4] <= 0, f[0]

    @fb("CTUD", {"CU": b, "CD": b, "R": b, "LD": b, "PV": i}, {"QU": b, "QD": b, "CV": i},
        {"MU": b, "MD": b})
    def ctud(f: list) -> None:
        up, down = f[0] and not f[8], f[1] and not f[9]
        if f[2]:
            f[7] = 0
        elif f[3]:
            f[7] = f[4]
        elif not (up and down):
            if up and f[7] < CTR_MAX:
                f[7] += 1
            elif down and f[7] > CTR_MIN:
                f[7] -= 1
        f[5], f[6], f[8], f[9] = f[7] >= f[4], f[7] <= 0, f[0], f[1]

    @fb("R_TRIG", {"CLK": b}, {"Q": b}, {"M": b})
    def r_trig(f: list) -> None:
        f[1], f[2] = f[0] and not f[2], f[0]

    @fb("F_TRIG", {"CLK": b}, {"Q": b}, {"M": b})
    def f_trig(f: list) -> None:
        f[1], f[2] = f[2] and not f[0], f[0]

    @fb("SR", {"S1": b, "R": b}, {"Q1": b}, {})
    def sr(f: list) -> None:
        f[2] = f[0] or (not f[1] and f[2])

    @fb("RS", {"S": b, "R1": b}, {"Q1": b}, {})
    def rs(f: list) -> None:
        f[2] = not f[1] and (f[0] or f[2])

    return fbs
