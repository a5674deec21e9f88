"""`plcpilot agent …`: the operator agent's commands (decide, run, bench, scenarios, serve).

Kept apart from cli.py so the language commands stay readable; the same thin-shell rule holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from plcpilot.console import Ticker, console, progress_bar, styled, warner
from plcpilot.errors import PlcPilotError

agent_app = typer.Typer(no_args_is_help=True, help="The plant's LLM operator agent: decide, run "
                                                   "closed loop, benchmark, serve over OPC UA.")
out = console()
err = console(stderr=True)

ModeOpt = Annotated[str, typer.Option("--mode", help="sop (the SOP engine), llm (the model), "
                                                     "hybrid (SOP where it matches).")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model spec (embedded, gguf:PATH, "
                                                              "ollama:TAG, openai:URL#MODEL, "
                                                              "scripted:FILE); default: "
                                                              "embedded+lora:agent once "
                                                              "scripts/train-agent-adapter has "
                                                              "installed it, else embedded.")]
FreeOpt = Annotated[bool, typer.Option("--no-grammar", help="Free decoding (no JSON/grammar "
                                                            "constraint).")]


def _agent(station: str, mode: str, model: str | None, no_grammar: bool = False,
           on_token=None):
    from plcpilot.llm.specs import load_backend
    from plcpilot.plant.agent import Agent
    from plcpilot.plant.model import load_plant

    if mode != "sop" and model is None:
        model = _default_model()
    backend = load_backend(model) if model and mode != "sop" else None
    return Agent(load_plant().station(station), mode, backend, constrained=not no_grammar,
                 on_token=on_token)


@agent_app.command("decide")
def decide(
    log: Annotated[str, typer.Option("--log", help="Event log file ('-': standard input), one "
                                                   "event per line: [Station][Source][hh:mm:ss] "
                                                   "text.")],
    station: Annotated[str | None, typer.Option("--station", help="Station name (e.g. 'CNC "
                                                                  "Station'); default: the one "
                                                                  "the log's lines name.")
                       ] = None,
    tag: Annotated[str | None, typer.Option("--as", help="The log's own name for the station "
                                                         "(a real plant's 'Island I'): its "
                                                         "lines are read as --station's.")
                   ] = None,
    mode: ModeOpt = "hybrid", model: ModelOpt = None, no_grammar: FreeOpt = False,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of the log.")
                        ] = "utf-8",
    max_bytes: Annotated[int, typer.Option("--max-bytes", min=1, help="Largest log accepted.")
                         ] = 4 * 1024 * 1024,
) -> None:
    """One decision for the newest event of a log: prints {"reason", "command"} as JSON.

    The command has passed the safety gate's form checks (known function, typed arguments in
    range); the station's live state is unknown from a file, so state checks apply in `run`."""
    from plcpilot.llm.base import TokenClock
    from plcpilot.plant.eventlog import parse_log
    from plcpilot.sources import EVENT_LOG, read_source

    text = read_source(log, encoding=encoding, max_bytes=max_bytes, kind=EVENT_LOG)
    where = "standard input" if log == "-" else log
    events = parse_log(text, where=where)
    if tag is not None:
        events = _renamed(events, tag, station, where)
    station = station or _station_of(events, where)
    with Ticker(err, enabled=mode != "sop") as ticker:  # only a model takes long
        def answering(n: int) -> None:
            seconds, rate = clock.tick(n)
            ticker.update("the model is answering", f"{n} tokens, {rate:.1f} tokens/s, "
                                                    f"{seconds:.0f} s")

        ticker.update(f"loading the {mode} agent")
        agent = _agent(station, mode, model, no_grammar, on_token=answering)
        ticker.update("deciding")
        clock = TokenClock()  # the answer's speed, from after the model has loaded
        decision = agent.decide(events)
    if not decision.allowed:
        err.print(styled((f"the gate refused {decision.proposed!r}: {decision.refusal}",
                          "yellow")))
    print(json.dumps(decision.answer()))


def _default_model() -> str:
    """The agent's default model; says so when the operator adapter is not installed."""
    from plcpilot.plant.agent import default_model

    spec = default_model()
    if spec == "embedded":
        err.print(styled(("the operator adapter is not installed (scripts/train-agent-adapter "
                          "builds it): using the bare embedded model", "yellow")))
    return spec


