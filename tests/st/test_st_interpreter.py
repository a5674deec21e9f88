"""The ST interpreter through the public test layer: programs run by spec.run_tests on tests
written in YAML exactly as a task file holds them (FORMATS.md §1)."""

from __future__ import annotations

import pytest
import yaml

pytest.importorskip("tree_sitter_iec61131_3_st")

from plcpilot.errors import PlcPilotError  # noqa: E402
from plcpilot.spec import SimulationReport, run_tests  # noqa: E402
from plcpilot.spec import Test as Timeline  # noqa: E402 (not a pytest class)
from plcpilot.st.interpreter import compile_unit  # noqa: E402
from plcpilot.st.parser import parse  # noqa: E402


def machine_factory(source: str, entry: str | None = None, library: bool = False):
    """library: a corpus file whose syntax errors lie outside the POUs under test (OSCAT's
    Beremiz port embeds C in pragmas)."""
    parsed = parse(source)
    assert parsed.ok or library, parsed.diagnostics
    return compile_unit(parsed.unit, entry)


def run(source: str, tests: str, entry: str | None = None, library: bool = False
        ) -> SimulationReport:
    """Run `tests` (the YAML of a task's `tests:` list) on the program."""
    return run_tests(machine_factory(source, entry, library),
                     [Timeline.model_validate(t) for t in yaml.safe_load(tests)])


def passes(source: str, tests: str, entry: str | None = None, library: bool = False) -> None:
    report = run(source, tests, entry, library)
    problems = [(t.name, t.error, [f.model_dump() for f in t.failures])
                for t in report.tests if not t.passed]
    assert report.passed, problems


def program(decls: str, body: str) -> str:
    return f"PROGRAM Main\n{decls}\n{body}\nEND_PROGRAM\n"


# ---- data types ----------------------------------------------------------------------------

def test_integers_wrap_around_at_their_width():
    passes(program("""VAR i : INT := 32767; s : SINT := -128; u : USINT := 255; w : WORD;
                      d : DINT := 2147483647; ud : UDINT; b : BYTE := 16#0F; END_VAR""",
                   """i := i + 1; s := s - 1; u := u + 1; w := w - 1; d := d + 1;
                      ud := ud - 1; b := NOT b;"""), """
- name: one scan
  timeline:
    - {at_ms: 10, expect: {i: -32768, s: 127, u: 0, w: 0xFFFF, d: -2147483648,
                           ud: 4294967295, b: 0xF0}}
""")


def test_integer_division_truncates_toward_zero_and_mod_takes_the_dividends_sign():
    passes(program("VAR a, b, c, d, e : INT; END_VAR",
                   "a := -7 / 2; b := 7 / -2; c := -7 MOD 2; d := 7 MOD -2; e := 7 / 2;"), """
- name: signs
  timeline: [{at_ms: 10, expect: {a: -3, b: -3, c: -1, d: 1, e: 3}}]
""")


def test_real_rounds_to_float32_and_lreal_keeps_double():
    passes(program("VAR r : REAL; l : LREAL; x : REAL := 16777217.0; END_VAR",
                   "r := 1.0 / 3.0; l := 1.0 / 3.0;"), """
- name: precision
  timeline:
    - {at_ms: 10, expect: {r: 0.3333333, l: 0.333333333333, x: 16777216}}
""")
    m = machine_factory(program("VAR r : REAL; END_VAR", "r := 0.1;"))()
    m.scan(0, 10)
    assert m.read("r") != 0.1 and abs(m.read("r") - 0.1) < 1e-8


def test_time_is_milliseconds_and_compares_with_literals():
    passes(program("VAR_INPUT t : TIME; END_VAR VAR u : TIME := T#1s500ms; END_VAR",
                   "u := u + t;"), """
- name: time
  timeline:
    - {at_ms: 0, set: {t: "T#1m"}}
    - {at_ms: 10, expect: {u: "T#1m1s500ms"}}
    - {at_ms: 10, set: {t: 0}}
    - {at_ms: 30, expect: {u: 61500}}
""")


def test_string_is_cut_to_its_declared_length():
    passes(program("VAR s : STRING(5); n : INT; END_VAR", "s := 'hello world'; n := LEN(s);"),
           """
- name: cut
  timeline: [{at_ms: 10, expect: {s: hello, n: 5}}]
""")


