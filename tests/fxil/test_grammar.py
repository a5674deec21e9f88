"""The FX decoding grammar, validated without a model: tables of passing and failing programs,
every shipped reference, and exact device ranges."""

import re
from functools import cache

import lark
import pytest

from conftest import XOJO
from plcpilot import languages
from plcpilot.fxil.grammar import range_regex
from plcpilot.fxil.parser import canonical_text, parse
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks


@cache
def parser(cpu="fx3u"):
    # Python's Lark reads the unbounded form (same rules, `*` for `~0..n`)
    return lark.Lark(languages.get("fx-il").grammar(cpu=cpu, bounded=False), parser="earley")


def accepts(text, cpu="fx3u"):
    try:
        parser(cpu).parse(text)
        return True
    except lark.exceptions.LarkError:
        return False


@pytest.mark.parametrize(("lo", "hi", "base"), [
    (0, 7679, 10), (8000, 8511, 10), (0, 0o367, 8), (0, 0o267, 8), (0, 32767, 10),
    (1, 32768, 10), (200, 234, 10), (0, 2**31 - 1, 10)])
def test_range_regex_matches_exactly_the_range(lo, hi, base):
    rx = re.compile(f"^{range_regex(lo, hi, base)}$")
    show = (lambda n: format(n, "o")) if base == 8 else str
    probe = [*range(0, min(2 * hi + 10, 20000)), lo - 1, hi, hi + 1, 10 * hi]
    assert [n for n in probe if n >= 0 and bool(rx.match(show(n))) != (lo <= n <= hi)] == []


ACCEPTED = [
    "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n",
    "LD X0\nAND X1\nLD X2\nAND X3\nORB\nOUT Y0\nEND\n",
    "LD X0\nMPS\nAND X1\nOUT Y0\nMRD\nAND X2\nOUT Y1\nMPP\nOUT Y2\nEND\n",
    "LD X0\nOUT T0 K50\nLD T0\nOUT Y0\nLD X1\nOUT C200 K100000\nEND\n",
    "LD X0\nOUT Y0\nAND X1\nOUT Y1\nEND\n",
    "LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y1\nLD X1\nSET S0\nRET\nEND\n",
    "LD X0\nMC N0 M100\nLD X1\nOUT Y0\nMCR N0\nEND\n",
    "LD M8000\nMOV K4X0 D0\nDMOVP K100000 D10\nLDD>= D10 K70000\nOUT Y17\nEND\n",
    "LD X0\nMC N0 M100\nLD X1\nMC N1 M101\nLD X2\nOUT Y0\nMCR N1\nMCR N0\nEND\n",
    "FOR K3\nLD M8000\nINC D0\nNEXT\nEND\n",
]
# valid FX the decoding grammar deliberately leaves out: pointers it cannot tie to their uses
LEFT_OUT = ["LD X0\nCALL P1\nFEND\nP1\nLD X1\nOUT Y1\nSRET\nEND\n",
            "LD X0\nCJ P63\nLD X1\nOUT Y0\nEND\n"]
REJECTED = {
    "first-not-load": "AND X0\nOUT Y0\nEND\n",
    "unpopped MPS": "LD X0\nAND X1\nMPS\nLD X2\nAND X3\nORB\nOUT Y0\nEND\n",
    "ORB with one block": "LD X0\nORB\nOUT Y0\nEND\n",
    "unjoined block": "LD X0\nLD X1\nOUT Y0\nEND\n",
    "output to an input": "LD X0\nOUT X1\nEND\n",
    "octal digit": "LD X8\nOUT Y0\nEND\n",
    "out of range": "LD X0\nOUT M9000\nEND\n",
    "16-bit constant overflow": "LD X0\nMOV K40000 D0\nEND\n",
    "timer without preset": "LD X0\nOUT T0\nEND\n",
    "missing END": "LD X0\nOUT Y0\n",
    "STL without RET": "STL S0\nOUT Y0\nEND\n",
    "unknown mnemonic": "LD X0\nJMP P1\nEND\n",
    "prose": "The motor runs.\nLD X0\nOUT Y0\nEND\n",
    "empty program": "END\n",
    "MC level out of order": "LD X0\nMC N1 M100\nLD X1\nOUT Y0\nMCR N1\nEND\n",
    "MCR without MC": "LD X0\nOUT Y0\nMCR N0\nEND\n",
    "NEXT without FOR": "LD X0\nOUT Y0\nNEXT\nEND\n",
    "STL inside MC": "LD X0\nMC N0 M1\nSTL S0\nOUT Y0\nRET\nMCR N0\nEND\n",
    "jump to a missing pointer": "LD X0\nCJ P5\nEND\n",
    "shift of more bits in than the register holds": "LD X0\nSFTL X0 M0 K4 K8\nEND\n",
    "rotation past the word": "LD X0\nROL D0 K16\nEND\n",
    "decode of more bits than a word holds": "LD X0\nDECO D0 D1 K5\nEND\n",
    "block move of no words": "LD X0\nBMOV D0 D10 K0\nEND\n",
}