def _renamed(events, tag: str, station: str | None, where: str) -> list:
    """The log with the lines tagged `tag` (written as loosely as a station's name may be)
    under the station's name."""
    from dataclasses import replace

    from plcpilot.plant.agent import same_station

    if station is None:
        raise PlcPilotError("--as names the log's tag for a station: give the station with "
                            "--station")
    if not any(same_station(e.station, tag) for e in events):
        named = sorted({e.station for e in events if e.station})
        raise PlcPilotError(f"{where}: no line is tagged {tag!r}"
                            + (f" (the log names {', '.join(named)})" if named else ""))
    return [replace(e, station=station) if same_station(e.station, tag) else e for e in events]


def _station_of(events, where: str) -> str:
    """The one station a log's lines name, for a log given without --station."""
    named = sorted({e.station for e in events if e.station})
    if len(named) != 1:
        raise PlcPilotError(f"{where}: " + (f"lines of {', '.join(named)}" if named else
                                            "no station tag") + "; name one with --station")
    return named[0]


class _LiveLog:
    """Prints log lines as they appear, each once, in time order across stations."""

    def __init__(self) -> None:
        self.shown: dict[str, int] = {}

    def show(self, logs: dict[str, list]) -> None:
        new = []
        for name, events in logs.items():
            new += events[self.shown.get(name, 0):]
            self.shown[name] = len(events)
        for e in sorted(new, key=lambda e: e.seconds):
            style = {"Operator": "cyan", "Manager": "magenta"}.get(e.source, "")
            out.print(styled((e.line(), style)))

    def decision(self, decision) -> None:
        line = styled((f"  → {decision.command}  ({decision.source}: {decision.reason})", "dim"))
        if not decision.allowed:
            line.append(f"  gate refused {decision.proposed}", style="red")
        out.print(line)


@agent_app.command("run")
def run(
    scenario: Annotated[str, typer.Option("--scenario", help="STATION or STATION/FAULT, e.g. "
                                          "'CNC Station/conveyor_stuck' (with --opcua: the "
                                          "station); 'plant' or 'plant/STATION/FAULT': the "
                                          "whole plant, one agent per station, one order.")],
    mode: ModeOpt = "hybrid", model: ModelOpt = None, no_grammar: FreeOpt = False,
    variant: Annotated[int, typer.Option("--variant", min=0, help="Which of the station's task "
                                                                  "variants.")] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 7,
    no_gate: Annotated[bool, typer.Option("--no-gate", help="Execute proposals unchecked (to "
                                                            "measure what the gate prevents).")
                       ] = False,
    opcua: Annotated[str | None, typer.Option("--opcua", help="Run against this OPC UA plant "
                                                              "server instead of the simulator "
                                                              "(opc.tcp://…).")] = None,
    opcua_security: Annotated[str, typer.Option("--opcua-security", help="With --opcua: none, "
                                                "sign or sign-encrypt (Basic256Sha256).")
                              ] = "sign-encrypt",
    opcua_user: Annotated[str | None, typer.Option("--opcua-user", help="With --opcua: log in "
                                                   "as this user (password from "
                                                   "$PLCPILOT_OPCUA_PASSWORD, "
                                                   "--opcua-password-file or a prompt); "
                                                   "else anonymous.")] = None,
    opcua_password_file: Annotated[Path | None, typer.Option("--opcua-password-file",
                                                             help="File whose first line is "
                                                             "the password.")] = None,
    opcua_cert_dir: Annotated[Path | None, typer.Option("--opcua-cert-dir", help="Folder of "
                                                        "the client's key and self-signed "
                                                        "certificate, made on first use "
                                                        "(default: client/ in "
                                                        "$PLCPILOT_OPCUA_HOME or "
                                                        "~/.local/share/plcpilot/opcua).")
                              ] = None,
    opcua_server_cert: Annotated[Path | None, typer.Option("--opcua-server-cert", help="Accept "
                                                           "only this server certificate (the "
                                                           "cert.der `agent serve` names).")
                                 ] = None,
    opcua_reset: Annotated[bool, typer.Option("--opcua-reset", help="With --opcua: start the "
                                              "station's episode afresh first.")] = False,
) -> None:
    """Operate a station (or the whole plant) in closed loop, printing the event log live."""
    if scenario.split("/")[0].strip().casefold() == "plant":
        return _run_plant(scenario, mode, model, no_grammar, seed, no_gate)
    from plcpilot.plant.closed_loop import run_episode
    from plcpilot.plant.scenarios import build_sims

    if opcua:
        import logging

        from plcpilot.plant.model import load_plant
        from plcpilot.plant.opcua import OpcUaStation
        from plcpilot.plant.opcua_security import ClientSecurity, read_password

        logging.getLogger("asyncua").setLevel(logging.CRITICAL)  # refusals are reported below
        if opcua_password_file is not None and opcua_user is None:
            raise PlcPilotError("--opcua-password-file needs --opcua-user")
        security = ClientSecurity(
            mode=opcua_security, cert_dir=opcua_cert_dir, server_cert=opcua_server_cert,
            user=opcua_user, password=read_password(opcua_password_file) if opcua_user else None)
        link = OpcUaStation(opcua, load_plant().station(scenario).name, security=security)
        if opcua_reset:
            link.reset()
    else:
        (link,) = build_sims([scenario], variant=variant, seed=seed).values()
    agent = _agent(link.name, mode, model, no_grammar)
    live = _LiveLog()

    def decided(log, decision) -> None:
        live.show({link.name: log})
        live.decision(decision)

    try:
        episode = run_episode(link, agent, use_gate=not no_gate, on_decision=decided)
        live.show({link.name: link.events})
    finally:
        if opcua:
            link.close()
    verdict = ("success", "green") if episode.success else ("failure", "red")
    out.print(styled(verdict, f": ended {episode.ended}, {len(episode.decisions)} decisions, "
                     f"{episode.refused} refused by the gate, {len(episode.unsafe)} unsafe "
                     "executed" + (f" ({'; '.join(episode.unsafe)})" if episode.unsafe else "")))
    raise typer.Exit(0 if episode.success else 1)


