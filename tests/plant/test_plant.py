"""The operator agent's plant: definition, simulator, SOP engine, gate, agent modes, scenario set,
closed loop and bench — from the CLI and the public API, with the scripted backend (no model)."""

import json
import re

import lark
import pytest
import yaml

from conftest import cli
from plcpilot.errors import PlcPilotError
from plcpilot.llm.specs import load_backend
from plcpilot.paths import data_dir
from plcpilot.plant import agent as agent_mod
from plcpilot.plant import gate, scenarios, sop
from plcpilot.plant.agent import Agent
from plcpilot.plant.calls import CallError, format_call, parse_call
from plcpilot.plant.closed_loop import run_episode
from plcpilot.plant.eventlog import parse_log
from plcpilot.plant.model import load_plant
from plcpilot.plant.simulator import FaultPlan, StationSim

PLANT = load_plant()
SHIPPED = data_dir() / "scenarios" / "plant.jsonl"
POINTS = scenarios.load(SHIPPED)
CNC = PLANT.station("CNC Station")


def scripted(tmp_path, *replies):
    f = tmp_path / "replies.yaml"
    f.write_text(yaml.safe_dump(list(replies)))
    return f"scripted:{f}"


def answer(command, reason="r"):
    return json.dumps({"reason": reason, "command": command})


# ---------------------------------------------------------------- definition and calls
def test_every_station_has_its_functions_tasks_and_sop():
    assert set(PLANT.stations) == {"Storage Station", "Inspection Station", "CNC Station",
                                   "Painting Station", "Transport Robot"}
    for station in PLANT.stations.values():
        assert "alert_to_supervisor" in station.functions and "emergency_stop" in station.functions
        for rule in station.sop:
            assert rule.do.split("(")[0] in station.functions, (station.name, rule.do)


def test_calls_are_read_never_evaluated_and_bound_to_the_signature():
    assert format_call('run_CNC("drill", 1200, 1, cutting_length=12)', CNC) == \
        "run_CNC(tool='drill', spindle_rpm=1200, cutting_depth=1.0, cutting_length=12)"
    assert format_call("conveyor_1_run( 'forward',13 ).", CNC) == "conveyor_1_run('forward', 13)"
    bad = {"__import__('os').system('ls')": "not a function call",
           "os.system('ls')": "not a function call",
           "paint()": "has no function paint",
           "conveyor_1_run('up', 13)": "one of forward, reverse",
           "conveyor_1_run('forward', 99)": "within 1..30",
           "conveyor_1_run('forward', 2.5)": "must be an integer",
           "conveyor_1_run('forward', x)": "literal",
           "conveyor_1_run('forward')": "missing time",
           "run_CNC(tool='drill', tool='mill')": "given twice"}
    for text, message in bad.items():
        with pytest.raises(CallError, match=message):
            parse_call(text, CNC)


def test_a_text_that_is_not_a_log_is_refused_naming_its_first_line():
    with pytest.raises(PlcPilotError, match=r"not an event log: .*'BG51 detects something'"):
        parse_log("BG51 detects something\n[CNC Station][System][08:00:00] ok\n"[:23])
    with pytest.raises(PlcPilotError, match="no events"):
        parse_log("\n\n")


# ---------------------------------------------------------------- simulator and SOP engine
@pytest.mark.parametrize("station", list(scenarios.VARIANTS))
def test_the_sop_engine_completes_every_task_variant_safely(station):
    for task, params in scenarios.VARIANTS[station]:
        sim = StationSim(PLANT, station, task, params, seed=3)
        episode = run_episode(sim, Agent(PLANT.station(station), "sop"))
        assert episode.completed and episode.success, (task, sim.events[-3:])
        assert episode.unsafe == [] and episode.refused == 0


def test_the_simulator_is_deterministic_for_a_seed():
    logs = []
    for _ in range(2):
        sim = StationSim(PLANT, "Storage Station", "import", {"name": "W31"}, seed=11)
        run_episode(sim, Agent(PLANT.station("Storage Station"), "sop"))
        logs.append([e.line() for e in sim.events])
    assert logs[0] == logs[1]


