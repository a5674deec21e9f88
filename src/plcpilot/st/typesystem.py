"""The IEC type system as the ST checker sees it: a `Type` per declared or inferred type, and
the one rule (`conversion`) saying whether a value of one type may go where another is expected.

Integer ranges and the list of elementary types come from `plcpilot.iec`, shared with the test
values and the interpreter. Unknown or unresolvable types are `ANY`, which converts to and from
everything silently: the checker reports a missing type once, where it is declared, and never
again in every expression that uses it.

Implicit conversions follow CODESYS rather than strict IEC, because that is what real programs
(OSCAT among them) are written for:
- integer to a wider integer, integer to REAL/LREAL, REAL to LREAL, an enumeration to or from an
  integer, a pointer to or from an integer: silent;
- integer to a narrower integer (DINT -> INT; sign changes of the same width are silent), LREAL
  to REAL: `narrowing` warning, as CODESYS's "possible loss of data";
- an integer literal outside the target's range: `literal-range` error;
- the integer literals 0 and 1 into BOOL (`b : BOOL := 0;`, common in CODESYS code): silent;
- everything else across kinds (BOOL vs integer, REAL to integer, TIME vs integer, STRING vs
  anything): `type-mismatch` error, a conversion function (REAL_TO_INT, BOOL_TO_INT) is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plcpilot.iec import ELEMENTARY

_DATE_KINDS = {"DATE": "date", "LDATE": "date", "TOD": "tod", "TIME_OF_DAY": "tod",
               "LTOD": "tod", "LTIME_OF_DAY": "tod", "DT": "dt", "DATE_AND_TIME": "dt",
               "LDT": "dt", "LDATE_AND_TIME": "dt"}
NUMERIC = ("int", "real")


@dataclass(frozen=True, eq=False)
class Type:
    """name as shown in messages; kind: bool int real time string date tod dt enum struct
    array fb pointer any. `lo`/`hi`: an integer type's range (None both for an integer literal,
    whose value is checked instead); `element`: an array's element or a pointer's target;
    `members`: a structure's fields (upper-case names); `values`: an enumeration's values."""
    name: str
    kind: str
    lo: int | None = None
    hi: int | None = None
    element: Type | None = None
    members: dict[str, Type] = field(default_factory=dict)
    values: tuple[str, ...] = ()

    @property
    def bits(self) -> int:
        return (self.hi - self.lo).bit_length() if self.hi is not None else 0

    def same(self, other: Type) -> bool:
        return self.name.upper() == other.name.upper()


ANY = Type("ANY", "any")
BOOL = Type("BOOL", "bool")
INT_LITERAL = Type("integer literal", "int")
REAL_LITERAL = Type("real literal", "real")
ADDRESS = Type("POINTER", "pointer")  # what ADR and REF return, as stdlib_signatures names it


def elementary(name: str) -> Type | None:
    """The elementary type of that name (any case); None for other names."""
    key = name.upper()
    kind = ELEMENTARY.get(key)
    if kind is None:
        return None
    if kind.name == "other":
        return Type(key, _DATE_KINDS.get(key, "date"))
    return Type(key, kind.name, kind.lo, kind.hi)


def wider(a: Type, b: Type) -> Type:
    """The type an arithmetic result of two numbers has: REAL over integers, the wider of two
    integers, the named type over a literal (INT + 1 is INT)."""
    if a.kind == "any" or b.kind == "any":
        return ANY
    if "real" in (a.kind, b.kind):
        named = [t for t in (a, b) if t.kind == "real" and t is not REAL_LITERAL]
        return max(named, key=lambda t: t.name == "LREAL") if named else REAL_LITERAL
    if a.hi is None:
        return b
    if b.hi is None:
        return a
    return a if a.bits >= b.bits else b


def conversion(target: Type, source: Type, value: object = None) -> tuple[str, str] | None:
    """Whether a value of `source` (an integer literal's `value` if known) may be stored in
    `target`: None, or (code, reason) with code `narrowing`, `literal-range` or `type-mismatch`
    (the module docstring says which is which)."""
    t, s = target.kind, source.kind
    if "any" in (t, s):
        return None
    if t == "int" and s == "int":
        if source.hi is None:
            if isinstance(value, int) and target.hi is not None and \
                    not target.lo <= value <= target.hi:
                return "literal-range", f"{value} is outside {target.name} ({target.lo}.." \
                                        f"{target.hi})"
            return None
        if target.hi is not None and source.bits > target.bits:
            return "narrowing", f"{source.name} to {target.name} may lose data"
        return None
    if t == s and t in ("enum", "struct", "fb"):
        return None if target.same(source) else _mismatch(target, source)
    if t == s == "array":
        return conversion(target.element, source.element)
    if t == s:
        if t == "real" and target.name == "REAL" and source.name == "LREAL":
            return "narrowing", "LREAL to REAL may lose precision"
        return None
    if t == "bool" and s == "int" and source.hi is None and value in (0, 1):
        return None
    lenient = {("real", "int"), ("enum", "int"), ("int", "enum"), ("pointer", "int"),
               ("int", "pointer")}
    return None if (t, s) in lenient else _mismatch(target, source)


def _mismatch(target: Type, source: Type) -> tuple[str, str]:
    return "type-mismatch", f"{source.name} cannot be stored in {target.name}"
