"""A test's values on a Machine: `set`, `expect` and `hold` with the variable's declared type.

FORMATS.md §1: a value follows the declared type (BOOL true/false or 0/1, integers in the type's
range, REAL within a relative 1e-5, TIME in ms or as an IEC literal, STRING as text); a list is
a whole ARRAY, a mapping the named fields of a STRUCT or FB instance. A machine reads and writes
single values by name (`stack[2]`, `m[1, 0]`, `motor.running`); this module turns lists and
mappings into those names, so every language gets the same rules and the same error messages
instead of each simulator growing its own.

A machine that cannot tell a type (no `type_of`, or None for that name: FX devices) keeps the FX
rules: numbers compare as integers (with the tolerance when either is a float), a bool is
written as 0/1, text compares as text and an IEC duration literal as milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, JsonValue

from plcpilot.errors import PlcPilotError
from plcpilot.iec import (
    ArrayType,
    Kind,
    array_type,
    duration_literal,
    duration_ms,
    elementary,
    is_duration,
)
from plcpilot.taskfile import INT_BITS

if TYPE_CHECKING:
    from plcpilot.spec import Machine, TypedMachine

Scalar = bool | int | float | str  # what Machine.read returns and Machine.write takes
REL_TOL, ABS_TOL = 1e-5, 1e-6  # FORMATS.md: REAL/LREAL within 1e-5 relative, 1e-6 near zero
SHOWN_DIGITS = 7  # a float is reported to 7 digits: any difference over REL_TOL shows in them
INT_RANGE = (-(1 << (INT_BITS - 1)), (1 << INT_BITS) - 1)  # LINT's lowest to ULINT's highest


def _test_value(value: JsonValue, where: str = "") -> JsonValue:
    """A value a test may set or expect (FORMATS.md §1): a bool, an integer as wide as a PLC's
    widest (a machine is never handed a number no variable could hold), a finite number, text,
    a list (an ARRAY) or a mapping (a STRUCT's or FB's fields) of them. Whether it fits the
    variable is for the machine's declared type to say, when the test runs."""
    at = f" at {where}" if where else ""
    if value is None:
        raise ValueError(f"null{at} is not a value: write a bool, number, text, list or mapping")
    if isinstance(value, int) and not isinstance(value, bool):
        lo, hi = INT_RANGE
        if not lo <= value <= hi:
            bound = f"less than or equal to {hi}" if value > hi else \
                f"greater than or equal to {lo}"
            raise ValueError(f"{value}{at} should be {bound} (no PLC integer is wider than "
                             f"{INT_BITS} bits)")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value}{at} is not a finite number")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _test_value(v, f"{where}[{k}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            _test_value(v, f"{where}.{k}")
    return value


Value = Annotated[JsonValue, AfterValidator(_test_value)]


@dataclass(frozen=True)
class Declared:
    """What a machine says about one name, read once per run (types do not change)."""

    text: str | None  # the type as the machine wrote it; None: it cannot tell
    kind: Kind | None  # elementary type with a test form; None: FX rules
    array: ArrayType | None


@dataclass
class Mismatch:
    actual: Any  # the machine's value, shaped like the expected one (JSON data)
    differs: list[str]  # for a list or mapping: the single values that differ, by name


class Values:
    """Set and compare a test's values on one machine, with the types it declares."""

    def __init__(self, machine: Machine | TypedMachine):
        self.machine = machine
        self._type_of: Callable[[str], str | None] | None = getattr(machine, "type_of", None)
        self._declared: dict[str, Declared] = {}

    def set(self, name: str, value: Any) -> None:
        """Write a value: a list every element, a mapping the fields it names."""
        self._each(name, value, lambda path, v, d: self.machine.write(path, coerce(path, v, d)))

    def compare(self, name: str, want: Any) -> Mismatch | None:
        """None when the machine holds the expected value, else what it holds instead.

        Raises PlcPilotError when the expected value cannot be compared at all (its shape or
        type does not fit the variable's declaration)."""
        differs: list[str] = []

        def leaf(path: str, w: Any, d: Declared) -> Any:
            got = self.machine.read(path)
            if not same(path, w, got, d):
                differs.append(path)
            return reported(w, got)
        actual = self._each(name, want, leaf)
        return Mismatch(actual, differs if differs != [name] else []) if differs else None

    def declared(self, name: str) -> Declared:
        if name not in self._declared:
            text = self._type_of(name) if self._type_of else None
            self._declared[name] = Declared(text, _kind(text), _array(name, text))
        return self._declared[name]

    def _each(self, name: str, value: Any, leaf: Callable[[str, Any, Declared], Any]) -> Any:
        """leaf(name, value, declared) for every single value in `value`, named as the machine
        names it; the results in the shape of `value`."""
        d = self.declared(name)
        if isinstance(value, dict):
            if d.text is None or d.array or elementary(d.text):
                raise PlcPilotError(f"{name}: a mapping sets or expects fields of a STRUCT or FB "
                                    f"instance, but {name} {self._is(d)}")
            return {field: self._each(f"{name}.{field}", v, leaf) for field, v in value.items()}
        if isinstance(value, list):
            if d.array is None:
                raise PlcPilotError(f"{name}: a list sets or expects a whole ARRAY, but {name} "
                                    f"{self._is(d)}")
            return self._elements(name, value, d, (), leaf)
        if d.array is not None:
            lo = ", ".join(str(lo) for lo, _ in d.array.dims)
            raise PlcPilotError(f"{name} is declared {d.text}: give {_shape(d.array)}, or name "
                                f"one element, e.g. {name}[{lo}]")
        return leaf(name, value, d)

    def _elements(self, name: str, value: Any, d: Declared, index: tuple[int, ...],
                  leaf: Callable[[str, Any, Declared], Any]) -> list:
        lo, hi = d.array.dims[len(index)]
        if not isinstance(value, list) or len(value) != hi - lo + 1:
            where = f"the list for {name}[{', '.join(map(str, index))}, …]" if index else \
                "the list"
            has = f"has {len(value)} values" if isinstance(value, list) else "is not a list"
            raise PlcPilotError(f"{name} is declared {d.text}: give {_shape(d.array)}; "
                                f"{where} {has}")
        out = []
        for i, v in zip(range(lo, hi + 1), value, strict=True):
            at = (*index, i)
            if len(at) < len(d.array.dims):
                out.append(self._elements(name, v, d, at, leaf))
                continue
            path = f"{name}[{', '.join(map(str, at))}]"
            if path not in self._declared:  # the element type is known: no need to ask
                text = d.array.element
                self._declared[path] = Declared(text, _kind(text), _array(path, text))
            out.append(self._each(path, v, leaf))
        return out

    def _is(self, d: Declared) -> str:
        if d.text is not None:
            return f"is declared {d.text}"
        return "is a single value" if self._type_of is None else "has no type the machine tells"


def _kind(text: str | None) -> Kind | None:
    kind = elementary(text)
    return None if kind is None or kind.name == "other" else kind


def _array(name: str, text: str | None) -> ArrayType | None:
    try:
        return array_type(text)
    except ValueError as e:
        raise PlcPilotError(f"{name}: {e}, so its elements cannot be named") from None


def _shape(array: ArrayType) -> str:
    sizes = [hi - lo + 1 for lo, hi in array.dims]
    return "a list of " + " of ".join([*(f"{n} lists" for n in sizes[:-1]),
                                        f"{sizes[-1]} values"])


def _number(x: Any) -> bool:
    return isinstance(x, int | float)


def coerce(name: str, value: Any, d: Declared) -> Scalar:
    """A test's single value as the machine holds it for the declared type: BOOL a bool, an
    integer type an int in range, REAL a float, TIME milliseconds, STRING text. Without a type:
    a bool as 0/1 (FX bits and registers take them so), anything else as written.

    Raises PlcPilotError naming the variable, its type and what it takes."""
    kind = d.kind
    if kind is None:
        return int(value) if isinstance(value, bool) else value
    if kind.name == "bool":
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        need = "true/false or 0/1"
    elif kind.name == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and kind.lo <= value <= kind.hi:
            return value
        need = f"an integer {kind.lo}..{kind.hi}"
    elif kind.name == "real":
        if _number(value) and not isinstance(value, bool):
            return float(value)
        need = "a number"
    elif kind.name == "time":
        if isinstance(value, str) and is_duration(value):
            try:
                return duration_ms(value)
            except ValueError as e:
                raise PlcPilotError(f"{name} is declared {d.text}: {e}") from None
        if _number(value) and not isinstance(value, bool):
            return value
        need = "milliseconds or an IEC duration literal such as 'T#1s500ms'"
    else:
        if isinstance(value, str):
            return value
        need = "text"
    raise PlcPilotError(f"{name} is declared {d.text}: give {need}, not {brief(value)}")


def same(name: str, want: Any, got: Any, d: Declared) -> bool:
    """Whether the machine's single value `got` is the expected one, by the declared type."""
    if isinstance(got, list):
        raise PlcPilotError(f"{name} is an ARRAY: expect a list, or name one element")
    if isinstance(got, dict):
        raise PlcPilotError(f"{name} is a STRUCT or FB instance: expect a mapping of the fields "
                            "to compare, or name one field")
    if d.kind is None:
        return _same_untyped(name, want, got)
    want = coerce(name, want, d)
    if d.kind.name == "string":
        return want == got
    if not _number(got):
        return False
    if d.kind.name == "real":
        return math.isclose(want, got, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if d.kind.name == "bool":
        return want == bool(got)
    return want == got


def _same_untyped(name: str, want: Any, got: Any) -> bool:
    """The FX rules: integers as integers, floats within the tolerance, text as text."""
    if isinstance(want, str) and _number(got):
        if not is_duration(want):
            raise PlcPilotError(f"{name} holds a number, not text: expect a number (or a "
                                f"duration such as 'T#1s'), not {brief(want)}")
        try:
            want = duration_ms(want)
        except ValueError as e:
            raise PlcPilotError(f"{name}: {e}") from None
    if _number(want) and _number(got):
        if isinstance(want, float) or isinstance(got, float):
            return math.isclose(want, got, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        return int(want) == int(got)
    return want == got


def reported(want: Any, got: Any) -> Any:
    """The machine's single value as a failure reports it: in the form the expected value was
    written (a TIME as a literal when one was expected), a float to SHOWN_DIGITS digits, and
    NaN or an infinity as text (JSON has no number for them)."""
    if isinstance(got, float) and not math.isfinite(got):
        return str(got)
    if isinstance(want, str) and is_duration(want) and _number(got) \
            and not isinstance(got, bool):
        return duration_literal(got)
    return float(f"{got:.{SHOWN_DIGITS}g}") if isinstance(got, float) else got


def shown(value: Any) -> str:
    """A value as a test file would write it: `[1, 2]`, `{running: true, speed: 1.5}`,
    `'text'`, `T#1s`; floats to SHOWN_DIGITS digits. For reports people read."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{SHOWN_DIGITS}g}"
    if isinstance(value, str):
        return value if is_duration(value) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(shown, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def brief(value: Any, limit: int = 60) -> str:
    """shown(), cut for an error message."""
    text = shown(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
