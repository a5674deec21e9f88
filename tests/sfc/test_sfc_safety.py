"""Safe-SFC verification (plcpilot.sfc.safety): each criterion on a chart made to break it,
counterexamples that replay, the symbolic and explicit engines agreeing on random charts and on
the corpus, large parallel charts decided, and `undecided` instead of a hang."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, cli
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import read_charts
from plcpilot.sfc.safety import SafetyReport, verify
from plcpilot.sfc.synthetic import parallel_chart


def chart(steps: list[str], transitions: list[tuple[list[str], list[str]]]) -> Chart:
    """Steps by name ("*S0" initial); transitions (from, to) with the condition `go`."""
    return Chart.model_validate({
        "name": "C", "variables": [{"name": "go", "type": "BOOL"}],
        "steps": [{"name": s.lstrip("*"), "initial": s.startswith("*")} for s in steps],
        "transitions": [{"from": f, "to": t, "condition": "go"} for f, t in transitions]})


def criteria(report: SafetyReport) -> list[str]:
    return [v.criterion for v in report.violations]


def replays(c: Chart, report: SafetyReport) -> None:
    """Every counterexample starts at the initial marking and fires enabled transitions."""
    for v in report.violations:
        if not v.path:
            continue
        marking = set(v.path[0].active)
        assert marking == {s.name for s in c.steps if s.initial}
        for move in v.path[1:]:
            t = c.transitions[move.fired - 1]
            assert set(t.source) <= marking, (v.criterion, move)
            marking = (marking - set(t.source)) | set(t.target)
            assert marking == set(move.active)


LOOP = [(["S0"], ["S1"]), (["S1"], ["S0"])]


@pytest.mark.parametrize("engine", ["bdd", "explicit"])
def test_a_loop_is_safe(engine):
    report = verify(chart(["*S0", "S1"], LOOP), engine=engine)
    assert report.decided and report.safe and report.states == 2


@pytest.mark.parametrize("engine", ["bdd", "explicit"])
def test_a_parallel_divergence_never_joined_overflows(engine):
    # both branches run back into S0 on their own: the second token lands on an active step
    c = chart(["*S0", "A", "B"], [(["S0"], ["A", "B"]), (["A"], ["S0"]), (["B"], ["S0"])])
    report = verify(c, engine=engine)
    assert not report.safe and "overflow" in criteria(report)
    replays(c, report)
    overflow = next(v for v in report.violations if v.criterion == "overflow")
    # shortest: S0 -> {A, B} -> {S0, B} (A returned alone), where S0 can fire into B again
    assert "already active" in overflow.message and len(overflow.path) == 3


@pytest.mark.parametrize("engine", ["bdd", "explicit"])
def test_unreachable_steps_dead_ends_and_joins_of_alternatives(engine):
    c = chart(["*S0", "A", "B", "Lost", "End"],
              [(["S0"], ["A"]), (["S0"], ["B"]), (["A", "B"], ["End"])])
    report = verify(c, engine=engine)
    assert criteria(report) == ["reachable", "reachable", "deadlock", "convergence"]
    assert {v.message.split()[1] for v in report.violations if v.criterion == "reachable"} \
        == {"Lost", "End"}
    replays(c, report)


@pytest.mark.parametrize("engine", ["bdd", "explicit"])
def test_exclusive_steps_active_together_are_reported_with_the_path(engine):
    c = chart(["*S0", "A", "B", "J"], [(["S0"], ["A", "B"]), (["A", "B"], ["J"]),
                                       (["J"], ["S0"])])
    report = verify(c, exclusive=[("A", "B")], engine=engine)
    assert criteria(report) == ["exclusive"]
    replays(c, report)
    assert verify(c, exclusive=[("A", "J")], engine=engine).safe


def test_the_engines_agree_on_the_corpus():
    for f in sorted((CORPUS / "sfc").glob("*.xml")):
        for c in read_charts(f):
            a, b = verify(c, engine="bdd"), verify(c, engine="explicit")
            assert a.decided and b.decided and a.states == b.states, f.name
            assert criteria(a) == criteria(b), f.name
            replays(c, a)
            replays(c, b)


names = ["S0", "S1", "S2", "S3", "S4", "S5"]
random_charts = st.builds(
    lambda n, ts: chart(["*S0", *names[1:n]],
                        [([names[i % n] for i in f], [names[i % n] for i in t]) for f, t in ts]),
    st.integers(2, 6),
    st.lists(st.tuples(st.sets(st.integers(0, 5), min_size=1, max_size=2).map(sorted),
                       st.sets(st.integers(0, 5), min_size=1, max_size=3).map(sorted)),
             max_size=8))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_charts)
def test_the_engines_agree_on_random_charts(c):
    a, b = verify(c, engine="bdd"), verify(c, engine="explicit")
    assert (a.states, criteria(a)) == (b.states, criteria(b))
    replays(c, a)
    replays(c, b)


def test_large_parallel_charts_are_decided_and_the_explicit_bound_says_undecided():
    c = parallel_chart(12, 5)  # 62 steps, 12 parallel branches
    report = verify(c, engine="bdd", timeout_s=120)
    assert report.decided and report.safe and report.states == 5 ** 12 + 2
    bounded = verify(c, engine="explicit", timeout_s=0.5)
    assert not bounded.decided and bounded.safe is None
    assert "time bound" in bounded.undecided_reason
    assert not verify(c, engine="explicit", max_states=1000).decided


def test_verify_from_the_cli_exits_0_1_2_3(tmp_path):
    safe = tmp_path / "safe.json"
    safe.write_text(json.dumps(chart(["*S0", "S1"], LOOP).dump()))
    assert cli("sfc", "verify", safe).returncode == 0
    unsafe = tmp_path / "unsafe.json"
    unsafe.write_text(json.dumps(chart(["*S0", "A", "B"], [(["S0"], ["A", "B"]),
                                                            (["A"], ["S0"]),
                                                            (["B"], ["S0"])]).dump()))
    r = cli("sfc", "verify", unsafe, "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["safety"]["violations"][0]["criterion"] == "overflow"
    r = cli("sfc", "verify", unsafe)
    assert b"overflow" in r.stdout and b"--[transition 1]-->" in r.stdout
    assert cli("sfc", "verify", safe, "--exclusive", "S0").returncode == 2
    big = tmp_path / "big.json"
    big.write_text(json.dumps(parallel_chart(12, 5).dump()))
    r = cli("sfc", "verify", big, "--engine", "explicit", "--timeout", "0.5")
    assert r.returncode == 3 and b"undecided" in r.stdout


def test_interpreted_conditions_tell_what_free_choices_cannot(tmp_path):
    """`go AND NOT go` never holds: free choices call Never reachable, the interpretation
    (z3 over the chart's ST, 6 scans) finds no run that gets there; the overflow free choices
    report is found again with the inputs that cause it."""
    from plcpilot.sfc.interpret import interpret

    c = Chart.model_validate({
        "name": "C", "variables": [{"name": "go", "kind": "input"}],
        "steps": [{"name": "S0", "initial": True}, {"name": "Never"}, {"name": "A"},
                  {"name": "B"}],
        "transitions": [{"from": ["S0"], "to": ["Never"], "condition": "go AND NOT go"},
                        {"from": ["Never"], "to": ["S0"], "condition": "TRUE"},
                        {"from": ["S0"], "to": ["A", "B"], "condition": "go"},
                        {"from": ["A"], "to": ["S0"], "condition": "NOT go"},
                        {"from": ["B"], "to": ["S0"], "condition": "NOT go"}]})
    assert "reachable" not in criteria(verify(c))
    report = interpret(c, [("A", "B")], 6)
    verdicts = {p.description: p.verdict for p in report.properties}
    assert verdicts["step Never reachable"] == "not reached"
    assert verdicts["no token overflow"] == "violated"
    assert verdicts["A and B never active together"] == "violated"
    path = tmp_path / "c.sfc"
    path.write_text(json.dumps(c.dump()))
    r = cli("sfc", "verify", path, "--interpret", "6", "--exclusive", "A,B")
    assert r.returncode == 1 and b"not reached" in r.stdout and b"scan 1: go=True" in r.stdout