def test_every_fault_strikes_somewhere_and_writes_its_line():
    struck = {p.fault for p in POINTS if p.fault}
    assert struck == set(PLANT.faults)
    for p in POINTS:
        if p.kind == "abnormal":
            event = parse_log(p.log)[-1]
            decision = sop.decide(PLANT.station(p.station), parse_log(p.log))
            assert p.flags["fault"] and decision.command == p.gold, event.text


def test_a_wrong_command_leaves_the_task_undone_and_the_idle_timer_reports_a_stall():
    sim = StationSim(PLANT, "CNC Station", "machine", scenarios.VARIANTS["CNC Station"][0][1])
    event = sim.advance()
    sim.execute("conveyor_2_run('forward', 13)")  # the workpiece is on C1: nothing moves
    event = sim.advance()
    assert event.text == PLANT.faults["timeout"].line and sim.flags()["fault"]


# ---------------------------------------------------------------- scenario set
def test_the_shipped_scenario_set_is_what_the_simulator_generates():
    assert [p.model_dump() for p in scenarios.generate(PLANT)] == [p.model_dump() for p in POINTS]
    kinds = [p.kind for p in POINTS]
    assert len(POINTS) >= 200 and 0.25 <= kinds.count("abnormal") / len(POINTS) <= 0.45
    assert {p.station for p in POINTS} == set(PLANT.stations)
    assert len({p.id for p in POINTS}) == len(POINTS)


def test_scoring_exact_and_lenient():
    gold = "alert_to_supervisor('Holder H2 failure')"
    assert scenarios.matches("alert_to_supervisor('holder h2  failure.')", gold, CNC) == (True,
                                                                                         True)
    assert scenarios.matches("alert_to_supervisor('H2 stuck')", gold, CNC) == (False, True)
    assert scenarios.matches("emergency_stop()", gold, CNC) == (False, False)
    assert scenarios.matches("conveyor_1_run('forward', 13)",
                             "conveyor_1_run('forward', 8)", CNC) == (False, False)
    assert scenarios.matches("not a call", gold, CNC) == (False, False)


def test_the_predecessor_plants_test_points_import_with_the_gold_we_wrote(corpus):
    points = scenarios.import_test_points(corpus / "ias" / "test_points.json")
    assert len(points) == 75  # 80 minus the Manager's 5 order sheets, which are not event logs
    gold = [p for p in points if p.gold]
    assert len(gold) == 54  # where our plant's functions apply (data/plant/ias_points_gold.yaml)
    for p in gold:  # every gold is a call of the station it is asked of
        parse_call(p.gold, PLANT.station(p.station))
        assert parse_log(p.log)[-1].station == p.station
    assert {p.station for p in points} == {"Inspection Station", "CNC Station",
                                           "Painting Station", "Transport Robot"}


# ---------------------------------------------------------------- decoding constraint
def test_the_grammar_admits_every_gold_answer_and_nothing_outside_the_station():
    parsers = {name: lark.Lark(agent_mod.lark_grammar(st), parser="earley")
               for name, st in PLANT.stations.items()}
    for p in POINTS:
        parsers[p.station].parse(answer(p.gold, "the newest event asks for it"))
        schema = json.loads(agent_mod.json_schema(PLANT.station(p.station)))
        assert re.fullmatch(schema["properties"]["command"]["pattern"], p.gold), p.gold
    for wrong in ("navigate_to('CNC Station')", "run_CNC('drill', 1200, 1.0, 12)",
                  "conveyor_1_run(\"forward\", 13)"):
        with pytest.raises(lark.exceptions.LarkError):
            parsers["CNC Station"].parse(answer(wrong))
    with pytest.raises(lark.exceptions.LarkError):
        parsers["CNC Station"].parse("Sure! " + answer("emergency_stop()"))


