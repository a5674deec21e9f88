"""The ST interpreter: a parsed compilation unit as a spec.TypedMachine (FORMATS.md §1).

`compile_unit(unit, entry)` chooses the POU under test (the entry, else the last PROGRAM,
else the last FUNCTION_BLOCK, else the last FUNCTION), compiles what it reaches once, and
returns a factory: each call powers on a fresh machine with the declared initial values.
A PROGRAM or FUNCTION_BLOCK is one instance called once per scan; a FUNCTION is called once
per scan with the current inputs, its result readable under the function's name.

Tests name single values as the program would: `x`, `arr[2]`, `m[1, 0]`, `s.field`, `fb.Q`,
`t1.ET` (TIME in ms); an enumeration reads as its enumerator's name.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import Any

from plcpilot.errors import PlcPilotError
from plcpilot.st import ast
from plcpilot.st.program import Program
from plcpilot.st.runtypes import (
    ArrayType,
    BoolType,
    EnumType,
    FbType,
    IntType,
    Layout,
    RealType,
    Slot,
    StringType,
    StructType,
    TimeType,
    Type,
)

_PART = re.compile(r"\s*(?:\.\s*([A-Za-z_]\w*)|\[([^\]]*)\])")
_HEAD = re.compile(r"\s*([A-Za-z_]\w*)")
_SIGNAL_ORDER = ("VAR_INPUT", "RESULT", "VAR_OUTPUT", "VAR_IN_OUT", "VAR", "VAR_TEMP")


def entry_pou(unit: ast.CompilationUnit, entry: str | None) -> ast.Pou:
    """The POU under test, FORMATS.md §1 "What runs"."""
    pous = [p for p in unit.pous if p.kind in ("PROGRAM", "FUNCTION_BLOCK", "FUNCTION")]
    if entry is not None:
        want = entry.upper().rsplit(".", 1)[-1]
        for p in pous:
            if p.name.upper() == want:
                return p
        names = ", ".join(p.name for p in pous) or "none"
        raise PlcPilotError(f"entry {entry}: no PROGRAM, FUNCTION_BLOCK or FUNCTION of that "
                            f"name in the source (it has: {names})")
    for kind in ("PROGRAM", "FUNCTION_BLOCK", "FUNCTION"):
        found = [p for p in pous if p.kind == kind]
        if found:
            return found[-1]
    raise PlcPilotError("the source has no PROGRAM, FUNCTION_BLOCK or FUNCTION to run")


def compile_unit(unit: ast.CompilationUnit, entry: str | None = None
                 ) -> Callable[[], StMachine]:
    """Compile the POU under test once; the result powers on a fresh machine per call.
    Raises PlcPilotError for what cannot run (unknown names, recursion, pointers)."""
    program = Program(unit)
    pou = entry_pou(unit, entry)
    if pou.kind == "FUNCTION":
        fn = program.function(pou, pou)
        scan = _function_scan(fn.layout, fn.run)
        layout = fn.layout
    else:
        fb = program.fb_type(pou)
        program.fb_body(fb, pou)
        scan, layout = fb.run, fb.layout
    paths: dict[str, tuple[list, Type]] = {}  # shared by the machines: names resolve once
    return lambda: StMachine(program, pou.name, layout, scan, paths)


def _function_scan(layout: Layout, run: Callable[[list], Any]) -> Callable[[list], Any]:
    """A FUNCTION's scan: outputs, locals and the result start afresh, inputs are kept."""
    fresh = [s for s in layout.slots.values() if s.section not in ("VAR_INPUT", "VAR_IN_OUT")]

    def scan(frame: list) -> Any:
        for s in fresh:
            frame[s.index] = s.power_on()
        return run(frame)
    return scan


