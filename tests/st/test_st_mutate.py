"""ST mutants: each kind of slip is produced where the program has it, every mutant still parses
and checks, and the list is the same on every call."""

from plcpilot.st import language
from plcpilot.st.checker import check
from plcpilot.st.mutate import mutants

SOURCE = """\
PROGRAM Demo
VAR_INPUT a, b : BOOL; x : INT; level : REAL; END_VAR
VAR_OUTPUT q, r : BOOL; y : INT; END_VAR
VAR t : TON; END_VAR
t(IN := a & b, PT := T#2s);
IF (a OR b) AND NOT(x < 3) THEN
  q := TRUE;
ELSE
  q := FALSE;
END_IF;
r := x <> 5 AND level >= 1.5;
y := x + 1;
END_PROGRAM
"""


def _descriptions(source: str) -> list[str]:
    return [d for d, _ in mutants(source)]


def test_every_kind_of_slip_is_produced():
    found = "\n".join(_descriptions(SOURCE))
    for slip in ("AND -> OR", "OR -> AND", "drop NOT", "< -> <=", "<> -> =", ">= -> >",
                 "T#2s -> T#4000ms", "1.5 -> 3.0", "3 -> 4", "TRUE -> FALSE",
                 "delete assignment to y", "swap THEN/ELSE"):
        assert slip in found, slip


def test_mutants_parse_check_and_differ_from_the_source():
    pairs = mutants(SOURCE)
    assert len({s for _, s in pairs}) == len(pairs)
    for description, source in pairs:
        assert source != SOURCE
        assert check(source).is_valid, description


def test_an_ampersand_becomes_a_spaced_or():
    assert "t(IN := a  OR  b, PT" in dict(mutants(SOURCE))["line 5: & -> OR"]


def test_swapping_branches_exchanges_the_bodies():
    swapped = dict(mutants(SOURCE))["line 6: swap THEN/ELSE"]
    assert swapped.index("q := FALSE") < swapped.index("ELSE") < swapped.index("q := TRUE")


def test_nested_if_and_case_else_are_not_taken_for_the_outer_else():
    source = """\
PROGRAM P
VAR_INPUT a : BOOL; n : INT; END_VAR
VAR_OUTPUT y : INT; END_VAR
IF a THEN
  CASE n OF 1: y := 1; ELSE y := 2; END_CASE;
ELSE
  y := 3;
END_IF;
END_PROGRAM
"""
    swapped = dict(mutants(source))["line 4: swap THEN/ELSE"]
    assert swapped.index("y := 3") < swapped.index("CASE")


def test_a_mutant_that_no_longer_checks_is_dropped():
    # 127 + 1 is out of SINT's range: the checker rejects it, so it is no test of the tests
    source = """\
PROGRAM P
VAR_OUTPUT k : SINT := 127; n : INT := 127; END_VAR
k := k;
END_PROGRAM
"""
    kept = [m for d, m in mutants(source) if d == "line 2: 127 -> 128"]
    assert len(kept) == 1 and "k : SINT := 127; n : INT := 128" in kept[0]


def test_mutants_are_deterministic_and_offered_by_the_language():
    assert mutants(SOURCE) == mutants(SOURCE) == language.mutants(SOURCE)
