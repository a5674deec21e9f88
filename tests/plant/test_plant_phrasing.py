"""The log-phrasing generator: every sentence the simulator writes parses into an event key, every
template keeps what carries meaning, and `rephrase` draws only from the half it is asked for."""

from __future__ import annotations

import random
import re
import string
from functools import cache

import pytest

from plcpilot.errors import PlcPilotError
from plcpilot.plant import phrasing
from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import load_plant
from plcpilot.plant.plant_run import PlantRun
from plcpilot.plant.scenarios import VARIANTS
from plcpilot.plant.simulator import ROBOT, FaultPlan, StationSim

HALVES = {"dev": phrasing.DEV_STYLES, "held_out": phrasing.HELD_OUT_STYLES}
# what `rephrase` draws each line from, by its `half` argument
DRAWS = {**HALVES, "train": (*phrasing.DEV_STYLES, *phrasing.TRAIN_STYLES)}
# events that report something went wrong (plant.yaml's faults, and the simulator's own answers to
# commands that found nothing to act on): every wording must still say so
ABNORMAL = {"import_mismatch", "arm_missed", "machine_missed", "robot_no_workpiece",
            "c4_not_reached"}
FAILURE = re.compile(r"fail|error|fault|ALM=|not |no |loss|lost|stuck|jam|stop|abort|timeout|empty|"
                     r"nothing|mismatch|unsuccessful|interrupted|person|someone|can't|couldn't|"
                     r"won't|gone|down|zero|missing|out of stock|drop|reject", re.IGNORECASE)
FAILURE_ONLY = re.compile(r"fail|error|fault|ALM=", re.IGNORECASE)
LINE = re.compile(r"^\[(?P<station>[^\]]+)\](?P<tags>(?: ?\[[^\]]+\]){1,2})\s+(?P<text>\S.*)$")
ROLE = re.compile(r"\[(System|Operator|Manager)\]")


@cache
def plant():
    return load_plant()


# The plant's SOP (IAS_PLANT.md) as this test's own operator, answering by event key, so the
# corpus depends on the simulator and the parser under test only: what an event is -> command.
COMMON = {"BG56": "conveyor_1_run('forward', 13)", "BG57": "conveyor_1_run('forward', 2)",
          "BG26": "conveyor_2_run('forward', 13)", "BG27": "conveyor_2_run('forward', 2)",
          "C1 8": "release_holder_H2()", "C2 8": "release_holder_H1()",
          "C2 13": "release_holder_H3()"}
HAND_OVER = {"robot_docked": "switch_actuate('divert')",
             "switch_set": "conveyor_2_run('forward', 8)",
             "pass BG21": "conveyor_4_run('forward', 8)"}
SOP = {
    "Storage Station": {
        "BG51 retrieve": "query_inventory_workpiece_position('{name}')",
        "stock_position": "robot_arm_pick('{shelf}')", "picked_shelf": "robot_arm_place('carrier')",
        "placed_carrier": "robot_arm_reset()", "arm_home": "RFID_verify_workpiece_info()",
        "rfid_verified": "conveyor_1_run('forward', 8)", "BG21": "export_verify()",
        "export_verified": "conveyor_2_run('forward', 8)",
        "BG51 import": "import_verify('{name}')", "import_verified": "query_free_storage_shelf()",
        "shelf_free": "robot_arm_pick('carrier')", "picked_carrier": "robot_arm_place('{free}')",
        "placed_shelf": "robot_arm_reset()"},
    "Inspection Station": {
        "BG51": "RFID_read_workpiece_info()", "rfid_info": "request_inspection_service('{check}')",
        "inspection_passed": "conveyor_1_run('forward', 8)", "BG21": "transport_robot_request()",
        **HAND_OVER},
    "CNC Station": {
        "BG51": "workpiece_check_cnc()", "workpiece_verified": "CNC_status_check()",
        "machine_ready": "conveyor_1_run('forward', 8)", "BG21": "load_workpiece()",
        "machine_loaded": "run_CNC(tool='{tool}', spindle_rpm={spindle_rpm}, "
                          "cutting_depth={cutting_depth}, cutting_length={cutting_length})",
        "process_finished": "unload_workpiece()", "unloaded": "transport_robot_request()",
        **HAND_OVER},
    "Painting Station": {
        "robot_docked": "conveyor_3_run('forward', 8)", "BG41": "conveyor_2_run('forward', 13)",
        "BG21": "workpiece_check_painting()", "workpiece_verified": "painting_status_check()",
        "machine_ready": "conveyor_2_run('forward', 8)", "BG51": "load_workpiece()",
        "machine_loaded": "run_painting(color='{color}', mode='{mode}')",
        "process_finished": "unload_workpiece()", "unloaded": "release_holder_H2()"},
    ROBOT: {
        "request_received": "navigate_to('{station}')", "docked at source": "load()",
        "robot_loaded": "navigate_to('{destination}')", "docked at destination": "unload()"},
}


