"""Structural and ST checks of charts (plcpilot.sfc.checks): one small chart per rule, written
for the rule, and the corpus charts, which are real projects and must pass except where they
are wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from conftest import CORPUS
from plcpilot.sfc.checks import check_chart
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import read_charts


def chart(steps, transitions, variables=(), actions=(), **extra) -> Chart:
    """Steps as names ("*S0" is initial) or dicts; transitions as (from, to, condition)."""
    return Chart.model_validate({
        "name": "C", "variables": [{"name": v, "type": "BOOL"} for v in variables]
        or [{"name": "go", "type": "BOOL"}],
        "steps": [s if isinstance(s, dict) else {"name": s.lstrip("*"),
                                                 "initial": s.startswith("*")} for s in steps],
        "transitions": [{"from": list(f), "to": list(t), "condition": c, **(rest[0] if rest
                                                                           else {})}
                        for f, t, c, *rest in transitions],
        "actions": list(actions), **extra})


def codes(c: Chart, **options) -> list[str]:
    report = check_chart(c, **options)
    return sorted(d.code for d in report.errors + report.warnings)


LOOP = [(["S0"], ["S1"], "go"), (["S1"], ["S0"], "NOT go")]


def test_a_plain_loop_is_clean():
    report = check_chart(chart(["*S0", "S1"], LOOP))
    assert report.is_valid and not report.warnings and report.tiers == {"structure": 1.0,
                                                                         "st": 1.0}


def test_initial_steps_exactly_one_unless_allowed():
    assert codes(chart(["S0", "S1"], LOOP)) == ["initial-steps"]
    two = chart(["*S0", "*S1"], LOOP)
    assert "initial-steps" in codes(two)
    assert "initial-steps" not in codes(two, multiple_initial=True)


def test_unknown_steps_missing_sources_targets_and_duplicates():
    c = chart(["*S0", "S1", "S1"], [(["S0"], ["S9"], "go"), ([], ["S1"], "go"),
                                    (["S1"], [], "go")])
    found = codes(c)
    for code in ("unknown-step", "no-source", "no-target", "duplicate-step"):
        assert code in found, found


def test_dead_ends_and_steps_never_entered_are_warnings():
    c = chart(["*S0", "S1", "S2"], [(["S0"], ["S1"], "go")])
    report = check_chart(c)
    assert report.is_valid
    assert sorted(d.code for d in report.warnings) == ["dead-end", "dead-end", "never-entered"]


PARALLEL = [(["S0"], ["A1", "B1"], "go"), (["A1"], ["A2"], "go"), (["B1"], ["B2"], "go"),
            (["A2", "B2"], ["S0"], "go")]


def test_a_parallel_region_closed_by_its_convergence_is_clean():
    assert codes(chart(["*S0", "A1", "A2", "B1", "B2"], PARALLEL)) == []


def test_a_convergence_that_joins_only_some_branches_is_unpaired():
    c = chart(["*S0", "A1", "B1", "C1"], [(["S0"], ["A1", "B1", "C1"], "go"),
                                          (["A1", "B1"], ["S0"], "go"),
                                          (["C1"], ["S0"], "go")])
    assert "unpaired-convergence" in codes(c)


def test_a_convergence_of_steps_outside_a_parallel_region_is_unpaired():
    c = chart(["*S0", "S1", "S2"], [(["S0"], ["S1"], "go"), (["S0"], ["S2"], "NOT go"),
                                    (["S1", "S2"], ["S0"], "go")])
    assert "unpaired-convergence" in codes(c)


def test_a_jump_out_of_a_parallel_region_mixes_regions():
    c = chart(["*S0", "A1", "A2", "B1", "B2"],
              PARALLEL + [(["A1"], ["S0"], "NOT go", {"jump": True})])
    found = codes(c)
    assert "mixed-regions" in found, found


def test_a_jump_into_a_parallel_region_mixes_regions():
    c = chart(["*S0", "A1", "A2", "B1", "B2", "X"],
              PARALLEL + [(["S0"], ["X"], "NOT go"), (["X"], ["A2"], "go", {"jump": True})])
    assert "mixed-regions" in codes(c)


def test_actions_must_exist_and_timed_qualifiers_need_a_time():
    steps = [{"name": "S0", "initial": True,
              "actions": [{"qualifier": "D", "action": "go"}, {"action": "nothing"},
                          {"qualifier": "N", "time": "T#1s", "st": "go := TRUE;"}]}, "S1"]
    assert codes(chart(steps, LOOP)) == ["missing-time", "needless-time", "unknown-action"]


def test_an_action_targets_one_thing():
    with pytest.raises(ValidationError, match="exactly one"):
        chart([{"name": "S0", "actions": [{"action": "a", "st": "x := 1;"}]}], [])


def test_st_is_checked_against_the_declarations_and_step_flags():
    c = chart(["*S0", "S1"], [(["S0"], ["S1"], "S0.T > T#2s AND go"),
                              (["S1"], ["S0"], "undeclared_thing"),
                              (["S1"], ["S0"], "go + 1")],
              actions=[{"name": "A", "text": "go := 5;"}],
              variables=["go"])
    report = check_chart(c)
    messages = [d.message for d in report.errors]
    assert all(d.code == "st-error" for d in report.errors)
    assert any(m.startswith("transition 2 ") and "undeclared_thing" in m for m in messages)
    assert any(m.startswith("transition 3 ") for m in messages)
    assert any(m.startswith("action A") for m in messages)
    assert not any(m.startswith("transition 1 ") for m in messages), messages  # flags work
    assert report.tiers["st"] == pytest.approx(1 - 3 / 4)


SFC = CORPUS / "sfc"


@pytest.mark.skipif(not SFC.is_dir(), reason="SFC corpus not present")
def test_the_corpus_charts_check_except_their_real_defects():
    invalid = {c.name: sorted({d.code for d in check_chart(c).errors})
               for f in sorted(SFC.glob("*.xml")) for c in read_charts(f)
               if not check_chart(c).is_valid}
    # PLCreX's TC001 conditions name Transition1/Transition2, which nothing declares
    assert invalid == {"functionBlock4": ["st-error"]}


def test_step_names_must_read_as_names_in_st():
    clash = chart(["*S0", "Soap"], [(["S0"], ["Soap"], "go"), (["Soap"], ["S0"], "go")],
                  variables=["go", "soap"])
    keyword = chart(["*S0", "Return"], [(["S0"], ["Return"], "go"),
                                        (["Return"], ["S0"], "go")])
    assert codes(clash) == ["bad-step-name"] and codes(keyword) == ["bad-step-name"]
