"""`plcpilot check` on real third-party programs and on bad inputs, as a user runs it."""

import json

import pytest

from conftest import XOJO, cli

VALID = ["sample_1.il", "sample_2.il", "sample_3.il", "sample_6.il", "sample_7.il"]
# each invalid sample fails for its specific reason
INVALID = {
    "sample_4.il": {"unknown-mnemonic"},  # BSET/BCLR/BTEST/SHL/SHR are FX5 / not FX3U
    "sample_5.il": {"bad-label", "undefined-pointer", "unknown-mnemonic", "ret-without-stl"},
    "sample_8.il": {"stack-unbalanced"},  # MPS never popped around ORB
    "sample_9.il": {"stack-unbalanced"},  # MPS never popped around ANB
}


@pytest.mark.parametrize("name", VALID)
def test_valid_corpus_samples_pass_the_checker(corpus, name):
    r = cli("check", XOJO / name, "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0, report
    assert report["is_valid"] and report["errors"] == []
    assert report["tiers"] == {"lexical": 1.0, "syntactic": 1.0, "semantic": 1.0}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_corpus_samples_fail_with_their_reason(corpus, name):
    r = cli("check", XOJO / name, "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 1
    assert not report["is_valid"]
    assert {e["code"] for e in report["errors"]} == INVALID[name]
    assert all(e["line"] for e in report["errors"])


def test_unknown_instruction_names_the_line_and_mnemonic(corpus):
    report = json.loads(cli("check", XOJO / "sample_4.il", "--json").stdout)
    first = report["errors"][0]
    assert (first["line"], first["code"]) == (11, "unknown-mnemonic")
    assert "BSET" in first["message"]


def test_human_output_shows_verdict_and_fix_hint(corpus):
    r = cli("check", XOJO / "sample_8.il")
    text = r.stdout.decode()
    assert "invalid" in text and "stack-unbalanced" in text and "fix:" in text


def test_paper_validity_ignores_our_structural_errors(corpus):
    report = json.loads(cli("check", XOJO / "sample_8.il", "--json").stdout)
    assert report["paper_valid"] is True and report["tiers"]["semantic"] == 0.75


def test_stdin_is_read_with_a_dash():
    r = cli("check", "-", "--json", input="LD X0\nOUT Y0\nEND\n")
    assert r.returncode == 0 and json.loads(r.stdout)["is_valid"]


def test_fx2n_ranges_are_selectable():
    program = "LD X0\nOUT M5000\nEND\n"
    assert cli("check", "-", input=program).returncode == 0
    r = cli("check", "-", "--cpu", "fx2n", "--json", input=program)
    assert r.returncode == 1
    assert json.loads(r.stdout)["errors"][0]["code"] == "operand-range"


@pytest.mark.parametrize(("content", "needle"), [
    (b"", "empty"),
    (b"   \n\n\t\n", "empty"),
    (b"\x00\x01\x02LD X0\x00", "binary"),
    ("LD X0 ; Motor \u00e4\n".encode("latin-1"), "not valid utf-8"),
])
def test_unusable_input_is_a_clear_error_with_exit_2(tmp_path, content, needle):
    f = tmp_path / "prog.il"
    f.write_bytes(content)
    r = cli("check", f)
    assert r.returncode == 2
    err = r.stderr.decode().lower()
    assert needle in err and "traceback" not in err


def test_non_utf8_file_reads_with_its_encoding(tmp_path):
    f = tmp_path / "prog.il"
    f.write_bytes("LD X0 ; Motor \u00e4\nOUT Y0\nEND\n".encode("latin-1"))
    assert cli("check", f, "--encoding", "latin-1").returncode == 0


def test_ten_megabyte_file_is_refused_with_the_limit_named(tmp_path):
    f = tmp_path / "big.il"
    f.write_bytes(b"LD X0\nOUT Y0\n" * (10 * 2**20 // 12))
    r = cli("check", f)
    assert r.returncode == 2
    assert "MB limit" in r.stderr.decode() and "--max-bytes" in r.stderr.decode()


def test_prose_only_input_is_reported_not_crashed(tmp_path):
    f = tmp_path / "answer.txt"
    f.write_text("To turn the motor on, press the start button.\nThe lamp shows it runs.\n")
    r = cli("check", f, "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 1
    assert [e["code"] for e in report["errors"]] == ["no-code"]
    assert "2 prose lines" in report["errors"][0]["message"]


def test_missing_file_and_directory_are_exit_2(tmp_path):
    assert cli("check", tmp_path / "nope.il").returncode == 2
    assert cli("check", tmp_path).returncode == 2


def test_explain_gives_title_and_fix():
    r = cli("explain", "stack-unbalanced")
    assert r.returncode == 0 and "MPP" in r.stdout.decode()
    r = cli("explain", "stack-unbalance")
    assert r.returncode == 2 and "Did you mean stack-unbalanced" in r.stderr.decode()
