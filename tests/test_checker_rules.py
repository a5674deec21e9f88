"""Each checker rule: a passing and a failing example (tests assert codes, not wording)."""

import pytest

from plcpilot.fxil import check


def codes(text, cpu="fx3u"):
    r = check(text, cpu)
    return {d.code for d in r.errors + r.warnings}


@pytest.mark.parametrize(("program", "code"), [
    ("BSET D0 K4\nEND", "unknown-mnemonic"),
    ("LD X0\nMEP\nOUT Y0\nEND", "not-on-cpu:fx2n"),
    ("LD X0\nOUT\nEND", "operand-count"),
    ("LD X0\nOUT Y0 Y1\nEND", "operand-count"),
    ("LD X0\nOUT Y0.1\nEND", "operand-syntax"),
    ("LD X0\nOUT X1\nEND", "operand-device"),
    ("LD X0\nMOV D0 K5\nEND", "operand-device"),
    ("LD X0\nOUT M9000\nEND", "operand-range"),
    ("LD X0\nDMOV K1 D8511\nEND", "operand-range"),
    ("LD X0\nMUL D0 D1 D8511\nEND", "operand-range"),
    ("LD X0\nCMP D0 K1 Y366\nEND", "operand-range"),
    ("LD X0\nSFTLP X0 M7670 K16 K1\nEND", "operand-range"),
    ("LD X0\nLDD= V7 K0\nANB\nOUT Y0\nEND", "operand-range"),
    ("LD X8\nOUT Y0\nEND", "octal-digit"),
    ("LD X0\nOUT Y19\nEND", "octal-digit"),
    ("LD X0\nMOV K40000 D0\nEND", "constant-range"),
    ("LD X0\nOUT T0\nEND", "missing-preset"),
    ("AND X0\nOUT Y0\nEND", "first-not-load"),
    ("ORB\nOUT Y0\nEND", "first-not-load"),
    ("LD X0\nOUT Y0\nFEND\nOUT Y1\nEND", "no-condition"),
    ("LD X0\nLD X1\nOUT Y0\nEND", "block-stack"),
    ("LD X0\nORB\nOUT Y0\nEND", "block-stack"),
    ("LD X0\nMPS\nAND X1\nOUT Y0\nEND", "stack-unbalanced"),
    ("LD X0\nMRD\nOUT Y0\nEND", "stack-unbalanced"),
    ("LD M8002\nSET S0\nSTL S0\nOUT Y0\nEND", "stl-without-ret"),
    ("LD X0\nOUT Y0\nRET\nEND", "ret-without-stl"),
    ("LD X0\nMC N0 M100\nLD X1\nOUT Y0\nEND", "mc-nesting"),
    ("LD X0\nMC N1 M100\nLD X1\nOUT Y0\nMCR N1\nEND", "mc-nesting"),
    ("LD X0\nMCR N0\nEND", "mc-nesting"),
    ("STL S0\nLD X0\nMC N0 M10\nLD X1\nOUT Y0\nMCR N0\nRET\nEND", "mc-in-stl"),
    ("LD X0\nOUT Y0", "missing-end"),
    ("FOR K3\nLD M8000\nINC D0\nEND", "for-next"),
    ("LD X0\nOUT Y0\nNEXT\nEND", "for-next"),
    ("LD X0\nCALL P1\nFEND\nP2\nLD X1\nOUT Y1\nSRET\nEND", "undefined-pointer"),
    ("LD X0\nCJ P1\nP1\nLD X1\nOUT Y0\nP1\nEND", "duplicate-pointer"),
    ("LD X0\nOUT Y0\n2:\nEND", "bad-label"),
    ("The motor should run.", "no-code"),
    ("LD X0\nOUT Y0\nLD X1\nOUT Y0\nEND", "double-coil"),
    ("LD X0\nOUT T0 K5\nLD X1\nOUT T0 K5\nEND", "timer-twice"),
    ("LD X0\nSET Y0\nLD X1\nOUT Y0\nEND", "set-and-out"),
    ("LD X0\nOUT Y0\nEND\nLD X1\nOUT Y1", "after-end"),
    ("LD X0\nAND X1\nEND", "dangling-condition"),
    ("Here it is:\nLD X0\nOUT Y0\nEND", "prose-skipped"),
])
def test_rule_fires_on_its_failing_example(program, code):
    code, _, cpu = code.partition(":")
    found = codes(program, cpu or "fx3u")
    assert code in found, found


@pytest.mark.parametrize("program", [
    "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND",
    "LD X0\nOUT T0 K50\nLD T0\nOUT Y0\nEND",
    "LD X0\nAND X1\nLD X2\nAND X3\nORB\nOUT Y0\nEND",
    "LD X0\nOR X1\nLD X2\nOR X3\nANB\nOUT Y0\nEND",
    "LD X0\nMPS\nAND X1\nOUT Y0\nMRD\nAND X2\nOUT Y1\nMPP\nOUT Y2\nEND",
    "LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y0\nLD X1\nSET S0\nRET\nEND",
    "LD X0\nMC N0 M100\nLD X1\nOUT Y0\nLD X2\nMC N1 M101\nLD X3\nOUT Y1\nMCR N1\nMCR N0\nEND",
    "LD X0\nCALL P1\nFEND\nP1\nLD X1\nOUT Y1\nSRET\nEND",
    "LD X0\nCJ P63\nLD X1\nOUT Y0\nEND",
    "LD X0\nOUT C200 K100000\nLDD>= C200 K70000\nOUT Y0\nEND",
    "LD M8000\nMOV K4X0 D0\nMOV D0 K4Y0\nEND",
])
def test_idiomatic_programs_have_no_diagnostics(program):
    r = check(program)
    assert r.is_valid and not r.warnings, r.errors + r.warnings
    assert r.overall == 1.0


def test_same_coil_in_different_stl_steps_is_not_a_double_coil():
    program = ("LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y0\nLD X1\n"
               "SET S0\nRET\nEND")
    assert "double-coil" not in codes(program)


def test_all_errors_are_collected_not_just_the_first():
    r = check("AND X0\nOUT X1\nLD X9\nBSET D0\nOUT T0")
    assert {"first-not-load", "operand-device", "octal-digit", "unknown-mnemonic",
            "missing-preset", "missing-end"} <= {e.code for e in r.errors}


def test_tiers_follow_the_paper_three_tier_definition():
    r = check("LD X0\nFOO X1\nOUT Y0 Y1\nLD X2\nOUT Y0\nEND")
    # 6 lines, 5 recognised; 4 of 5 with valid operands; invariants: END ok, first ok,
    # stack ok, Y0 driven twice -> 3/4
    assert r.tiers == {"lexical": round(5 / 6, 3), "syntactic": 0.8, "semantic": 0.75}
    assert r.overall == round((round(5 / 6, 3) + 0.8 + 0.75) / 3, 3)
