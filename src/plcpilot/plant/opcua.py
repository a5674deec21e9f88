"""The plant over OPC UA: a server that drives the station simulators, and the operator's client.

`PlantServer` publishes one object per station under Objects, as the plant has one operator agent
per station: the station's state flags and proximity sensors as Boolean variables, its event log,
the event awaiting the operator, its status and its outcome (JSON) as Strings, and one method per
station function.
A method call is one operator command: the server checks its arguments against the plant's
definition, runs it on the simulator and advances the simulator to the next event the operator
must answer before it returns. The plant is in lock-step with its operator, as in simulation: a
slow model never makes the plant time out where it would not have in simulation, and the server
only drives the simulator, which stays exactly the one the benchmark scores.

`OpcUaStation` is the operator's side: a synchronous client with the simulator's operator-facing
methods (`advance`, `log_until`, `flags`, `execute`, `report`), so `closed_loop.run_episode` runs
unchanged against a plant served over OPC UA. Network trouble surfaces as `PlcPilotError` naming
the server and what to do, never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.plant.calls import Call, CallError, check_value, parse_call
from plcpilot.plant.eventlog import Event, parse_log
from plcpilot.plant.model import Function, Param, Plant, Station, load_plant
from plcpilot.plant.simulator import POINTS, StationSim

optional_import("asyncua", "the plant over OPC UA", "plant")  # a clear error, not a traceback
from asyncua import Client, Node, Server, ua  # noqa: E402
from asyncua.sync import ThreadLoop  # noqa: E402

NAMESPACE = "urn:plcpilot:plant"
PATH = "/plcpilot/"
SENSORS = ("BG56", "BG51", "BG57", "BG26", "BG21", "BG27", "BG41", "BG42")
WAITING = "waiting for operator"
ENDED = "ended: "
OK = "ok"
V = ua.VariantType
# the OPC UA type a parameter is declared with, and the Variant types a call may send for it
DECLARED = {"choice": V.String, "text": V.String, "int": V.Int32, "float": V.Double}
_INTEGERS = {V.SByte, V.Byte, V.Int16, V.UInt16, V.Int32, V.UInt32, V.Int64, V.UInt64}
ACCEPTED = {"choice": {V.String}, "text": {V.String}, "int": _INTEGERS,
            "float": _INTEGERS | {V.Float, V.Double}}

_log = logging.getLogger(__name__)


# ====================================================================== server
class _Refused(Exception):
    """A method call the server answers with a Bad status and a message, without executing it."""

    def __init__(self, code: int, message: str, index: int | None = None):
        super().__init__(message)
        self.code, self.index = code, index


@contextlib.contextmanager
def _quiet(logger: str):
    """Silence a library's logger for a moment where we report its failure ourselves."""
    log = logging.getLogger(logger)
    level, log.level = log.level, logging.CRITICAL + 1
    try:
        yield
    finally:
        log.level = level


@dataclass
class _Served:
    """The server's side of one station: its simulator and its nodes."""

    sim: StationSim
    nodes: dict[str, ua.NodeId] = field(default_factory=dict)  # variable name -> node id
    pending: Event | None = None  # the event the plant waits on the operator to answer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def status(self) -> str:
        return WAITING if self.pending is not None else ENDED + self.sim.outcome.ended

    def values(self) -> dict[str, tuple[Any, ua.VariantType]]:
        sim = self.sim
        out: dict[str, tuple[Any, ua.VariantType]] = {
            flag: (on, V.Boolean) for flag, on in sim.flags().items()}
        where = sim.piece.where if sim.piece is not None else None
        at = POINTS[where].sensor if where in POINTS else None
        out.update({sensor: (sensor == at, V.Boolean) for sensor in SENSORS})
        out["Status"] = (self.status, V.String)
        out["EventLog"] = ("".join(e.line() + "\n" for e in sim.events), V.String)
        out["PendingEvent"] = (self.pending.line() if self.pending else "", V.String)
        out["Outcome"] = (json.dumps(sim.report()), V.String)
        return out