class StMachine:
    """One POU instance powered on: spec.TypedMachine."""

    def __init__(self, program: Program, name: str, layout: Layout,
                 run: Callable[[list], Any], paths: dict):
        self.program, self.name, self.layout, self._run = program, name, layout, run
        self.frame = layout.new_frame()
        self.globals = program.globals.new_frame()
        self._notes: list[str] = []
        self._paths = paths

    # -- Machine protocol ------------------------------------------------------------------
    def scan(self, now_ms: int, scan_ms: int) -> None:
        rt = self.program.rt
        rt.now, rt.dt, rt.steps = now_ms, scan_ms, 0
        rt.globals, rt.notes = self.globals, self._notes
        try:
            self._run(self.frame)
        except (TypeError, ValueError, OverflowError, struct.error) as e:
            # an operation on values of the wrong type: the checker's finding, not a crash
            raise rt.fail(self.name, 0, f"an operation got values of the wrong type ({e})"
                          ) from None

    def read(self, name: str) -> Any:
        container, index, t = self._place(name)
        return _plain(container[index], t)

    def write(self, name: str, value: Any) -> None:
        container, index, t = self._place(name)
        head = self.layout.get(_HEAD.match(name).group(1)) or \
            self.program.globals.get(_HEAD.match(name).group(1))
        if head.constant:
            raise PlcPilotError(f"{name} is a CONSTANT: the program's value cannot be set")
        if t.composite:
            raise PlcPilotError(f"{name} is {t.text}: set it as a whole with a list or "
                                "mapping, or name one element or field")
        if isinstance(t, EnumType) and isinstance(value, str):
            if value.upper() not in t.values:
                raise PlcPilotError(f"{name} is {t.text}: give one of "
                                    f"{', '.join(t.names.values())}, not {value!r}")
            value = t.values[value.upper()]
        if not _fits(t, value):
            raise PlcPilotError(f"{name} is {t.text}: {value!r} is not a value of that type")
        container[index] = t.store(value)

    def type_of(self, name: str) -> str | None:
        return self._path(name)[1].text

    @property
    def notes(self) -> list[str]:
        """What the compiled code leaves out (pragmas), then run-time errors, by POU and
        line."""
        return [*self.program.notes, *self._notes]

    def signals(self) -> list[str]:
        """The elementary interface variables for traces: inputs, (result,) outputs, in-outs,
        then locals."""
        slots = [s for s in self.layout.slots.values() if not s.type.composite]
        rank = {k: n for n, k in enumerate(_SIGNAL_ORDER)}
        return [s.name for s in sorted(slots, key=lambda s: rank.get(s.section, 99))]

    # -- names -----------------------------------------------------------------------------
    def _place(self, name: str) -> tuple[list, int, Type]:
        steps, t = self._path(name)
        (root, first, by_ref), rest = steps[0], steps[1:]
        c = self.frame if root == "local" else self.globals
        k = first
        if by_ref:
            c, k = c[k]
        for index, ref in rest:
            c = c[k]
            k = index
            if ref:
                c, k = c[k]
        return c, k, t

    def _path(self, name: str) -> tuple[list, Type]:
        """`m[1, 0].x` as access steps on the machine's frames, resolved once per name."""
        if name in self._paths:
            return self._paths[name]
        head = _HEAD.match(name)
        if head is None:
            raise PlcPilotError(f"{name!r} is not a variable name (e.g. x, arr[2], s.field)")
        slot = self.layout.get(head.group(1))
        root = "local"
        if slot is None:
            slot, root = self.program.globals.get(head.group(1)), "global"
        if slot is None:
            raise self._unknown(name, head.group(1))
        steps: list = [(root, slot.index, slot.by_reference)]
        t, pos = slot.type, head.end()
        while pos < len(name.rstrip()):
            part = _PART.match(name, pos)
            if part is None:
                raise PlcPilotError(f"{name!r}: cannot read {name[pos:]!r} (write x, arr[2], "
                                    "m[1, 0], s.field)")
            if part.group(1):
                slot = _field(name, t, part.group(1))
                steps.append((slot.index, slot.by_reference))
                t = slot.type
            else:
                offset, t = _element(name, t, part.group(2))
                steps.append((offset, False))
            pos = part.end()
        self._paths[name] = (steps, t)
        return steps, t

    def _unknown(self, name: str, head: str) -> PlcPilotError:
        import difflib

        known = [s.name for s in self.layout.slots.values()]
        close = difflib.get_close_matches(head, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return PlcPilotError(f"{name}: {self.name} has no variable {head}.{hint}")


# what a caller may write to a variable of each kind (tests' typed values arrive converted,
# testvalues.py; this guards the Machine API itself): store() then fits it to the type
_KINDS: dict[type, tuple[type, ...]] = {
    IntType: (int,), TimeType: (int,), EnumType: (int,), BoolType: (bool, int),
    RealType: (int, float), StringType: (str,)}


def _fits(t: Type, value: Any) -> bool:
    kinds = _KINDS.get(type(t))
    if kinds is None:
        return True
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds) and (not isinstance(t, BoolType) or value in (0, 1))


def _field(name: str, t: Type, field: str) -> Slot:
    if not isinstance(t, StructType):
        raise PlcPilotError(f"{name}: .{field} names a field, but the value is {t.text}")
    slot = t.layout.get(field)
    if slot is None:
        kind = "FB" if isinstance(t, FbType) else "STRUCT"
        fields = ", ".join(s.name for s in t.layout.slots.values())
        raise PlcPilotError(f"{name}: {kind} {t.text} has no {field} (it has {fields})")
    return slot


def _element(name: str, t: Type, text: str) -> tuple[int, Type]:
    if not isinstance(t, ArrayType):
        raise PlcPilotError(f"{name}: [{text}] names an element, but the value is {t.text}")
    try:
        indexes = [int(i) for i in text.split(",")]
    except ValueError:
        raise PlcPilotError(f"{name}: indexes are integers, e.g. {name.split('[')[0]}"
                            f"[{t.dims[0][0]}]") from None
    if len(indexes) != len(t.dims):
        raise PlcPilotError(f"{name}: {t.text} takes {len(t.dims)} index(es)")
    offset = 0
    for i, (lo, hi) in zip(indexes, t.dims, strict=True):
        if not lo <= i <= hi:
            raise PlcPilotError(f"{name}: index {i} is outside {lo}..{hi} ({t.text})")
        offset = offset * (hi - lo + 1) + (i - lo)
    return offset, t.element


def _plain(value: Any, t: Type) -> Any:
    """A value as a test reads it: an enumerator's name, an ARRAY as (nested) lists, a STRUCT
    or FB instance as a mapping of its fields."""
    if isinstance(t, EnumType):
        return t.names.get(value, value)
    if isinstance(t, ArrayType):
        flat = [_plain(v, t.element) for v in value]
        for lo, hi in reversed(t.dims[1:]):
            n = hi - lo + 1
            flat = [flat[k:k + n] for k in range(0, len(flat), n)]
        return flat
    if isinstance(t, StructType):
        return {s.name: _plain(value[s.index] if not s.by_reference
                               else value[s.index][0][value[s.index][1]], s.type)
                for s in t.layout.slots.values()}
    return value

