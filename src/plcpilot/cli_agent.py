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
                                                              "scripted:FILE).")]
FreeOpt = Annotated[bool, typer.Option("--no-grammar", help="Free decoding (no JSON/grammar "
                                                            "constraint).")]


def _agent(station: str, mode: str, model: str | None, no_grammar: bool = False,
           on_token=None):
    from plcpilot.llm.specs import load_backend
    from plcpilot.plant.agent import Agent
    from plcpilot.plant.model import load_plant

    if mode != "sop" and model is None:
        model = "embedded"
    backend = load_backend(model) if model and mode != "sop" else None
    return Agent(load_plant().station(station), mode, backend, constrained=not no_grammar,
                 on_token=on_token)


@agent_app.command("decide")
def decide(
    station: Annotated[str, typer.Option("--station", help="Station name, as `plcpilot agent "
                                                           "scenarios` lists them (e.g. 'CNC "
                                                           "Station').")],
    log: Annotated[str, typer.Option("--log", help="Event log file ('-': standard input), one "
                                                   "event per line: [Station][Source][hh:mm:ss] "
                                                   "text.")],
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
    events = parse_log(text, where="standard input" if log == "-" else log)
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
) -> None:
    """Operate a station (or the whole plant) in closed loop, printing the event log live."""
    if scenario.split("/")[0].strip().casefold() == "plant":
        return _run_plant(scenario, mode, model, no_grammar, seed, no_gate)
    from plcpilot.plant.closed_loop import run_episode
    from plcpilot.plant.scenarios import build_sims

    if opcua:
        from plcpilot.plant.model import load_plant
        from plcpilot.plant.opcua import OpcUaStation

        link = OpcUaStation(opcua, load_plant().station(scenario).name)
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
) -> None:
    """Serve the simulated plant over OPC UA until Ctrl-C (one object per station, lock-step:
    the plant waits for the operator's call)."""
    import logging

    from plcpilot.plant.opcua import serve_forever
    from plcpilot.plant.scenarios import build_sims

    logging.getLogger("asyncua").setLevel(logging.ERROR)  # no-security-policy warnings
    sims = build_sims(scenario, variant=variant, seed=seed)
    serve_forever(sims, host, port, ready=lambda server: out.print(
        f"serving {', '.join(sims)} at {server.url} (Ctrl-C stops)"))


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
    no_gate_too: Annotated[bool, typer.Option("--no-gate-too", help="Also run the closed loop "
                                                                    "without the gate.")] = False,
    points: Annotated[Path | None, typer.Option("--points", help="Also answer these test "
                                                "points (IAS test_points.json, no gold).")] = None,
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
    points_set = scenarios.load(scenario_path or data_dir() / "scenarios")
    backend = load_backend(model or "embedded") if set(mode) - {"sop"} else None
    config = {"model": backend.spec if backend else None, "modes": mode,
              "scenarios": str(scenario_path or "shipped"), "points": len(points_set)}
    episodes = len(pb.closed_loop_plan(plant)) * len(mode) * (2 if no_gate_too else 1)
    imported = scenarios.import_test_points(points) if points else []
    with pb.open_run(run_dir, config), progress_bar(err) as bar:
        job = bar.add_task("decisions", total=len(points_set) * len(mode))
        pb.score_decisions(plant, points_set, None, mode, backend, run_dir,
                           advance=lambda: bar.advance(job))
        if closed_loop:
            gates = [True, False] if no_gate_too else [True]
            job = bar.add_task("station episodes", total=episodes)
            for gated in gates:
                pb.run_closed_loop(plant, mode, backend, run_dir, use_gate=gated,
                                   advance=lambda: bar.advance(job))
            job = bar.add_task("whole-plant runs",
                               total=pb.plant_loop_size(plant) * len(mode) * len(gates))
            for gated in gates:
                pb.run_plant_loop(plant, mode, backend, run_dir, use_gate=gated,
                                  advance=lambda: bar.advance(job))
        if imported:
            job = bar.add_task("IAS test points", total=len(imported) * len(mode))
            pb.answer_points(plant, imported, mode, backend, run_dir,
                             advance=lambda: bar.advance(job))
        title = f"Operator agent: {config['model'] or 'SOP engine'} on {len(points_set)} points"
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