@pytest.mark.parametrize("program", ACCEPTED)
def test_grammar_accepts_idiomatic_programs(program):
    assert accepts(program)
    assert languages.get("fx-il").check(program).is_valid


@pytest.mark.parametrize("why", sorted(REJECTED))
def test_grammar_rejects_what_the_checker_rejects(why):
    assert not accepts(REJECTED[why])


@pytest.mark.parametrize("program", LEFT_OUT)
def test_pointer_programs_are_valid_fx_but_not_generated(program):
    assert languages.get("fx-il").check(program).is_valid
    assert not accepts(program)


# every instruction whose counts the table limits, with the count written in; values around
# each limit (and the grammar's own small caps) are tried
COUNTED = ["ROL D0 K{}", "DROR D0 K{}", "BMOV D0 D100 K{}", "FMOV K1 D100 K{}", "DFMOV K1 D100 K{}",
           "SFTL X0 M0 K{} K4", "SFTR X0 M0 K8 K{}", "DECO D0 M0 K{}", "DECO D0 D10 K{}",
           "ENCO M0 D0 K{}", "ENCO D0 D1 K{}"]
EDGES = [-1, 0, 1, 2, 4, 5, 8, 9, 15, 16, 17, 31, 32, 512, 513, 1024, 1025]


@pytest.mark.parametrize("template", COUNTED)
def test_grammar_admits_no_count_the_checker_rejects(template):
    admitted = [v for v in EDGES if accepts(f"LD X0\n{template.format(v)}\nEND\n")]
    assert admitted  # each limited instruction stays in the grammar
    rejected = [v for v in admitted
                if not languages.get("fx-il").check(f"LD X0\n{template.format(v)}\nEND\n").is_valid]
    assert rejected == []


def test_fx2n_grammar_uses_fx2n_ranges():
    assert accepts("LD X0\nOUT M5000\nEND\n")
    assert not accepts("LD X0\nOUT M5000\nEND\n", cpu="fx2n")


@pytest.mark.parametrize("name", ["sample_1.il", "sample_2.il", "sample_3.il", "sample_6.il",
                                  "sample_7.il"])
def test_valid_corpus_programs_are_in_the_grammar(corpus, name):
    assert accepts(canonical_text(parse((XOJO / name).read_text())))


def test_every_shipped_reference_is_in_the_grammar():
    rejected = [t.id for t in load_tasks(shipped_tasks("fx-il"))
                if not accepts(canonical_text(parse(t.reference)))]
    assert rejected == []


def test_truncated_output_is_closed_to_the_longest_valid_program():
    from plcpilot.fxil.closing import close_truncated

    cut = "LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y1\nLD X1\nAND"
    assert close_truncated(cut) == ("LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\n"
                                    "STL S20\nOUT Y1\nRET\nEND\n")
    mc = "LD X0\nMC N0 M100\nLD X1\nMC N1 M101\nLD X2\nOUT Y0\nLD X3"
    assert close_truncated(mc).endswith("OUT Y0\nMCR N1\nMCR N0\nEND\n")
    assert close_truncated("LD X0\nLD X1") == "END\n"  # nothing finished: an empty program


def test_a_grammar_bound_to_the_named_io_keeps_every_reference_and_refuses_other_devices():
    from byte_matcher import rejected_at

    fx = languages.get("fx-il")
    tasks = load_tasks(shipped_tasks("fx-il"))
    refused = [t.id for t in tasks
               if rejected_at(fx.grammar(io="named", request=t.prompt),
                              canonical_text(parse(t.reference))) is not None]
    assert refused == []
    request = "Start button X0 (NO), stop buttons X1–X3, motor Y10, lamp K1Y4."
    bound = fx.grammar(io="named", request=request)
    assert rejected_at(bound, "LD X0\nOR Y10\nANI X3\nOUT Y10\nLD Y10\nOUT Y4\nEND\n") is None
    assert rejected_at(bound, "LD X4\n") is not None  # X4 is not named
    assert rejected_at(bound, "LD X0\nOUT Y0\n") is not None
    assert rejected_at(bound, "LD X0\nOUT M0\nEND\n") is None  # internal relays stay open
    # a request that names no output leaves the outputs open; io=any ignores the request
    assert rejected_at(fx.grammar(io="named", request="Input X0."), "LD X0\nOUT Y7\nEND\n") \
        is None
    assert rejected_at(fx.grammar(request=request), "LD X4\nOUT Y0\nEND\n") is None
    # no FX input has more than three octal digits: a hostile range names nothing, in no time
    from plcpilot.fxil.grammar import named_io

    assert named_io("X0-X77777777777 X17 Y9 <b>Y7</b>" * 1000) == {
        "X": frozenset({0, 15}), "Y": frozenset({7})}
