"""Hostile and unusual ST never crashes the parser, checker, interpreter or decoding grammar's
closer, nor takes unbounded time (docs/hardening.md), as tests/fxil/test_fuzz_fxil.py does
for FX.

Hypothesis generates two classes of input: text soup over ST's own alphabet (keywords, comment
and pragma openers without their closers, quotes, typed literals with huge digit runs, deep
brackets) for the parser and checker; and well-typed programs at the edges of IEC semantics
(integer wrap, division by zero, REAL overflow and NaN, out-of-range indices, string positions
past the end, shifts by more than the width, loops with no end, timers) for the interpreter.
The only exceptions a program may cause are PlcPilotError (it cannot run) and SimulationLimit
(a run-time error or a bound stopped it), and a program the checker accepts must compile.
Profiles: `st-fast` by default, `st-long` (many more examples) with `-m slow`; Hypothesis's
deadline is off (timing noise would flake), each example checks its own generous limit.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcpilot.errors import PlcPilotError, SimulationLimit
from plcpilot.st import language
from plcpilot.st.closing import close_truncated

settings.register_profile("st-fast", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("st-long", parent=settings.get_profile("st-fast"), max_examples=3000)
PROFILES = [pytest.param("st-fast", id="fast"),
            pytest.param("st-long", id="long", marks=pytest.mark.slow)]
SECONDS = 10.0


def run_property(profile: str, strategy: st.SearchStrategy, prop) -> None:
    settings.get_profile(profile)(given(strategy)(prop))()


def within_time(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    assert time.perf_counter() - start < SECONDS, f"took {time.perf_counter() - start:.1f} s"
    return result


# ---- text soup -----------------------------------------------------------------------------

TOKENS = ["PROGRAM P", "FUNCTION_BLOCK F", "FUNCTION G : INT", "END_PROGRAM", "END_FUNCTION",
          "END_FUNCTION_BLOCK", "VAR", "VAR_INPUT", "VAR_IN_OUT", "END_VAR", "x : INT;",
          "a : ARRAY[0..3] OF REAL;", "IF", "THEN", "ELSIF", "ELSE", "END_IF", "CASE", "OF",
          "END_CASE", "FOR", "TO", "BY", "DO", "END_FOR", "WHILE", "END_WHILE", "REPEAT",
          "UNTIL", "END_REPEAT", "EXIT;", "RETURN;", ":=", "=>", ";", ":", ",", ".", "..",
          "(", ")", "[", "]", "(*", "*)", "/*", "*/", "//", "{", "}", "'", '"', "$", "x", "a[",
          "T#5s", "TIME#-1d", "16#FF", "2#102", "INT#", "1.0E", "9" * 400, "16#" + "F" * 200,
          "E#", "TYPE", "STRUCT", "END_STRUCT", "END_TYPE", "CONFIGURATION", "AT %IX0.0",
          "\x00", "\u202e", "é", "\t", "\r", "\n"]
soup = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=5)), max_size=120).map(
    " ".join)


@pytest.mark.parametrize("profile", PROFILES)
def test_any_text_is_checked_and_closed_without_an_exception_in_bounded_time(profile):
    def prop(text):
        report = within_time(language.check, text)
        assert report.is_valid == (not report.errors)
        for d in report.errors:
            assert d.code in language.codes, d.code
        within_time(close_truncated, text)  # None or a closed text, never an exception

    run_property(profile, soup, prop)


# ---- well-typed programs at the edges ------------------------------------------------------

HEADER = """PROGRAM P
VAR_INPUT go : BOOL; n : INT; r : REAL; END_VAR
VAR x : INT; k : INT; y : DINT; u : USINT; w : WORD; z : REAL; s : STRING;
    arr : ARRAY[0..3] OF INT; b : BOOL; t : TON; c : CTU; tm : TIME; END_VAR
