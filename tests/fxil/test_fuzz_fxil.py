"""Hostile and unusual FX programs never crash the parser, checker or simulator, nor take
unbounded time or memory (docs/hardening.md).

Hypothesis generates inputs by class: text soup (unicode, control characters, comment markers,
huge digit runs, long lines) for the parser and checker, and programs of applied instructions at
edge operands, with counts supplied by registers and jumps in odd places, for the simulator. The
only exceptions a program may cause are PlcPilotError (it cannot run) and SimulationLimit (a
watchdog or bound stopped it). Each property runs under two settings profiles: `fxil-fast` by
default and `fxil-long` (many more examples) with `-m slow`. Hypothesis's deadline is off, since
timing noise on a shared machine would flake; each example checks its own generous time limit.
"""

from __future__ import annotations

import contextlib
import re
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcpilot.errors import PlcPilotError, SimulationLimit
from plcpilot.fxil import check
from plcpilot.fxil.checker import operand_problems
from plcpilot.fxil.devices import parse_operand
from plcpilot.fxil.instructions import resolve
from plcpilot.fxil.parser import parse
from plcpilot.fxil.simulator import compile_program

settings.register_profile("fxil-fast", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fxil-long", parent=settings.get_profile("fxil-fast"),
                          max_examples=5000)
PROFILES = [pytest.param("fxil-fast", id="fast"),
            pytest.param("fxil-long", id="long", marks=pytest.mark.slow)]
SECONDS = 10.0  # per example: generous against noise, far below what a quadratic step takes
SCANS = 3
OPERATION_CODES = {"6706", "6709"}


def run_property(profile: str, strategy: st.SearchStrategy, prop) -> None:
    settings.get_profile(profile)(given(strategy)(prop))()


def within_time(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    return result


def simulate(program: str, scans: int = SCANS):
    """Check, compile and run a few scans; the machine, or None when the program cannot run
    or a bound stopped it. Any other exception fails the test."""
    try:
        machine = compile_program(program)()
        for k in range(scans):
            machine.scan(k * 10, 10)
    except (PlcPilotError, SimulationLimit):
        return None
    return machine


# ---- program text --------------------------------------------------------------------------

FRAGMENTS = ["(*", "*)", "(* note *)", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", " ",
             "\t", ",", ";", "//", "```", "```fx-il\n", "LD", "LD X0", "OUT Y0", "END", "FEND",
             "P", "P0", "P0:", "CJ P0", "K", "H", "D", "X", "K4M", "K8", "STL S20", "RET", "MPS",
             "MRD", "MPP", "ANB", "ORB", "LD =", ">=", ":", "0000 ", "2:", "\x00", "\x1b[0m",
             "é", "ＬＤ", "𝐋𝐃", "\ufeff", "To turn on the pump,", "MOV", "BMOV", "DECO", "-", "+"]
digit_runs = st.integers(1, 6000).map(lambda n: "7" * n)
long_words = st.integers(1000, 100_000).map(lambda n: "A" * n)
soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), digit_runs, long_words, st.text(max_size=6)),
                max_size=60).map("".join)
texts = st.one_of(st.text(max_size=400), soup)


def check_any_text(text: str) -> None:
    for cpu in ("fx3u", "fx2n"):
        report = within_time(check, text, cpu)
        assert report.language == "fx-il"
    lines = len(text.splitlines())
    for diag in report.errors + report.warnings:
        assert diag.line is None or 1 <= diag.line <= max(lines, 1)
        assert diag.column is None or diag.column >= 1
    if report.is_valid:
        within_time(simulate, text)


@pytest.mark.parametrize("profile", PROFILES)
def test_any_text_is_checked_without_an_exception_in_bounded_time(profile):
    run_property(profile, texts, check_any_text)


# ---- applied instructions at edge operands ---------------------------------------------------

CONSTANTS = ["K-32768", "K32767", "K0", "K-1", "K1", "K2", "K3", "K4", "K8", "K9", "K15", "K16",
             "K31", "K32", "K512", "K513", "K1024", "K1025", "K99999", "K2147483647", "HFFFF",
             "H7FFF", "H0"]
DEVICES = ["D0", "D1", "D2", "D7990", "D7998", "D7999", "D8000", "D8511", "M0", "M7664", "M7678",
           "M7679", "M8067", "M8511", "S0", "S4080", "S4095", "X0", "X367", "Y0", "Y360", "Y367",
           "T0", "T511", "C0", "C199", "C200", "C255", "V0", "V7", "Z7", "K4M7664", "K8M7648",
           "K1Y364", "K4S4080", "K4X350", "K2Y0"]
