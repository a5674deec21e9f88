"""The parser takes FX IL as people and models actually write it."""

from conftest import ROOT
from plcpilot.fxil import check
from plcpilot.fxil.parser import parse


def names(text):
    return [(s.name, s.args) for s in parse(text).statements]


def test_comments_of_all_three_kinds_are_ignored():
    text = "LD X0 ; start\nOUT Y0 // motor\n(* a block\ncomment *)\nEND\n"
    assert names(text) == [("LD", ["X0"]), ("OUT", ["Y0"]), ("END", [])]
    assert parse(text).statements[2].line == 5  # line numbers survive block comments


def test_a_comment_keeps_the_columns_of_what_follows_it_and_an_unclosed_one_is_remembered():
    program = parse("LD X0 (* a *) \n(* one\ntwo *) OUT Y0\nEND (* never closed\nLD X1\n")
    assert [(s.line, s.name, s.column) for s in program.statements] == [
        (1, "LD", 1), (3, "OUT", 8), (4, "END", 1)]
    assert program.unclosed_comment == (4, 5)


def test_statements_remember_where_the_mnemonic_and_each_operand_start():
    program = parse("0001  LD = D0 K5\n  P3: MOV K1,  D2 ; note\n")
    assert [(s.column, s.arg_columns) for s in program.statements] == [(7, [12, 15]),
                                                                       (7, [11, 16])]


def test_a_line_of_separators_only_is_blank():
    assert names(",\n , ,\nLD X0\nEND") == [("LD", ["X0"]), ("END", [])]


def test_markdown_fences_and_prose_around_code_are_skipped():
    text = ("Here is the program:\n```\nLD X0\nOUT Y0\nEND\n```\n"
            "This program turns on Y0 while X0 is on.\n")
    program = parse(text)
    assert [s.name for s in program.statements] == ["LD", "OUT", "END"]
    assert program.prose == [1, 7]


def test_a_sentence_starting_with_to_is_prose_not_the_TO_instruction():
    program = parse("To start the pump, press X0.\nLD X0\nOUT Y0\nEND\n")
    assert [s.name for s in program.statements] == ["LD", "OUT", "END"]
    assert program.prose == [1]
    assert names("LD X0\nTO K0 K1 D0 K1\nEND")[1] == ("TO", ["K0", "K1", "D0", "K1"])


def test_step_numbers_and_zero_padded_operands_as_gx_works_lists_them():
    text = "0000 LD X000\n0001 ANI X001\n0002 OUT Y000\n0003 END\n"
    assert names(text) == [("LD", ["X000"]), ("ANI", ["X001"]), ("OUT", ["Y000"]), ("END", [])]
    assert check(text).is_valid


def test_comparison_written_apart_and_commas_are_normalised():
    assert names("LD = D0 K5\nMOV K1, D2\nEND")[:2] == [("LD=", ["D0", "K5"]),
                                                       ("MOV", ["K1", "D2"])]


def test_lowercase_code_is_code():
    assert names("ld x0\nout y0\nend") == [("LD", ["x0"]), ("OUT", ["y0"]), ("END", [])]


def test_unknown_instruction_shaped_line_is_kept_for_the_checker():
    assert names("JMP P3\nEND")[0] == ("JMP", ["P3"])


def test_pointer_labels_mark_the_next_instruction():
    program = parse("LD X0\nCJ P1\nLD X1\nOUT Y0\nP1\nLD X2\nOUT Y1\nEND\n")
    assert program.label_at == {1: 4}


def test_variants_resolve_to_the_table_entry():
    by_word = {s.word: s.mnemonic for s in parse("LD X0\nDMOVP K1 D0\nINCP D2\nLDD> D0 K70000\n"
                                                 "OUT Y0\nDAND D0 D2 D4\nEND").statements}
    assert (by_word["DMOVP"].instr.name, by_word["DMOVP"].d32, by_word["DMOVP"].pulse) == \
        ("MOV", True, True)
    assert by_word["INCP"].pulse and not by_word["INCP"].d32
    assert by_word["LDD>"].d32 and by_word["LDD>"].instr.name == "LD>"
    assert by_word["DAND"].instr.name == "WAND" and by_word["DAND"].d32


def test_reference_docs_are_generated_from_the_tables():

    from plcpilot.fxil.reference import reference_markdown

    doc = ROOT / "docs" / "fx-il-reference.md"
    assert doc.read_text() == reference_markdown(), "regenerate: python -m plcpilot.fxil.reference"
