"""A Lark grammar for FX IL, generated from the instruction table, for constrained decoding.

It encodes what the checker checks where a context-free grammar can: a program is networks that
start with a load; ANB/ORB blocks and MPS/MRD/MPP branches are balanced (they nest, so a CFG
says it exactly); each mnemonic takes its operand classes with the CPU's device ranges; STL steps
close with RET; END comes last. What it cannot say (double coils, MC level order, pointers that
exist) stays the checker's job. Output is canonical: one instruction per line, one space between
fields, compact device numbers (X10, not X010).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from plcpilot.fxil.devices import OCTAL, RANGES
from plcpilot.fxil.instructions import (
    LOAD,
    MODIFY,
    OUTPUT,
    PARALLEL,
    SERIES,
    SRC,
    Instr,
    table_for,
)

_DIGITS = "0123456789"


def _fmt(n: int, base: int) -> str:
    return format(n, "o") if base == 8 else str(n)


def _same_length(a: str, b: str, base: int) -> list[str]:
    """Regex alternatives for the numbers a..b written with the same number of digits."""
    if not a:
        return [""]
    top = _DIGITS[base - 1]
    if a[0] == b[0]:
        return [a[0] + rest for rest in _same_length(a[1:], b[1:], base)]
    n = len(a) - 1
    lo, hi = int(a[0]), int(b[0])
    head, tail = [], []
    if a[1:] != "0" * n:
        head = [a[0] + rest for rest in _same_length(a[1:], top * n, base)]
        lo += 1
    if b[1:] != top * n:
        tail = [b[0] + rest for rest in _same_length("0" * n, b[1:], base)]
        hi -= 1
    middle = []
    if lo <= hi:
        first = _DIGITS[lo] if lo == hi else f"[{lo}-{hi}]"
        middle = [first + (f"[0-{top}]" + (f"{{{n}}}" if n > 1 else "") if n else "")]
    return head + middle + tail


def _range_parts(lo: int, hi: int, base: int) -> list[tuple[int, str]]:
    """(digits, regex) alternatives for lo..hi, one group per number of digits."""
    parts: list[tuple[int, str]] = []
    a, b = _fmt(lo, base), _fmt(hi, base)
    for width in range(len(a), len(b) + 1):
        start = lo if width == len(a) else base ** (width - 1)
        stop = hi if width == len(b) else base**width - 1
        parts += [(width, p) for p in _same_length(_fmt(start, base), _fmt(stop, base), base)]
    return parts


def _by_width(parts: list[tuple[int, str]]) -> str:
    # longest numbers first: a regex engine takes the first alternative that matches, and
    # "K1" must not win over "K10"
    return "(?:" + "|".join(p for _, p in sorted(parts, key=lambda wp: -wp[0])) + ")"


def range_regex(lo: int, hi: int, base: int = 10) -> str:
    """A regex matching exactly the numbers lo..hi (no leading zeros), in base 10 or 8."""
    return _by_width(_range_parts(lo, hi, base))


def _device_regex(letter: str, cpu: str, span: int = 1) -> str:
    """Devices whose `span` consecutive devices all exist (a 32-bit pair, CMP's three bits)."""
    base = 8 if letter in OCTAL else 10
    return letter + _by_width([p for lo, hi in RANGES[cpu][letter] if hi - span + 1 >= lo
                               for p in _range_parts(lo, hi - span + 1, base)])


# "X0", "K4Y0" (a digit-specified group starts at a named device) and ranges "X0–X7",
# "X0 to X7", "Y0..Y7", octal as FX numbers its inputs and outputs; no FX input or output has
# more than three digits, so a range names at most 512 devices whatever the request says
_IO = re.compile(r"(?<![A-Za-z0-9])(?:K\d)?([XY])([0-7]{1,3})\b")
_IO_RANGE = re.compile(r"\b([XY])([0-7]{1,3})\s*(?:-|–|to|\.\.)\s*\1?([0-7]{1,3})\b")


def named_io(request: str) -> dict[str, frozenset[int]]:
    """The inputs (X) and outputs (Y) a request names, by letter; a letter it never names is
    absent. Every reference of the shipped FX tasks uses only devices its prompt names so."""
    found: dict[str, set[int]] = {}
    for letter, number in _IO.findall(request):
        found.setdefault(letter, set()).add(int(number, 8))
    for letter, lo, hi in _IO_RANGE.findall(request):
        found.setdefault(letter, set()).update(range(int(lo, 8), int(hi, 8) + 1))
    return {letter: frozenset(numbers) for letter, numbers in found.items()}


def _named_regex(letter: str, numbers: Collection[int], cpu: str, span: int) -> str | None:
    """Only the named devices that exist and start `span` named devices in a row (None: no
    such device, the operand keeps the CPU's range)."""
    exists = {n for lo, hi in RANGES[cpu][letter] for n in range(lo, hi + 1)}
    usable = sorted((n for n in numbers if all(m in numbers and m in exists
                                               for m in range(n, n + span))),
                    key=lambda n: -len(format(n, "o")))  # longest first, as _by_width does
    return letter + "(?:" + "|".join(format(n, "o") for n in usable) + ")" if usable else None


def _terminals(cpu: str, wide: bool, word_span: int = 1, bit_span: int = 1,
               io: Mapping[str, Collection[int]] | None = None) -> dict[str, str]:
    """Operand kind -> regex for this CPU. K/H/Kn depend on the operand width; devices leave
    room for the consecutive words/bits the instruction reaches (the checker's operand spans).
    `io`: X/Y numbers a contact or coil may name (named_io); digit-specified groups (K4X0)
    keep the CPU's ranges."""
    t = {k: _device_regex(k, cpu, word_span if k in "DTCVZ" else bit_span if k in "XYMS" else 1)
         for k in "XYMSTCDPNVZ"}
    for letter, numbers in (io or {}).items():
        t[letter] = _named_regex(letter, numbers, cpu, bit_span) or t[letter]
    bits = 32 if wide else 16
    t["K"] = f"K(?:{range_regex(0, 2 ** (bits - 1) - 1)}|-{range_regex(1, 2 ** (bits - 1))})"
    t["H"] = f"H[0-9A-F]{{1,{bits // 4}}}"
    digits = "[1-8]" if wide else "[1-4]"
    for k in "XYMS":  # K8M0 reaches 32 bits: leave room for the widest
        t["Kn" + k] = f"K{digits}{_device_regex(k, cpu, 32)}"
    return t


# counts in generated programs (SFTL n1/n2, BMOV/FMOV n, DECO/ENCO n) stay small, so the
# devices they reach from can be bounded in a regex
MAX_COUNT, MAX_CODE_BITS = 16, 4
SPANNING = frozenset({"sft", "bmov", "fmov", "deco", "enco"})


def _count_range(i: Instr, n: int, wide: bool) -> tuple[int, int] | None:
    """The constants the grammar writes for count operand n: inside every limit of the table
    that may apply to it whatever the devices (DECO n <= 4 fits a word and a bit destination),
    at least 1 (a count of 0 does nothing) and small where it sizes a span. None: not a count."""
    limits = [lim for lim in i.limits if lim.operand == n
              and (lim.when not in ("16", "32") or lim.applies((), wide))]
    if not limits:
        return None
    cap = (MAX_CODE_BITS if i.sem in ("deco", "enco") else MAX_COUNT if i.sem in SPANNING
           else min(lim.hi for lim in limits))
    return max(1, *(lim.lo for lim in limits)), min(cap, *(lim.hi for lim in limits))


def _count_terminal(ops: _Operands, lo: int, hi: int, capped: bool) -> str:
    """A terminal for a count K lo..hi; `capped`: followed by a second count of at most the
    first (SFTL n1 n2, n2 <= n1), which a pair of independent terminals could not say."""
    name = f"COUNT{'S' if capped else ''}{lo}_{hi}"
    if capped:
        ops.regex.setdefault(name, "|".join(f"K{v} K{range_regex(lo, v)}"
                                            for v in range(hi, lo - 1, -1)))
    else:
        ops.regex.setdefault(name, f"K{range_regex(lo, hi)}")
    return name


def _spans(i: Instr, wide: bool, n: int) -> tuple[int, int]:
    """(word span, bit span) of operand n, at most, in a generated program."""
    words = 2 if wide else 1
    if i.sem == "arith" and n == 2 and i.attrs["op"] in "*/":
        return (4 if wide else 2), 1
    if i.sem in ("cmp", "zcp") and n == len(i.operands) - 1:
        return 1, 3
    if i.sem in SPANNING:
        return MAX_COUNT * words, MAX_COUNT
    return words, 1


class _Operands:
    """Named terminals, one per (operand classes, width): the grammar names each regex once."""

    def __init__(self, cpu: str, io: Mapping[str, Collection[int]] | None = None):
        self.cpu = cpu
        self.io = io
        self.names: dict[tuple, str] = {}
        self.regex: dict[str, str] = {}

    def __call__(self, kinds: frozenset[str] | str, wide: bool = False,
                 spans: tuple[int, int] = (1, 1)) -> str:
        kinds = frozenset([kinds]) if isinstance(kinds, str) else kinds
        key = (kinds, wide, spans)
        if key not in self.names:
            t = _terminals(self.cpu, wide, *spans, io=self.io)
            name = f"OPERAND{len(self.names)}"
            self.names[key] = name
            # digit-specified devices (K4M0) before constants (K4), for the same reason
            order = sorted(kinds, key=lambda k: (not k.startswith("Kn"), k))
            self.regex[name] = "|".join(f"(?:{t[k]})" for k in order)
        return self.names[key]

    def declarations(self) -> str:
        return "".join(f"{name}: /{rx}/\n" for name, rx in self.regex.items())


def _forms(i: Instr) -> list[tuple[str, bool]]:
    """(mnemonic as written, 32-bit) for every form of an instruction."""
    if i.sem == "compare":
        base = i.name.rstrip("=<>")
        op = i.name[len(base):]
        return [(i.name, False), (f"{base}D{op}", True)]
    forms = [(i.name, False)]
    if i.d32:
        forms.append(("D" + i.name, True))
    if i.pulse:
        forms += [(f + "P", w) for f, w in forms]
    return forms


def _line(i: Instr, word: str, wide: bool, ops: _Operands) -> str:
    if i.sem == "out":
        # a coil, or a timer/counter with its preset: K0..K32767 or D (a 32-bit counter takes
        # any 32-bit K or a D pair)
        ops.regex.setdefault("COUNTER16", f"C(?:{range_regex(0, 199)})")
        ops.regex.setdefault("COUNTER32", f"C(?:{range_regex(200, 234)})")
        ops.regex.setdefault("PRESET", f"K{range_regex(0, 32767)}|{_device_regex('D', ops.cpu)}")
        return (f'"OUT " ({ops(frozenset("YMS"))} | {ops("T")} " " PRESET'
                f' | COUNTER16 " " PRESET | COUNTER32 " " {ops(frozenset("KD"), True, (2, 1))})')
    parts = [f'"{word}"']
    capped_by = {lim.at_most for lim in i.limits if lim.at_most is not None}
    for n, kinds in enumerate(i.operands[: i.required]):
        if n - 1 in capped_by:
            continue  # written with the count before it
        if counts := _count_range(i, n, wide):
            parts.append(f'" " {_count_terminal(ops, *counts, n in capped_by)}')
        else:
            kinds = kinds - {"KnX", "KnY", "KnM", "KnS"} if i.sem in ("bmov", "fmov") else kinds
            parts.append(f'" " {ops(kinds, wide, _spans(i, wide, n))}')
    return " ".join(parts)


# Written by dedicated rules (regions that must close) or left out of generated programs: jumps,
# calls and interrupts need pointer labels the grammar cannot tie to their uses; TO/FROM talk to
# special function modules the simulator does not have, so their programs could not be tested.
_STRUCTURAL = frozenset({"END", "STL", "RET", "MPS", "MRD", "MPP", "ANB", "ORB", "MC", "MCR",
                         "FOR", "NEXT"})
_NOT_GENERATED = frozenset({"CJ", "CALL", "SRET", "FEND", "IRET", "EI", "DI", "TO", "FROM"})
MC_LEVELS = 8
ITEMS, BODY = 64, 24  # networks per program / per step, MC region or loop
CONTACTS, OUTPUTS = 10, 8  # per block / per action
BLOCK_DEPTH, STACK_DEPTH = 3, 3  # nested LD blocks (FX allows 8) / nested MPS (FX allows 11)


def _repeat(lo: int, hi: int, bounded: bool) -> str:
    """`~lo..hi` for llguidance; `*`/`+` for Python's Lark, which expands bounded repetition
    into so many rules that its Earley parser crawls (it is used for tests and GBNF only)."""
    if bounded:
        return f"~{lo}..{hi}"
    return "*" if lo == 0 else "+"


def _levels(bounded: bool) -> str:
    """Blocks (LD … ANB/ORB) and MPS branches, unrolled to bounded depths."""
    def most(n: int) -> str:
        return _repeat(0, n, bounded)

    rules = []
    for d in range(BLOCK_DEPTH):
        inner = f" | sub_block{d + 1}" if d + 1 < BLOCK_DEPTH else ""
        rules.append(f"cond{d}: load (series | parallel | modify{inner}){most(CONTACTS)}")
        if d:
            rules.append(f'sub_block{d}: cond{d} ("ANB" | "ORB") NL')
    for d in range(STACK_DEPTH):
        stack = f" | stack{d}" if d + 1 < STACK_DEPTH else ""
        outs = "output" + _repeat(1, OUTPUTS, bounded)
        rules.append(f"action{d}: {outs} continuation{d}{most(4)}{stack}")
        rules.append(f"continuation{d}: (series | modify){_repeat(1, 6, bounded)} {outs}{stack}")
        if d + 1 < STACK_DEPTH:
            rules.append(f'stack{d}: "MPS" NL branch{d + 1} ("MRD" NL branch{d + 1}){most(6)}'
                         f' "MPP" NL branch{d + 1}')
            rules.append(f"branch{d + 1}: (series | parallel | modify | sub_block1)"
                         f"{most(CONTACTS)} action{d + 1}")
    return "\n".join(rules)


def lark_grammar(cpu: str = "fx3u", bounded: bool = True,
                 io: Mapping[str, Collection[int]] | None = None) -> str:
    """The grammar text (Lark syntax; llguidance reads the same).

    Programs it accepts pass the checker (tests hold it to that), so it leaves out what the
    checker could reject but a grammar cannot see: pointer labels with CJ/CALL/FEND, interrupts.
    `io` (named_io of the request) limits the inputs and outputs contacts and coils may name.
    """
    ops = _Operands(cpu, io)
    by_role: dict[str, list[str]] = {}
    for i in table_for(cpu).values():
        if i.name in _STRUCTURAL | _NOT_GENERATED:
            continue
        for word, wide in _forms(i):
            by_role.setdefault(i.role, []).append(_line(i, word, wide, ops))

    def alternatives(role: str) -> str:
        return "\n    | ".join(f"{alt} NL" for alt in by_role[role])

    coil = ops(frozenset("YM"))

    def most(n: int) -> str:
        return _repeat(0, n, bounded)

    # MC Nk ... MCR Nk nest in level order; each level's body may open the next level
    mc_rules = "\n".join(
        f'mc{k}: cond0 "MC N{k} " {coil} NL (network | nop'
        + (f" | mc{k + 1}" if k + 1 < MC_LEVELS else "") + f'){most(BODY)} "MCR N{k}" NL'
        for k in range(MC_LEVELS))
    return f"""\
// FX IL ({cpu.upper()}), generated by plcpilot.fxil.grammar from the instruction table.
// Repetitions are bounded (~m..n) and nesting is unrolled, so a decoder that loops is forced
// to finish a network within a few hundred tokens.
start: item{_repeat(1, ITEMS, bounded)} "END" NL?
?item: network | mc0 | stl_region | loop | nop
network: cond0 action0
{_levels(bounded)}
stl_region: step{_repeat(1, BODY, bounded)} "RET" NL
step: ("STL " {ops("S")} NL){_repeat(1, 4, bounded)} output{most(OUTPUTS)} network{most(BODY)}
loop: "FOR " {ops(SRC)} NL (network | nop){most(BODY)} "NEXT" NL
{mc_rules}
nop: "NOP" NL
load: {alternatives(LOAD)}
series: {alternatives(SERIES)}
parallel: {alternatives(PARALLEL)}
modify: {alternatives(MODIFY) if MODIFY in by_role else '"INV" NL'}
output: {alternatives(OUTPUT)}
NL: "\\n"
{ops.declarations()}"""