APPLIED = ["MOV", "DMOV", "BMOV", "BMOVP", "FMOV", "DFMOV", "XCH", "BCD", "BIN", "ADD", "SUB",
           "MUL", "DMUL", "DIV", "DDIV", "INC", "DEC", "WAND", "WOR", "NEG", "ROR", "ROL", "DROL",
           "SFTR", "SFTL", "ZRST", "DECO", "ENCO", "CMP", "ZCP", "ALT", "REF", "LD>=", "AND<>",
           "ORD<"]
COUNT_REGISTERS = ["D0", "D1", "D2"]


@st.composite
def operand_for(draw, word: str, k: int) -> str:
    """An operand for position k: mostly one the position accepts (so the program reaches the
    simulator), sometimes anything (so the checker sees the rest)."""
    pool = CONSTANTS + DEVICES
    instr = resolve(word).instr
    if draw(st.integers(0, 9)):
        fitting = [t for t in pool if parse_operand(t).kind in instr.operands[k]]
        pool = fitting or pool
    return draw(st.sampled_from(pool))


@st.composite
def applied_network(draw) -> str:
    """Maybe a MOV that loads a count register with an edge value, then an applied instruction
    (or a comparison contact driving a coil) at edge operands."""
    word = draw(st.sampled_from(APPLIED))
    instr = resolve(word).instr
    for _ in range(3):  # mostly operands the checker accepts, so the simulator runs them
        ops = [draw(operand_for(word, k)) for k in range(len(instr.operands))]
        statement = parse(f"{word} {' '.join(ops)}").statements[0]
        if not operand_problems(statement, "fx3u") or not draw(st.integers(0, 3)):
            break
    lines = []
    if draw(st.booleans()):
        lines = ["LD M8000", f"MOV {draw(st.sampled_from(CONSTANTS[:16]))} "
                             f"{draw(st.sampled_from(COUNT_REGISTERS))}"]
    if instr.role in ("load", "series", "parallel"):  # a comparison contact drives a coil
        head = [] if instr.role == "load" else ["LD M8000"]
        return "\n".join([*lines, *head, f"{word} {' '.join(ops)}", "OUT M100"])
    return "\n".join([*(lines or ["LD M8000"]), f"{word} {' '.join(ops)}"])


# timers and counters whose presets a register (loaded with an edge value) supplies
COILS = ["LD M8000\nOUT T0 D0", "LD M8000\nOUT T250 D1", "LD M8000\nOUT C0 D1",
         "LD M8000\nOUT C200 D0", "LD M8000\nOUT C235 K5", "LD X0\nRST T0", "LD M8000\nPLS M1"]


@st.composite
def programs(draw) -> str:
    """Networks of applied instructions, some inside a FOR loop, a step or a subroutine, with a
    CJ whose label lands anywhere (inside the loop body, before the jump) and now and then a
    stray NEXT/SRET/RET: control flow that breaks at run time what the text pairs correctly."""
    chunks = draw(st.lists(applied_network() | st.sampled_from(COILS), min_size=1, max_size=5))

    def position() -> int:
        return draw(st.integers(0, len(chunks)))

    if draw(st.booleans()):
        i, j = sorted((position(), position()))
        count = draw(st.sampled_from(["K3", "D0", "K32767", "K-1", "K0"]))
        chunks[i:j] = [f"FOR {count}", *chunks[i:j], "NEXT"]
    if draw(st.booleans()):
        chunks.insert(position(), "P0")
        chunks.insert(position(), draw(st.sampled_from(["LD M8000\nCJ P0", "LD X0\nCJP P0",
                                                        "LD M8000\nCJ P63"])))
    if draw(st.booleans()):
        i, j = sorted((position(), position()))
        chunks[i:j] = ["LD M8002\nSET S20", "STL S20", *chunks[i:j], "RET"]
    elif draw(st.booleans()):
        i, j = sorted((position(), position()))
        chunks[i:j] = ["LD X0\nMC N0 M10", *chunks[i:j], "MCR N0"]
    if draw(st.integers(0, 4)) == 0:
        chunks.insert(position(), draw(st.sampled_from(["NEXT", "SRET", "RET", "FEND"])))
    tail = []
    if draw(st.booleans()):
        chunks.insert(position(), "LD M8000\nCALL P2")
        tail = ["FEND", "P2", *draw(st.lists(applied_network(), max_size=2)),
                draw(st.sampled_from(["LD M8000\nCALL P2", "LD X0\nOUT Y1"])), "SRET"]
    return "\n".join([*chunks, *tail, "END"]) + "\n"


