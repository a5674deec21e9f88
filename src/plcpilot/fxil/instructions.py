"""The one FX instruction table.

Each mnemonic lists its operand rules per position (allowed device classes), the values its
count operands may take, whether P (pulse) and D (32-bit) forms exist, its structural role in a
network and its semantics class. The checker validates against it, the simulator dispatches on
`sem` and checks register-supplied counts against the same limits, the decoding grammar is
generated from it and the docs list it. FX2N is the same table with the FX3U-only entries removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from plcpilot.fxil.devices import Operand

# operand classes (sets of Operand.kind values)
BIT = frozenset("XYMSTC")  # contacts
COIL = frozenset("YMS")
TIMER_COUNTER = frozenset("TC")
KN_SRC = frozenset({"KnX", "KnY", "KnM", "KnS"})
KN_DST = frozenset({"KnY", "KnM", "KnS"})
CONST = frozenset("KH")
SRC = CONST | frozenset("DTCVZ") | KN_SRC  # word read
DST = frozenset("DTCVZ") | KN_DST  # word write
COUNT = CONST | frozenset("D")  # a count: constant, or D on FX3U
PTR = frozenset("P")
NEST = frozenset("N")
RST_TARGET = frozenset("YMSTCDVZ")
ZRST_TARGET = frozenset("YMSTCD")

# structural roles (what a network needs before/after the instruction)
LOAD, SERIES, PARALLEL, BLOCK, STACK, MODIFY, OUTPUT, FREE, STEP = (
    "load", "series", "parallel", "block", "stack", "modify", "output", "free", "step")

COMPARE_OPS = ("=", ">", "<", "<>", "<=", ">=")
PLAIN_BITS = frozenset("XYMS")  # bit devices as such (T/C as operands of DECO/ENCO are words)


@dataclass(frozen=True)
class Limit:
    """The values a count operand may take (FX3U programming manual). A constant outside them is
    a check error (constant-range); a register holding one at run time is operation error 6706.

    `when` narrows a limit to one form: "16"/"32" (the 16- or 32-bit form), "bit"/"word"
    (operand `of` is a bit or a word device); `at_most` also caps it at another operand's
    constant value (SFTL n2 <= n1).
    """

    operand: int
    lo: int
    hi: int
    what: str  # the operand's name in messages: "n", "n2"
    when: str = ""
    of: int = 0
    at_most: int | None = None

    def applies(self, ops: Sequence[Operand | None], wide: bool) -> bool:
        if self.when in ("16", "32"):
            return self.when == ("32" if wide else "16")
        if self.when in ("bit", "word"):
            op = ops[self.of] if self.of < len(ops) else None
            return op is not None and (op.kind in PLAIN_BITS) == (self.when == "bit")
        return True

    def bounds(self, ops: Sequence[Operand | None], wide: bool) -> tuple[int, int]:
        cap = ops[self.at_most] if self.at_most is not None and self.at_most < len(ops) else None
        if cap is not None and cap.kind in CONST:
            return self.lo, min(self.hi, cap.value(wide))
        return self.lo, self.hi

    def allows(self, value: int, ops: Sequence[Operand | None], wide: bool) -> bool:
        lo, hi = self.bounds(ops, wide)
        return lo <= value <= hi

    @property
    def condition(self) -> str:
        return {"bit": " with a bit device", "word": " with a word device",
                "16": " in the 16-bit form", "32": " in the 32-bit D form"}.get(self.when, "")

    def describe(self, ops: Sequence[Operand | None], wide: bool) -> str:
        lo, hi = self.bounds(ops, wide)
        return f"{self.what} must be {lo}..{hi}{self.condition}"


@dataclass(frozen=True)
class Instr:
    name: str
    role: str
    sem: str  # semantics class: simulator handler key
    operands: tuple[frozenset[str], ...] = ()
    min_ops: int | None = None  # default: all operands required
    pulse: bool = False  # a P form (MOVP) exists
    d32: bool = False  # a D form (DMOV) exists
    fx3u_only: bool = False
    fnc: int | None = None
    summary: str = ""
    limits: tuple[Limit, ...] = ()
    attrs: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def required(self) -> int:
        return len(self.operands) if self.min_ops is None else self.min_ops

    def limit(self, k: int, ops: Sequence[Operand | None], wide: bool) -> Limit | None:
        """The limit on operand k for these operands and width (at most one applies)."""
        return next((lim for lim in self.limits if lim.operand == k and lim.applies(ops, wide)),
                    None)


ROTATE = (Limit(1, 0, 15, "n", when="16"), Limit(1, 0, 31, "n", when="32"))
SHIFT = (Limit(2, 1, 1024, "n1"), Limit(3, 1, 1024, "n2", at_most=2))


def _code_bits(device: int) -> tuple[Limit, ...]:
    """DECO/ENCO n: 2^n bits of a bit device (n <= 8), or of one word (n <= 4); n = 0 does
    nothing. `device` is the operand that decides (DECO's destination, ENCO's source)."""
    return (Limit(2, 0, 8, "n", when="bit", of=device),
            Limit(2, 0, 4, "n", when="word", of=device))


def _contacts() -> list[Instr]:
    out = []
    for role, base in ((LOAD, "LD"), (SERIES, "AND"), (PARALLEL, "OR")):
        for suffix, variant, text in (
            ("", "", "contact"), ("I", "not", "negated contact"),
            ("P", "rise", "rising-edge contact"), ("F", "fall", "falling-edge contact"),
        ):
            name = {"AND": {"I": "ANI", "P": "ANDP", "F": "ANDF"}}.get(base, {}).get(
                suffix, base + suffix)
            out.append(Instr(name, role, "contact", (BIT,), summary=f"{base} {text}",
                             attrs={"variant": variant}))
        for op in COMPARE_OPS:
            out.append(Instr(base + op, role, "compare", (SRC, SRC), d32=True,
                             summary=f"{base} comparison contact S1 {op} S2",
                             attrs={"op": op}))
    return out


TABLE: dict[str, Instr] = {i.name: i for i in _contacts() + [
    Instr("ANB", BLOCK, "anb", summary="series-connect the last two blocks"),
    Instr("ORB", BLOCK, "orb", summary="parallel-connect the last two blocks"),
    Instr("MPS", STACK, "mps", summary="push the operation result"),
    Instr("MRD", STACK, "mrd", summary="read the pushed result"),
    Instr("MPP", STACK, "mpp", summary="pop the pushed result"),
    Instr("INV", MODIFY, "inv", summary="invert the operation result"),
    Instr("MEP", MODIFY, "mep", fx3u_only=True, summary="rising edge of the result"),
    Instr("MEF", MODIFY, "mef", fx3u_only=True, summary="falling edge of the result"),
    Instr("OUT", OUTPUT, "out", (COIL | TIMER_COUNTER, frozenset("KHD")), min_ops=1,
          summary="coil; timer/counter coil with preset (OUT T0 K50)"),
    Instr("SET", OUTPUT, "set", (COIL,), summary="latch on"),
    Instr("RST", OUTPUT, "rst", (RST_TARGET,), summary="latch off; clear timer/counter/register"),
    Instr("PLS", OUTPUT, "pls", (frozenset("YM"),), summary="one-scan pulse on rising edge"),
    Instr("PLF", OUTPUT, "plf", (frozenset("YM"),), summary="one-scan pulse on falling edge"),
    Instr("MC", OUTPUT, "mc", (NEST, frozenset("YM")), summary="master control start"),
    Instr("MCR", FREE, "mcr", (NEST,), summary="master control reset"),
    Instr("STL", STEP, "stl", (frozenset("S"),), summary="step ladder contact"),
    Instr("RET", FREE, "ret", summary="end of step ladder"),
    Instr("NOP", FREE, "nop", summary="no operation"),
    Instr("END", FREE, "end", summary="end of program"),
    Instr("CJ", OUTPUT, "cj", (PTR,), pulse=True, fnc=0, summary="conditional jump"),
    Instr("CALL", OUTPUT, "call", (PTR,), pulse=True, fnc=1, summary="call subroutine"),
    Instr("SRET", FREE, "sret", fnc=2, summary="subroutine return"),
    Instr("IRET", FREE, "iret", fnc=3, summary="interrupt return"),
    Instr("EI", FREE, "ei", fnc=4, summary="enable interrupts"),
    Instr("DI", FREE, "di", fnc=5, summary="disable interrupts"),
    Instr("FEND", FREE, "fend", fnc=6, summary="end of main program"),
    Instr("WDT", OUTPUT, "wdt", pulse=True, fnc=7, summary="refresh watchdog"),
    Instr("FOR", FREE, "for", (SRC,), fnc=8, summary="start of repeat loop"),
    Instr("NEXT", FREE, "next", fnc=9, summary="end of repeat loop"),
    Instr("CMP", OUTPUT, "cmp", (SRC, SRC, COIL), pulse=True, d32=True, fnc=10,
          summary="compare: D on S1>S2, D+1 on S1=S2, D+2 on S1<S2"),
    Instr("ZCP", OUTPUT, "zcp", (SRC, SRC, SRC, COIL), pulse=True, d32=True, fnc=11,
          summary="zone compare: D S<S1, D+1 S1<=S<=S2, D+2 S>S2"),
    Instr("MOV", OUTPUT, "mov", (SRC, DST), pulse=True, d32=True, fnc=12, summary="move"),
    Instr("BMOV", OUTPUT, "bmov", (frozenset("DTC") | KN_SRC, DST, COUNT), pulse=True, fnc=15,
          summary="block move n words", limits=(Limit(2, 1, 512, "n"),)),
    Instr("FMOV", OUTPUT, "fmov", (SRC, DST, COUNT), pulse=True, d32=True, fnc=16,
          summary="fill n words", limits=(Limit(2, 1, 512, "n"),)),
    Instr("XCH", OUTPUT, "xch", (DST, DST), pulse=True, d32=True, fnc=17, summary="exchange"),
    Instr("BCD", OUTPUT, "bcd", (SRC, DST), pulse=True, d32=True, fnc=18, summary="binary to BCD"),
    Instr("BIN", OUTPUT, "bin", (SRC, DST), pulse=True, d32=True, fnc=19, summary="BCD to binary"),
    Instr("ADD", OUTPUT, "arith", (SRC, SRC, DST), pulse=True, d32=True, fnc=20,
          summary="D = S1 + S2", attrs={"op": "+"}),
    Instr("SUB", OUTPUT, "arith", (SRC, SRC, DST), pulse=True, d32=True, fnc=21,
          summary="D = S1 - S2", attrs={"op": "-"}),
    Instr("MUL", OUTPUT, "arith", (SRC, SRC, DST), pulse=True, d32=True, fnc=22,
          summary="D(double width) = S1 * S2", attrs={"op": "*"}),
    Instr("DIV", OUTPUT, "arith", (SRC, SRC, DST), pulse=True, d32=True, fnc=23,
          summary="D = S1 / S2, D+1 (D+2 for 32-bit) = remainder", attrs={"op": "/"}),
    Instr("INC", OUTPUT, "incdec", (DST,), pulse=True, d32=True, fnc=24, summary="D += 1",
          attrs={"step": 1}),
    Instr("DEC", OUTPUT, "incdec", (DST,), pulse=True, d32=True, fnc=25, summary="D -= 1",
          attrs={"step": -1}),
    Instr("WAND", OUTPUT, "logic", (SRC, SRC, DST), pulse=True, d32=True, fnc=26,
          summary="D = S1 AND S2", attrs={"op": "and"}),
    Instr("WOR", OUTPUT, "logic", (SRC, SRC, DST), pulse=True, d32=True, fnc=27,
          summary="D = S1 OR S2", attrs={"op": "or"}),
    Instr("WXOR", OUTPUT, "logic", (SRC, SRC, DST), pulse=True, d32=True, fnc=28,
          summary="D = S1 XOR S2", attrs={"op": "xor"}),
    Instr("NEG", OUTPUT, "neg", (DST,), pulse=True, d32=True, fnc=29, summary="D = -D"),
    Instr("ROR", OUTPUT, "rot", (DST, CONST), pulse=True, d32=True, fnc=30,
          summary="rotate right n bits", limits=ROTATE, attrs={"dir": "right"}),
    Instr("ROL", OUTPUT, "rot", (DST, CONST), pulse=True, d32=True, fnc=31,
          summary="rotate left n bits", limits=ROTATE, attrs={"dir": "left"}),
    Instr("SFTR", OUTPUT, "sft", (frozenset("XYMS"), COIL, CONST, COUNT), pulse=True, fnc=34,
          summary="bit shift right", limits=SHIFT, attrs={"dir": "right"}),
    Instr("SFTL", OUTPUT, "sft", (frozenset("XYMS"), COIL, CONST, COUNT), pulse=True, fnc=35,
          summary="bit shift left", limits=SHIFT, attrs={"dir": "left"}),
    Instr("ZRST", OUTPUT, "zrst", (ZRST_TARGET, ZRST_TARGET), pulse=True, fnc=40,
          summary="reset a range of devices (both of one kind; D1 > D2 resets D1 only)"),
    Instr("DECO", OUTPUT, "deco", (SRC | PLAIN_BITS, ZRST_TARGET, CONST), pulse=True,
          fnc=41, summary="decode: set bit number S of D (2^n bits)", limits=_code_bits(1)),
    Instr("ENCO", OUTPUT, "enco", (frozenset("XYMSTCDVZ"), DST, CONST), pulse=True, fnc=42,
          summary="encode: highest set bit number of S (2^n bits)", limits=_code_bits(0)),
    Instr("REF", OUTPUT, "ref", (frozenset("XY"), CONST), pulse=True, fnc=50,
          summary="refresh I/O immediately"),
    Instr("ALT", OUTPUT, "alt", (COIL,), pulse=True, fnc=66, summary="alternate (toggle) a bit"),
    Instr("FROM", OUTPUT, "from", (COUNT, COUNT, DST, COUNT), pulse=True, d32=True, fnc=78,
          summary="read special function module buffer"),
    Instr("TO", OUTPUT, "to", (COUNT, COUNT, SRC, COUNT), pulse=True, d32=True, fnc=79,
          summary="write special function module buffer"),
]}

# alternative spellings: the paper's LDN; the manual's 32-bit logic mnemonics
ALIASES = {"LDN": ("LDI", False), "DAND": ("WAND", True), "DOR": ("WOR", True),
           "DXOR": ("WXOR", True)}

_LONGEST = max(map(len, TABLE)) + 2  # with D and P: longer words are no mnemonic (or cache key)


@dataclass(frozen=True)
class Mnemonic:
    """A mnemonic as written, resolved against the table (DMOVP -> MOV, d32, pulse)."""

    instr: Instr
    d32: bool = False
    pulse: bool = False

    @property
    def text(self) -> str:
        i = self.instr
        if i.sem == "compare":
            base = i.name.rstrip("=<>")
            return base + ("D" if self.d32 else "") + i.name[len(base):]
        return ("D" if self.d32 else "") + i.name + ("P" if self.pulse else "")


def table_for(cpu: str) -> dict[str, Instr]:
    return {k: v for k, v in TABLE.items() if cpu == "fx3u" or not v.fx3u_only}


def resolve(word: str) -> Mnemonic | None:
    """Resolve a written mnemonic: exact, alias, comparison D-form, or D/P variants."""
    return _resolve(word.upper()) if len(word) <= _LONGEST else None


@lru_cache(maxsize=4096)  # one Mnemonic per spelling, not one per line of a long program
def _resolve(w: str) -> Mnemonic | None:
    if w in TABLE:
        return Mnemonic(TABLE[w])
    if w in ALIASES:
        name, d32 = ALIASES[w]
        return Mnemonic(TABLE[name], d32=d32)
    for base in ("LDD", "ANDD", "ORD"):  # LDD= ANDD<> ORD>=
        i = TABLE.get(base[:-1] + w[len(base):]) if w.startswith(base) else None
        if i is not None and i.sem == "compare":
            return Mnemonic(i, d32=True)
    for d32 in (False, True):
        core = w[1:] if d32 else w
        if d32 and not w.startswith("D"):
            continue
        for pulse in (False, True):
            name = core[:-1] if pulse else core
            if pulse and not core.endswith("P"):
                continue
            i = TABLE.get(name) or (TABLE.get(ALIASES[name][0]) if name in ALIASES else None)
            if i and (not pulse or i.pulse) and (not d32 or i.d32):
                return Mnemonic(i, d32=d32 or (name in ALIASES and ALIASES[name][1]),
                                pulse=pulse)
    return None