def test_type_of_reports_declared_types():
    m = machine_factory("""
TYPE Pair : STRUCT a : INT; b : REAL; END_STRUCT; END_TYPE
PROGRAM Main
VAR r : REAL; t : TIME; s : STRING(20); s80 : STRING; arr : ARRAY[1..3] OF INT;
    g : ARRAY[0..1, 0..2] OF REAL;
    p : Pair; tm : TON; END_VAR
END_PROGRAM""")()
    assert [m.type_of(n) for n in ("r", "t", "s", "s80", "arr", "g", "p", "tm", "tm.ET", "p.b",
                                   "g[1, 2]")] == [
        "REAL", "TIME", "STRING(20)", "STRING", "ARRAY[1..3] OF INT", "ARRAY[0..1, 0..2] OF REAL",
        "Pair", "TON", "TIME", "REAL", "REAL"]
    with pytest.raises(PlcPilotError, match="no variable q"):
        m.read("q")


def test_arrays_set_and_expect_as_lists_with_declared_bounds():
    passes(program("""VAR_INPUT v : ARRAY[1..4] OF INT; END_VAR
                      VAR_OUTPUT sum : DINT; rev : ARRAY[1..4] OF INT; END_VAR
                      VAR i : INT; m : ARRAY[0..1, 0..2] OF INT; END_VAR""",
                   """sum := 0;
                      FOR i := 1 TO 4 DO sum := sum + v[i]; rev[5 - i] := v[i]; END_FOR;
                      m[1, 2] := 7; m[0, 1] := 3;"""), """
- name: sum and reverse
  timeline:
    - {at_ms: 0, set: {v: [1, 2, 3, 40]}}
    - {at_ms: 10, expect: {sum: 46, rev: [40, 3, 2, 1], "v[4]": 40, m: [[0, 3, 0], [0, 0, 7]],
                           "m[1, 2]": 7}}
""")


def test_an_index_out_of_bounds_is_the_tests_error_naming_the_line():
    report = run(program("VAR a : ARRAY[1..3] OF INT; i : INT := 1; END_VAR",
                         "i := i + 1;\na[i] := 5;"), """
- name: overrun
  timeline: [{at_ms: 50, expect: {"a[3]": 5}}]
""")
    result = report.tests[0]
    assert not result.passed
    assert "line 4" in result.error and "index 4 is outside a[1..3]" in result.error
    assert result.notes == [result.error]


def test_structs_are_mappings_and_assign_by_value():
    passes("""
TYPE Motor : STRUCT running : BOOL; speed : REAL := 1.5; END_STRUCT; END_TYPE
PROGRAM Main
VAR_INPUT cmd : Motor; END_VAR
VAR copy : Motor; END_VAR
copy := cmd;
cmd.speed := 0.0;
END_PROGRAM
""", """
- name: copy
  timeline:
    - {at_ms: 0, expect: {cmd: {speed: 1.5}}}
    - {at_ms: 0, set: {cmd: {running: true, speed: 2.5}}}
    - {at_ms: 10, expect: {copy: {running: true, speed: 2.5}, cmd: {speed: 0.0}}}
""")


def test_enums_case_with_labels_ranges_and_lists():
    passes("""
TYPE Mode : (IDLE, RUN := 5, FAULT); END_TYPE
PROGRAM Main
VAR_INPUT n : INT; m : Mode; END_VAR
VAR_OUTPUT kind : INT; label : INT; END_VAR
CASE n OF
  1, 3: kind := 1;
  4..6: kind := 2;
  -3..-1: kind := 3;
ELSE kind := 0;
END_CASE;
CASE m OF IDLE: label := 10; Mode.RUN: label := 20; FAULT: label := 30; END_CASE;
END_PROGRAM
""", """
- name: dispatch
  timeline:
    - {at_ms: 10, expect: {kind: 0, label: 10, m: IDLE}}
    - {at_ms: 10, set: {n: 3, m: RUN}}
    - {at_ms: 20, expect: {kind: 1, label: 20}}
    - {at_ms: 20, set: {n: 5, m: FAULT}}
    - {at_ms: 30, expect: {kind: 2, label: 30}}
    - {at_ms: 30, set: {n: -2}}
    - {at_ms: 40, expect: {kind: 3}}
""")


