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
    ("LD X0\nOUT Y0\n(* never closed\nEND", "unclosed-comment"),
    ("LD M8002\nSET S20\nSTL S20\nLD X0\nSET S21\nSTL S21\nLD X1\nSET S20\nSTL S20\nOUT Y0\n"
     "RET\nEND", "duplicate-step"),
    # counts outside the instruction table's limits (FX3U manual), negative and huge included
    ("LD X0\nDECO D0 M0 K-1\nEND", "constant-range"),
    ("LD X0\nENCO M0 D0 K-1\nEND", "constant-range"),
    ("LD X0\nENCO M0 D0 K32767\nEND", "constant-range"),
    ("LD X0\nDECO D0 D1 K100\nEND", "constant-range"),
    ("LD X0\nDECO D0 D1 K5\nEND", "constant-range"),
    ("LD X0\nENCO D0 D1 K30\nEND", "constant-range"),
    ("LD X0\nBMOV D0 D10 K513\nEND", "constant-range"),
    ("LD X0\nFMOV K0 D10 K0\nEND", "constant-range"),
    ("LD X0\nSFTL X0 M0 K4 K8\nEND", "constant-range"),
    ("LD X0\nSFTR X0 M0 K1025 K1\nEND", "constant-range"),
    ("LD X0\nROL D0 K16\nEND", "constant-range"),
    ("LD X0\nDROR D0 K32\nEND", "constant-range"),
    ("LD X0\nDECO S4095 D0 K2\nEND", "operand-range"),
    ("LD X0\nZRST M0 M8100\nEND", "operand-range"),
    ("LD X0\nZRST T0 M7679\nEND", "operand-device"),
    ("LD X0\nZRST C199 C200\nEND", "operand-device"),
    # numbers longer than any FX number (Python refuses int() past 4300 digits)
    ("LD X0\nMOV K" + "1" * 5000 + " D0\nEND", "constant-range"),
    ("LD X0\nMOV H" + "F" * 5000 + " D0\nEND", "constant-range"),
    ("LD X0\nMOV K1 D" + "1" * 5000 + "\nEND", "operand-range"),
    ("LD X0\nMOV K1 K4M" + "1" * 5000 + "\nEND", "operand-range"),
    ("LD X0\nCJ P" + "1" * 5000 + "\nEND", "operand-range"),
    ("LD X0\nOUT Y0\nP" + "1" * 5000 + "\nLD X1\nOUT Y1\nEND", "operand-range"),
    ("LD X0\nOUT Y0\nP5000\nLD X1\nOUT Y1\nEND", "operand-range"),
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
    # counts at the edges of their limits; ZRST with D1 > D2 (resets D1 only)
    "LD M8000\nDROL D0 K31\nSFTL X0 M0 K16 K16\nDECO D0 M0 K8\nENCO D0 D1 K4\n"
    "BMOV D0 D10 K512\nZRST M10 M0\nDECO D0 D2 K0\nEND",
    "0000 LD X0\n" + "0" * 5000 + " OUT Y0\nEND",  # a long step number is only a step number
])
def test_idiomatic_programs_have_no_diagnostics(program):
    r = check(program)
    assert r.is_valid and not r.warnings, r.errors + r.warnings
    assert r.overall == 1.0


def test_same_coil_in_different_stl_steps_is_not_a_double_coil():
    program = ("LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y0\nLD X1\n"
               "SET S0\nRET\nEND")
    assert "double-coil" not in codes(program)


def test_a_parallel_merge_names_states_that_have_their_own_steps():
    """FX manual pattern: each branch's last step, then `STL S21 / STL S31` joining them."""
    program = ("LD M8002\nSET S0\nSTL S0\nLD X0\nSET S21\nSET S31\nSTL S21\nOUT Y1\n"
               "STL S31\nOUT Y2\nSTL S21\nSTL S31\nLD X2\nSET S40\nSTL S40\nLD X3\nOUT S0\n"
               "RET\nEND")
    assert codes(program) == set()


def test_diagnostics_point_at_the_mnemonic_or_the_operand_column():
    r = check("0001  LD X0\n  OUT X1\nP1: LD X8 ; c\n\tMOV K1 D0 D1\n  LD X0\n  ORB\n")
    at = {(d.line, d.code): d.column for d in r.errors + r.warnings}
    assert at[(2, "operand-device")] == 7  # X1
    assert at[(3, "octal-digit")] == 8  # X8, after the label
    assert at[(4, "operand-count")] == 2  # MOV, after a tab
    assert at[(6, "block-stack")] == 3  # ORB
    assert at[(5, "dangling-condition")] == 3


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
