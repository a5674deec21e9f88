"""The whole plant working one order: five station simulators on one clock, coupled.

An order travels Storage (retrieve) → conveyor → Inspection → robot → CNC → robot → Painting →
conveyor → Storage (import). Each station keeps its own simulator, log and operator; this module
is the `world` the simulators call when work crosses a station boundary: a workpiece leaving on a
conveyor arrives at the next station's infeed, a robot request gives the robot a transport task,
the robot's docking, loading and unloading happen at the station it stands at.

The run ends when the workpiece is back on its shelf, or when any station's episode ends
otherwise (an alert, an emergency stop): the supervisor then takes the plant over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plcpilot.plant.agent import Agent
from plcpilot.plant.closed_loop import REPEATS, succeeded, ungated
from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import Plant
from plcpilot.plant.simulator import ROBOT, FaultPlan, StationSim, Workpiece

STORAGE, INSPECTION, CNC, PAINTING = ("Storage Station", "Inspection Station", "CNC Station",
                                      "Painting Station")
BY_ROBOT = {INSPECTION: CNC, CNC: PAINTING}  # where the robot takes a workpiece from each
BY_CONVEYOR = {STORAGE: INSPECTION, PAINTING: STORAGE}
ORDER = {"name": "W04", "tool": "drill", "spindle_rpm": "1200", "cutting_depth": "1.0",
         "cutting_length": "12", "color": "red", "mode": "triangle"}
MAX_DECISIONS = 200  # an order takes ~70 decisions over the five operators


class PlantRun:
    """Five coupled simulators; `advance()` yields (station simulator, event) to answer."""

    def __init__(self, plant: Plant, order: dict[str, str] | None = None,
                 fault: tuple[str, FaultPlan] | None = None, seed: int = 0):
        self.order = {**ORDER, **(order or {})}
        o = self.order
        tasks = {STORAGE: ("retrieve", {"name": o["name"]}),
                 INSPECTION: ("inspect", {}),
                 CNC: ("machine", {k: o[k] for k in ("tool", "spindle_rpm", "cutting_depth",
                                                     "cutting_length")}),
                 PAINTING: ("paint", {"color": o["color"], "mode": o["mode"]}),
                 ROBOT: ("transport", {})}
        struck, plan = fault if fault else (None, None)
        if struck is not None:
            struck = plant.station(struck).name
        self.completed = False
        self.sims = {name: StationSim(plant, name, task, params, seed=seed, world=self,
                                      clock=8 * 3600, fault=plan if name == struck else None)
                     for name, (task, params) in tasks.items()}

    # ------------------------------------------------------------------ the world's side
    def begin(self, sim: StationSim) -> None:
        if sim.name == ROBOT:
            return  # its tasks come with the requests
        sim.say(sim._task_line(), source="Manager")
        if sim.name == STORAGE:
            sim.active = True
            sim.later(3, lambda: sim._arrive(Workpiece("C1.in")))

    def part_done(self, sim: StationSim, handed_over: bool) -> None:
        if sim.name == STORAGE and sim.task == "import":
            self.completed = True
            for other in self.sims.values():
                other.finish("completed")
        elif handed_over and sim.name in BY_CONVEYOR:
            nxt = self.sims[BY_CONVEYOR[sim.name]]
            nxt.later(1, lambda: self._arrive_by_conveyor(nxt))

    def _arrive_by_conveyor(self, sim: StationSim) -> None:
        sim.active = True
        if sim.name == STORAGE:  # the finished workpiece comes home
            sim.task, sim.carrier_has = "import", True
            sim.say(sim._task_line(), source="Manager")
        sim._arrive(Workpiece("C1.in"))

    def request_robot(self, station: StationSim) -> None:
        robot = self.sims[ROBOT]
        robot.params = {"source": station.name, "destination": BY_ROBOT[station.name]}
        robot.active = True
        robot.say(robot._task_line(), source="Manager")
        robot.later(1, lambda: robot.say(f"Transport request received from {station.name}.",
                                         decide=True))

    def robot_docked(self, robot: StationSim, place: str) -> None:
        if place in self.sims:
            self.sims[place]._robot_docks(delivering=robot.state["robot_loaded"])

    def robot_load(self, robot: StationSim, place: str) -> bool:
        return place in self.sims and self.sims[place].hand_to_robot()

    def robot_unloaded(self, robot: StationSim, place: str) -> None:
        self.sims[place].receive()

    # ------------------------------------------------------------------ time
    @property
    def over(self) -> bool:
        return any(s.over for s in self.sims.values())

    def advance(self, limit: int = 3600) -> tuple[StationSim, Event] | None:
        """The next event any operator must answer; None when the run is over."""
        end = next(iter(self.sims.values())).t + limit
        while True:
            for sim in self.sims.values():
                if (event := sim.next_decision()) is not None:
                    return sim, event
            if self.over:
                return None
            if next(iter(self.sims.values())).t >= end:
                for sim in self.sims.values():
                    sim.finish("limit")
                return None
            for sim in self.sims.values():
                sim.tick()

    @property
    def events(self) -> list[Event]:
        """Every station's log, merged in time order."""
        merged = [e for sim in self.sims.values() for e in sim.events]
        return sorted(merged, key=lambda e: e.seconds)  # stable: each log keeps its order


@dataclass
class PlantResult:
    completed: bool
    ended: dict[str, str]
    decisions: int
    refused: int
    success: bool  # as closed_loop.succeeded judges the faulted station (or the order)
    unsafe: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def run_plant(run: PlantRun, agents: dict[str, Agent], *, use_gate: bool = True,
              on_decision=None) -> PlantResult:
    """Every station operated by its own agent until the order is done or a station stops."""
    decisions = refused = 0
    recent: dict[str, list[str]] = {}
    while decisions < MAX_DECISIONS and (step := run.advance()) is not None:
        sim, event = step
        decision = agents[sim.name].decide(sim.log_until(event),
                                           sim.flags() if use_gate else None)
        decisions += 1
        refused += not decision.allowed
        if on_decision:
            on_decision(sim, event, decision)
        command = decision.command if use_gate else ungated(agents[sim.name], decision)
        sim.execute(command)
        recent[sim.name] = [*recent.get(sim.name, [])[-(REPEATS - 1):], command]
        if recent[sim.name] == [command] * REPEATS:
            sim.finish("repeating")
        elif not use_gate and sim.outcome.unsafe:
            sim.finish("unsafe")
    unsafe = [u for s in run.sims.values() for u in s.outcome.unsafe]
    faulted = next((s for s in run.sims.values() if s.fault), None)
    if faulted is None:
        success = succeeded(None, False, False, "", run.completed, unsafe)
    else:
        r = faulted.report()
        success = succeeded(r["fault"], r["danger"], r["fault_struck"], r["ended"], False, unsafe)
    return PlantResult(
        completed=run.completed, ended={n: s.outcome.ended for n, s in run.sims.items()},
        decisions=decisions, refused=refused, success=success, unsafe=unsafe,
        wrong=[w for s in run.sims.values() for w in s.outcome.wrong])