def _what(sim: StationSim, key: str, slots: dict[str, str]) -> str:
    """What an event is, as the SOP table names it."""
    if key in ("sensor_infeed", "sensor_holder", "sensor_outlet"):
        return slots["sensor"]
    if key == "sensor_pass":
        return f"pass {slots['sensor']}"
    if key == "conveyor_run":
        return f"{slots['conveyor']} {slots['seconds']}"
    if key == "robot_docked" and sim.name == ROBOT:
        return "docked at source" if slots["place"] == sim.params["source"] \
            else "docked at destination"
    return key


def _answer(sim: StationSim, event: Event) -> str:
    """The plant policy's answer; an event it has no answer to is escalated, as an operator
    would, so the episode still ends and writes its closing lines."""
    if sim.state["fault"]:
        return sim.fault_gold or "alert_to_supervisor('unexpected event')"
    try:
        key, slots = phrasing.parse(event.text)
    except PlcPilotError:  # test_every_sentence_the_simulator_writes_parses names it
        return "alert_to_supervisor('unexpected event')"
    what, table = _what(sim, key, slots), {**COMMON, **SOP[sim.name]}
    command = table.get(f"{what} {sim.task}", table.get(what))
    if command is None:
        return "alert_to_supervisor('unexpected event')"
    return command.format_map({**sim.params, **slots, "free": getattr(sim, "free_shelf", "")})


def _run(sim: StationSim) -> StationSim:
    while (event := sim.advance()) is not None:
        sim.execute(_answer(sim, event))
    return sim


def _full_episodes():
    """Every station, task variant and fault (striking its 1st..3rd call), run to the end."""
    plans = [None, *(FaultPlan(name, k) for name in plant().faults for k in (1, 2, 3))]
    for station, variants in VARIANTS.items():
        for n, (task, params) in enumerate(variants):
            for plan in plans:
                yield _run(StationSim(plant(), station, task, dict(params), fault=plan, seed=n))


def _off_sop(station: str, task: str, params: dict, *commands: str) -> StationSim:
    """An episode where the operator answers the first decisions with `commands`: the sentences
    the simulator writes only when a command finds nothing to act on."""
    sim = StationSim(plant(), station, task, params, seed=1)
    sim.advance()
    for command in commands:
        sim.execute(command)
        sim.advance()
    return sim


def _coupled(skip: tuple[str, str] | None = None) -> list[StationSim]:
    """The whole plant on one order; `skip` leaves one station's command unexecuted."""
    run = PlantRun(plant(), seed=0)
    while (step := run.advance()) is not None:
        sim, event = step
        command = _answer(sim, event)
        if (sim.name, command) != skip:
            sim.execute(command)
    return list(run.sims.values())


@cache
def sims() -> tuple[StationSim, ...]:
    """Every kind of episode the simulator runs: full episodes, coupled runs, off-SOP commands."""
    retrieve, imp = {"name": "W04"}, {"name": "W12"}
    return (*_full_episodes(),
            *_coupled(), *_coupled(skip=("CNC Station", "conveyor_4_run('forward', 8)")),
            _off_sop("Storage Station", "retrieve", retrieve, "conveyor_1_run('reverse', 2)"),
            _off_sop("Storage Station", "retrieve", retrieve, "robot_arm_pick('D_20')"),
            _off_sop("Storage Station", "retrieve", retrieve,
                     "query_inventory_workpiece_position('W99')"),
            _off_sop("Storage Station", "import", imp, "import_verify('W99')"),
            _off_sop("CNC Station", "machine", dict(VARIANTS["CNC Station"][0][1]),
                     "load_workpiece()"),
            _off_sop("Inspection Station", "inspect", {}, "switch_actuate('continue')"),
            _off_sop(ROBOT, "transport", dict(VARIANTS[ROBOT][0][1]), "navigate_to('user')",
                     "load()"))


def corpus() -> list[list[Event]]:
    """Every log the simulator writes, whole."""
    return [sim.events for sim in sims()]


def decision_logs() -> list[list[Event]]:
    """The log up to each event an operator answers: what the agent is shown."""
    return [sim.events[: i + 1] for sim in sims() for i in sim.decisions]


@cache
def sentences() -> dict[str, tuple[str, dict[str, str]]]:
    """Each distinct sentence of the corpus with its parse."""
    return {e.text: phrasing.parse(e.text) for log in corpus() for e in log}