def _run_plant(scenario: str, mode: str, model: str | None, no_grammar: bool, seed: int,
               no_gate: bool) -> None:
    from plcpilot.plant.model import load_plant
    from plcpilot.plant.plant_run import PlantRun, run_plant
    from plcpilot.plant.simulator import FaultPlan

    parts = [p.strip() for p in scenario.split("/")[1:]]
    if len(parts) not in (0, 2):
        raise PlcPilotError(f"{scenario!r}: write 'plant' or 'plant/STATION/FAULT'")
    fault = (parts[0], FaultPlan(parts[1])) if parts else None
    plant = load_plant()
    run = PlantRun(plant, fault=fault, seed=seed)
    agents = {name: _agent(name, mode, model, no_grammar) for name in plant.stations}
    live = _LiveLog()

    def decided(sim, event, decision) -> None:
        live.show({n: s.events for n, s in run.sims.items()})
        live.decision(decision)

    result = run_plant(run, agents, use_gate=not no_gate, on_decision=decided)
    live.show({n: s.events for n, s in run.sims.items()})
    stopped = {n: how for n, how in result.ended.items() if how not in ("completed", "")}
    verdict = ("success", "green") if result.success else ("failure", "red")
    out.print(styled(verdict, f": order {'completed' if result.completed else 'not completed'}"
                     + (f", stopped by {stopped}" if stopped else "")
                     + f", {result.decisions} decisions, {result.refused} refused by the gate, "
                     f"{len(result.unsafe)} unsafe executed"))
    raise typer.Exit(0 if result.success else 1)