def test_constants_and_initial_values():
    passes(program("""VAR CONSTANT N : INT := 3; END_VAR
                      VAR a : ARRAY[1..N] OF INT := [2(5)]; x : REAL := 2.5; ok : BOOL := TRUE;
                      END_VAR""", ""), """
- name: power-on values
  timeline: [{at_ms: 0, expect: {a: [5, 5, 0], x: 2.5, ok: true, N: 3}}]
""")


def test_writing_a_constant_is_refused_when_compiled():
    with pytest.raises(PlcPilotError, match="CONSTANT"):
        machine_factory(program("VAR CONSTANT N : INT := 3; END_VAR", "N := 4;"))


# ---- control flow --------------------------------------------------------------------------

def test_loops_for_with_negative_step_while_repeat_exit():
    passes(program("VAR_OUTPUT a : DINT; b, c, d : INT; END_VAR VAR i : INT; END_VAR", """
a := 0; FOR i := 10 TO 1 BY -3 DO a := a * 100 + i; END_FOR;
b := 0; WHILE b < 100 DO b := b + 7; IF b > 50 THEN EXIT; END_IF; END_WHILE;
c := 0; REPEAT c := c + 1; UNTIL c >= 4 END_REPEAT;
d := 0; FOR i := 1 TO 10 DO IF i MOD 2 = 0 THEN CONTINUE; END_IF; d := d + i; END_FOR;"""),
           """
- name: loops
  timeline: [{at_ms: 10, expect: {a: 10070401, b: 56, c: 4, d: 25, i: 11}}]
""")


def test_if_elsif_and_return():
    passes(program("VAR_INPUT x : INT; END_VAR VAR_OUTPUT y : INT; END_VAR", """
IF x < 0 THEN y := -1; RETURN;
ELSIF x = 0 THEN y := 0;
ELSE y := 1;
END_IF;
y := y * 10;"""), """
- name: branches
  timeline:
    - {at_ms: 0, set: {x: -5}}
    - {at_ms: 10, expect: {y: -1}}
    - {at_ms: 10, set: {x: 0}}
    - {at_ms: 20, expect: {y: 0}}
    - {at_ms: 20, set: {x: 9}}
    - {at_ms: 30, expect: {y: 10}}
""")


def test_an_endless_loop_hits_the_budget_as_the_tests_error():
    report = run(program("VAR n : DINT; END_VAR", "n := 0;\nWHILE TRUE DO n := n + 1; END_WHILE;"),
                 """
- name: hang
  timeline: [{at_ms: 20, expect: {n: 0}}]
""")
    error = report.tests[0].error
    assert error and "Main, line 4" in error and "loop statements" in error


def test_recursion_is_refused_naming_the_chain():
    with pytest.raises(PlcPilotError, match="recursive call.*F -> G -> F"):
        machine_factory("""
FUNCTION F : INT VAR_INPUT n : INT; END_VAR F := G(n); END_FUNCTION
FUNCTION G : INT VAR_INPUT n : INT; END_VAR G := F(n - 1); END_FUNCTION
PROGRAM Main VAR x : INT; END_VAR x := F(3); END_PROGRAM""")


# ---- POUs ----------------------------------------------------------------------------------

POUS = """
FUNCTION Clamp : INT
VAR_INPUT x, lo, hi : INT; END_VAR
Clamp := MIN(MAX(x, lo), hi);
END_FUNCTION

FUNCTION Scale : INT
VAR_INPUT x : INT; END_VAR
VAR_OUTPUT clipped : BOOL; END_VAR
Scale := Clamp(x * 2, 0, 100);
clipped := Scale <> x * 2;
END_FUNCTION

FUNCTION Swap : BOOL
VAR_IN_OUT a, b : INT; END_VAR
VAR t : INT; END_VAR
t := a; a := b; b := t; Swap := TRUE;
END_FUNCTION

FUNCTION_BLOCK Latch
VAR_INPUT set, reset : BOOL; END_VAR
VAR_OUTPUT Q : BOOL; END_VAR
VAR edge : R_TRIG; END_VAR
VAR_OUTPUT presses : INT; END_VAR
edge(CLK := set);
IF edge.Q THEN presses := presses + 1; END_IF;
Q := (set OR Q) AND NOT reset;
END_FUNCTION_BLOCK

FUNCTION_BLOCK Pump
VAR_INPUT start, stop : BOOL; END_VAR
VAR_OUTPUT running : BOOL; END_VAR
VAR_IN_OUT starts : INT; END_VAR
VAR l : Latch; END_VAR
l(set := start, reset := stop, Q => running);
starts := l.presses;
END_FUNCTION_BLOCK

PROGRAM Main
VAR_INPUT start, stop : BOOL; x : INT; END_VAR
VAR_OUTPUT running : BOOL; y : INT; clip : BOOL; a : INT := 1; b : INT := 2; n : INT; END_VAR
VAR p : Pump; ok : BOOL; END_VAR
p(start := start, stop := stop, starts := n);
running := p.running;
y := Scale(x, clipped => clip);
ok := Swap(a, b);
END_PROGRAM
"""


