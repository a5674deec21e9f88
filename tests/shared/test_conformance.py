"""What every registered language owes the pipeline, checked the same way for each: a checker
that reports and never raises, codes it can explain, options whose defaults are allowed, a
simulator that refuses a bad program with a clear error, a constraint for a backend, and a
truncated-answer closer that never raises. The toy language (tests/shared/toy_language.py) runs
through it too, so the suite is known to hold for a language that is not FX."""

from __future__ import annotations

import pytest
import toy_language

from plcpilot import languages
from plcpilot.diagnostics import CheckReport
from plcpilot.errors import PlcPilotError
from plcpilot.llm.base import Constraint
from plcpilot.llm.specs import load_backend

LANGUAGES = {**languages.load_all(), toy_language.language.name: toy_language.language}
HOSTILE = {
    "empty": "",
    "blank lines": "\n \n\t\n",
    "prose": "Here is the program you asked for: it starts the motor.",
    "unicode and control characters": "\x00\x07 ☃ \u202e END \ufeff",
    "one long line": "x" * 100_000,
    "many lines": "garbage ( [ {\n" * 5_000,
    "unterminated comment": "(* never closed\n" * 3,
    "unterminated string": "'never closed\n",
}


@pytest.fixture(params=sorted(LANGUAGES), ids=sorted(LANGUAGES))
def language(request):
    return LANGUAGES[request.param]


def options(language) -> dict[str, str]:
    return languages.options_for(language, {})


@pytest.mark.parametrize("name", HOSTILE)
def test_the_checker_reports_hostile_input_and_never_raises(language, name):
    report = language.check(HOSTILE[name], **options(language))
    assert isinstance(report, CheckReport) and report.language == language.name
    assert not report.is_valid or not report.errors
    assert all(0.0 <= v <= 1.0 for v in report.tiers.values())
    for d in report.errors + report.warnings:
        assert d.code in language.codes, f"{language.name} reports {d.code!r} it cannot explain"
        assert d.line is None or d.line >= 1


def test_every_code_explains_itself(language):
    assert language.codes
    for code, entry in language.codes.items():
        assert entry.code == code and entry.severity in ("error", "warning", "info")
        assert entry.title.strip() and entry.explanation.strip() and entry.hint.strip()


def test_option_defaults_are_allowed_and_unknown_values_refused(language):
    for o in language.options:
        assert o.default in o.allowed and o.help.strip()
        with pytest.raises(PlcPilotError, match=o.name):
            languages.options_for(language, {o.name: "no-such-value"})


def test_the_simulator_refuses_a_program_that_cannot_run(language):
    with pytest.raises(PlcPilotError):
        language.simulator("this is not a program", **options(language))


def test_a_constraint_for_a_backend_or_a_clear_refusal(language, tmp_path):
    replies = tmp_path / "replies.yaml"
    replies.write_text("- x\n")
    try:
        constraint = language.constraint(load_backend(f"scripted:{replies}"),
                                         **options(language))
    except PlcPilotError:
        return
    assert isinstance(constraint, Constraint) and constraint.text


@pytest.mark.parametrize("name", ["empty", "prose", "many lines"])
def test_closing_a_truncated_answer_never_raises(language, name):
    closed = language.close_truncated(HOSTILE[name], **options(language))
    assert closed is None or isinstance(closed, str)


def test_prose_is_not_read_as_code(language):
    assert not language.reads_as_code("Here is the program you asked for.")
