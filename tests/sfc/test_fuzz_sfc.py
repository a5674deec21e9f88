"""Random charts through every stage (hypothesis): the checker reports and never raises, a chart
that checks simulates (or stops with a reported error), exports to XML and imports back equal,
renders, and compiles to FX STL or is refused with a clear error. Shapes come from the model's
own space: any topology over a few steps, conditions from a small ST vocabulary, any
qualifier with or without a time."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcpilot import languages
from plcpilot.errors import PlcPilotError, SimulationLimit
from plcpilot.sfc import language
from plcpilot.sfc.compile_fx import compile_fx
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import chart_xml, charts_of

STEPS = ["S0", "S1", "S2", "S3", "S4"]
CONDITIONS = ["X0", "NOT X0", "X0 AND X1", "X1 OR NOT X0", "TRUE", "S1.X", "S0.T >= T#30ms",
              "S2.T >= T#1s AND X1", "Y0", "(X0 OR X1) AND NOT Y1", "X0 XOR X1", "n > 2"]
QUALIFIERS = ["N", "S", "R", "P", "P0", "P1", "L", "D", "SD", "DS", "SL"]

actions = st.lists(st.builds(
    lambda q, timed, target: {"qualifier": q, **({"time": "T#20ms"} if timed else {}),
                              **({"st": "n := n + 1;"} if target == "n" else
                                 {"action": target})},
    st.sampled_from(QUALIFIERS), st.booleans(), st.sampled_from(["Y0", "Y1", "M0", "n"])),
    max_size=3)
charts = st.builds(
    lambda n, steps, transitions: {
        "name": "Fuzz",
        "variables": [{"name": "X0", "kind": "input"}, {"name": "X1", "kind": "input"},
                      {"name": "Y0", "kind": "output"}, {"name": "Y1", "kind": "output"},
                      {"name": "M0"}, {"name": "n", "type": "INT"}],
        "steps": [{"name": STEPS[i], "initial": i == 0, "actions": steps[i]}
                  for i in range(n)],
        "transitions": [{"from": [STEPS[i % n] for i in f], "to": [STEPS[i % n] for i in t],
                         "condition": c, "jump": j and len(set(t)) == 1}
                        for f, t, c, j in transitions]},
    st.integers(1, 5), st.lists(actions, min_size=5, max_size=5),
    st.lists(st.tuples(st.sets(st.integers(0, 4), min_size=1, max_size=2).map(sorted),
                       st.sets(st.integers(0, 4), min_size=1, max_size=2).map(sorted),
                       st.sampled_from(CONDITIONS), st.booleans()), max_size=6))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charts)
def test_random_charts_pass_every_stage_or_are_refused_clearly(data):
    chart = Chart.model_validate(data)
    source = json.dumps(chart.dump())
    report = language.check(source)
    assert report.is_valid == (not report.errors)
    again = charts_of(chart_xml(chart), "export")
    assert [_branches_as_sets(c.dump()) for c in again] == [_branches_as_sets(chart.dump())]
    try:
        machine = language.simulator(source)()
    except PlcPilotError:
        assert report.tiers["st"] < 1.0 or not report.is_valid
    else:
        for k in range(20):
            machine.write("X0", k % 3 == 0)
            machine.write("X1", k % 5 < 2)
            try:
                machine.scan(k * 10, 10)
            except SimulationLimit:
                break
    try:
        program = compile_fx(chart)
    except PlcPilotError:
        return
    fx = languages.get("fx-il").check(program)  # what compiles passes the FX checker
    assert fx.is_valid, (program, fx.errors)


def _branches_as_sets(data: dict) -> dict:
    """Parallel branches have no order but the drawing's (left to right), which the layout
    may change when a branch leads back to a step drawn earlier: compare them as sets."""
    for t in data.get("transitions", []):
        t["to"] = sorted(t["to"])
    return data


@pytest.mark.parametrize("text", ["{}", "[]", '{"name": "x", "steps": "no"}', "<project/>",
                                  '{"name": "a", "steps": [{"name": "s", "actions": '
                                  '[{"action": "a", "st": "x;"}]}]}'])
def test_shapes_that_are_not_charts_are_unreadable_not_crashes(text):
    report = language.check(text)
    assert not report.is_valid and report.errors[0].code == "unreadable"