def test_nested_fbs_functions_outputs_and_in_out_by_reference():
    passes(POUS, """
- name: pump
  timeline:
    - {at_ms: 0, set: {start: true, x: 70}}
    - {at_ms: 10, expect: {running: true, n: 1, "p.l.presses": 1, y: 100, clip: true,
                           a: 2, b: 1, p: {running: true}}}
    - {at_ms: 10, set: {start: false, x: 20}}
    - {at_ms: 20, expect: {running: true, y: 40, clip: false, a: 1, b: 2}}
    - {at_ms: 20, set: {stop: true}}
    - {at_ms: 30, expect: {running: false}}
    - {at_ms: 30, set: {stop: false, start: true}}
    - {at_ms: 40, expect: {running: true, n: 2}}
""")


def test_a_function_under_test_is_named_by_its_result():
    passes(POUS, """
- name: scale
  timeline:
    - {at_ms: 0, set: {x: 30}}
    - {at_ms: 10, expect: {Scale: 60, clipped: false}}
    - {at_ms: 10, set: {x: -1}}
    - {at_ms: 20, expect: {Scale: 0, clipped: true}}
""", entry="Scale")


def test_the_last_program_runs_unless_an_entry_names_another():
    source = POUS + "PROGRAM Other VAR_OUTPUT z : INT; END_VAR z := 7; END_PROGRAM\n"
    passes(source, "[{name: default, timeline: [{at_ms: 10, expect: {z: 7}}]}]")
    passes(source, "[{name: fb, timeline: [{at_ms: 10, expect: {Q: false}}]}]", entry="Latch")
    with pytest.raises(PlcPilotError, match="no PROGRAM, FUNCTION_BLOCK or FUNCTION"):
        machine_factory(source, entry="Nope")


# ---- standard function blocks --------------------------------------------------------------

TIMERS = program("""VAR_INPUT in : BOOL; END_VAR
VAR ton1 : TON; tof1 : TOF; pulse : TP; END_VAR""", """
ton1(IN := in, PT := T#100ms); tof1(IN := in, PT := T#50ms); pulse(IN := in, PT := T#30ms);""")


def test_ton_turns_on_after_its_preset_and_resets_when_in_goes_off():
    passes(TIMERS, """
- name: ton
  timeline:
    - {at_ms: 0, set: {in: true}}
    - {at_ms: 90, expect: {ton1: {Q: false, ET: 90}}}
    - {at_ms: 100, expect: {ton1.Q: true, ton1.ET: "T#100ms"}}
    - {from_ms: 100, to_ms: 300, hold: {ton1.Q: true}}
    - {at_ms: 300, set: {in: false}}
    - {at_ms: 310, expect: {ton1: {Q: false, ET: 0}}}
""")


def test_tof_holds_q_for_its_preset_after_in_goes_off():
    passes(TIMERS, """
- name: tof
  timeline:
    - {at_ms: 0, set: {in: true}}
    - {at_ms: 10, expect: {tof1.Q: true}}
    - {at_ms: 100, set: {in: false}}
    - {at_ms: 140, expect: {tof1.Q: true, tof1.ET: 40}}
    - {at_ms: 150, expect: {tof1.Q: false, tof1.ET: 50}}
""")