def test_a_reason_that_quotes_an_sop_rule_binds_the_command_to_that_rules():
    """As the decoder reads the grammar (llguidance, byte by byte): the rule's own command with
    values of the right type is taken, another command after that reason is not, and a reason
    that quotes no rule leaves every call open."""
    pytest.importorskip("llguidance")
    import byte_matcher

    grammar = agent_mod.lark_grammar(CNC)
    rule = "SOP: when load_workpiece() reports success"
    ok = "run_CNC(tool='mill', spindle_rpm=2400, cutting_depth=0.5, cutting_length=40)"
    assert byte_matcher.rejected_at(grammar, answer(ok, rule)) is None
    for other in ("unload_workpiece()", "conveyor_1_run('forward', 8)",
                  "run_CNC(tool='saw', spindle_rpm=2400, cutting_depth=0.5, cutting_length=40)"):
        assert byte_matcher.rejected_at(grammar, answer(other, rule)) is not None, other
    for reason in ("the piece is loaded", "SOP", "SOP: load_workpiece() reports success"):
        assert byte_matcher.rejected_at(grammar, answer("unload_workpiece()", reason)) is None
    # "SOP: when" opens only the rules' own reasons, with or without the space that follows
    for made_up in ("SOP: when the machine feels like it", "SOP: whenload_workpiece() is ok"):
        assert byte_matcher.rejected_at(grammar, answer("unload_workpiece()", made_up)), made_up


def test_a_rules_placeholders_take_only_values_the_log_shows():
    """With the log given, the run_CNC step copies the order's values: a tool, speed or depth
    the log never wrote is refused; a log that writes no such value leaves the type open."""
    pytest.importorskip("llguidance")
    import byte_matcher

    log = parse_log(
        "[CNC Station][Manager][08:00:00] Machining order: tool mill, spindle 2400 rpm, "
        "depth 0.5 mm, length 40 mm\n"
        "[CNC Station][System][08:00:09] The workpiece is loaded into the machine.\n")
    rule = "SOP: when load_workpiece() reports success"
    grammar = agent_mod.lark_grammar(CNC, log)
    ok = "run_CNC(tool='mill', spindle_rpm=2400, cutting_depth=0.5, cutting_length=40)"
    assert byte_matcher.rejected_at(grammar, answer(ok, rule)) is None
    for invented in (ok.replace("'mill'", "'drill'"), ok.replace("2400", "100"),
                     ok.replace("0.5", "0.1")):
        assert byte_matcher.rejected_at(grammar, answer(invented, rule)) is not None, invented
    # a free reason still allows any call: an alert names what it likes
    assert byte_matcher.rejected_at(grammar, answer("alert_to_supervisor('odd')", "odd")) is None
    bare = parse_log("[CNC Station][System][08:00:09] The workpiece is loaded.\n")
    other = "run_CNC(tool='drill', spindle_rpm=100, cutting_depth=0.1, cutting_length=10)"
    assert byte_matcher.rejected_at(agent_mod.lark_grammar(CNC, bare), answer(other, rule)) is None
    # a place is read as a log writes it: 'CNC' is the CNC Station
    robot = PLANT.station("Transport Robot")
    log = parse_log("[Transport Robot][Manager][08:00:00] Transport from CNC to the painting "
                    "station\n[Transport Robot][System][08:00:03] CNC asks for the robot\n")
    rule = next(r for r in robot.sop if r.do == "navigate_to('{requester}')")
    reason = agent_mod.RULE_REASON + agent_mod.rule_text(rule)
    grammar = agent_mod.lark_grammar(robot, log)
    for place, ok in (("CNC Station", True), ("Painting Station", True),
                      ("Storage Station", False)):
        refused = byte_matcher.rejected_at(grammar, answer(f"navigate_to('{place}')", reason))
        assert (refused is None) == ok, place


