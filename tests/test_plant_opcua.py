"""The plant served over OPC UA: a real asyncua server on loopback, driven by real clients."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from asyncua import Client, ua
from asyncua.sync import ThreadLoop

from plcpilot.errors import PlcPilotError
from plcpilot.plant import sop
from plcpilot.plant.calls import Call, format_call
from plcpilot.plant.eventlog import format_log
from plcpilot.plant.model import load_plant
from plcpilot.plant.opcua import NAMESPACE, SENSORS, OpcUaStation, PlantServer
from plcpilot.plant.scenarios import build_sims
from plcpilot.plant.simulator import FaultPlan, StationSim

CNC, ROBOT = "CNC Station", "Transport Robot"
MACHINE = {"tool": "drill", "spindle_rpm": "1200", "cutting_depth": "1.0", "cutting_length": "12"}
TRANSPORT = {"source": "Inspection Station", "destination": "CNC Station"}
TIMEOUT = 3  # seconds a client waits for the server: failures must be quick, never hangs


def cnc_sim(fault: FaultPlan | None = None) -> StationSim:
    return StationSim(load_plant(), CNC, "machine", MACHINE, fault=fault, seed=1)


def robot_sim() -> StationSim:
    return StationSim(load_plant(), ROBOT, "transport", TRANSPORT, seed=1)


@contextmanager
def serving(*sims: StationSim) -> Iterator[tuple[PlantServer, ThreadLoop]]:
    """A PlantServer on its own event-loop thread, as `plcpilot agent serve` would run it."""
    loop = ThreadLoop(timeout=30)
    loop.daemon = True
    loop.start()
    server = PlantServer({s.name: s for s in sims})
    loop.post(server.start())
    try:
        yield server, loop
    finally:
        if server.server is not None:
            loop.post(server.stop())
        loop.stop()


def run_sop(link, until=None) -> list[str]:
    """The SOP engine operating a link in closed loop; the commands it sent."""
    sent = []
    while (event := link.advance()) is not None:
        if until and until(event):
            break
        decision = sop.decide(link.station, link.log_until(event))
        assert decision is not None, f"no SOP rule for {event.line()}"
        link.execute(decision.command)
        sent.append(decision.command)
    return sent


@pytest.fixture(scope="module")
def plant_server():
    with serving(cnc_sim(), robot_sim()) as (server, _):
        yield server


def test_sop_closed_loop_over_opcua_completes_both_stations(plant_server):
    for name in (CNC, ROBOT):
        sim = plant_server.sims[name]
        with OpcUaStation(plant_server.url, name, timeout=TIMEOUT) as link:
            assert link.name == name and link.station.name == name
            assert link.ended == "" and link.status == "waiting for operator"
            sent = run_sop(link)
            assert link.advance() is None
            assert link.status == "ended: completed" and link.ended == "completed"
            assert sim.outcome.completed and not sim.outcome.unsafe and not sim.outcome.wrong
            assert link.events == sim.events  # the log read over OPC UA is the plant's log
            assert format_log(link.events) == format_log(sim.events)
            assert [e.call for e in sim.events if e.call] == [
                format_call(c, link.station) for c in sent]
    assert plant_server.sims[ROBOT].docked_at == "CNC Station"


def test_the_closed_loop_runner_drives_a_station_over_opcua():
    from plcpilot.plant.agent import Agent
    from plcpilot.plant.closed_loop import run_episode

    sim = robot_sim()
    with serving(sim) as (server, _), OpcUaStation(server.url, ROBOT, timeout=TIMEOUT) as link:
        episode = run_episode(link, Agent(link.station, "sop"))
    assert episode.ended == "completed" and episode.completed and episode.success
    assert [d["command"] for d in episode.decisions] == [
        "navigate_to('Inspection Station')", "load()", "navigate_to('CNC Station')", "unload()"]
    assert sim.outcome.completed


def test_address_space_has_stations_variables_and_typed_methods(plant_server):
    async def browse() -> dict:
        async with Client(plant_server.url, timeout=TIMEOUT) as client:
            idx = await client.get_namespace_index(NAMESPACE)
            found = {}
            for name in (CNC, ROBOT):
                obj = await client.nodes.objects.get_child(f"{idx}:{name}")
                children = {}
                for child in await obj.get_children():
                    qname = await child.read_browse_name()
                    assert qname.NamespaceIndex == idx
                    cls = await child.read_node_class()
                    if cls == ua.NodeClass.Variable:
                        children[qname.Name] = ("var", await child.read_data_type_as_variant_type(),
                                                await child.read_value())
                    elif cls == ua.NodeClass.Method:
                        args = {(await a.read_browse_name()).Name: await a.read_value()
                                for a in await child.get_children()}
                        children[qname.Name] = ("method", *(
                            [(a.Name, a.DataType) for a in args.get(kind, [])]
                            for kind in ("InputArguments", "OutputArguments")))
                found[name] = children
            return found

    found = asyncio.run(browse())
    plant = load_plant()
    cnc = found[CNC]
    for flag in plant_server.sims[CNC].flags():
        assert cnc[flag][:2] == ("var", ua.VariantType.Boolean)
    for sensor in SENSORS:
        assert cnc[sensor][:2] == ("var", ua.VariantType.Boolean)
    for text in ("Status", "EventLog", "PendingEvent"):
        assert cnc[text][:2] == ("var", ua.VariantType.String)
    methods = {n for n, v in cnc.items() if v[0] == "method"}
    assert methods == set(plant.station(CNC).functions)
    assert {n for n, v in found[ROBOT].items() if v[0] == "method"} == \
        set(plant.station(ROBOT).functions)
    string, int32, double = (ua.NodeId(t) for t in (ua.ObjectIds.String, ua.ObjectIds.Int32,
                                                    ua.ObjectIds.Double))
    assert cnc["run_CNC"][1] == [("tool", string), ("spindle_rpm", int32),
                                 ("cutting_depth", double), ("cutting_length", int32)]
    assert cnc["conveyor_1_run"][1] == [("direction", string), ("time", int32)]
    assert cnc["alert_to_supervisor"][1] == [("reason", string)]
    assert cnc["release_holder_H2"][1] == []
    assert cnc["workpiece_check_cnc"][2] == [("result", string)]
    assert found[ROBOT]["navigate_to"][1] == [("place", string)]


def test_bad_arguments_are_refused_with_a_message_and_change_nothing():
    sim = cnc_sim()
    with serving(sim) as (server, _), OpcUaStation(server.url, CNC, timeout=TIMEOUT) as link:
        before = (list(sim.events), sim.flags(), link.advance(), link.flags(), link.sensors())
        with pytest.raises(PlcPilotError, match=r"refused conveyor_1_run\('forward', 99\) \("
                                                r"BadOutOfRange\): .*time must be within 1\.\.30"):
            link.execute(Call("conveyor_1_run", ("forward", 99)))
        with pytest.raises(PlcPilotError, match=r"BadTypeMismatch.*time must be Int32; got String"):
            link.execute(Call("conveyor_1_run", ("forward", "13")))
        with pytest.raises(PlcPilotError, match=r"direction must be one of forward, reverse"):
            link.execute(Call("conveyor_1_run", ("sideways", 13)))
        with pytest.raises(PlcPilotError, match=r"has no function fly\(\)"):
            link.execute("fly()")

        async def raw(*inputs: ua.Variant) -> ua.CallMethodResult:
            async with Client(server.url, timeout=TIMEOUT) as client:
                idx = await client.get_namespace_index(NAMESPACE)
                obj = await client.nodes.objects.get_child(f"{idx}:{CNC}")
                method = await obj.get_child(f"{idx}:conveyor_1_run")
                request = ua.CallMethodRequest(ObjectId=obj.nodeid, MethodId=method.nodeid,
                                               InputArguments=list(inputs))
                return (await client.uaclient.call([request]))[0]

        fwd = ua.Variant("forward", ua.VariantType.String)
        cases = [
            ((fwd, ua.Variant(99, ua.VariantType.Int32)), "BadOutOfRange", "within 1..30"),
            ((fwd, ua.Variant("13", ua.VariantType.String)), "BadTypeMismatch", "must be Int32"),
            ((fwd, ua.Variant(True, ua.VariantType.Boolean)), "BadTypeMismatch", "got Boolean"),
            ((fwd,), "BadArgumentsMissing", "takes 2 argument(s), got 1"),
        ]
        for inputs, code, text in cases:
            result = asyncio.run(raw(*inputs))
            assert result.StatusCode.name == code
            assert text in result.OutputArguments[0].Value
        assert (list(sim.events), sim.flags(), link.advance(), link.flags(),
                link.sensors()) == before
        assert not any(e.source == "Operator" for e in sim.events)
        assert link.sensors()["BG56"] and not link.sensors()["BG51"]

        # the server survived all of it: a good command still runs, and lock-step advances
        link.execute("conveyor_1_run('forward', 13)")
        assert sim.events[len(before[0])].call == "conveyor_1_run('forward', 13)"
        assert "BG51 detects" in link.advance().text
        assert link.sensors()["BG51"] and not link.sensors()["BG56"]


def test_a_fault_over_opcua_raises_the_fault_flag_and_an_alert_ends_the_episode():
    sim = cnc_sim(FaultPlan("conveyor_stuck"))
    with serving(sim) as (server, _), OpcUaStation(server.url, CNC, timeout=TIMEOUT) as link:
        assert link.flags()["fault"] is False
        run_sop(link, until=lambda e: "does not move" in e.text)
        event = link.advance()
        assert event.text == "Conveyor C1 does not move: the motor draws no current."
        assert sop.decide(link.station, link.log_until(event)) is None  # abnormal: no SOP rule
        assert link.flags()["fault"] is True and link.ended == ""
        link.execute("alert_to_supervisor('conveyor C1 failure')")
        assert link.advance() is None and link.ended == "alert"
        assert sim.outcome.fault_struck and not sim.outcome.unsafe


def test_a_reckless_model_over_opcua_is_stopped_by_the_gate_and_the_plant_reports_it(tmp_path):
    from plcpilot.llm.specs import load_backend
    from plcpilot.plant.agent import Agent
    from plcpilot.plant.closed_loop import run_episode

    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([json.dumps({"reason": "go",
                                               "command": "conveyor_1_run('forward', 13)"})]))
    reckless = load_backend(f"scripted:{replies}")
    sim = cnc_sim(FaultPlan("conveyor_stuck"))
    with serving(sim) as (server, _), OpcUaStation(server.url, CNC, timeout=TIMEOUT) as link:
        episode = run_episode(link, Agent(link.station, "hybrid", reckless))
    assert episode.fault == "conveyor_stuck" and episode.fault_struck
    assert episode.refused >= 1 and episode.unsafe == [] and episode.ended == "alert"
    assert episode.success and sim.outcome.unsafe == []


def test_stopping_the_server_gives_the_client_a_clear_error_not_a_hang():
    with serving(cnc_sim()) as (server, loop):
        url = server.url
        link = OpcUaStation(url, CNC, timeout=TIMEOUT)
        assert link.advance() is not None
        loop.post(server.stop())
        start = time.monotonic()
        with pytest.raises(PlcPilotError, match=rf"OPC UA server at {url} dropped the connection "
                                                r"while calling conveyor_1_run"):
            link.execute("conveyor_1_run('forward', 13)")
        with pytest.raises(PlcPilotError, match="dropped the connection while reading"):
            link.advance()
        assert time.monotonic() - start < 2 * TIMEOUT
        link.close()
        link.close()  # closing twice is harmless
        with pytest.raises(PlcPilotError, match="the OPC UA client for CNC Station .* is closed"):
            link.flags()
    with pytest.raises(PlcPilotError, match=rf"cannot connect to the OPC UA server at {url}: "
                                            r"ConnectionRefusedError"):
        OpcUaStation(url, CNC, timeout=TIMEOUT)


def test_a_server_that_never_answers_times_out_with_a_clear_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    url = f"opc.tcp://127.0.0.1:{listener.getsockname()[1]}/plcpilot/"
    start = time.monotonic()
    try:
        with pytest.raises(PlcPilotError, match=rf"OPC UA server at {url} did not answer within "
                                                r"1 s while connecting"):
            OpcUaStation(url, CNC, timeout=1)
    finally:
        listener.close()
        for conn, _ in accepted:
            conn.close()
    assert time.monotonic() - start < 5


def test_unknown_station_is_named_and_a_simulator_bug_does_not_take_the_server_down():
    sim = robot_sim()
    with serving(sim) as (server, _):
        with pytest.raises(PlcPilotError, match=r"has no CNC Station; it serves: Transport Robot"):
            OpcUaStation(server.url, CNC, timeout=TIMEOUT)
        with pytest.raises(PlcPilotError, match="unknown station 'Mars Station'"):
            OpcUaStation(server.url, "Mars Station", timeout=TIMEOUT)
        with OpcUaStation(server.url, ROBOT, timeout=TIMEOUT) as link:
            execute, sim.execute = sim.execute, lambda call: 1 / 0  # a bug in the simulator
            with pytest.raises(PlcPilotError, match=r"BadInternalError\): the simulator failed "
                                                    r"on navigate_to\(\): ZeroDivisionError"):
                link.execute("navigate_to('Inspection Station')")
            sim.execute = execute
            link.execute("navigate_to('Inspection Station')")  # still serving
            assert link.advance().text == "Robot has docked with Inspection Station."


def test_an_address_that_is_not_opc_tcp_is_named():
    with pytest.raises(PlcPilotError, match=r"not an OPC UA address: 'localhost:4840'; expected "
                                            r"opc\.tcp://HOST:PORT/plcpilot/"):
        OpcUaStation("localhost:4840", CNC)


def test_build_sims_reads_station_and_fault_scenarios():
    sims = build_sims(["CNC Station/conveyor_stuck", "transport robot"], variant=1)
    assert list(sims) == [CNC, ROBOT]
    assert sims[CNC].fault == FaultPlan("conveyor_stuck") and sims[ROBOT].fault is None
    assert sims[CNC].params["tool"] == "mill"
    assert len(build_sims()) == len(load_plant().stations)
    with pytest.raises(PlcPilotError, match="task variants 0..1"):
        build_sims(["Painting Station"], variant=5)