def test_tp_gives_one_pulse_of_its_preset_however_long_in_stays_on():
    passes(TIMERS, """
- name: tp
  timeline:
    - {at_ms: 0, set: {in: true}}
    - {from_ms: 0, to_ms: 20, hold: {pulse.Q: true}}
    - {from_ms: 20, to_ms: 200, hold: {pulse.Q: false}}
    - {at_ms: 200, expect: {pulse.ET: 30}}
    - {at_ms: 200, set: {in: false}}
    - {at_ms: 210, expect: {pulse.ET: 0}}
    - {at_ms: 210, set: {in: true}}
    - {at_ms: 220, expect: {pulse.Q: true}}
""")


def test_counters_count_rising_edges():
    passes(program("""VAR_INPUT up, down, reset, load : BOOL; END_VAR
VAR cu : CTU; cd : CTD; cud : CTUD; END_VAR""", """
cu(CU := up, R := reset, PV := 2);
cd(CD := down, LD := load, PV := 2);
cud(CU := up, CD := down, R := reset, LD := load, PV := 2);"""), """
- name: counters
  timeline:
    - {at_ms: 0, set: {load: true}}
    - {at_ms: 10, set: {load: false, up: true}}
    - {at_ms: 20, expect: {cu: {CV: 1, Q: false}, cd: {CV: 2, Q: false}, cud: {CV: 3, QU: true}}}
    - {at_ms: 20, set: {up: false}}
    - {at_ms: 30, set: {up: true}}
    - {at_ms: 40, expect: {cu: {CV: 2, Q: true}}}
    - {at_ms: 40, set: {up: false, down: true}}
    - {at_ms: 50, set: {down: false}}
    - {at_ms: 60, set: {down: true}}
    - {at_ms: 70, expect: {cd: {CV: 0, Q: true}, cud: {CV: 2, QD: false}}}
    - {at_ms: 70, set: {reset: true}}
    - {at_ms: 80, expect: {cu.CV: 0, cud.CV: 0, cud.QD: true}}
""")


def test_edges_and_bistables():
    passes(program("""VAR_INPUT clk, s, r : BOOL; END_VAR
VAR re : R_TRIG; fe : F_TRIG; sr1 : SR; rs1 : RS; END_VAR""", """
re(CLK := clk); fe(CLK := clk); sr1(S1 := s, R := r); rs1(S := s, R1 := r);"""), """
- name: edges
  timeline:
    - {at_ms: 10, expect: {re.Q: false, fe.Q: false}}
    - {at_ms: 10, set: {clk: true}}
    - {at_ms: 20, expect: {re.Q: true, fe.Q: false}}
    - {at_ms: 30, expect: {re.Q: false}}
    - {at_ms: 30, set: {clk: false}}
    - {at_ms: 40, expect: {fe.Q: true}}
    - {at_ms: 50, expect: {fe.Q: false}}
- name: set or reset dominant
  timeline:
    - {at_ms: 0, set: {s: true, r: true}}
    - {at_ms: 10, expect: {sr1.Q1: true, rs1.Q1: false}}
    - {at_ms: 10, set: {r: false}}
    - {at_ms: 20, expect: {sr1.Q1: true, rs1.Q1: true}}
    - {at_ms: 20, set: {s: false}}
    - {at_ms: 30, expect: {sr1.Q1: true, rs1.Q1: true}}
    - {at_ms: 30, set: {r: true}}
    - {at_ms: 40, expect: {sr1.Q1: false, rs1.Q1: false}}
""")


# ---- standard functions --------------------------------------------------------------------

