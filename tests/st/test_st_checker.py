"""The ST checker: one small program per rule (code, line, column), clean programs, hostile
input, and the real libraries (OSCAT, PLCreX), where every error left is listed with its cause.

Programs put one statement per line so that a diagnostic's line says which statement it is.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("tree_sitter_iec61131_3_st")

from plcpilot.st.checker import check, check_parsed  # noqa: E402
from plcpilot.st.codes import CHECK_CODES, CODES  # noqa: E402
from plcpilot.st.parser import parse  # noqa: E402
from plcpilot.st.scope import Library  # noqa: E402
from plcpilot.st.stdlib_signatures import FUNCTION_BLOCKS, FUNCTIONS, GENERICS  # noqa: E402

CLEAN = """\
TYPE
  MODE : (IDLE, RUN := 5, STOPPED);
  POINT : STRUCT x : REAL; y : REAL := 1.0; END_STRUCT;
  PERCENT : INT(0..100);
END_TYPE

FUNCTION_BLOCK PUMP
  VAR_INPUT start, stop : BOOL; speed : PERCENT; END_VAR
  VAR_OUTPUT running : BOOL; elapsed : TIME; END_VAR
  VAR
    t : TON; edge : R_TRIG; cnt : CTU; mode : MODE := IDLE;
    p : POINT; pts : ARRAY[1..3] OF POINT; w : WORD := 16#00FF; i : INT; d : DINT;
    r : REAL; lr : LREAL; s : STRING(20); tm : TIME := T#1s; ptr : POINTER TO INT;
  END_VAR
  VAR CONSTANT limit : INT := 10; END_VAR
  edge(CLK := start);
  IF edge.Q THEN running := TRUE; mode := RUN; END_IF;
  IF stop THEN running := FALSE; mode := MODE.STOPPED; END_IF;
  t(IN := running, PT := tm + T#500ms);
  elapsed := t.ET;
  cnt(CU := t.Q, R := stop, PV := limit);
  CASE mode OF
    IDLE: i := 0;
    RUN, STOPPED: i := 1;
  END_CASE;
  CASE i OF 0..4: d := 1; 5, 6: d := 2; ELSE d := 3; END_CASE;
  p.x := INT_TO_REAL(speed) / 100.0;
  pts[2].y := p.x * 2.0 + r;
  w := SHL(w, 2) AND 16#0F0F OR WORD#1;
  d := i + d * 2;
  r := i;
  lr := r * 2.5;
  r := SQRT(r) + ABS(r) + EXPT(2.0, 3) + SIN(r) + LN(2.0);
  i := LIMIT(0, i, limit);
  d := MAX(d, i, 7);
  i := SEL(running, 1, 2) + MUX(i, 3, 4, 5);
  s := CONCAT('a', LEFT(s, 3));
  i := LEN(s) + FIND(s, 'b');
  d := TRUNC(r) + REAL_TO_DINT(lr) + TIME_TO_DINT(elapsed);
  tm := DINT_TO_TIME(d) * 2;
  ptr := ADR(i);
  ptr^ := 3;
  running := running AND (tm > T#2s) AND (s <> '') AND NOT (r >= 1.5);
  FOR i := 1 TO 3 BY 1 DO
    pts[i].x := 0.0;
    IF i = 2 THEN EXIT; END_IF;
  END_FOR;
  WHILE i > 0 DO i := i - 1; END_WHILE;
  REPEAT i := i + 1; UNTIL i >= 3 END_REPEAT;
END_FUNCTION_BLOCK

FUNCTION AVG : REAL
  VAR_INPUT a, b : REAL; END_VAR
  AVG := (a + b) / 2.0;
END_FUNCTION

PROGRAM MAIN
  VAR_EXTERNAL g : INT; END_VAR
  VAR pump : PUMP; x : REAL; ok : BOOL; END_VAR
  pump(start := TRUE, stop := FALSE, speed := 50, running => ok);
  x := AVG(1.0, x) + AVG(a := 2, b := g);
END_PROGRAM

CONFIGURATION CELL
  VAR_GLOBAL g : INT := 3; END_VAR
  RESOURCE CPU ON PLC
    TASK FAST(INTERVAL := T#10ms, PRIORITY := 1);
    PROGRAM M1 WITH FAST : MAIN;
  END_RESOURCE
END_CONFIGURATION
"""


def found(text: str) -> list[tuple[str, int, int]]:
    report = check(text)
    return [(d.code, d.line, d.column) for d in report.errors + report.warnings]


def program(decls: str, *body: str) -> str:
    """A PROGRAM with its declarations on line 3 and body statement k (0-based) on line 5 + k."""
    return "PROGRAM P\nVAR\n" + decls + "\nEND_VAR\n" + "\n".join(body) + "\nEND_PROGRAM\n"


# ---- clean programs and the report -------------------------------------------------------

def test_a_program_using_every_construct_has_no_diagnostics():
    report = check(CLEAN)
    assert report.errors == [] and report.warnings == []
    assert report.is_valid and report.language == "st"
    assert report.tiers == {"lexical": 1.0, "syntactic": 1.0, "semantic": 1.0}
    assert report.overall == 1.0 and report.stats["pous"] == 3


def test_small_clean_programs_have_no_diagnostics():
    assert found(program("x : INT;", "x := x + 1;")) == []
    assert found("FUNCTION F : BOOL\nVAR_INPUT a : BOOL; END_VAR\nF := NOT a;\n"
                 "END_FUNCTION\n") == []


def test_the_report_follows_formats_section_2():
    report = check(program("x : INT;", "x := y;"))
    data = report.model_dump(exclude_none=True)
    assert set(data) >= {"language", "is_valid", "tiers", "overall", "errors", "warnings"}
    assert not report.is_valid
    assert report.overall == round(sum(report.tiers.values()) / 3, 3)
    error = data["errors"][0]
    assert error["code"] == "undeclared" and error["hint"] == CODES["undeclared"].hint
    assert "y" in error["message"]


# ---- one program per rule ----------------------------------------------------------------

def test_undeclared_variable_and_member():
    assert found(program("x : INT;", "x := y + 1;")) == [("undeclared", 5, 6)]
    text = program("p : POINT;", "p.z := 1.0;")
    text = "TYPE POINT : STRUCT x : REAL; END_STRUCT; END_TYPE\n" + text
    assert found(text) == [("undeclared", 6, 1)]
    assert "no member z" in check(text).errors[0].message


def test_a_name_declared_twice_is_an_error_at_the_second():
    """Seen in a Qwen2.5-Coder answer: `data` as VAR_INPUT and again as VAR_OUTPUT, which the
    interpreter could not run (it raised TypeError reading data[1])."""
    text = ("FUNCTION_BLOCK F\nVAR_INPUT data : ARRAY[1..6] OF INT; END_VAR\n"
            "VAR_OUTPUT DATA : ARRAY[1..6] OF INT; END_VAR\ndata[1] := 2;\n"
            "END_FUNCTION_BLOCK\n")
    report = check(text)
    assert [(d.code, d.line) for d in report.errors] == [("duplicate-declaration", 3)]
    assert "first in VAR_INPUT, line 2" in report.errors[0].message


def test_fb_instances_expose_their_inputs_and_outputs_and_methods_see_their_fb():
    text = program("t : TON; ok : BOOL;", "t.PT := T#1s;", "ok := t.Q;", "ok := t.QQ;")
    assert found(text) == [("undeclared", 7, 7)]
    fb = ("FUNCTION_BLOCK F\nVAR x : INT; END_VAR\nMETHOD Reset : BOOL\nTHIS^.x := 0;\n"
          "x := 1;\nReset := TRUE;\nEND_METHOD\nx := x + 1;\nEND_FUNCTION_BLOCK\n")
    assert found(fb) == []

def test_unknown_type_is_reported_where_declared():
    assert found(program("t : TONN;", "t(IN := TRUE);")) == [("unknown-type", 3, 5)]


def test_unused_local_is_a_warning_but_interface_variables_are_not():
    text = program("used, spare : INT;", "used := 1;")
    assert found(text) == [("unused-variable", 3, 1)]
    assert "spare" in check(text).warnings[0].message and check(text).is_valid
    fb = ("FUNCTION_BLOCK F\nVAR_INPUT a : INT; END_VAR\nVAR_OUTPUT q : INT; END_VAR\n"
          "VAR_IN_OUT io : INT; END_VAR\nEND_FUNCTION_BLOCK\n")
    assert found(fb) == []


@pytest.mark.parametrize(("decls", "statement", "code"), [
    ("b : BOOL; i : INT;", "b := i;", "type-mismatch"),  # BOOL vs integer
    ("i : INT; r : REAL;", "i := r;", "type-mismatch"),  # REAL into integer
    ("i : INT; t : TIME;", "i := t;", "type-mismatch"),  # TIME vs integer
    ("s : STRING; i : INT;", "s := i;", "type-mismatch"),  # STRING vs anything
    ("i : INT; d : DINT;", "i := d;", "narrowing"),  # DINT into INT: a warning
    ("r : REAL; l : LREAL;", "r := l;", "narrowing"),
])
def test_assignment_type_errors(decls, statement, code):
    assert found(program(decls, statement)) == [(code, 5, 6)]


@pytest.mark.parametrize(("decls", "statement"), [
    ("i : INT; d : DINT;", "d := i;"),  # widening integer
    ("i : INT; r : REAL;", "r := i;"),  # integer to REAL: allowed as CODESYS does
    ("i : INT; w : WORD;", "w := i;"),  # same width, other sign: silent
    ("b : BOOL;", "b := 1;"),  # CODESYS reads 0 and 1 as BOOL
    ("r : REAL; l : LREAL;", "l := r;"),
])
def test_implicit_widening_is_silent(decls, statement):
    assert found(program(decls, statement)) == []


def test_operator_and_condition_type_errors():
    assert found(program("t : TIME; i : INT;", "t := t + i;")) == [("type-mismatch", 5, 6)]
    assert found(program("b : BOOL; i : INT;", "b := b AND i;")) == [("type-mismatch", 5, 6)]
    assert found(program("i : INT;", "IF i THEN", "i := 0;", "END_IF;")) == [
        ("type-mismatch", 5, 4)]


def test_call_argument_type_errors():
    text = program("t : TON; i : INT;", "t(IN := i, PT := T#1s);", "i := LEN(i);")
    assert found(text) == [("type-mismatch", 5, 9), ("type-mismatch", 6, 10)]


def test_write_to_input_warns_and_to_constant_errs():
    fb = "FUNCTION_BLOCK F\nVAR_INPUT a : INT; END_VAR\na := 1;\nEND_FUNCTION_BLOCK\n"
    assert found(fb) == [("write-input", 3, 1)]
    text = "PROGRAM P\nVAR CONSTANT k : INT := 1; END_VAR\nk := 2;\nEND_PROGRAM\n"
    assert found(text) == [("write-constant", 3, 1)]


def test_fb_type_called_without_instance():
    text = program("x : BOOL;", "TON(IN := x, PT := T#1s);")
    assert found(text) == [("fb-without-instance", 5, 1)]
    assert "TON" in check(text).errors[0].message


def test_function_that_never_assigns_its_result_warns():
    text = "FUNCTION F : INT\nVAR_INPUT a : INT; END_VAR\nIF a > 0 THEN\nRETURN;\nEND_IF;\n" \
           "END_FUNCTION\n"
    assert found(text) == [("no-result", 1, 1)]
    assigned = "FUNCTION F : INT\nIF TRUE THEN\nF := 1;\nEND_IF;\nEND_FUNCTION\n"
    assert found(assigned) == []


def test_statements_after_return_or_exit_are_unreachable():
    text = program("i : INT;", "RETURN;", "i := 1;")
    assert found(text) == [("unreachable", 6, 1)]
    loop = program("i : INT;", "FOR i := 1 TO 3 DO", "EXIT;", "i := 2;", "END_FOR;")
    assert found(loop) == [("unreachable", 7, 1)]


def test_case_on_a_non_integer_selector():
    assert found(program("r : REAL; i : INT;", "CASE r OF 1: i := 1; END_CASE;")) == [
        ("case-selector", 5, 6)]


def test_case_labels_that_cannot_match_and_duplicates():
    text = program("s : SINT; i : INT;", "CASE s OF", "1, 200: i := 1;", "'a': i := 2;",
                   "1: i := 3;", "END_CASE;")
    assert found(text) == [("case-label", 6, 4), ("case-label", 7, 1),
                           ("case-duplicate", 8, 1)]
    enums = "TYPE A : (A1, A2); B : (B1); END_TYPE\n" + program(
        "a : A; i : INT;", "CASE a OF", "A1, B1: i := 1;", "A2..A2, A1: i := 2;", "END_CASE;")
    assert ("case-label", 7, 5) in found(enums) and ("case-duplicate", 8, 9) in found(enums)


def test_integer_literals_out_of_range():
    assert found(program("s : SINT := 300;", "s := 1;")) == [("literal-range", 3, 13)]
    assert found(program("u : UINT;", "u := -1;")) == [("literal-range", 5, 6)]
    assert found(program("i : INT;", "i := SINT#200;")) == [("literal-range", 5, 6)]
    assert found(program("a : ARRAY[1..2] OF BYTE := [1, 256];", "a[1] := 0;")) == [
        ("literal-range", 3, 32)]


def test_calls_to_unknown_names_wrong_parameters_and_argument_counts():
    f = "FUNCTION F : INT\nVAR_INPUT a, b : INT; END_VAR\nF := a + b;\nEND_FUNCTION\n"
    text = f + program("t : TON; i : INT;", "i := G(1);", "t(IN := TRUE, PTT := T#1s);",
                       "i := F(1);", "i := F(1, 2, 3);", "i := F(a := 1, c := 2);",
                       "i := LIMIT(1, 2);")
    assert found(text) == [("unknown-call", 9, 6), ("bad-parameter", 10, 15),
                           ("argument-count", 11, 6), ("argument-count", 12, 6),
                           ("bad-parameter", 13, 16), ("argument-count", 14, 6)]


# ---- syntax errors, hostile input, tiers ---------------------------------------------------

def test_syntax_errors_are_errors_and_other_pous_are_still_checked():
    text = ("FUNCTION_BLOCK A\nVAR_INPUT x : BOOL END_VAR\nEND_FUNCTION_BLOCK\n"
            "PROGRAM B\nVAR y : INT; END_VAR\ny := z;\nEND_PROGRAM\n")
    report = check(text)
    assert [(d.code, d.line) for d in report.errors] == [("missing-token", 2),
                                                         ("undeclared", 6)]
    assert report.tiers["syntactic"] == 0.5


def test_lexical_tier_counts_lines_spoiled_by_an_open_string():
    report = check(program("s : STRING;", "s := 'abc;", "s := 'x';"))
    assert "unterminated-string" in [d.code for d in report.errors]
    assert report.tiers["lexical"] == round(1 - 1 / 7, 3)


@pytest.mark.parametrize("text", [
    "", "Motor runs when the button is pressed.", "PROGRAM", "END_PROGRAM END_IF ;;; :=",
    "PROGRAM P\nx := (((;\nEND_PROGRAM", "FUNCTION F : INT\nF := F(F(F));\nEND_FUNCTION",
    "PROGRAM P\nVAR a : ARRAY[1..2] OF UNKNOWN; END_VAR\na[1].b.c[2]^ := a(1)(2);\n"
    "END_PROGRAM", "PROGRAM P\n" + "IF TRUE THEN " * 200 + "x := 1;" + " END_IF;" * 200
    + "\nEND_PROGRAM",
])
def test_bad_programs_give_a_report_not_an_exception(text):
    report = check(text)
    assert not report.is_valid and 0.0 <= report.overall <= 1.0


def test_empty_text_has_no_code():
    report = check("")
    assert [d.code for d in report.errors] == ["no-code"] and report.overall == 0.0


def test_declarations_come_from_a_library_of_other_units():
    lib = parse("FUNCTION TWICE : INT\nVAR_INPUT a : INT; END_VAR\nTWICE := 2 * a;\n"
                "END_FUNCTION\n").unit
    text = program("i : INT;", "i := TWICE(i);")
    assert found(text) == [("unknown-call", 5, 6)]
    assert check_parsed(parse(text), text, [lib]).is_valid


# ---- the tables ----------------------------------------------------------------------------

def test_every_checker_code_has_a_title_explanation_and_hint():
    for code in CHECK_CODES:
        entry = CODES[code]
        assert entry.title and entry.explanation and entry.hint


def test_standard_signatures_name_only_types_the_checker_knows():
    lib = Library([])
    names = {p.type for sig in FUNCTION_BLOCKS.values() for p in sig.inputs + sig.outputs}
    names |= {p.type for sig in FUNCTIONS.values() for p in sig.params}
    names |= {sig.returns for sig in FUNCTIONS.values()}
    assert all(n in GENERICS or lib.named(n).kind != "any" for n in names)
    assert FUNCTION_BLOCKS["TON"].inputs[1].name == "PT"


# ---- real libraries ------------------------------------------------------------------------

def _per_pou(folder: Path) -> tuple[dict[str, bool], Counter, dict[str, set[str]]]:
    """Check every file of a folder with the others as its library. Per distinct POU name
    that parsed: whether every copy is free of errors; the error codes; the erring POUs."""
    files = sorted(folder.glob("*.st"))
    texts = {f: f.read_text(encoding="utf-8") for f in files}
    parsed = {f: parse(texts[f], f.name) for f in files}
    clean: dict[str, bool] = {}
    codes: Counter = Counter()
    failing: dict[str, set[str]] = {}
    for f in files:
        report = check_parsed(parsed[f], texts[f], [parsed[g].unit for g in files if g != f])
        for pou in parsed[f].unit.pous:
            if pou.has_errors:
                continue
            errors = [e for e in report.errors if pou.line <= e.line <= pou.end_line]
            clean[pou.name.upper()] = clean.get(pou.name.upper(), True) and not errors
            codes.update(e.code for e in errors)
            if errors:
                failing.setdefault(pou.name.upper(), set()).update(e.code for e in errors)
    return clean, codes, failing


OSCAT_ERRORS = {
    # this export renamed OSCAT's MULTIME to _MULTIME but not its callers
    **dict.fromkeys(("GEN_SQR", "GEN_RMP", "GEN_SIN", "DEAD_BAND_A", "FT_PROFILE"),
                    {"unknown-call"}),
    # Beremiz port: BYTE_TO_STRING(IN, '%c') passes a format, which no IEC conversion takes
    "BYTE_TO_STRH": {"argument-count"},
}


def test_oscat_pous_check_without_errors(corpus):
    clean, codes, failing = _per_pou(corpus / "st" / "oscat")
    assert len(clean) == 500  # the POUs that parse (test_st_parser says why 3 do not)
    assert failing == OSCAT_ERRORS, codes
    assert sum(clean.values()) >= 494  # measured 494/500 = 98.8 %, each failure real


PLCREX_ERRORS = {
    "TC070": {"undeclared"},  # FOR x1 with x1 never declared
    # TON's PT given as integer 2 and 3, the elapsed TIME stored in an INT, SR1.Q where IEC's
    # SR has Q1
    "TC081": {"type-mismatch", "undeclared"},
    # some_var : INT := SQRT(16#42) (REAL into INT) in the dead-code test file
    "DEAD_CODE_AFTER_RETURN": {"type-mismatch"},
}


def test_plcrex_pous_check_without_errors(corpus):
    clean, codes, failing = _per_pou(corpus / "st" / "plcrex")
    assert len(clean) == 105
    assert failing == PLCREX_ERRORS, codes
    assert sum(clean.values()) >= 102  # measured 102/105, each failure real


def test_ironplc_semantic_error_fixture_is_found(corpus):
    """Its textual SFC does not parse; the POU holding the planted error does."""
    text = (corpus / "st" / "ironplc" / "first_steps_semantic_error.st").read_text()
    report = check(text)
    assert any(d.code == "undeclared" and d.line == 9 and "BLAH" in d.message
               for d in report.errors)


def test_an_initial_value_that_reads_a_variable_is_an_error():
    """Seen in a Qwen2.5-Coder answer (`TimeRemaining : TIME := ChargingTime;`), which checked
    and then could not run; constants and enumerators stay allowed."""
    text = ("PROGRAM P\nVAR_INPUT t0 : TIME := T#30s; END_VAR\nVAR CONSTANT k : INT := 3; "
            "END_VAR\nVAR r : TIME := t0; n : INT := k * 2; END_VAR\nr := r - T#10ms;\n"
            "n := n + 1;\nEND_PROGRAM\n")
    assert [(d.code, d.line) for d in check(text).errors] == [("not-constant", 4)]