@agent_app.command("serve")
def serve(
    scenario: Annotated[list[str], typer.Option("--scenario", help="STATION or STATION/FAULT "
                                                "(repeatable; default: every station).")] = [],  # noqa: B006
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 4840,
    variant: Annotated[int, typer.Option("--variant", min=0)] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 7,
    cert_dir: Annotated[Path | None, typer.Option("--cert-dir", help="Folder of the server's "
                                                  "key and self-signed certificate, made on "
                                                  "first use (default: server/ in "
                                                  "$PLCPILOT_OPCUA_HOME or "
                                                  "~/.local/share/plcpilot/opcua).")] = None,
    users: Annotated[Path | None, typer.Option("--users", help="User file password logins are "
                                               "checked against (`plcpilot agent serve-user "
                                               "add`; default: users.json there).")] = None,
    no_security: Annotated[bool, typer.Option("--no-security", help="Offer SecurityPolicy None "
                                              "only: no certificate, nothing signed or "
                                              "encrypted, passwords in clear text.")] = False,
    anonymous_control: Annotated[bool, typer.Option("--allow-anonymous-control", help="Let "
                                                    "anonymous clients call methods (commands, "
                                                    "resets); by default they may browse and "
                                                    "read only.")] = False,
) -> None:
    """Serve the simulated plant over OPC UA until Ctrl-C (one object per station, lock-step:
    the plant waits for the operator's call). Secure by default: Basic256Sha256 Sign and
    SignAndEncrypt only; logged-in users may call methods, anonymous clients only read; nobody
    writes (docs/opcua-security.md)."""
    import logging

    from plcpilot.plant.opcua import serve_forever
    from plcpilot.plant.opcua_security import ServerSecurity, default_users_file, opcua_home
    from plcpilot.plant.scenarios import build_sims

    if no_security and cert_dir is not None:
        raise PlcPilotError("--cert-dir and --no-security contradict each other: choose one")
    security = ServerSecurity(cert_dir=None if no_security else cert_dir or opcua_home() / "server",
                              users=users or default_users_file(),
                              anonymous_control=anonymous_control)
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)  # refusals are logged by us
    sims = build_sims(scenario, variant=variant, seed=seed)
    for warning in security.warnings(host):
        warner(err)(warning)

    def ready(server) -> None:
        out.print(f"serving {', '.join(sims)} at {server.url} (Ctrl-C stops)")
        out.print(f"  security: {', '.join(server.policies)}; ApplicationUri "
                  f"{server.application_uri}")
        if server.certificate is not None:
            cert = server.certificate
            out.print(f"  certificate ({cert.made}): {cert.cert}  SHA-256 {cert.fingerprint}; "
                      "clients may pin it with --opcua-server-cert")
        callers = "logged-in users and anonymous clients" if anonymous_control else \
            "logged-in users only"
        out.print(f"  {server.users} user(s) in {security.users}; methods: {callers}; "
                  "writes: nobody")

    serve_forever(sims, host, port, security=security, ready=ready)


serve_user_app = typer.Typer(no_args_is_help=True, help="Users who may log in to `plcpilot "
                                                        "agent serve` and call its methods.")
agent_app.add_typer(serve_user_app, name="serve-user")
UsersFileOpt = Annotated[Path | None, typer.Option("--file", help="The user file (default: "
                                                   "users.json in $PLCPILOT_OPCUA_HOME or "
                                                   "~/.local/share/plcpilot/opcua).")]


@serve_user_app.command("add")
def serve_user_add(name: Annotated[str, typer.Argument(help="The user's name.")],
                   file: UsersFileOpt = None) -> None:
    """Add a user, or give one a new password. The password is read at a prompt (twice), or as
    one line of standard input when that is not a terminal; never from the command line. The
    file keeps a salted scrypt hash, mode 0600."""
    from plcpilot.plant.opcua_security import add_user, default_users_file, read_new_password

    path = file or default_users_file()
    replaced = add_user(path, name, read_new_password())
    out.print(f"{'new password for' if replaced else 'added'} {name} in {path} (a running "
              "server reads it when restarted)")


@serve_user_app.command("remove")
def serve_user_remove(name: Annotated[str, typer.Argument(help="The user's name.")],
                      file: UsersFileOpt = None) -> None:
    """Remove a user (a running server forgets them when restarted)."""
    from plcpilot.plant.opcua_security import default_users_file, remove_user

    path = file or default_users_file()
    remove_user(path, name)
    out.print(f"removed {name} from {path}")


@serve_user_app.command("list")
def serve_user_list(file: UsersFileOpt = None) -> None:
    """The names in a user file, one per line."""
    from plcpilot.plant.opcua_security import default_users_file, read_users

    for name in read_users(file or default_users_file()):
        print(name)