def _has(text: str, value: str) -> bool:
    return value in text or value[:1].upper() + value[1:] in text


# ------------------------------------------------------------------ parsing
def test_every_sentence_the_simulator_writes_parses():
    unknown = set()
    for log in corpus():
        for e in log:
            try:
                phrasing.parse(e.text)
            except PlcPilotError:
                unknown.add(e.text)
    assert not unknown, "sentences with no event key: " + "; ".join(sorted(unknown))


def test_each_sentence_matches_exactly_one_key():
    for text in sentences():
        matching = [k for k, p in phrasing.SENTENCES.items() if re.fullmatch(p, text)]
        assert len(matching) == 1, (text, matching)


def test_every_key_is_a_sentence_the_simulator_writes():
    seen = {key for key, _ in sentences().values()}
    assert seen == set(phrasing.keys())


def test_examples_parse_into_key_and_slots():
    assert phrasing.parse("BG56 detects a carrier at the infeed of conveyor C1.") == \
        ("sensor_infeed", {"sensor": "BG56", "thing": "carrier", "conveyor": "C1"})
    assert phrasing.parse("A workpiece passes BG21.") == ("sensor_pass", {"sensor": "BG21"})
    assert phrasing.parse("Painting machine is ready.") == ("machine_ready",
                                                            {"machine": "painting"})
    assert phrasing.parse("RFID info is retrieved: check the surface for scratches.") == \
        ("rfid_info", {"check": "check the surface for scratches"})
    assert phrasing.parse("CNC Station calls function: run_CNC(tool='drill', spindle_rpm=1200, "
                          "cutting_depth=1.0, cutting_length=12).") == \
        ("operator_call", {"station": "CNC Station",
                           "call": "run_CNC(tool='drill', spindle_rpm=1200, cutting_depth=1.0, "
                                   "cutting_length=12)"})


def test_an_unknown_sentence_is_an_error_naming_it():
    with pytest.raises(PlcPilotError, match="The conveyor hums a tune"):
        phrasing.parse("The conveyor hums a tune.")
    with pytest.raises(PlcPilotError, match="no event key"):
        phrasing.rephrase([Event("CNC Station", "System", 0, "Something new.")], "dev", 0)


def test_every_fault_of_the_plant_parses_to_its_name():
    values = {"conveyor": "C2", "holder": "H1", "name": "W04", "device": "CNC machine",
              "process": "painting"}
    for name, fault in plant().faults.items():
        assert phrasing.parse(fault.line.format(**values))[0] == name


def test_every_task_kind_has_a_key():
    kinds = {kind for station in plant().stations.values() for kind in station.tasks}
    assert {f"task_{kind}" for kind in kinds} <= set(phrasing.keys())


# ------------------------------------------------------------------ templates
def test_styles_split_into_disjoint_halves_and_train_only_styles():
    groups = [set(phrasing.DEV_STYLES), set(phrasing.HELD_OUT_STYLES), set(phrasing.TRAIN_STYLES)]
    assert sum(map(len, groups)) == len(set().union(*groups))  # pairwise disjoint
    assert set().union(*groups) == set(phrasing.STYLES)


def test_every_key_has_enough_templates_in_each_half():
    assert set(phrasing.TEMPLATES) == set(phrasing.keys())
    for key, by_style in phrasing.TEMPLATES.items():
        assert set(by_style) == set(phrasing.STYLES), key
        assert sum(map(len, by_style.values())) >= 4, key
        for styles in HALVES.values():
            assert sum(len(by_style[s]) for s in styles) >= 2, key
        assert all(by_style[s] for s in phrasing.TRAIN_STYLES), key


def test_templates_use_exactly_the_slots_of_their_event():
    for key, by_style in phrasing.TEMPLATES.items():
        slots = set(re.compile(phrasing.SENTENCES[key]).groupindex)
        for templates in by_style.values():
            for template in templates:
                fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
                assert fields == slots, (key, template)


def test_every_wording_keeps_what_carries_meaning():
    abnormal = ABNORMAL | set(plant().faults)
    for key, slots in sentences().values():
        for style, templates in phrasing.TEMPLATES[key].items():
            for template in templates:
                text = phrasing.fill(template, slots)
                where = (key, style, text)
                assert all(_has(text, v) for v in slots.values()), where
                if "thing" in slots:  # a carrier is not a workpiece, nor the other way round
                    other = {"carrier": "workpiece", "workpiece": "carrier"}[slots["thing"]]
                    assert other not in text.lower(), where
                if key == "conveyor_reverse":  # the alarm style writes "REV"
                    assert re.search(r"rev|backward", text, re.IGNORECASE), where
                if key == "conveyor_run":
                    assert not re.search(r"rev|backward", text, re.IGNORECASE), where
                # the wording itself, not a slot's free text, says whether something failed
                if key in abnormal:
                    assert FAILURE.search(template), where
                else:
                    assert not FAILURE_ONLY.search(template), where