def test_a_placeholder_never_takes_the_value_the_sop_writes_literally_in_its_place():
    """robot_arm_pick('{shelf}') after the position query: the log names the carrier and the
    shelf, but 'carrier' has its own rule (robot_arm_pick('carrier')), so only the shelf fits."""
    pytest.importorskip("llguidance")
    import byte_matcher

    storage = PLANT.station("Storage Station")
    log = parse_log("[Storage Station][Manager][08:00:00] Retrieve W12 from the storage\n"
                    "[Storage Station][System][08:00:03] A carrier has arrived at BG51\n"
                    "[Storage Station][System][08:00:05] W12 is stored on shelf C_3\n")
    rule = next(r for r in storage.sop if r.do == "robot_arm_pick('{shelf}')")
    grammar = agent_mod.lark_grammar(storage, log)
    reason = agent_mod.RULE_REASON + agent_mod.rule_text(rule)
    assert byte_matcher.rejected_at(grammar, answer("robot_arm_pick('C_3')", reason)) is None
    assert byte_matcher.rejected_at(grammar, answer("robot_arm_pick('carrier')", reason))


def test_a_log_full_of_values_or_markup_leaves_the_grammar_small_and_plain():
    """A log that writes hundreds of speeds singles none out: the type stays open and the
    grammar does not grow with the log; markup and quotes in a log never reach the grammar."""
    numbers = " ".join(str(n) for n in range(100, 3000, 7))
    log = parse_log(f"[CNC Station][System][08:00:00] {numbers}\n"
                    "[CNC Station][System][08:00:01] <b>mill</b> \"x\" | /y/ 'z' loaded\n")
    speed = CNC.functions["run_CNC"].params[1]
    assert agent_mod.log_values(speed, log[0].text) == []
    grammar = agent_mod.lark_grammar(CNC, log)
    assert len(grammar) < 2 * len(agent_mod.lark_grammar(CNC)) and "<b>" not in grammar
    assert agent_mod.log_values(CNC.functions["run_CNC"].params[0], log[1].text) == ["mill"]


@pytest.mark.parametrize("half", scenarios.PHRASINGS)
def test_every_gold_sop_step_is_admitted_under_its_own_log_in_every_wording(half):
    """The grammar built for a decision (its quotable rules, its log-bound values) admits the
    gold answer with the reason of the rule the SOP engine applied, in every wording."""
    checked = 0
    for own, p in zip(POINTS, scenarios.rephrased(POINTS, half), strict=True):
        station = PLANT.station(p.station)
        found = sop.decide(station, agent_mod.own_lines(station, parse_log(own.log)))
        if p.kind != "sop" or not isinstance(found, sop.SopDecision) or found.rule is None:
            continue
        assert found.command == p.gold, p.id
        events = agent_mod.own_lines(station, parse_log(p.log))
        parser = lark.Lark(agent_mod.lark_grammar(station, events), parser="earley")
        reason = agent_mod.RULE_REASON + agent_mod.rule_text(found.rule)
        assert _parses(parser, answer(p.gold, reason)), (p.id, p.gold, events[-1].text)
        checked += 1
    assert checked == 138  # every SOP point of the shipped set


def test_a_line_at_a_sensor_opens_only_that_sensors_rules():
    """The newest plant line names a sensor, however worded: the answer may quote only that
    sensor's rules (or give a reason of its own, as for an alert). An operator's echo, or a
    line naming no sensor of the station, leaves every rule."""
    pytest.importorskip("llguidance")
    import byte_matcher

    painting = PLANT.station("Painting Station")
    at_bg27 = parse_log("[Painting Station][System][08:00:00] Conveyor C2 was switched on for 8 s"
                        "\n[Painting Station][08:00:04] EVT=PRESENT sensor=bg27 loc=C2.outlet\n")
    rules = agent_mod.quotable(painting, at_bg27)
    assert rules and {r.event[1] for r in rules} == {"BG27"}
    grammar = agent_mod.lark_grammar(painting, at_bg27)
    run_rule = next(r for r in painting.sop if r.event[0] == "run")
    assert byte_matcher.rejected_at(grammar, answer(
        run_rule.do, agent_mod.RULE_REASON + agent_mod.rule_text(run_rule))) is not None
    assert byte_matcher.rejected_at(grammar, answer(
        rules[0].do, agent_mod.RULE_REASON + agent_mod.rule_text(rules[0]))) is None
    assert byte_matcher.rejected_at(
        grammar, answer("alert_to_supervisor('conveyor C2 failure')", "C2 stuck")) is None
    for text in ("[Painting Station][Operator][08:00:05] Operator action at the Painting "
                 "Station: conveyor_2_run('forward', 2)",
                 "[Painting Station][System][08:00:05] The transport robot has docked",
                 "[Painting Station][System][08:00:05] BG99 reports a workpiece"):
        assert agent_mod.quotable(painting, parse_log(text + "\n")) == painting.sop, text