def simulate_any_program(program: str) -> None:
    within_time(check, program)
    machine = within_time(simulate, program)
    if machine is None:
        return
    for note in machine.notes:
        assert re.match(r"line \d+: ", note), note
        if "operation error" in note:
            assert re.search(r"operation error (\d+)", note).group(1) in OPERATION_CODES


@pytest.mark.parametrize("profile", PROFILES)
def test_applied_instructions_at_edge_operands_never_crash_the_simulator(profile):
    run_property(profile, programs(), simulate_any_program)


# register-supplied counts: the value a MOV puts in D0 is the count, source or n of the next line
COUNTED = ["BMOV D10 D100 D0", "BMOV D7900 D10 D0", "BMOV K4M7600 D10 D0", "FMOV K1 D7000 D0",
           "DFMOV K1 D7000 D0", "FMOV K7 K4M7000 D0", "SFTL X0 M7600 K16 D0", "SFTR M0 M100 K8 D0",
           "DECO D0 M0 K8", "DECO D0 D10 K4", "ENCO D0 D10 K4", "FOR D0\nINC D5\nNEXT",
           "MOV D0 K4Y0", "DIV K100 D0 D10", "BCD D0 D10", "BIN D0 D10"]
counted = st.tuples(st.integers(-32768, 32767) | st.sampled_from([-1, 0, 1, 512, 513, 1025]),
                    st.sampled_from(COUNTED)).map(
    lambda vc: f"LD M8000\nMOV K{vc[0]} D0\n{vc[1]}\nEND\n")


def bounded_memory(program: str) -> None:
    tracemalloc.start()
    try:
        within_time(simulate, program)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16e6, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("profile", PROFILES)
def test_counts_from_registers_never_allocate_in_proportion_to_their_value(profile):
    run_property(profile, counted, bounded_memory)


# ---- test timelines --------------------------------------------------------------------------

names = st.one_of(st.from_regex(r"\A[XYMSTCDVZKHPN][0-9]{1,6}\Z"), st.text(max_size=12))
values = st.one_of(st.integers(-(2**40), 2**40), st.booleans(), st.sampled_from([0, 1, -1]))


def read_and_write_any_name(args: tuple[str, int]) -> None:
    name, value = args
    machine = compile_program("LD X0\nOUT Y0\nEND\n")()
    for action in (lambda: machine.read(name), lambda: machine.write(name, value)):
        with contextlib.suppress(PlcPilotError):
            action()


@pytest.mark.parametrize("profile", PROFILES)
def test_any_name_and_value_a_timeline_uses_is_read_written_or_refused(profile):
    run_property(profile, st.tuples(names, values), read_and_write_any_name)


# ---- hostile sizes (regressions: the inputs that were quadratic or crashed) -------------------

@pytest.mark.parametrize("text", [
    pytest.param("LD X0\n" + "(*" * 500_000, id="1 MB of unclosed comment openers"),
    pytest.param("(* a *)" * 300_000 + "\nLD X0\nOUT Y0\nEND", id="2 MB of closed comments"),
    pytest.param("(*" * 2_000_000, id="4 MB of comment openers"),
    pytest.param("LD X0 " + "7" * 4_000_000, id="a 4 MB digit run"),
    pytest.param("MOV K" + "1" * 5000 + " D0", id="5000-digit constant"),
])
def test_hostile_program_text_is_checked_in_linear_time(text):
    start = time.perf_counter()
    check(text)
    assert time.perf_counter() - start < 5.0


def test_an_unclosed_comment_is_reported_where_it_opens_and_lines_stay_right():
    report = check("LD X0\nOUT Y0\n  (* never closed\nLD X1\nOUT Y1\nEND\n")
    (error,) = [e for e in report.errors if e.code == "unclosed-comment"]
    assert (error.line, error.column) == (3, 3)
    assert "missing-end" in {e.code for e in report.errors}  # END was inside the comment
    program = parse("(* one\ntwo *) LD X0\n(* three\nfour\n")
    assert [(s.line, s.column) for s in program.statements] == [(2, 8)]
    assert program.unclosed_comment == (3, 1)