class PlantServer:
    """An OPC UA server on loopback (by default) serving one object per station simulator.

    One object per station mirrors the plant's one operator agent per station: an agent connects
    to its station's object and sees and commands nothing else. The simulators are driven, never
    changed: each method call executes one command and then advances the simulator to the next
    event the operator must answer (lock-step), so simulated time never runs while the operator
    thinks. Use as `async with PlantServer(sims) as server: … server.url …` with fresh simulators;
    port 0 picks a free port. On start every simulator is advanced to its first decision.
    """

    def __init__(self, sims: dict[str, StationSim], host: str = "127.0.0.1", port: int = 0):
        if not sims:
            raise PlcPilotError("an OPC UA plant server needs at least one station simulator")
        self.sims, self.host, self.port = dict(sims), host, port
        self.server: Server | None = None
        self.served: dict[str, _Served] = {}

    @property
    def url(self) -> str:
        if self.server is None:
            raise PlcPilotError("the OPC UA plant server is not running")
        return f"opc.tcp://{self.host}:{self.port}{PATH}"

    async def __aenter__(self) -> PlantServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://{self.host}:{self.port}{PATH}")
        server.set_server_name("plcpilot plant")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(NAMESPACE)
        self.served = {}
        for sim in self.sims.values():
            served = _Served(sim)
            served.pending = sim.advance()
            self.served[sim.name] = served
            await self._add_station(server, idx, served)
        try:
            with _quiet("asyncua.server.server"):  # it logs a traceback before raising
                await server.start()
        except OSError as e:
            raise PlcPilotError(f"cannot serve OPC UA on {self.host}:{self.port}: {e}; choose "
                                "another port or stop the program that holds it") from None
        self.server = server
        self.port = server.bserver.port if server.bserver else self.port  # the one port 0 chose

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    async def _add_station(self, server: Server, idx: int, served: _Served) -> None:
        name = served.sim.name
        obj = await server.nodes.objects.add_object(ua.NodeId(name, idx),
                                                    ua.QualifiedName(name, idx))
        for var, (value, vtype) in served.values().items():
            node = await obj.add_variable(ua.NodeId(f"{name}.{var}", idx),
                                          ua.QualifiedName(var, idx), value, vtype)
            served.nodes[var] = node.nodeid
        for fn in served.sim.station.functions.values():
            await obj.add_method(
                ua.NodeId(f"{name}.{fn.name}", idx), ua.QualifiedName(fn.name, idx),
                self._method(served, fn), [_argument(p) for p in fn.params],
                [ua.Argument(Name="result", DataType=ua.NodeId(V.String.value), ValueRank=-1,
                             Description=ua.LocalizedText('"ok", or why the call was refused'))])

    def _method(self, served: _Served, fn: Function) -> Callable:
        async def call(parent: ua.NodeId, *inputs: ua.Variant) -> ua.CallMethodResult:
            return await self._call(served, fn, inputs)
        return call

    async def _call(self, served: _Served, fn: Function,
                    inputs: Sequence[ua.Variant]) -> ua.CallMethodResult:
        async with served.lock:
            try:
                call = bind(fn, inputs)
                if served.pending is None:
                    raise _Refused(ua.StatusCodes.BadInvalidState,
                                   f"{served.sim.name}: the episode is over ({served.status}); "
                                   "the plant takes no more commands")
                try:
                    served.sim.execute(call)
                    served.pending = served.sim.advance()  # lock-step: on to the next decision
                except Exception as e:  # a simulator bug must not take the plant server down
                    _log.exception("%s: %s failed", served.sim.name, fn.name)
                    raise _Refused(ua.StatusCodes.BadInternalError,
                                   f"the simulator failed on {fn.name}(): {_reason(e)}") from None
            except _Refused as e:
                _log.info("%s refused %s: %s", served.sim.name, fn.name, e)
                results = [ua.StatusCode() for _ in inputs]
                if e.index is not None and e.index < len(results):
                    results[e.index] = ua.StatusCode(e.code)
                answer = ua.CallMethodResult(StatusCode=ua.StatusCode(e.code),
                                             InputArgumentResults=results,
                                             OutputArguments=[ua.Variant(str(e), V.String)])
            else:
                answer = ua.CallMethodResult(OutputArguments=[ua.Variant(OK, V.String)])
            await self._publish(served)  # after a refusal too: clients see what the plant sees
        return answer

    async def _publish(self, served: _Served) -> None:
        assert self.server is not None
        for var, (value, vtype) in served.values().items():
            await self.server.write_attribute_value(served.nodes[var],
                                                    ua.DataValue(ua.Variant(value, vtype)))


def _argument(param: Param) -> ua.Argument:
    return ua.Argument(Name=param.name, DataType=ua.NodeId(DECLARED[param.type].value),
                       ValueRank=-1, Description=ua.LocalizedText(param.describe()))


def bind(fn: Function, inputs: Sequence[ua.Variant]) -> Call:
    """The call a method's input arguments make, checked as the plant checks a command."""
    if len(inputs) != len(fn.params):
        code = ua.StatusCodes.BadArgumentsMissing if len(inputs) < len(fn.params) \
            else ua.StatusCodes.BadTooManyArguments
        raise _Refused(code, f"{fn.signature()} takes {len(fn.params)} argument(s), got "
                             f"{len(inputs)}")
    args = []
    for i, (param, variant) in enumerate(zip(fn.params, inputs, strict=True)):
        vtype = variant.VariantType
        if vtype not in ACCEPTED[param.type] or variant.is_array:
            raise _Refused(ua.StatusCodes.BadTypeMismatch,
                           f"{fn.name}(): {param.name} must be {DECLARED[param.type].name}; "
                           f"got {vtype.name} {variant.Value!r}", i)
        try:
            args.append(check_value(param, variant.Value, fn.name))
        except CallError as e:
            raise _Refused(ua.StatusCodes.BadOutOfRange, str(e), i) from None
    return Call(fn.name, tuple(args))