def test_a_sample_of_standard_functions():
    passes(program("""VAR_OUTPUT
  sel, mux, lim, mn, mx, ri1, ri2, ri3, tr, ab, ex : INT;
  sl, sr, rl, rr : BYTE; rlw : WORD;
  sq, ln1, sn, ir : REAL;
  s1, s2, s3, s4 : STRING; fnd, ln : INT; d : DINT;
END_VAR""", """
sel := SEL(TRUE, 1, 2); mux := MUX(2, 10, 20, 30); lim := LIMIT(0, 150, 100);
mn := MIN(4, -2, 9); mx := MAX(IN1 := 4, IN2 := 9);
ri1 := REAL_TO_INT(2.5); ri2 := REAL_TO_INT(3.5); ri3 := REAL_TO_INT(-1.5);
tr := TRUNC(-2.7); ab := ABS(-5); ex := EXPT(2, 10);
sl := SHL(BYTE#16#81, 1); sr := SHR(BYTE#16#81, 1); rl := ROL(BYTE#16#81, 1);
rr := ROR(BYTE#16#81, 1); rlw := ROL(WORD#16#8001, 4);
sq := SQRT(2.0); ln1 := LN(1.0); sn := SIN(0.0); ir := INT_TO_REAL(7) / 2;
s1 := CONCAT('ab', 'cd', 'e'); s2 := LEFT('hello', 2); s3 := RIGHT('hello', 3);
s4 := MID('hello', 3, 2); fnd := FIND('hello', 'll'); ln := LEN('hello');
d := DINT#7 * 1000;"""), """
- name: functions
  timeline:
    - {at_ms: 10, expect: {sel: 2, mux: 30, lim: 100, mn: -2, mx: 9, ri1: 2, ri2: 4, ri3: -2,
                           tr: -2, ab: 5, ex: 1024, sl: 0x02, sr: 0x40, rl: 0x03, rr: 0xC0,
                           rlw: 0x0018, sq: 1.4142136, ln1: 0.0, sn: 0.0, ir: 3.5,
                           s1: abcde, s2: he, s3: llo, s4: ell, fnd: 3, ln: 5, d: 7000}}
""")


def test_integer_division_by_zero_is_a_run_time_error():
    report = run(program("VAR_INPUT d : INT; END_VAR VAR q : INT; END_VAR", "q := 10 / d;"),
                 "[{name: div0, timeline: [{at_ms: 10, expect: {q: 0}}]}]")
    assert "integer division by zero" in report.tests[0].error


def test_signals_list_the_interface_then_locals():
    m = machine_factory(POUS)()
    assert m.signals()[:4] == ["start", "stop", "x", "running"]
    assert "ok" in m.signals() and "p" not in m.signals()


# ---- real POUs from OSCAT --------------------------------------------------------------------

def _oscat(corpus, name: str) -> str:
    return (corpus / "st" / "oscat" / name).read_text(encoding="utf-8", errors="replace")


def test_oscat_bit_functions_do_what_their_documentation_says(corpus):
    logic = _oscat(corpus, "OSCAT_BASIC_3.33-16_Logic_Modules.st")
    # REVERSE mirrors the bits of a byte; BIT_COUNT counts the set bits of a DWORD;
    # WORD_OF_BYTE puts B1 in the high byte and B0 in the low byte
    passes(logic, """
- name: reverse
  timeline:
    - {at_ms: 0, set: {IN: 0x01}}
    - {at_ms: 10, expect: {REVERSE: 0x80}}
    - {at_ms: 10, set: {IN: 0x0E}}
    - {at_ms: 20, expect: {REVERSE: 0x70}}
""", entry="REVERSE", library=True)
    passes(logic, """
- name: bits
  timeline:
    - {at_ms: 0, set: {IN: 0xF0F00001}}
    - {at_ms: 10, expect: {BIT_COUNT: 9}}
""", entry="BIT_COUNT", library=True)
    passes(logic, """
- name: word of bytes
  timeline:
    - {at_ms: 0, set: {B1: 0x12, B0: 0x34}}
    - {at_ms: 10, expect: {WORD_OF_BYTE: 0x1234}}
""", entry="WORD_OF_BYTE", library=True)


def test_oscat_mid3_picks_the_middle_value(corpus):
    passes(_oscat(corpus, "OSCAT_BASIC_3.33-5_Mathematics.st"), """
- name: middle
  timeline:
    - {at_ms: 0, set: {IN1: 3.0, IN2: 1.0, IN3: 2.0}}
    - {at_ms: 10, expect: {MID3: 2.0}}
    - {at_ms: 10, set: {IN1: -1.5, IN2: 7.0, IN3: 0.5}}
    - {at_ms: 20, expect: {MID3: 0.5}}
""", entry="MID3", library=True)


def test_oscat_toggle_flips_on_each_rising_clock_edge(corpus):
    passes(_oscat(corpus, "OSCAT_BASIC_3.33-17_Latches_Flipflop_and_Shift_Registers.st"), """
- name: toggle
  timeline:
    - {at_ms: 0, set: {CLK: true}}
    - {at_ms: 10, expect: {Q: true}}
    - {from_ms: 10, to_ms: 50, hold: {Q: true}}
    - {at_ms: 50, set: {CLK: false}}
    - {at_ms: 60, set: {CLK: true}}
    - {at_ms: 70, expect: {Q: false}}
    - {at_ms: 70, set: {RST: true, CLK: false}}
    - {at_ms: 80, set: {RST: false, CLK: true}}
    - {at_ms: 90, expect: {Q: true}}
""", entry="TOGGLE", library=True)