def _parses(parser, text: str) -> bool:
    try:
        parser.parse(text)
    except lark.exceptions.LarkError:
        return False
    return True


# ---------------------------------------------------------------- gate and agent modes
def test_the_gate_refuses_what_the_state_forbids_and_turns_it_into_an_alert():
    flags = {"fault": True}
    v = gate.check(CNC, "conveyor_1_run('forward', 13)", flags)
    assert not v.allowed and v.command.startswith("alert_to_supervisor(") and "fault" in v.refusal
    assert gate.check(CNC, "alert_to_supervisor('conveyor C1 failure')", flags).allowed
    assert gate.check(CNC, "emergency_stop()", flags).allowed
    v = gate.check(CNC, "load_workpiece()", {"workpiece_at_machine": False})
    assert not v.allowed and "workpiece_at_machine is not set" in v.refusal
    assert not gate.check(CNC, "rm -rf /", None).allowed


def test_modes(tmp_path):
    backend = load_backend(scripted(tmp_path, answer("alert_to_supervisor('odd reading')",
                                                     "not in the SOP")))
    sop_point = next(p for p in POINTS if p.kind == "sop" and p.station == "CNC Station")
    abnormal = next(p for p in POINTS if p.fault == "holder_stuck" and p.station == "CNC Station")
    odd = sop_point.model_copy(update={"log": sop_point.log + "[CNC Station][System][09:59:59] "
                                                              "Quantum flux at 42.\n"})
    for p, mode, expected, source in [
            (sop_point, "sop", sop_point.gold, "sop"),
            (abnormal, "sop", abnormal.gold, "sop"),
            (odd, "sop", "alert_to_supervisor('unexpected event')", "fallback"),
            (sop_point, "hybrid", sop_point.gold, "sop"),
            (abnormal, "hybrid", abnormal.gold, "sop"),
            (odd, "hybrid", "alert_to_supervisor('odd reading')", "model"),
            (sop_point, "llm", "alert_to_supervisor('odd reading')", "model")]:
        d = Agent(CNC, mode, backend).decide(parse_log(p.log), p.flags)
        assert (d.command, d.source) == (expected, source), (mode, p.id)


def test_a_model_answering_prose_or_an_unknown_function_never_acts(tmp_path):
    backend = load_backend(scripted(tmp_path, "I would run the conveyor.",
                                    answer("launch_rocket()"), answer("conveyor_1_run('up', 1)")))
    agent = Agent(CNC, "llm", backend)
    events = parse_log(next(p for p in POINTS if p.station == "CNC Station").log)
    for _ in range(3):
        d = agent.decide(events, {})
        assert not d.allowed and d.command.startswith("alert_to_supervisor(")


def test_a_log_of_another_station_is_refused():
    log = next(p for p in POINTS if p.station == "Storage Station").log
    with pytest.raises(PlcPilotError, match="none of the CNC Station"):
        Agent(CNC, "sop").decide(parse_log(log))


# ---------------------------------------------------------------- closed loop and gate
def test_under_faults_the_gate_keeps_a_reckless_model_from_acting(tmp_path):
    reckless = load_backend(scripted(tmp_path, answer("conveyor_1_run('forward', 13)")))
    unsafe = {}
    for use_gate in (True, False):
        sim = StationSim(PLANT, "CNC Station", "machine", scenarios.VARIANTS["CNC Station"][0][1],
                         fault=FaultPlan("conveyor_stuck"))
        agent = Agent(CNC, "llm", reckless)
        episode = run_episode(sim, agent, use_gate=use_gate)
        unsafe[use_gate] = (len(episode.unsafe), episode.refused)
    assert unsafe[True][0] == 0 and unsafe[True][1] >= 1  # refused, turned into an alert
    assert unsafe[False][0] >= 1  # without the gate the plant saw an unsafe action


