"""The plant over OPC UA: a server that drives the station simulators, and the operator's client.

`PlantServer` publishes one object per station under Objects, as the plant has one operator agent
per station: the station's state flags and the proximity sensors it has as Boolean variables, its
event log, the event awaiting the operator, its status and its outcome (JSON) as Strings, one
method per station function, and `reset_episode`. Each station object is an event notifier: an
abnormal line (a fault, an alert, an emergency stop) fires a `PlantEventType` event from it (and
from the Server object), so a SCADA or HMI client can subscribe instead of polling the log.
A method call is one operator command: the server checks its arguments against the plant's
definition, runs it on the simulator and advances the simulator to the next event the operator
must answer before it returns. The plant is in lock-step with its operator, as in simulation: a
slow model never makes the plant time out where it would not have in simulation, and the server
only drives the simulator, which stays exactly the one the benchmark scores.

Security is `opcua_security` (docs/opcua-security.md): with a certificate folder the server
offers Basic256Sha256 Sign and SignAndEncrypt only, with a self-signed certificate; logged-in
users (a scrypt user file) may call methods, anonymous sessions only when allowed; nobody may
write a variable, so no client can forge the PendingEvent or EventLog an operator acts on.

`OpcUaStation` is the operator's side: a synchronous client with the simulator's operator-facing
methods (`advance`, `log_until`, `flags`, `execute`, `report`), so `closed_loop.run_episode` runs
unchanged against a plant served over OPC UA. It connects with the security, client certificate
and login it is given. Network trouble and refusals surface as `PlcPilotError` naming the server
and what to do, never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import plcpilot
from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.plant.calls import Call, CallError, check_value, parse_call
from plcpilot.plant.eventlog import Event, parse_log
from plcpilot.plant.model import Function, Param, Plant, Station, load_plant
from plcpilot.plant.opcua_security import (
    MANUFACTURER,
    MODES,
    PASSWORD_ENV,
    AccessRules,
    Certificate,
    ClientSecurity,
    Logins,
    ServerSecurity,
    UaServer,
    ensure_certificate,
    fingerprint,
    is_loopback,
    opcua_home,
    read_users,
    reason,
)
from plcpilot.plant.simulator import POINTS, FaultPlan, StationSim

optional_import("asyncua", "the plant over OPC UA", "plant")  # a clear error, not a traceback
from asyncua import Client, Node, Server, ua  # noqa: E402
from asyncua.crypto import uacrypto  # noqa: E402
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256  # noqa: E402
from asyncua.server.event_generator import EventGenerator  # noqa: E402
from asyncua.sync import ThreadLoop  # noqa: E402
from cryptography import x509  # noqa: E402  (asyncua's own dependency)
from cryptography.hazmat.primitives import serialization  # noqa: E402

NAMESPACE = "urn:plcpilot:plant"
PATH = "/plcpilot/"
WAITING = "waiting for operator"
ENDED = "ended: "
OK = "ok"
RESET = "reset_episode"  # the method that restarts a station's episode
V = ua.VariantType
# the OPC UA type a parameter is declared with, and the Variant types a call may send for it
DECLARED = {"choice": V.String, "text": V.String, "int": V.Int32, "float": V.Double}
_INTEGERS = {V.SByte, V.Byte, V.Int16, V.UInt16, V.Int32, V.UInt32, V.Int64, V.UInt64}
ACCEPTED = {"choice": {V.String}, "text": {V.String}, "int": _INTEGERS,
            "float": _INTEGERS | {V.Float, V.Double}}

# who we are on the wire, instead of the library's defaults; MANUFACTURER is in opcua_security
PRODUCT_URI = "urn:plcpilot"
PRODUCT_NAME = "plcpilot"
# abnormal plant events and the OPC UA severity (1..1000) they are fired with
SEVERITY = {"fault": 800, "alert": 700, "emergency_stop": 1000}

_log = logging.getLogger(__name__)


# ====================================================================== where, who
def application_uri(role: str) -> str:
    """This installation's ApplicationUri as `role` ('plant' server, 'operator' client): OPC UA
    peers identify an application by it, and its certificate must carry the same URI."""
    return f"urn:plcpilot:{role}:{socket.gethostname()}"


def station_sensors(station: Station) -> tuple[str, ...]:
    """The proximity sensors a station has, as its definition lists them among its components
    ("sensors BG56 BG51 …"); the transport robot lists none, so it is served none."""
    return tuple(word for part in station.components if part.split()[:1] == ["sensors"]
                 for word in part.split()[1:] if re.fullmatch(r"[A-Z]+\d+", word))


# the in-process harness of tests and benchmarks: loopback only (PlantServer refuses more)
OPEN_LOOPBACK = ServerSecurity(anonymous_control=True)


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


@dataclass(frozen=True)
class _Scenario:
    """What builds a station's simulator afresh for `reset_episode`. StationSim keeps no seed, so
    its start clock and random state are kept instead: a reset replays the same episode."""

    plant: Plant
    station: str
    task: str
    params: dict[str, str]
    fault: FaultPlan | None
    clock: int
    random: tuple

    @classmethod
    def of(cls, sim: StationSim) -> _Scenario:
        return cls(sim.plant, sim.name, sim.task, dict(sim.params), sim.fault, sim.t,
                   sim.rng.getstate())

    def build(self) -> StationSim:
        sim = StationSim(self.plant, self.station, self.task, dict(self.params), fault=self.fault,
                         clock=self.clock)
        sim.rng.setstate(self.random)
        return sim


@dataclass(frozen=True)
class _Mark:
    """Where a simulator stood before a command, to tell what the command made abnormal."""

    fault: bool
    ended: str
    seen: int

    @classmethod
    def of(cls, sim: StationSim) -> _Mark:
        return cls(sim.flags().get("fault", False), sim.ended, len(sim.events))


def abnormal(sim: StationSim, before: _Mark) -> list[tuple[str, Event]]:
    """The abnormal lines the simulator wrote since `before`, with their kind: the line that
    raised the fault flag (the newest event for the operator to answer), and the line that ended
    the episode by an alert or an emergency stop."""
    new = sim.events[before.seen:]
    found: list[tuple[str, Event]] = []
    if new and sim.flags().get("fault") and not before.fault:
        answer = [sim.events[i] for i in sim.decisions if i >= before.seen]
        found.append(("fault", (answer or new)[-1]))
    if new and sim.ended in ("alert", "emergency_stop") and not before.ended:
        system = [e for e in new if e.source == "System"]
        found.append((sim.ended, (system or new)[-1]))
    return found


@dataclass
class _Served:
    """The server's side of one station: its simulator, its nodes and its event generator."""

    sim: StationSim
    sensors: tuple[str, ...]
    node: ua.NodeId | None = None  # the station object
    nodes: dict[str, ua.NodeId] = field(default_factory=dict)  # variable name -> node id
    alarms: EventGenerator | None = None
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
        out.update({sensor: (sensor == at, V.Boolean) for sensor in self.sensors})
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
    Without `security` the server is the in-process harness (`OPEN_LOOPBACK`: no encryption,
    anonymous control) and refuses any host but loopback.
    """

    def __init__(self, sims: dict[str, StationSim], host: str = "127.0.0.1", port: int = 0,
                 security: ServerSecurity | None = None):
        if not sims:
            raise PlcPilotError("an OPC UA plant server needs at least one station simulator")
        if security is None and not is_loopback(host):
            raise PlcPilotError(f"serving the plant on {host} needs a ServerSecurity (a "
                                "certificate folder and a user file, as `plcpilot agent serve` "
                                "sets up); without one it serves loopback only")
        self.sims, self.host, self.port = dict(sims), host, port
        self.security = security or OPEN_LOOPBACK
        self.scenarios = {name: _Scenario.of(sim) for name, sim in self.sims.items()}
        self.application_uri = application_uri("plant")
        self.certificate: Certificate | None = None
        self.users = 0  # how many users may log in
        self.server: Server | None = None
        self.served: dict[str, _Served] = {}
        self._announcing: asyncio.Lock | None = None
        self._server_alarms: EventGenerator | None = None

    @property
    def url(self) -> str:
        if self.server is None:
            raise PlcPilotError("the OPC UA plant server is not running")
        return f"opc.tcp://{self.host}:{self.port}{PATH}"

    @property
    def policies(self) -> list[str]:
        """The security policies and modes it offers, as a person reads them."""
        if self.security.cert_dir is None:
            return ["None"]
        return ["Basic256Sha256 Sign", "Basic256Sha256 SignAndEncrypt"]

    async def __aenter__(self) -> PlantServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        users = read_users(self.security.users) if self.security.users else {}
        self.users = len(users)
        server = UaServer(user_manager=Logins(users))
        await self._identify(server)
        await self._secure(server)
        idx = await server.register_namespace(NAMESPACE)
        etype = await server.create_custom_event_type(
            idx, "PlantEventType", ua.ObjectIds.BaseEventType,
            [("Station", V.String), ("Kind", V.String)])
        self._announcing = asyncio.Lock()
        self._server_alarms = await server.get_event_generator(etype, ua.ObjectIds.Server)
        self.served = {}
        for sim in self.sims.values():
            served = _Served(sim, station_sensors(sim.station))
            served.pending = sim.advance()
            self.served[sim.name] = served
            await self._add_station(server, idx, served, etype)
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

    async def _identify(self, server: Server) -> None:
        """Name the server as this installation of plcpilot, not as the library: peers identify
        it (and check its certificate) by its ApplicationUri."""
        server.set_server_name("plcpilot plant")
        server.product_uri = PRODUCT_URI
        server.manufacturer_name = MANUFACTURER
        server.application_type = ua.ApplicationType.Server
        await server.init()
        await server.set_application_uri(self.application_uri)
        built = datetime.fromtimestamp(Path(plcpilot.__file__).stat().st_mtime, UTC)
        await server.set_build_info(PRODUCT_URI, MANUFACTURER, PRODUCT_NAME,
                                    plcpilot.__version__, plcpilot.__version__, built)
        server.set_endpoint(f"opc.tcp://{self.host}:{self.port}{PATH}")

    async def _secure(self, server: Server) -> None:
        security = self.security
        server.allow_remote_admin(False)
        server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
        rules = AccessRules(security.anonymous_control)
        if security.cert_dir is None:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity], rules)
            return
        self.certificate = ensure_certificate(security.cert_dir, self.application_uri,
                                              server=True)
        await server.load_certificate(str(self.certificate.cert))
        await server.load_private_key(str(self.certificate.key))
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_Sign,
                                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt], rules)

    async def _add_station(self, server: Server, idx: int, served: _Served,
                           etype: Node) -> None:
        name = served.sim.name
        obj = await server.nodes.objects.add_object(ua.NodeId(name, idx),
                                                    ua.QualifiedName(name, idx))
        served.node = obj.nodeid
        for var, (value, vtype) in served.values().items():  # read-only: the server writes them
            node = await obj.add_variable(ua.NodeId(f"{name}.{var}", idx),
                                          ua.QualifiedName(var, idx), value, vtype)
            served.nodes[var] = node.nodeid
        for fn in served.sim.station.functions.values():
            await obj.add_method(
                ua.NodeId(f"{name}.{fn.name}", idx), ua.QualifiedName(fn.name, idx),
                self._method(served, fn), [_argument(p) for p in fn.params], [_RESULT])
        await obj.add_method(ua.NodeId(f"{name}.{RESET}", idx), ua.QualifiedName(RESET, idx),
                             self._resetter(served), [], [_RESULT])
        served.alarms = await server.get_event_generator(etype, obj)  # obj: an EventNotifier

    def _method(self, served: _Served, fn: Function) -> Callable:
        async def call(parent: ua.NodeId, *inputs: ua.Variant) -> ua.CallMethodResult:
            return await self._call(served, fn, inputs)
        return call

    def _resetter(self, served: _Served) -> Callable:
        async def reset(parent: ua.NodeId, *inputs: ua.Variant) -> ua.CallMethodResult:
            if inputs:
                return ua.CallMethodResult(
                    StatusCode=ua.StatusCode(ua.StatusCodes.BadTooManyArguments),
                    OutputArguments=[ua.Variant(f"{RESET}() takes no arguments", V.String)])
            return await self._reset(served)
        return reset

    async def _call(self, served: _Served, fn: Function,
                    inputs: Sequence[ua.Variant]) -> ua.CallMethodResult:
        async with served.lock:
            before = _Mark.of(served.sim)
            try:
                call = bind(fn, inputs)
                if served.pending is None:
                    raise _Refused(ua.StatusCodes.BadInvalidState,
                                   f"{served.sim.name}: the episode is over ({served.status}); "
                                   f"the plant takes no more commands until {RESET}()")
                try:
                    served.sim.execute(call)
                    served.pending = served.sim.advance()  # lock-step: on to the next decision
                except Exception as e:  # a simulator bug must not take the plant server down
                    _log.exception("%s: %s failed", served.sim.name, fn.name)
                    raise _Refused(ua.StatusCodes.BadInternalError,
                                   f"the simulator failed on {fn.name}(): {reason(e)}") from None
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
            await self._announce(served, before)
        return answer

    async def _reset(self, served: _Served) -> ua.CallMethodResult:
        """Start the station's episode again on a fresh simulator of the same scenario."""
        async with served.lock:
            sim = self.scenarios[served.sim.name].build()
            served.sim = self.sims[sim.name] = sim
            served.pending = sim.advance()
            await self._publish(served)
        _log.info("%s: episode reset", sim.name)
        return ua.CallMethodResult(OutputArguments=[ua.Variant(OK, V.String)])

    async def _publish(self, served: _Served) -> None:
        assert self.server is not None
        for var, (value, vtype) in served.values().items():
            await self.server.write_attribute_value(served.nodes[var],
                                                    ua.DataValue(ua.Variant(value, vtype)))

    async def _announce(self, served: _Served, before: _Mark) -> None:
        """Fire a PlantEventType event from the station object and from the Server object for
        each abnormal line the last command led to."""
        assert self._announcing is not None and self._server_alarms is not None
        for kind, event in abnormal(served.sim, before):
            async with self._announcing:  # the Server object's generator is shared
                for alarms in (served.alarms, self._server_alarms):
                    assert alarms is not None
                    e = alarms.event
                    e.SourceNode, e.SourceName = served.node, served.sim.name
                    e.Message = ua.LocalizedText(event.line())
                    e.Severity, e.Station, e.Kind = SEVERITY[kind], served.sim.name, kind
                    await alarms.trigger()


