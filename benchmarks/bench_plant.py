"""The operator agent's speed: the simulator-only path, and the model's latency per decision.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_plant.py [--model SPEC] [--n 24]

1. Decisions per second of the SOP engine operating every closed-loop episode on the simulator
   in process, against the same episodes driven over OPC UA on loopback (the baseline a plant
   integration pays per decision).
2. Seconds per decision of the model on N scenario points (spread over all stations), decoding
   under the station's grammar (llguidance) against free decoding of the same prompt, with the
   share of answers that are a valid command of the station.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time

from rich.console import Console
from rich.table import Table

from plcpilot.llm.specs import load_backend
from plcpilot.paths import data_dir
from plcpilot.plant import scenarios
from plcpilot.plant.agent import SAMPLING, Agent, constraint_for, messages, read_answer
from plcpilot.plant.bench import closed_loop_plan
from plcpilot.plant.calls import parse_call
from plcpilot.plant.closed_loop import run_episode
from plcpilot.plant.eventlog import parse_log
from plcpilot.plant.model import load_plant
from plcpilot.plant.simulator import FaultPlan, StationSim


def sims(plant):
    return [StationSim(plant, station, task, params, fault=FaultPlan(f) if f else None, seed=7)
            for station, task, params, f in closed_loop_plan(plant)]


def in_process(plant) -> tuple[int, float]:
    started, decisions = time.perf_counter(), 0
    for sim in sims(plant):
        decisions += len(run_episode(sim, Agent(sim.station, "sop")).decisions)
    return decisions, time.perf_counter() - started


def over_opcua(plant) -> tuple[int, float]:
    import asyncio

    from plcpilot.plant.opcua import OpcUaStation, PlantServer

    decisions, elapsed = 0, 0.0
    for sim in sims(plant):
        ready, stop = threading.Event(), None
        box = {}

        async def serve(sim=sim, ready=ready, box=box):
            async with PlantServer({sim.name: sim}) as server:
                box["url"], box["stop"] = server.url, asyncio.Event()
                ready.set()
                await box["stop"].wait()

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
        thread.start()
        ready.wait(30)
        started = time.perf_counter()
        with OpcUaStation(box["url"], sim.name) as link:
            decisions += len(run_episode(link, Agent(link.station, "sop")).decisions)
        elapsed += time.perf_counter() - started
        stop = box["stop"]
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
    return decisions, elapsed


def model_latency(plant, backend, points, constrained: bool) -> dict:
    seconds, valid = [], 0
    for p in points:
        station, events = plant.station(p.station), parse_log(p.log)
        constraint = constraint_for(station, backend, events) if constrained else None
        out = backend.complete(messages(station, events), SAMPLING, constraint)
        seconds.append(out.seconds)
        try:
            parse_call(read_answer(out.text)[1], station)
            valid += 1
        except Exception:  # noqa: BLE001 - any failure to read a command counts as invalid
            pass
    return {"mean": statistics.fmean(seconds), "median": statistics.median(seconds),
            "valid": valid / len(points)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--n", type=int, default=24)
    args = ap.parse_args()
    logging.getLogger("asyncua").setLevel(logging.ERROR)  # no-security-policy warnings
    plant = load_plant()
    console = Console()

    table = Table(title="Simulator-only path: SOP engine over every closed-loop episode")
    for col in ("path", "decisions", "seconds", "decisions/s"):
        table.add_column(col, justify="right" if col != "path" else "left")
    for name, fn in (("in process", in_process), ("over OPC UA (loopback)", over_opcua)):
        n, s = fn(plant)
        table.add_row(name, str(n), f"{s:.2f}", f"{n / s:,.0f}")
    console.print(table)

    points = scenarios.load(data_dir() / "scenarios")
    step = max(1, len(points) // args.n)
    chosen = points[::step][: args.n]
    backend = load_backend(args.model)
    backend.complete(messages(plant.station(chosen[0].station), parse_log(chosen[0].log)),
                     SAMPLING)  # load the model outside the timings
    table = Table(title=f"{backend.spec}: seconds per decision over {len(chosen)} points")
    for col in ("decoding", "mean s", "median s", "valid commands"):
        table.add_column(col, justify="right" if col != "decoding" else "left")
    for name, constrained in (("station grammar (llguidance)", True), ("free", False)):
        r = model_latency(plant, backend, chosen, constrained)
        table.add_row(name, f"{r['mean']:.2f}", f"{r['median']:.2f}", f"{r['valid']:.0%}")
    console.print(table)


if __name__ == "__main__":
    main()