# ====================================================================== client
class OpcUaStation:
    """One station of a plant served over OPC UA, with the simulator's operator-facing methods.

    Synchronous (its own event-loop thread), so the closed-loop runner and the CLI use it as they
    use `StationSim`. Every call waits at most `timeout` seconds.
    """

    def __init__(self, url: str, station: str, *, timeout: float = 10.0,
                 plant: Plant | None = None):
        parts = urlparse(url)
        if parts.scheme != "opc.tcp" or not parts.hostname:
            raise PlcPilotError(f"not an OPC UA address: {url!r}; expected "
                                f"opc.tcp://HOST:PORT{PATH}, as `plcpilot agent serve` prints")
        self.url, self.timeout = url, timeout
        self.station: Station = (plant or load_plant()).station(station)
        self.name = self.station.name
        self._loop = ThreadLoop(timeout=None)
        self._loop.daemon = True  # never keeps the process alive
        self._loop.start()
        self._client: Client | None = None
        self._nodes: dict[str, Node] = {}
        self._flags: list[str] = []
        self._methods: dict[str, ua.NodeId] = {}
        self._object: ua.NodeId | None = None
        try:
            self._run(self._connect(), "connecting")
        except BaseException:
            self.close()
            raise

    # -------------------------------------------------------------- plumbing
    def _run(self, coro: Coroutine, what: str) -> Any:
        """Run a coroutine on the client's loop; every failure becomes a PlcPilotError."""
        if self._loop.loop is None or not self._loop.is_alive():
            coro.close()
            raise PlcPilotError(f"the OPC UA client for {self.name} at {self.url} is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop.loop)
        try:
            return future.result(self.timeout + 1)
        except PlcPilotError:
            raise
        except TimeoutError:  # concurrent.futures' and asyncio's alike
            future.cancel()
            raise PlcPilotError(f"OPC UA server at {self.url} did not answer within "
                                f"{self.timeout:g} s while {what}: check that it is running "
                                "(`plcpilot agent serve`) and reachable") from None
        except (ConnectionError, OSError) as e:
            if what == "connecting":
                raise PlcPilotError(f"cannot connect to the OPC UA server at {self.url}: "
                                    f"{_reason(e)}; start it (`plcpilot agent serve`) or check "
                                    "the address") from None
            raise PlcPilotError(f"OPC UA server at {self.url} dropped the connection while "
                                f"{what}: {_reason(e)}; restart it (`plcpilot agent serve`) and "
                                "run again") from None
        except (ua.UaError, asyncio.CancelledError, EOFError, RuntimeError, ValueError) as e:
            raise PlcPilotError(f"OPC UA server at {self.url} failed while {what}: "
                                f"{_reason(e)}; check that it is a plcpilot plant server "
                                "(`plcpilot agent serve`) and run again") from None

    def _live(self) -> Client:
        if self._client is None:
            raise PlcPilotError(f"the OPC UA client for {self.name} at {self.url} is closed")
        return self._client

    async def _connect(self) -> None:
        client = Client(self.url, timeout=self.timeout)
        client.session_timeout = 600_000  # ms: what asyncua servers grant at most
        await client.connect()
        self._client = client
        try:
            idx = await client.get_namespace_index(NAMESPACE)
        except ValueError:
            raise PlcPilotError(f"{self.url} is not a plcpilot plant server (no namespace "
                                f"{NAMESPACE})") from None
        objects = client.nodes.objects
        stations = {}
        for child in await objects.get_children():
            qname = await child.read_browse_name()
            if qname.NamespaceIndex == idx:
                stations[qname.Name] = child
        if self.name not in stations:
            raise PlcPilotError(f"the plant at {self.url} has no {self.name}; it serves: "
                                + (", ".join(stations) or "no station"))
        obj = stations[self.name]
        self._object = obj.nodeid
        for child in await obj.get_children():
            name = (await child.read_browse_name()).Name
            cls = await child.read_node_class()
            if cls == ua.NodeClass.Method:
                self._methods[name] = child.nodeid
            elif cls == ua.NodeClass.Variable:
                self._nodes[name] = child
                if name not in SENSORS and \
                        await child.read_data_type() == ua.NodeId(ua.ObjectIds.Boolean):
                    self._flags.append(name)

    def _read(self, *names: str, what: str = "") -> list[Any]:
        missing = [n for n in names if n not in self._nodes]
        if missing:
            raise PlcPilotError(f"the plant at {self.url}: {self.name} has no variable "
                                + ", ".join(missing))
        return self._run(self._live().read_values([self._nodes[n] for n in names]),
                         f"reading {self.name}'s {what or ', '.join(names)}")

    # -------------------------------------------------------------- the operator's methods
    def advance(self) -> Event | None:
        """The event the plant waits on the operator to answer; None when the episode is over."""
        status, line = self._read("Status", "PendingEvent")
        if status.startswith(ENDED.strip()) or not line:
            return None
        return parse_log(line, where=f"{self.url} {self.name}.PendingEvent")[0]

    @property
    def events(self) -> list[Event]:
        """The station's whole event log."""
        text = self._read("EventLog")[0]
        return parse_log(text, where=f"{self.url} {self.name}.EventLog")

    def log_until(self, event: Event) -> list[Event]:
        events = self.events
        if event not in events:
            raise PlcPilotError(f"{self.name}'s log at {self.url} has no event {event.line()!r}")
        return events[: events.index(event) + 1]

    def flags(self) -> dict[str, bool]:
        values = self._read(*self._flags, what="flags")
        return dict(zip(self._flags, map(bool, values), strict=True))

    def sensors(self) -> dict[str, bool]:
        names = [s for s in SENSORS if s in self._nodes]
        return dict(zip(names, map(bool, self._read(*names, what="sensors")), strict=True))

    @property
    def status(self) -> str:
        return self._read("Status")[0]

    def report(self) -> dict:
        """How the episode went, as the plant saw it (`StationSim.report()`, served as JSON)."""
        return json.loads(self._read("Outcome")[0])

    @property
    def ended(self) -> str:
        """How the episode ended ("" while the plant waits for the operator)."""
        status = self.status
        return status[len(ENDED):] if status.startswith(ENDED) else ""

    def execute(self, command: str | Call) -> None:
        """Run one command on the plant; a refusal raises PlcPilotError with the server's reason."""
        call = command if isinstance(command, Call) else parse_call(command, self.station)
        fn = self.station.functions.get(call.function)
        if fn is None or call.function not in self._methods:
            raise PlcPilotError(f"{self.name} at {self.url} has no method {call.function}()")
        if len(call.args) != len(fn.params):
            raise PlcPilotError(f"{fn.signature()} takes {len(fn.params)} argument(s), got "
                                f"{len(call.args)}")
        request = ua.CallMethodRequest(
            ObjectId=self._object, MethodId=self._methods[call.function],
            InputArguments=[variant(p, v) for p, v in zip(fn.params, call.args, strict=True)])
        result = self._run(self._live().uaclient.call([request]),
                           f"calling {call.text(fn)}")[0]
        if not result.StatusCode.is_good():
            out = result.OutputArguments or []
            why = out[0].Value if out and isinstance(out[0].Value, str) else result.StatusCode.doc
            raise PlcPilotError(f"{self.name} at {self.url} refused {call.text(fn)} "
                                f"({result.StatusCode.name}): {why}")

    # -------------------------------------------------------------- lifetime
    def close(self) -> None:
        """Disconnect (quietly, if the server is gone already) and stop the client's thread."""
        client, self._client = self._client, None
        if not self._loop.is_alive():
            return
        if client is not None and self._loop.loop is not None:
            future = asyncio.run_coroutine_threadsafe(client.disconnect(), self._loop.loop)
            try:
                future.result(min(self.timeout, 3))
            except Exception:  # the server may be gone: nothing left to close politely
                future.cancel()
        self._loop.stop()

    def __enter__(self) -> OpcUaStation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def variant(param: Param, value: Any) -> ua.Variant:
    """A call argument typed as the method declares it (a value of another type is sent as it is,
    for the server to refuse)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if param.type == "int" and number and float(value).is_integer():
        value = int(value)
        return ua.Variant(value, V.Int32 if -2**31 <= value < 2**31 else V.Int64)
    if param.type == "float" and number:
        return ua.Variant(float(value), V.Double)
    if param.type in ("choice", "text") and isinstance(value, str):
        return ua.Variant(value, V.String)
    return ua.Variant(value)


def _reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


# ====================================================================== serving
def serve_forever(sims: dict[str, StationSim], host: str = "127.0.0.1", port: int = 4840, *,
                  ready: Callable[[PlantServer], None] | None = None) -> None:
    """Serve the simulators until interrupted (Ctrl-C); `ready` is told once clients can
    connect."""
    async def main() -> None:
        async with PlantServer(sims, host, port) as server:
            if ready:
                ready(server)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