"""
INT_EDGES = ["0", "1", "-1", "32767", "-32768", "7", "INT#-32768"]
ints = st.deferred(lambda: st.one_of(
    st.sampled_from(INT_EDGES + ["x", "k", "n"]),
    st.builds("arr[{}]".format, ints),
    st.builds("({} {} {})".format, ints, st.sampled_from(["+", "-", "*", "/", "MOD"]), ints),
    st.builds("ABS({})".format, ints),
    st.builds("LIMIT(-5, {}, 5)".format, ints),
    st.builds("LEN({})".format, strings),
    st.builds("REAL_TO_INT({})".format, reals),
    st.builds("DINT_TO_INT({})".format, dints),
))
dints = st.one_of(st.sampled_from(["y", "2147483647", "-2147483648"]),
                  st.builds("INT_TO_DINT({})".format, ints),
                  st.builds("(y * {})".format, st.sampled_from(["y", "65536", "-1"])))
reals = st.deferred(lambda: st.one_of(
    st.sampled_from(["z", "r", "0.0", "-0.0", "1.0E38", "3.4E38", "1.0E-38", "2.5"]),
    st.builds("({} {} {})".format, reals, st.sampled_from(["+", "-", "*", "/"]), reals),
    st.builds("{}({})".format, st.sampled_from(["SQRT", "LN", "LOG", "EXP", "SIN", "ATAN",
                                                "ABS"]), reals),
    st.builds("INT_TO_REAL({})".format, ints),
))
words = st.one_of(st.sampled_from(["w", "16#FFFF", "16#0"]),
                  st.builds("{}(w, {})".format, st.sampled_from(["SHL", "SHR", "ROL", "ROR"]),
                            ints),
                  st.builds("INT_TO_WORD({})".format, ints))
strings = st.deferred(lambda: st.one_of(
    st.sampled_from(["s", "''", "'abc'", "'$N$T$''"]),
    st.builds("CONCAT({}, {})".format, strings, strings),
    st.builds("{}({}, {})".format, st.sampled_from(["LEFT", "RIGHT"]), strings, ints),
    st.builds("MID({}, {}, {})".format, strings, ints, ints),
))
bools = st.deferred(lambda: st.one_of(
    st.sampled_from(["go", "b", "TRUE", "t.Q", "c.Q"]),
    st.builds("({} {} {})".format, ints, st.sampled_from(["<", ">", "=", "<>", ">="]), ints),
    st.builds("({} {} {})".format, bools, st.sampled_from(["AND", "OR", "XOR"]), bools),
    st.builds("NOT {}".format, bools),
    st.builds("({} > {})".format, reals, reals),
))
simple = st.one_of(
    st.builds("x := {};".format, ints), st.builds("arr[{}] := {};".format, ints, ints),
    st.builds("y := {};".format, dints), st.builds("u := INT_TO_USINT({});".format, ints),
    st.builds("w := {};".format, words), st.builds("z := {};".format, reals),
    st.builds("s := {};".format, strings), st.builds("b := {};".format, bools),
    st.builds("t(IN := {}, PT := T#{}ms);".format, bools, st.integers(0, 10**6)),
    st.builds("c(CU := {}, R := {}, PV := {});".format, bools, bools, ints),
    st.builds("tm := t.ET + T#{}d;".format, st.integers(0, 30_000)),
)
statements = st.recursive(simple.map(lambda s: [s]), lambda inner: st.one_of(
    st.builds(lambda c, a, e: [f"IF {c} THEN", *a, "ELSE", *e, "END_IF;"], bools, inner, inner),
    st.builds(lambda lo, hi, by, body: [f"FOR k := {lo} TO {hi} BY {by} DO", *body,
                                        "END_FOR;"], ints, ints, st.sampled_from(["1", "-1",
                                                                                  "0", "x"]),
              inner),
    st.builds(lambda c, body: [f"WHILE {c} DO", *body, "END_WHILE;"], bools, inner),
    st.builds(lambda body, c: ["REPEAT", *body, f"UNTIL {c} END_REPEAT;"], inner, bools),
    st.builds(lambda e, a, b_: [f"CASE {e} OF", "1, 3: ", *a, "-5..0:", *b_, "ELSE x := 0;",
                                "END_CASE;"], ints, inner, inner),
    st.lists(inner, min_size=2, max_size=3).map(lambda parts: [s for p in parts for s in p]),
), max_leaves=12)
programs = statements.map(lambda body: HEADER + "\n".join(body) + "\nEND_PROGRAM\n")
inputs = st.lists(st.tuples(st.booleans(), st.sampled_from([0, 1, -1, 32767, -32768]),
                            st.sampled_from([0.0, -1.0, 1e38, float("inf"), float("nan")])),
                  min_size=1, max_size=4)


def run_scans(source: str, writes: list) -> None:
    new_machine = language.simulator(source)  # the checker accepted it: it must compile
    machine = new_machine()
    for k, (go, n, r) in enumerate(writes):
        machine.write("go", go)
        machine.write("n", n)
        machine.write("r", r)
        try:
            machine.scan(k * 100, 100)
        except SimulationLimit:
            return  # a run-time error the test reports, or the loop budget
        for name in ("x", "y", "u", "w", "z", "s", "arr", "b", "tm"):
            machine.read(name)


@pytest.mark.parametrize("profile", PROFILES)
def test_well_typed_programs_at_the_edges_run_or_stop_with_a_reported_error(profile):
    def prop(source, writes):
        report = within_time(language.check, source)
        if not report.is_valid:  # e.g. a constant out of range for its type: the checker's job
            assert report.errors
            return
        within_time(run_scans, source, writes)

    run_property(profile, st.tuples(programs, inputs), lambda pair: prop(*pair))


def test_writing_a_value_of_the_wrong_kind_is_a_clear_error():
    machine = language.simulator(HEADER + "x := n;\nEND_PROGRAM\n")()
    for name, value in (("n", "text"), ("go", 3.5), ("r", [1])):
        with pytest.raises(PlcPilotError):
            machine.write(name, value)