# ------------------------------------------------------------------ rephrasing
def _wordings(event: Event, styles) -> set[str]:
    key, slots = phrasing.parse(event.text)
    return {phrasing.fill(t, slots) for s in styles for t in phrasing.TEMPLATES[key][s]}


def _split(line: str) -> re.Match:
    m = LINE.match(line)
    assert m, line
    return m


def _check_log(events: list[Event], half: str, seed: int) -> int:
    """Each line: the event's station and clock, a wording of the half; at most one earlier
    line cut short, never the newest, a task line or a shelf id. Returns how many were cut."""
    lines = phrasing.rephrase(events, half, seed).splitlines()
    assert len(lines) == len(events)
    cut = 0
    for n, (event, line) in enumerate(zip(events, lines, strict=True)):
        m = _split(line)
        assert m["station"] == event.station and f"[{event.clock}]" in m["tags"], line
        wordings = _wordings(event, DRAWS[half])
        if m["text"] in wordings:
            continue
        cut += 1
        assert n < len(events) - 1 and event.source != "Manager", line
        assert "shelf" not in phrasing.parse(event.text)[1], line
        assert any(w.startswith(m["text"]) and w != m["text"] for w in wordings), line
    assert cut <= 1
    return cut


def test_rephrase_draws_only_from_its_half_and_never_cuts_the_newest_line():
    cuts = 0
    for n, log in enumerate(decision_logs()[::3]):
        for half in HALVES:
            cuts += _check_log(log, half, seed=n)
    assert cuts > 0  # lines are cut short sometimes


def test_rephrase_for_training_draws_from_dev_and_train_styles_never_held_out():
    train_only = 0
    for n, log in enumerate(decision_logs()[::3]):
        _check_log(log, "train", seed=n)
        lines = phrasing.rephrase(log, "train", n).splitlines()
        for event, line in zip(log, lines, strict=True):
            text = _split(line)["text"]
            assert text not in _wordings(event, phrasing.HELD_OUT_STYLES), line
            train_only += text in _wordings(event, phrasing.TRAIN_STYLES)
    assert train_only > 0  # the train-only styles are drawn


def test_rephrase_is_deterministic_per_seed():
    log = max(corpus(), key=len)
    assert phrasing.rephrase(log, "dev", 5) == phrasing.rephrase(log, "dev", 5)
    assert len({phrasing.rephrase(log, "held_out", s) for s in range(5)}) == 5


def test_the_same_key_is_worded_differently_within_one_log():
    log = max(corpus(), key=len)
    texts = [_split(line)["text"] for line in phrasing.rephrase(log, "dev", 0).splitlines()]
    used: dict[str, set[str]] = {}
    for event, text in zip(log, texts, strict=True):
        key, slots = phrasing.parse(event.text)
        used.setdefault(key, set()).update(
            (s, t) for s in phrasing.DEV_STYLES for t in phrasing.TEMPLATES[key][s]
            if phrasing.fill(t, slots) == text)
    assert any(len(templates) > 1 for templates in used.values())


def test_tag_layouts_vary():
    log = max(corpus(), key=len)
    lines = [line for s in range(40) for line in phrasing.rephrase(log, "dev", s).splitlines()]
    assert any(not ROLE.search(line) for line in lines)  # the role tag missing
    assert any(ROLE.search(line) for line in lines)
    assert any(re.match(r"\[[^\]]+\]\[\d\d:", line) for line in lines)  # time before role
    assert any("] [" in line for line in lines) and any("][" in line for line in lines)
    assert any(re.search(r"\]  \S", line) for line in lines)  # an extra space before the text


def test_render_writes_one_line_in_the_style_asked():
    event = Event("Storage Station", "System", 8 * 3600,
                  "Workpiece 'W04' is stored at shelf B_7.")
    for style in phrasing.STYLES:
        line = phrasing.render(event, style, random.Random(1))
        assert "\n" not in line and "[08:00:00]" in line
        assert _split(line)["text"] in _wordings(event, [style])
    with pytest.raises(PlcPilotError, match="unknown style"):
        phrasing.render(event, "poetry", random.Random(0))
    with pytest.raises(PlcPilotError, match="half must be"):
        phrasing.rephrase([event], "test", 0)  # type: ignore[arg-type]