_RESULT = ua.Argument(Name="result", DataType=ua.NodeId(V.String.value), ValueRank=-1,
                      Description=ua.LocalizedText('"ok", or why the call was refused'))


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
    use `StationSim`. Every call waits at most `timeout` seconds. `security` says how to connect
    and whom to log in as (default: no security, anonymous, as the in-process harness serves).
    """

    def __init__(self, url: str, station: str, *, timeout: float = 10.0,
                 plant: Plant | None = None, security: ClientSecurity | None = None):
        parts = urlparse(url)
        if parts.scheme != "opc.tcp" or not parts.hostname:
            raise PlcPilotError(f"not an OPC UA address: {url!r}; expected "
                                f"opc.tcp://HOST:PORT{PATH}, as `plcpilot agent serve` prints")
        self.url, self.timeout = url, timeout
        self.security = security or ClientSecurity()
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
                                    f"{reason(e)}; start it (`plcpilot agent serve`) or check "
                                    "the address") from None
            raise PlcPilotError(f"OPC UA server at {self.url} dropped the connection while "
                                f"{what}: {reason(e)}; restart it (`plcpilot agent serve`) and "
                                "run again") from None
        except ua.UaStatusCodeError as e:
            raise PlcPilotError(self._refusal(ua.StatusCode(e.code).name, what)) from None
        except ua.UaError as e:
            if str(e).startswith("No matching endpoints"):
                raise PlcPilotError(
                    f"the OPC UA server at {self.url} offers no endpoint with security "
                    f"{self.security.mode!r} (Basic256Sha256): `plcpilot agent serve` offers "
                    "sign and sign-encrypt, with --no-security only none; choose one it "
                    "offers (--opcua-security)") from None
            raise self._failed(e, what) from None
        except (asyncio.CancelledError, EOFError, RuntimeError, ValueError) as e:
            raise self._failed(e, what) from None

    def _failed(self, e: BaseException, what: str) -> PlcPilotError:
        return PlcPilotError(f"OPC UA server at {self.url} failed while {what}: {reason(e)}; "
                             "check that it is a plcpilot plant server (`plcpilot agent serve`) "
                             "and run again")

    def _refusal(self, status: str, what: str) -> str:
        """Why the server said no, and what to change: the login, the access, the security."""
        user = self.security.user
        who = f"user {user!r}" if user else "an anonymous session"
        if what == "connecting" and status in ("BadUserAccessDenied", "BadIdentityTokenInvalid",
                                               "BadIdentityTokenRejected"):
            return (f"the OPC UA server at {self.url} refused the login of {who} ({status}): "
                    f"check the user name and the password ({PASSWORD_ENV} or "
                    "--opcua-password-file)")
        if status == "BadUserAccessDenied":
            fix = ("anonymous sessions may browse and read only: log in with --opcua-user, or "
                   "start the server with --allow-anonymous-control") if not user else \
                "nobody may write variables or change the address space"
            return f"the OPC UA server at {self.url} refused {what} to {who} ({status}): {fix}"
        if status.startswith(("BadCertificate", "BadSecurity", "BadNonce")):
            return (f"the OPC UA server at {self.url} refused the secure channel while {what} "
                    f"({status}): check the client certificate folder and the pinned server "
                    "certificate (--opcua-cert-dir, --opcua-server-cert)")
        return f"OPC UA server at {self.url} answered {status} while {what}"

    def _live(self) -> Client:
        if self._client is None:
            raise PlcPilotError(f"the OPC UA client for {self.name} at {self.url} is closed")
        return self._client

    async def _connect(self) -> None:
        client = Client(self.url, timeout=self.timeout)
        client.session_timeout = 600_000  # ms: what asyncua servers grant at most
        await self._secure(client)
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
        sensors = station_sensors(self.station)
        for child in await obj.get_children():
            name = (await child.read_browse_name()).Name
            cls = await child.read_node_class()
            if cls == ua.NodeClass.Method:
                self._methods[name] = child.nodeid
            elif cls == ua.NodeClass.Variable:
                self._nodes[name] = child
                if name not in sensors and \
                        await child.read_data_type() == ua.NodeId(ua.ObjectIds.Boolean):
                    self._flags.append(name)

    async def _secure(self, client: Client) -> None:
        """Name the client, and set up its certificate, security mode and login."""
        security = self.security
        client.name = "plcpilot operator"
        client.application_uri = application_uri("operator")
        client.product_uri = PRODUCT_URI
        if security.user is not None:
            client.set_user(security.user)
            client.set_password(security.password or "")
        if security.mode == "none":
            return
        mine = ensure_certificate(security.cert_dir or opcua_home() / "client",
                                  client.application_uri, server=False)
        pinned = security.server_cert and await self._pinned(client, security.server_cert)
        await client.set_security(SecurityPolicyBasic256Sha256, str(mine.cert), str(mine.key),
                                  server_certificate=pinned, mode=MODES[security.mode])

    async def _pinned(self, client: Client, path: Path) -> str:
        """The pinned server certificate, once the server is seen to present it: with another
        one the encrypted channel could only time out, which would say nothing of why."""
        try:
            pinned = x509.load_der_x509_certificate(
                uacrypto.der_from_x509(await uacrypto.load_certificate(path)))
        except (OSError, ValueError) as e:
            raise PlcPilotError(f"cannot read the pinned server certificate {path}: "
                                f"{reason(e)}; give the cert.der `plcpilot agent serve` "
                                "names") from None
        der = pinned.public_bytes(serialization.Encoding.DER)
        presented = [e.ServerCertificate or b"" for e in
                     await client.connect_and_get_server_endpoints()]
        if not any(c.startswith(der) for c in presented):  # a chain starts with its leaf
            raise PlcPilotError(f"the OPC UA server at {self.url} presents another certificate "
                                f"than the pinned {path} (SHA-256 {fingerprint(pinned)}): it "
                                "may not be the server you trust; compare the fingerprint "
                                "`plcpilot agent serve` prints")
        return str(path)

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
        names = [s for s in station_sensors(self.station) if s in self._nodes]
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
        inputs = [variant(p, v) for p, v in zip(fn.params, call.args, strict=True)]
        self._call(call.function, inputs, call.text(fn))

    def reset(self) -> None:
        """Start the station's episode again (the same scenario, on a fresh simulator)."""
        if RESET not in self._methods:
            raise PlcPilotError(f"{self.name} at {self.url} has no method {RESET}(): the server "
                                "predates resets; restart it with this plcpilot")
        self._call(RESET, [], f"{RESET}()")

    def _call(self, method: str, inputs: list[ua.Variant], text: str) -> None:
        request = ua.CallMethodRequest(ObjectId=self._object, MethodId=self._methods[method],
                                       InputArguments=inputs)
        result = self._run(self._live().uaclient.call([request]), f"calling {text}")[0]
        if not result.StatusCode.is_good():
            out = result.OutputArguments or []
            why = out[0].Value if out and isinstance(out[0].Value, str) else result.StatusCode.doc
            raise PlcPilotError(f"{self.name} at {self.url} refused {text} "
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


# ====================================================================== serving
def serve_forever(sims: dict[str, StationSim], host: str = "127.0.0.1", port: int = 4840, *,
                  security: ServerSecurity | None = None,
                  ready: Callable[[PlantServer], None] | None = None) -> None:
    """Serve the simulators until interrupted (Ctrl-C); `ready` is told once clients can
    connect."""
    async def main() -> None:
        async with PlantServer(sims, host, port, security) as server:
            if ready:
                ready(server)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
