"""SFC simulation (plcpilot.sfc.simulator): IEC evolution, one evolution per scan, Step.X and
Step.T, every action qualifier with its timing, and a corpus chart run from the CLI on a task
timeline (FORMATS.md §1)."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import CORPUS, cli
from plcpilot.errors import PlcPilotError
from plcpilot.sfc import language
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import read_chart

SCAN = 10


def machine(steps, transitions, variables=("go", "out")):
    chart = Chart.model_validate({
        "name": "C", "variables": [{"name": v, "kind": "input" if v == "go" else "local",
                                    "type": "BOOL"} for v in variables],
        "steps": steps, "transitions": transitions})
    return language.simulator(json.dumps(chart.dump()))()


def run(m, scans, **inputs):
    """Scan `scans` times with `inputs` set; the values of `out` after each scan."""
    seen = []
    for name, value in inputs.items():
        m.write(name, value)
    for _ in range(scans):
        m.now = getattr(m, "now", 0)
        m.scan(m.now, SCAN)
        m.now += SCAN
        seen.append(m.read("out"))
    return seen


def two_steps(qualifier, time=None, extra=()):
    """S0 -(go)-> S1 -(NOT go)-> S0, the action `out` on S1 with `qualifier`."""
    use = {"qualifier": qualifier, "action": "out", **({"time": time} if time else {})}
    return machine([{"name": "S0", "initial": True, "actions": list(extra)},
                    {"name": "S1", "actions": [use]}],
                   [{"from": ["S0"], "to": ["S1"], "condition": "go"},
                    {"from": ["S1"], "to": ["S0"], "condition": "NOT go"}])


def test_the_initial_step_is_active_in_the_first_scan_and_one_evolution_per_scan():
    m = machine([{"name": "A", "initial": True}, {"name": "B"}, {"name": "C"}],
                [{"from": ["A"], "to": ["B"], "condition": "TRUE"},
                 {"from": ["B"], "to": ["C"], "condition": "TRUE"}])
    m.scan(0, SCAN)
    assert (m.read("A.X"), m.read("B.X"), m.read("C.X")) == (False, True, False)
    m.scan(SCAN, SCAN)
    assert (m.read("B.X"), m.read("C.X")) == (False, True)


def test_step_t_counts_the_time_since_activation():
    m = machine([{"name": "A", "initial": True}, {"name": "B"}],
                [{"from": ["A"], "to": ["B"], "condition": "A.T >= T#50ms"}])
    for k in range(5):
        m.scan(k * SCAN, SCAN)
    assert m.read("A.X") and m.read("A.T") == 40
    m.scan(50, SCAN)
    assert m.read("B.X") and m.read("B.T") == 0 and m.read("A.T") == 50


def test_the_first_branch_wins_and_parallel_branches_fire_together():
    m = machine([{"name": "S0", "initial": True}, {"name": "L"}, {"name": "R"},
                 {"name": "P1"}, {"name": "P2"}, {"name": "J"}],
                [{"from": ["S0"], "to": ["L"], "condition": "go"},
                 {"from": ["S0"], "to": ["R"], "condition": "go"},
                 {"from": ["L"], "to": ["P1", "P2"], "condition": "TRUE"},
                 {"from": ["P1", "P2"], "to": ["J"], "condition": "TRUE"}])
    m.write("go", True)
    m.scan(0, SCAN)
    assert m.read("L.X") and not m.read("R.X")  # both clear; the first in order fires
    m.scan(SCAN, SCAN)
    assert m.read("P1.X") and m.read("P2.X") and not m.read("L.X")
    m.scan(2 * SCAN, SCAN)
    assert m.read("J.X") and not m.read("P1.X") and not m.read("P2.X")


@pytest.mark.parametrize(("qualifier", "time", "expected"), [
    ("N", None, [1, 1, 1, 1, 1, 1]),
    ("P", None, [1, 0, 0, 0, 0, 0]),
    ("P1", None, [1, 0, 0, 0, 0, 0]),
    ("L", "T#30ms", [1, 1, 1, 0, 0, 0]),
    ("D", "T#30ms", [0, 0, 0, 1, 1, 1]),
])
def test_qualifiers_while_the_step_is_active(qualifier, time, expected):
    m = two_steps(qualifier, time)
    assert run(m, 6, go=True) == [bool(e) for e in expected]


def test_n_follows_the_step_and_p0_pulses_on_deactivation():
    m = two_steps("N")
    assert run(m, 2, go=True) == [True, True]
    assert run(m, 2, go=False) == [False, False]
    m = two_steps("P0")
    assert run(m, 3, go=True) == [False] * 3
    assert run(m, 3, go=False) == [True, False, False]


def test_stored_qualifiers_hold_until_a_reset():
    # S sets on S1, R on S0 resets: out stays on after S1 is left only until S0 resets it
    reset = {"qualifier": "R", "action": "out"}
    m = two_steps("S")
    assert run(m, 2, go=True) == [True, True]
    assert run(m, 2, go=False) == [True, True]  # no reset anywhere: stored
    m = two_steps("S", extra=[reset])
    assert run(m, 2, go=True) == [True, True]
    assert run(m, 2, go=False) == [False, False]  # back in S0, whose R wins


def test_sd_and_sl_time_from_activation_and_ds_needs_the_step_to_last():
    m = two_steps("SD", "T#30ms")
    assert run(m, 2, go=True) == [False, False]
    assert run(m, 3, go=False) == [False, True, True]  # still counts after S1 is left
    m = two_steps("SL", "T#30ms")
    assert run(m, 5, go=True) == [True, True, True, False, False]
    m = two_steps("DS", "T#30ms")
    assert run(m, 2, go=True) == [False, False]
    assert run(m, 3, go=False) == [False] * 3  # S1 left before its time: never set
    assert run(m, 5, go=True) == [False, False, False, True, True]
    assert run(m, 2, go=False) == [True, True]  # stored


def test_st_actions_run_while_active_and_undeclared_names_are_refused():
    chart = {"name": "C", "variables": [{"name": "n", "type": "INT"}],
             "steps": [{"name": "S0", "initial": True, "actions": [{"st": "n := n + 1;"}]}]}
    m = language.simulator(json.dumps(chart))()
    for k in range(3):
        m.scan(k * SCAN, SCAN)
    assert m.read("n") == 3
    chart["steps"][0]["actions"][0]["st"] = "m := 1;"
    with pytest.raises(PlcPilotError, match="does not check: m is not declared"):
        language.simulator(json.dumps(chart))


def test_a_corpus_chart_runs_a_task_timeline_from_the_cli(tmp_path):
    chart = read_chart(CORPUS / "sfc" / "beremiz__exemples__first_steps.xml")
    program = tmp_path / "counter.sfc"
    program.write_text(json.dumps(chart.dump()))
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(yaml.safe_dump([{
        "id": "counter", "language": "sfc", "prompt": "count while Reset is off",
        "tests": [{"name": "counts, then resets to the preset", "timeline": [
            {"at_ms": 0, "set": {"ResetCounterValue": 17}},
            {"at_ms": 50, "expect": {"OUT": 5, "Count.X": True}},
            {"at_ms": 50, "set": {"Reset": True}},
            {"at_ms": 80, "expect": {"OUT": 17, "ResetCounter.X": True, "Start.X": False}}]}]}]))
    r = cli("simulate", program, "--tests", tasks, "--json")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert json.loads(r.stdout)["passed"] is True


def test_render_writes_svg_and_png_and_highlights_a_counterexample(tmp_path):
    chart = tmp_path / "unsafe.sfc"
    chart.write_text(json.dumps({
        "name": "Unsafe", "variables": [{"name": "go", "kind": "input"}],
        "steps": [{"name": "S0", "initial": True}, {"name": "A"}, {"name": "B"}],
        "transitions": [{"from": ["S0"], "to": ["A", "B"], "condition": "go"},
                        {"from": ["A"], "to": ["S0"], "condition": "go", "jump": True},
                        {"from": ["B"], "to": ["S0"], "condition": "NOT go", "jump": True}]}))
    r = cli("sfc", "render", chart, "-o", tmp_path / "c.svg", "--violation")
    assert r.returncode == 0, r.stderr.decode()
    svg = (tmp_path / "c.svg").read_text()
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert "overflow" in svg and "fired #1" in svg and "#c62828" in svg
    plain = cli("sfc", "render", CORPUS / "sfc" / "matiec__SFC_TEST.xml", "-o",
                tmp_path / "m.svg")
    assert plain.returncode == 0 and "STEP2" in (tmp_path / "m.svg").read_text()


def test_r_wins_over_s_in_the_same_scan():
    """IEC's action control is reset-dominant: S in one parallel branch, R in the other."""
    m = machine([{"name": "S0", "initial": True},
                 {"name": "A", "actions": [{"qualifier": "S", "action": "out"}]},
                 {"name": "B", "actions": [{"qualifier": "R", "action": "out"}]}],
                [{"from": ["S0"], "to": ["A", "B"], "condition": "go"}])
    assert run(m, 3, go=True) == [False, False, False]