def test_en_false_skips_a_call_and_eno_reports_it():
    passes(POUS + """PROGRAM Gate
VAR_INPUT go : BOOL; END_VAR
VAR_OUTPUT y : INT := -1; ran : BOOL; count : INT; END_VAR
VAR l : Latch; END_VAR
y := Clamp(EN := go, x := 500, lo := 0, hi := 10, ENO => ran);
l(EN := go, set := TRUE);
count := l.presses;
END_PROGRAM
""", """
- name: gate
  timeline:
    - {at_ms: 10, expect: {y: 0, ran: false, count: 0}}
    - {at_ms: 10, set: {go: true}}
    - {at_ms: 20, expect: {y: 10, ran: true, count: 1}}
""", entry="Gate")


def test_var_temp_starts_afresh_on_every_call_and_var_keeps_its_value():
    passes("""FUNCTION_BLOCK Acc
VAR_OUTPUT kept, fresh : INT; END_VAR
VAR k : INT; END_VAR
VAR_TEMP t : INT; END_VAR
k := k + 1; t := t + 1; kept := k; fresh := t;
END_FUNCTION_BLOCK
""", "[{name: temp, timeline: [{at_ms: 30, expect: {kept: 3, fresh: 1}}]}]")


def test_globals_reach_programs_through_var_external():
    passes("""
VAR_GLOBAL total : DINT; limit : INT := 3; END_VAR
FUNCTION_BLOCK Adder
VAR_EXTERNAL total : DINT; END_VAR
total := total + 1;
END_FUNCTION_BLOCK
PROGRAM Main
VAR_EXTERNAL total : DINT; limit : INT; END_VAR
VAR a : Adder; full : BOOL; END_VAR
a();
full := total >= limit;
END_PROGRAM
""", """
- name: shared
  timeline:
    - {at_ms: 20, expect: {total: 2, full: false}}
    - {at_ms: 30, expect: {total: 3, full: true}}
""")


def test_a_test_cannot_set_a_constant():
    with pytest.raises(PlcPilotError, match="N is a CONSTANT"):
        run(program("VAR CONSTANT N : INT := 3; END_VAR", ""),
            "[{name: c, timeline: [{at_ms: 0, set: {N: 4}}]}]")


def test_values_of_the_wrong_type_at_run_time_are_the_tests_error_not_a_crash():
    report = run(program("VAR s : STRING; n : INT; END_VAR", "n := s + 1;"),
                 "[{name: types, timeline: [{at_ms: 10, expect: {n: 0}}]}]")
    assert "wrong type" in report.tests[0].error


def test_oscat_tonof_delays_both_edges_with_a_standard_ton(corpus):
    # TONOF: Q follows IN, switching on T_ON after IN rises and off T_OFF after it falls
    passes(_oscat(corpus, "OSCAT_BASIC_3.33-15_Pulse_Generators.st"), """
- name: on and off delays
  timeline:
    - {at_ms: 0, set: {T_ON: "T#50ms", T_OFF: "T#100ms"}}
    - {at_ms: 100, set: {IN: true}}
    - {from_ms: 100, to_ms: 140, hold: {Q: false}}
    - {at_ms: 150, expect: {Q: true}}
    - {at_ms: 300, set: {IN: false}}
    - {from_ms: 300, to_ms: 390, hold: {Q: true}}
    - {at_ms: 400, expect: {Q: false}}
""", entry="TONOF", library=True)


def test_oscat_tmin_stretches_a_short_pulse_to_its_minimum(corpus):
    passes(_oscat(corpus, "OSCAT_BASIC_3.33-15_Pulse_Generators.st"), """
- name: stretch
  timeline:
    - {at_ms: 0, set: {PT: "T#80ms", IN: true}}
    - {at_ms: 20, set: {IN: false}}
    - {from_ms: 20, to_ms: 70, hold: {Q: true}}
    - {at_ms: 80, expect: {Q: false}}
""", entry="TMIN", library=True)
