"""A deterministic simulator of one station (or the transport robot) working one task.

Time advances in whole seconds, the log's resolution. A workpiece sits at a point of the
station's conveyor track and moves while its conveyor runs forward (or, just released from a
holder, rolls on to the next sensor); sensors write their lines on arrival and on passing. Functions
take time and write their results; a fault plan makes one command fail as IAS_PLANT.md's abnormal
events do. After a fault, an emergency stop or an alert the episode is over: the supervisor takes
it.

On its own a station emulates its neighbours (the robot docks 12 s after a request, a workpiece
that leaves is gone); inside `plant_run.PlantRun` a `world` couples the five simulators on one
clock, so workpieces travel from station to station and the robot carries them.

The simulator keeps its own count of unsafe executions (a command run while the station is
faulted or stopped, or without the state it needs), independent of the agent's safety gate, so a
closed-loop run can show the gate held rather than assume it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from plcpilot.errors import PlcPilotError
from plcpilot.plant.calls import Call, parse_call
from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import Plant

ROBOT = "Transport Robot"
IDLE_TIMEOUT = 60  # seconds without an event before the plant reports an inactivity timeout
HOLD_OPEN = 3  # a released holder stays open this long
LOAD_WAIT = 40  # coupled: seconds the robot waits at C4 for the workpiece before it gives up


@dataclass(frozen=True)
class Point:
    conveyor: str
    sensor: str | None
    arrive: str | None  # the sensor's line when a workpiece arrives
    holder: str | None = None


POINTS = {
    "C1.in": Point("C1", "BG56", "BG56 detects a {thing} at the infeed of conveyor C1."),
    "H2": Point("C1", "BG51", "BG51 detects a {thing} at holder H2 on conveyor C1.", "H2"),
    "C1.out": Point("C1", "BG57", "BG57 detects a workpiece at the outlet of conveyor C1."),
    "C2.in": Point("C2", "BG26", "BG26 detects a workpiece at the infeed of conveyor C2."),
    "H1": Point("C2", "BG21", "BG21 detects a workpiece at holder H1 on conveyor C2.", "H1"),
    "C2.out": Point("C2", "BG27", "BG27 detects a workpiece at the outlet of conveyor C2."),
    "C3.in": Point("C3", None, None),
    "H3": Point("C2", "BG41", "BG41 detects a workpiece at holder H3 on conveyor C3.", "H3"),
    "C4.in": Point("C4", "BG42", "BG42 detects a workpiece on conveyor C4."),
    "C4.end": Point("C4", None, None),
}
# point -> (next point, seconds of travel); H1 goes to C4 instead when switch S1 diverts
TRACK = {"C1.in": ("H2", 5), "H2": ("C1.out", 4), "C1.out": ("exit C1", 1),
         "C2.in": ("H1", 5), "H1": ("C2.out", 4), "C2.out": ("exit C2", 1),
         "C3.in": ("H3", 3), "H3": ("H1", 3), "C4.in": ("C4.end", 6)}
DIVERT = ("C4.in", 2)
HOLDER_OF = {"C1": "H2", "C2": "H1"}  # the holder an 8 s run is meant to release

# where a workpiece goes at each conveyor's end, per station (Painting loops C3 → C2 → C1)
EXITS = {"Painting Station": {"exit C1": "gone", "exit C2": "C1.in"}}
DEFAULT_EXITS = {"exit C1": "C2.in", "exit C2": "gone"}
MACHINE_HOLDER = {"CNC Station": "H1", "Painting Station": "H2"}
MACHINE = {"CNC Station": "CNC", "Painting Station": "painting"}
DEVICE = {"Storage Station": "storage database", "Inspection Station": "RFID reader TF81",
          "CNC Station": "CNC machine", "Painting Station": "painting machine",
          ROBOT: "robot controller"}
INSPECTIONS = ["check the drilled hole diameter", "check the surface for scratches",
               "check the colour of the coating", "check the milled slot depth",
               "check the workpiece dimensions"]


@dataclass
class Workpiece:
    where: str  # a point of TRACK, or machine / arm / shelf / robot / gone
    progress: int = 0
    rolling: bool = False  # just released from a holder: moves on to the next sensor


@dataclass(frozen=True)
class FaultPlan:
    """Fault `name` strikes the `occurrence`-th call (1-based) of one of its functions."""

    name: str
    occurrence: int = 1


@dataclass
class Outcome:
    completed: bool = False
    ended: str = ""  # completed / alert / emergency_stop / refused / limit
    unsafe: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # commands that left the task undone
    fault_struck: bool = False


class StationSim:
    """One station working one task; `advance()` runs to the next event the operator answers."""

    def __init__(self, plant: Plant, station: str, task: str, params: dict[str, str] | None = None,
                 fault: FaultPlan | None = None, seed: int = 0, world=None,
                 clock: int | None = None):
        self.plant, self.station = plant, plant.station(station)
        self.name = self.station.name
        if task not in self.station.tasks:
            raise PlcPilotError(f"{self.name} has no task {task!r}; it has: "
                                + ", ".join(self.station.tasks))
        if fault is not None and fault.name not in plant.faults:
            raise PlcPilotError(f"unknown fault {fault.name!r}; known: {', '.join(plant.faults)}")
        self.task, self.params = task, dict(params or {})
        self.fault, self.calls_seen = fault, {}
        self.rng = random.Random(seed)
        self.t = clock if clock is not None else 8 * 3600 + self.rng.randrange(0, 3600)
        self.world = world  # plant_run.PlantRun when coupled, else None
        self.active = world is None  # coupled: idle (no timeout) until work arrives
        self.events: list[Event] = []
        self.decisions: list[int] = []  # indexes of events the operator must answer
        self._next_decision = 0
        self.outcome = Outcome()
        self.over = False
        self.last_event_t = self.t
        self.pending: list[tuple[int, callable]] = []  # (time, effect) scheduled by functions
        self.conveyors: dict[str, tuple[int, int]] = {}  # conveyor -> (stop time, +1/-1)
        self.holders_open: dict[str, int] = {}  # holder -> close time
        self.switch = "continue"
        self.state = {"fault": False, "stopped": False, "arm_holding": False,
                      "workpiece_at_machine": False, "machine_loaded": False,
                      "machine_running": False, "machine_done": False, "docked": False,
                      "robot_loaded": False}
        self.inventory = {f"W{n:02d}": f"{'ABCD'[n % 4]}_{n % 20 + 1}" for n in range(1, 40, 3)}
        self.carrier_has = self.task != "retrieve"  # a retrieve starts with an empty carrier
        self.docked_at: str | None = None
        self.piece: Workpiece | None = None
        self.fault_gold: str | None = None
        self._begin()

    # ------------------------------------------------------------------ log
    def say(self, text: str, *, decide: bool = False, source: str = "System") -> None:
        self.events.append(Event(self.name, source, self.t, text))
        self.last_event_t = self.t
        if decide and not self.over:
            self.decisions.append(len(self.events) - 1)

    def later(self, seconds: int, effect) -> None:
        self.pending.append((self.t + seconds, effect))

    def _begin(self) -> None:
        if self.world is not None:
            return self.world.begin(self)
        line = self._task_line()
        self.say(line, source="Manager")
        if self.name == ROBOT:
            self.later(3, lambda: self.say(
                f"Transport request received from {self.params['source']}.", decide=True))
        elif self.name == "Painting Station":
            self.later(5, lambda: self._robot_docks(delivering=True))
        else:
            self.later(3, lambda: self._arrive(Workpiece("C1.in")))

    def _task_line(self) -> str:
        p = self.params
        match self.task:
            case "retrieve":
                p.setdefault("name", "W04")
                return f"Task: retrieve workpiece '{p['name']}' from storage."
            case "import":
                p.setdefault("name", "W12")
                return f"Task: import workpiece '{p['name']}' into storage."
            case "inspect":
                return "Task: inspect the incoming workpiece."
            case "machine":
                return ("Task: machine the workpiece with tool='{tool}', "
                        "spindle_rpm={spindle_rpm}, cutting_depth={cutting_depth}, "
                        "cutting_length={cutting_length}.".format(**p))
            case "paint":
                return "Task: paint the workpiece with color='{color}', mode='{mode}'.".format(**p)
            case "transport":
                return "Task: transport the workpiece from {source} to {destination}.".format(**p)
        raise PlcPilotError(f"no task line for {self.task}")  # pragma: no cover - tasks are data

    # ------------------------------------------------------------------ time
    def advance(self, limit: int = 600) -> Event | None:
        """Run until an event the operator must answer; None when the episode is over."""
        end = self.t + limit
        while (event := self.next_decision()) is None:
            if self.over or self.t >= end:
                if not self.over:
                    self.finish("limit")
                return None
            self.tick()
        return event

    def next_decision(self) -> Event | None:
        """The oldest event still awaiting the operator, without running time on."""
        if self._next_decision >= len(self.decisions):
            return None
        self._next_decision += 1
        return self.events[self.decisions[self._next_decision - 1]]

    def log_until(self, event: Event) -> list[Event]:
        return self.events[: self.events.index(event) + 1]

    def tick(self) -> None:
        self.t += 1
        due = [e for e in self.pending if e[0] <= self.t]
        self.pending = [e for e in self.pending if e[0] > self.t]
        for _, effect in due:
            if not self.over:
                effect()
        self._move()
        for conveyor, (stop, _) in list(self.conveyors.items()):
            if self.t >= stop:
                del self.conveyors[conveyor]
        for holder, close in list(self.holders_open.items()):
            if self.t >= close:
                del self.holders_open[holder]
        if not self.over and self.active and self.t - self.last_event_t >= IDLE_TIMEOUT:
            timeout = self.plant.faults["timeout"]
            self._fault_line(timeout.line, timeout.gold)

    def _move(self) -> None:
        piece = self.piece
        if piece is None or piece.where not in TRACK or self.state["stopped"]:
            return
        point = POINTS[piece.where]
        run = self.conveyors.get(point.conveyor)
        held = point.holder is not None and not piece.rolling
        if run and run[1] < 0:
            piece.progress = max(0, piece.progress - 1)
            return
        if not (piece.rolling or (run and not held)):
            return
        if piece.progress == 0 and point.sensor:
            self.say(f"A workpiece passes {point.sensor}.", decide=self._passing_decides(point))
        target, travel = DIVERT if piece.where == "H1" and self.switch == "divert" \
            else TRACK[piece.where]
        piece.progress += 1
        if piece.progress >= travel:
            piece.rolling = False
            self._arrive(Workpiece(target))

    def _passing_decides(self, point: Point) -> bool:
        return point.sensor == "BG21" and self.switch == "divert"

    def _arrive(self, piece: Workpiece) -> None:
        exits = EXITS.get(self.name, DEFAULT_EXITS)
        piece.where = exits.get(piece.where, piece.where)
        self.piece = piece
        if piece.where == "gone":
            self.say(f"The workpiece leaves the {self.name}.")
            self.piece = None
            return self._done(handed_over=True)
        if piece.where == "C4.end":
            if self.world is not None:  # the robot comes for it
                return self.say("The workpiece waits at the end of conveyor C4.")
            self.say("The robot loads the workpiece from conveyor C4.")
            return self._done()
        point = POINTS[piece.where]
        if point.arrive:
            thing = "workpiece" if self.carrier_has else "carrier"
            self.say(point.arrive.format(thing=thing), decide=piece.where != "C4.in")
        self.state["workpiece_at_machine"] = piece.where == MACHINE_HOLDER.get(self.name)

    def _done(self, handed_over: bool = False) -> None:
        """This station's part of the work is done: the episode ends, or (coupled) the world
        takes the workpiece on."""
        if self.world is None:
            return self.finish("completed")
        self.active = False
        self.world.part_done(self, handed_over)

    def finish(self, how: str) -> None:
        if not self.over:
            self.over = True
            self.outcome.ended = how
            self.outcome.completed = how == "completed" and not self.outcome.wrong

    def _fault_line(self, text: str, gold: str | None = None) -> None:
        """An abnormal event; `gold` is the plant policy's answer to it, when the fault is ours."""
        self.state["fault"] = True
        self.fault_gold = gold
        self.say(text, decide=True)

    @property
    def ended(self) -> str:
        """How the episode ended ("" while it runs), as an OPC UA client reads it too."""
        return self.outcome.ended

    def report(self) -> dict:
        """How the episode went, as the plant itself saw it (served over OPC UA too)."""
        o = self.outcome
        return {"ended": o.ended, "completed": o.completed, "fault_struck": o.fault_struck,
                "danger": bool(self.fault and self.plant.faults[self.fault.name].danger),
                "fault": self.fault.name if self.fault else None, "unsafe": list(o.unsafe),
                "wrong": list(o.wrong)}

    # ------------------------------------------------------------------ commands
    def flags(self) -> dict[str, bool]:
        return dict(self.state)

    def execute(self, command: str | Call, *, source: str = "Operator") -> None:
        """Run one command of this station's (already checked by the caller's gate or not)."""
        call = command if isinstance(command, Call) else parse_call(command, self.station)
        fn = self.station.functions[call.function]
        self.say(f"{self.name} calls function: {call.text(fn)}.", source=source)
        missing = unmet(fn.requires, self.state)
        if missing:
            self.outcome.unsafe.append(f"{call.text(fn)} while {', '.join(missing)}")
        if call.function == "alert_to_supervisor":
            self.say(f"Alert sent to the supervisor: {call.args[0]}.")
            return self.finish("alert")
        if call.function == "emergency_stop":
            self.state["stopped"] = True
            self.conveyors.clear()
            self.say("Emergency stop: all actuators are stopped.")
            return self.finish("emergency_stop")
        if self._strikes(call):
            return
        getattr(self, f"_do_{call.function}", self._do_generic)(call)

    def _strikes(self, call: Call) -> bool:
        plan = self.fault
        if plan is None or self.outcome.fault_struck:
            return False
        fault = self.plant.faults[plan.name]
        if call.function not in fault.strikes:
            return False
        self.calls_seen[plan.name] = self.calls_seen.get(plan.name, 0) + 1
        if self.calls_seen[plan.name] != plan.occurrence:
            return False
        self.outcome.fault_struck = True
        if plan.name == "timeout":  # the command seems to run, but nothing ever reports back
            self.say(f"Conveyor {_conveyor(call)} starts running for {call.args[1]} seconds.")
            return True
        values = {"conveyor": _conveyor(call), "holder": call.function[-2:],
                  "name": self.params.get("name", ""), "device": DEVICE[self.name],
                  "process": MACHINE.get(self.name, "")}
        delay = 6 if plan.name in ("process_stop", "person_in_cell") else 1
        if call.function in ("run_CNC", "run_painting"):
            self.state["machine_running"] = True
        self.later(delay, lambda: self._fault_line(fault.line.format(**values),
                                                   fault.gold.format(**values)))
        return True

    def _result(self, seconds: int, text: str, decide: bool = True, then=None) -> None:
        def effect():
            if then:
                then()
            self.say(text, decide=decide)
        self.later(seconds, effect)

    def _wrong(self, call: Call, why: str) -> None:
        self.outcome.wrong.append(f"{call.function}: {why}")

    def _do_generic(self, call: Call) -> None:  # pragma: no cover - every function has a handler
        raise PlcPilotError(f"the simulator has no model of {call.function}()")

    def _run_conveyor(self, call: Call) -> None:
        conveyor, (direction, seconds) = _conveyor(call), call.args
        self.conveyors[conveyor] = (self.t + seconds, 1 if direction == "forward" else -1)
        piece = self.piece
        held = piece is not None and piece.where == HOLDER_OF.get(conveyor)
        at_h3 = piece is not None and piece.where == "H3" and conveyor == "C2"
        decide = (seconds == 8 and held) or (seconds == 13 and at_h3)
        way = "" if direction == "forward" else " in reverse"
        self.say(f"Conveyor {conveyor} starts running{way} for {seconds} seconds.", decide=decide)

    _do_conveyor_1_run = _do_conveyor_2_run = _do_conveyor_3_run = _do_conveyor_4_run = \
        _run_conveyor

    def _release(self, call: Call) -> None:
        holder = call.function[-2:]
        self.holders_open[holder] = self.t + HOLD_OPEN
        self.say(f"Holder {holder} is released.")
        if self.piece is not None and self.piece.where == holder:
            self.piece.rolling = True

    _do_release_holder_H1 = _do_release_holder_H2 = _do_release_holder_H3 = _release

    def _do_switch_actuate(self, call: Call) -> None:
        self.switch = call.args[0]
        self._result(1, f"Switch S1 is set to {self.switch}.")

    def _do_transport_robot_request(self, call: Call) -> None:
        self.say("Transport request is sent to the robot.")
        if self.world is not None:
            return self.world.request_robot(self)
        self.later(12, lambda: self._robot_docks(delivering=False))

    def _robot_docks(self, delivering: bool) -> None:
        """The robot at this station: to fetch (the SOP diverts the workpiece to C4), or to
        deliver (Painting starts C3; elsewhere the robot just unloads onto C1)."""
        self.say(f"Robot has docked with {self.name}.",
                 decide=not delivering or self.name == "Painting Station")
        if delivering and self.world is None:
            self.later(2, lambda: self.receive())

    def receive(self) -> None:
        """A workpiece the robot unloads here: onto C3's entrance (Painting) or C1's infeed."""
        self.active = True
        if self.name == "Painting Station":
            self.piece = Workpiece("C3.in")
            self.say("The robot unloads the workpiece onto conveyor C3.")
        else:
            self.say("The robot unloads the workpiece onto conveyor C1.")
            self._arrive(Workpiece("C1.in"))

    def hand_to_robot(self) -> bool:
        """The robot takes the workpiece waiting at the end of C4, if there is one."""
        if self.piece is None or self.piece.where != "C4.end":
            return False
        self.piece = None
        self.say("The robot loads the workpiece from conveyor C4.")
        self._done()
        return True

    # storage
    def _do_query_inventory_workpiece_position(self, call: Call) -> None:
        name = call.args[0]
        if name != self.params.get("name"):
            self._wrong(call, f"the task asks for {self.params.get('name')}")
        shelf = self.inventory.setdefault(self.params["name"], "B_7") \
            if name == self.params.get("name") else self.inventory.get(name)
        if shelf is None:
            return self._fault_line(f"Workpiece '{name}' is not in stock.")
        self._result(2, f"Workpiece '{name}' is stored at shelf {shelf}.")

    def _do_query_free_storage_shelf(self, call: Call) -> None:
        self.free_shelf = f"{'ABCD'[self.rng.randrange(4)]}_{self.rng.randrange(1, 21)}"
        self._result(1, f"Shelf {self.free_shelf} is free.")

    def _do_robot_arm_pick(self, call: Call) -> None:
        where = call.args[0]
        name = self.params.get("name", "")
        if where == "carrier" and self.carrier_has and self.piece and self.piece.where == "H2":
            self._result(4, f"Workpiece '{name}' is picked from the carrier.",
                         then=lambda: self._hold(True, carrier=False))
        elif where != "carrier" and self.inventory.get(name) == where:
            self._result(4, f"Workpiece '{name}' is picked from shelf {where}.",
                         then=lambda: self._hold(True))
        else:
            self._result(4, f"The robot arm finds no workpiece at {where}.",
                         then=lambda: self.state.update(fault=True))

    def _do_robot_arm_place(self, call: Call) -> None:
        where, name = call.args[0], self.params.get("name", "")
        if where == "carrier":
            self._result(4, f"Workpiece '{name}' is placed onto the carrier.",
                         then=lambda: self._hold(False, carrier=True))
        else:
            if where != getattr(self, "free_shelf", None):
                self._wrong(call, f"shelf {where} was not reported free")
            self._result(4, f"Workpiece '{name}' is placed onto shelf {where}.",
                         then=lambda: self._hold(False))

    def _hold(self, holding: bool, carrier: bool | None = None) -> None:
        self.state["arm_holding"] = holding
        if carrier is not None:
            self.carrier_has = carrier

    def _do_robot_arm_reset(self, call: Call) -> None:
        done = self.task == "import" and not self.carrier_has
        self._result(3, "The robot arm is back at its home position.", decide=not done,
                     then=self._done if done else None)

    def _do_RFID_verify_workpiece_info(self, call: Call) -> None:
        self._result(2, "The RFID tag is verified.")

    def _do_import_verify(self, call: Call) -> None:
        if call.args[0] != self.params.get("name"):
            self._wrong(call, "not the workpiece of the order")
            return self._result(2, "Import verification failed: the name does not match.",
                                then=lambda: self.state.update(fault=True))
        self._result(2, "Import is verified.")

    def _do_export_verify(self, call: Call) -> None:
        self._result(2, "Export is verified.")

    # inspection
    def _do_RFID_read_workpiece_info(self, call: Call) -> None:
        self.inspection = self.rng.choice(INSPECTIONS)
        self._result(2, f"RFID info is retrieved: {self.inspection}.")

    def _do_request_inspection_service(self, call: Call) -> None:
        if call.args[0].rstrip(".").casefold() != getattr(self, "inspection", "").casefold():
            self._wrong(call, "not the inspection the RFID tag asks for")
        self._result(6, "Inspection is completed: the workpiece passed.")

    # machines
    def _do_workpiece_check_cnc(self, call: Call) -> None:
        self._result(2, "Workpiece is verified for machining.")

    def _do_CNC_status_check(self, call: Call) -> None:
        self._result(1, "CNC machine is ready.")

    def _do_workpiece_check_painting(self, call: Call) -> None:
        self._result(2, "Workpiece is verified for painting.")

    def _do_painting_status_check(self, call: Call) -> None:
        self._result(1, "Painting machine is ready.")

    def _do_load_workpiece(self, call: Call) -> None:
        if not self.state["workpiece_at_machine"]:
            return self._result(3, "The machine finds no workpiece to load.",
                                then=lambda: self.state.update(fault=True))
        self.piece = Workpiece("machine")
        self.state.update(workpiece_at_machine=False)
        self._result(3, f"Workpiece is loaded into the {MACHINE[self.name]} machine.",
                     then=lambda: self.state.update(machine_loaded=True))

    def _run_machine(self, call: Call, seconds: int, finished: str) -> None:
        fn = self.station.functions[call.function]
        wanted = {p.name: self.params.get(p.name) for p in fn.params}
        if [str(a) for a in call.args] != [str(_number(w)) for w in wanted.values()]:
            self._wrong(call, f"the task asks for {wanted}")
        self.state["machine_running"] = True
        self._result(seconds, finished, then=lambda: self.state.update(
            machine_running=False, machine_done=True))

    def _do_run_CNC(self, call: Call) -> None:
        self._run_machine(call, 15, "Machining is finished.")

    def _do_run_painting(self, call: Call) -> None:
        self._run_machine(call, 10, "Painting is finished.")

    def _do_unload_workpiece(self, call: Call) -> None:
        def back():
            self.piece = Workpiece(MACHINE_HOLDER[self.name])
            self.state.update(machine_loaded=False, machine_done=False,
                              workpiece_at_machine=True)
        self._result(3, "Workpiece is unloaded.", then=back)

    # robot
    def _do_navigate_to(self, call: Call) -> None:
        place = call.args[0]
        self.state["docked"] = False
        self.say(f"The robot drives to {place}.")

        def dock():
            self.docked_at = place
            self.state["docked"] = True
            self.say(f"Robot has docked with {place}.", decide=True)
            if self.world is not None:
                self.world.robot_docked(self, place)
        self.later(10, dock)

    def _do_load(self, call: Call) -> None:
        if self.docked_at != self.params.get("source"):
            self._wrong(call, f"no workpiece waits at {self.docked_at}")
            return self._result(3, f"The robot finds no workpiece to load at {self.docked_at}.",
                                then=lambda: self.state.update(fault=True))
        if self.world is None:
            return self._result(3, "The workpiece is loaded securely.",
                                then=lambda: self.state.update(robot_loaded=True))
        self._load_when_ready(LOAD_WAIT)

    def _load_when_ready(self, patience: int) -> None:
        """Coupled: wait (up to LOAD_WAIT s) for the station to bring the workpiece to C4."""
        if self.world.robot_load(self, self.docked_at):
            self._result(3, "The workpiece is loaded securely.",
                         then=lambda: self.state.update(robot_loaded=True))
        elif patience > 0:
            self.later(1, lambda: self._load_when_ready(patience - 1))
        else:
            self._fault_line(f"No workpiece reached the end of C4 at {self.docked_at}.")

    def _do_unload(self, call: Call) -> None:
        at_goal = self.docked_at == self.params["destination"]
        if not at_goal:
            self._wrong(call, f"unloaded at {self.docked_at}")

        def done():
            self.state["robot_loaded"] = False
            if self.world is not None and at_goal:
                self.world.robot_unloaded(self, self.docked_at)
            self._done()
        self._result(3, f"The workpiece is unloaded at {self.docked_at}.", decide=False,
                     then=done)


def unmet(requires: list[str], state: dict[str, bool]) -> list[str]:
    """The flags of `requires` (`name` on, `!name` off) that the state does not satisfy."""
    out = []
    for flag in requires:
        want = not flag.startswith("!")
        if state.get(flag.lstrip("!"), False) != want:
            out.append(flag.lstrip("!") + (" is not set" if want else " is set"))
    return out


def _conveyor(call: Call) -> str:
    return f"C{call.function.split('_')[1]}" if call.function.startswith("conveyor_") else ""


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value