@pytest.mark.parametrize("name", ["beremiz__hist__traffic_lights.xml", "matiec__SFC_TEST.xml",
                                  "plcrex__TC001.xml"])
def test_action_blocks_never_cover_the_chart_under_them(name):
    """A step with many actions has a tall block: the rows under it move down, so the block
    meets no bar, transition, jump or other block (the export's coordinates are these)."""
    from plcpilot.sfc.layout import place

    items = place(read_chart(CORPUS / "sfc" / name)).items
    blocks = [i for i in items if i.kind == "actionBlock"]

    def meets(a, b):
        return (a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height + 1
                and b.y < a.y + a.height + 1)

    hits = [(a.id, b.kind) for a in blocks for b in items
            if b is not a and b.kind != "step" and meets(a, b)]
    assert hits == []


def test_a_step_never_entered_is_drawn_red(tmp_path):
    chart = tmp_path / "dead.sfc"
    chart.write_text(json.dumps({
        "name": "Dead", "variables": [{"name": "go", "kind": "input"}],
        "steps": [{"name": "S0", "initial": True}, {"name": "A"}, {"name": "Lost"}],
        "transitions": [{"from": ["S0"], "to": ["A"], "condition": "go"},
                        {"from": ["A"], "to": ["S0"], "condition": "NOT go", "jump": True},
                        {"from": ["Lost"], "to": ["S0"], "condition": "go", "jump": True}]}))
    r = cli("sfc", "render", chart, "-o", tmp_path / "d.svg", "--violation")
    assert r.returncode == 0, r.stderr.decode()
    svg = (tmp_path / "d.svg").read_text()
    assert "step Lost is never active" in svg and "#fff5f5" in svg