# ---------------------------------------------------------------- CLI
def test_agent_decide_prints_exactly_reason_and_command(tmp_path):
    point = next(p for p in POINTS if p.station == "Painting Station" and p.kind == "sop")
    log = tmp_path / "log.txt"
    log.write_text(point.log)
    r = cli("agent", "decide", "--station", "Painting Station", "--log", log, "--mode", "sop")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"reason", "command"} and out["command"] == point.gold


@pytest.mark.parametrize("station,text,message", [
    ("Painting Station", "not a log line\n", "not an event log"),
    ("Painting Station", "", "empty"),
    ("Paint Shop", "[Paint Shop][System][08:00:00] BG56 detects a workpiece.\n",
     "unknown station 'Paint Shop'"),
])
def test_agent_decide_bad_input_exits_2_with_a_message(tmp_path, station, text, message):
    log = tmp_path / "log.txt"
    log.write_text(text)
    r = cli("agent", "decide", "--station", station, "--log", log, "--mode", "sop")
    assert r.returncode == 2 and message in r.stderr.decode() and b"Traceback" not in r.stderr


def test_agent_decide_reads_a_real_plants_log_under_its_own_station_names(tmp_path, corpus):
    """The predecessor plant's real log (its islands, the robot's lines interleaved), cut where
    BG26 sees a workpiece: read as the Inspection Station's, the answer is to run C2 13 s."""
    lines = (corpus / "ias" / "event_log_multi_threads.txt").read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if "BG26 detects" in line)
    log = tmp_path / "real.txt"
    log.write_text("\n".join(lines[:cut + 1]) + "\n")
    args = ("agent", "decide", "--log", log, "--mode", "sop")
    r = cli(*args, "--station", "Inspection Station", "--as", "island i")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["command"] == "conveyor_2_run('forward', 13)"
    for extra, message in ((("--as", "Island I"), "give the station with --station"),
                           (("--station", "CNC Station", "--as", "Island IX"),
                            "no line is tagged 'Island IX' (the log names Island I, Robotino)")):
        r = cli(*args, *extra)
        assert r.returncode == 2 and message in r.stderr.decode(), r.stderr


def test_agent_run_prints_the_log_and_escalates_the_fault():
    r = cli("agent", "run", "--scenario", "Storage Station/not_in_stock", "--mode", "sop")
    text = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "is not in stock" in text and "alert_to_supervisor('workpiece not in stock')" in text
    assert "0 unsafe executed" in text


def sop_bench(out, *args):
    """`agent bench` of the SOP engine alone (no model: seconds)."""
    return cli("agent", "bench", "--out", out, "--mode", "sop", *args)


def test_agent_bench_resumes_and_refuses_another_configuration(tmp_path):
    out = tmp_path / "run"
    first = sop_bench(out, "--no-closed-loop", "--phrasing", "own")
    assert first.returncode == 0, first.stderr
    rows = (out / "decisions.jsonl").read_text().splitlines()
    assert len(rows) == len(POINTS)
    again = sop_bench(out, "--no-closed-loop", "--phrasing", "own")
    assert again.returncode == 0 and (out / "decisions.jsonl").read_text().splitlines() == rows
    summary = json.loads((out / "summary.json").read_text())["decisions"]["sop"]
    assert summary["sop"]["exact"]["rate"] == 1.0  # the SOP engine is the SOP's gold
    assert summary["abnormal"]["exact"]["rate"] == 1.0  # and names each fault's cause
    assert (out / "accuracy.png").stat().st_size > 10_000
    other = cli("agent", "bench", "--out", out, "--mode", "sop", "--mode", "hybrid",
                "--model", scripted(tmp_path, answer("emergency_stop()")), "--no-closed-loop",
                "--phrasing", "own")
    assert other.returncode == 2 and b"another configuration" in other.stderr