@agent_app.command("scenarios")
def scenarios_cmd(
    out_path: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Generate the decision-point set with the simulator (the shipped one: data/scenarios)."""
    from collections import Counter

    from plcpilot.plant import scenarios
    from plcpilot.plant.model import load_plant

    points = scenarios.generate(load_plant(), seed=seed)
    scenarios.write(points, out_path)
    kinds = Counter(p.kind for p in points)
    out.print(f"{len(points)} decision points ({kinds['sop']} SOP, {kinds['abnormal']} abnormal) "
              f"→ {out_path}")


@agent_app.command("bench")
def bench(
    run_dir: Annotated[Path, typer.Option("--out", help="Run folder (resumed if it exists).")],
    mode: Annotated[list[str], typer.Option("--mode", help="sop, llm, hybrid (repeatable).")
                    ] = ["sop", "llm", "hybrid"],  # noqa: B006 - typer reads it, never mutates
    model: ModelOpt = None,
    scenario_path: Annotated[Path | None, typer.Option("--scenarios", help="Decision points "
                                                       "(default: the shipped set).")] = None,
    closed_loop: Annotated[bool, typer.Option(help="Also run closed-loop fault episodes, per "
                                                   "station and for the whole plant.")] = True,
    plant_loop: Annotated[bool, typer.Option(help="With --closed-loop: also the whole-plant "
                                                  "runs (the longest part with a model).")
                          ] = True,
    no_gate_too: Annotated[bool, typer.Option("--no-gate-too", help="Also run the closed loop "
                                                                    "without the gate.")] = False,
    points: Annotated[Path | None, typer.Option("--points", help="Also answer these test "
                                                "points (IAS test_points.json; scored against "
                                                "data/plant/ias_points_gold.yaml).")] = None,
    phrasing: Annotated[list[str], typer.Option("--phrasing", help="Score the points with "
                                                "their logs as the simulator writes them (own) "
                                                "and reworded by the dev / held_out templates "
                                                "(repeatable).")
                        ] = ["own", "dev", "held_out"],  # noqa: B006 - typer reads it only
) -> None:
    """Decision accuracy (exact, lenient; SOP vs abnormal) and closed-loop safety per mode."""
    from plcpilot.llm.specs import load_backend
    from plcpilot.paths import data_dir
    from plcpilot.plant import bench as pb
    from plcpilot.plant import scenarios
    from plcpilot.plant.agent import MODES
    from plcpilot.plant.model import load_plant

    for m in mode:
        if m not in MODES:
            raise PlcPilotError(f"unknown mode {m!r}; choose {', '.join(MODES)}")
    plant = load_plant()
    shipped = scenarios.load(scenario_path or data_dir() / "scenarios")
    points_set = [p for half in dict.fromkeys(phrasing)
                  for p in scenarios.rephrased(shipped, half)]
    backend = load_backend(model or _default_model()) if set(mode) - {"sop"} else None
    config = {"model": backend.spec if backend else None, "modes": mode,
              "scenarios": str(scenario_path or "shipped"), "points": len(shipped),
              "phrasings": list(dict.fromkeys(phrasing))}
    gates = [True, False] if no_gate_too else [True]
    episodes = len(pb.closed_loop_plan(plant)) * len(mode) * len(gates)
    imported = scenarios.import_test_points(points) if points else []
    with pb.open_run(run_dir, config), progress_bar(err) as bar:
        job = bar.add_task("decisions", total=len(points_set) * len(mode))
        pb.score_decisions(plant, points_set, None, mode, backend, run_dir,
                           advance=lambda: bar.advance(job))
        if closed_loop:
            job = bar.add_task("station episodes", total=episodes)
            for gated in gates:
                pb.run_closed_loop(plant, mode, backend, run_dir, use_gate=gated,
                                   advance=lambda: bar.advance(job))
        if closed_loop and plant_loop:
            job = bar.add_task("whole-plant runs",
                               total=pb.plant_loop_size(plant) * len(mode) * len(gates))
            for gated in gates:
                pb.run_plant_loop(plant, mode, backend, run_dir, use_gate=gated,
                                  advance=lambda: bar.advance(job))
        if imported:
            job = bar.add_task("IAS test points", total=len(imported) * len(mode))
            pb.answer_points(plant, imported, mode, backend, run_dir,
                             advance=lambda: bar.advance(job))
        title = f"Operator agent: {config['model'] or 'SOP engine'} on {len(shipped)} points"
        out.print(f"report: {pb.write_report(run_dir, title, warn=warner(err))}")


@agent_app.command("report")
def report(run_dir: Annotated[Path, typer.Argument(help="An agent bench folder.")]) -> None:
    """Rewrite report.md, summary.json and accuracy.png of a (finished or partial) run."""
    from plcpilot.plant import bench as pb

    config = pb.read_config(run_dir)
    if config is None:
        raise PlcPilotError(f"{run_dir} is not an agent bench folder (no config.json)")
    title = (f"Operator agent: {config.get('model') or 'SOP engine'} on "
             f"{config.get('points', '?')} points")
    out.print(f"report: {pb.write_report(run_dir, title, warn=warner(err))}")