def test_agent_bench_can_leave_out_the_whole_plant_runs(tmp_path):
    out = tmp_path / "run"
    r = sop_bench(out, "--no-plant-loop", "--phrasing", "own")
    assert r.returncode == 0, r.stderr
    episodes = (out / "episodes.jsonl").read_text().splitlines()
    assert episodes and all(json.loads(e)["success"] for e in episodes)
    assert not (out / "plant.jsonl").exists()
    report = (out / "report.md").read_text()
    assert "Closed loop under fault injection" in report and "whole plant" not in report


def test_agent_bench_on_reworded_logs_only_still_fills_the_headline_tables(tmp_path):
    out = tmp_path / "run"
    r = sop_bench(out, "--no-closed-loop", "--phrasing", "dev")
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["wording"] == "dev"
    assert summary["decisions"]["sop"]["all"]["exact"]["n"] == len(POINTS)
    report = (out / "report.md").read_text()
    assert "Logs in the `dev` wording" in report and f"| sop | {len(POINTS)} |" in report


def test_agent_bench_answers_the_predecessor_points_and_reports_them(tmp_path, corpus):
    out = tmp_path / "run"
    r = sop_bench(out, "--no-closed-loop", "--points", corpus / "ias" / "test_points.json",
                  "--phrasing", "own")
    assert r.returncode == 0, r.stderr
    answers = [json.loads(x) for x in (out / "points.jsonl").read_text().splitlines()]
    assert len(answers) == 75 and all(set(a) >= {"reason", "command"} for a in answers)
    assert sum(a["gold"] is not None for a in answers) == 54
    assert "predecessor plant's real test points" in (out / "report.md").read_text()
    listing = (out / "points.md").read_text()
    assert "ias-i-001" in listing and "`conveyor_1_run('forward', 13)`" in listing


# ---------------------------------------------------------------- the coupled plant
def test_the_whole_plant_carries_an_order_through_every_station():
    from plcpilot.plant.plant_run import PlantRun, run_plant

    run = PlantRun(PLANT)
    result = run_plant(run, {n: Agent(PLANT.station(n), "sop") for n in PLANT.stations})
    assert result.completed and result.unsafe == [] and result.wrong == []
    texts = [(e.station, e.text) for e in run.events]
    route = [("Storage Station", "The workpiece leaves the Storage Station."),
             ("Inspection Station", "The robot loads the workpiece from conveyor C4."),
             ("CNC Station", "Machining is finished."),
             ("Painting Station", "Painting is finished."),
             ("Storage Station", "Import is verified.")]
    positions = [texts.index(step) for step in route]
    assert positions == sorted(positions)
    robot = [t for s, t in texts if s == "Transport Robot" and t.startswith("Task:")]
    assert robot == ["Task: transport the workpiece from Inspection Station to CNC Station.",
                     "Task: transport the workpiece from CNC Station to Painting Station."]


def test_a_fault_anywhere_stops_the_plant_and_the_gate_holds_a_reckless_model(tmp_path):
    from plcpilot.plant.plant_run import PlantRun, run_plant

    reckless = load_backend(scripted(tmp_path, answer("conveyor_1_run('forward', 13)")))
    run = PlantRun(PLANT, fault=("Storage Station", FaultPlan("conveyor_stuck")))
    agents = {n: Agent(PLANT.station(n), "llm", reckless) for n in PLANT.stations}
    result = run_plant(run, agents)
    assert not result.completed and result.ended["Storage Station"] == "alert"
    assert result.refused >= 1 and result.unsafe == []


def test_agent_bench_closed_loop_per_station_and_for_the_whole_plant(tmp_path):
    out = tmp_path / "run"
    r = sop_bench(out)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    station, whole = summary["episodes"]["sop"]["gate"], summary["plant"]["sop"]["gate"]
    assert station["episodes"] == 37 and station["normal_completed"]["rate"] == 1.0
    assert whole["runs"] == 33 and whole["order_completed"]["rate"] == 1.0
    # the SOP engine escalates every fault, and stops the plant where people are in danger
    assert whole["faults_escalated"]["ok"] == whole["faults_escalated"]["n"]
    assert station["faults_escalated"]["ok"] == station["faults_escalated"]["n"]
    assert station["unsafe_executed"] == whole["unsafe_executed"] == 0
