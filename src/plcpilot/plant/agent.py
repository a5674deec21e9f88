"""The operator agent: one station, its event log in, one `{"reason", "command"}` decision out.

Modes: `sop` (the SOP engine alone: the baseline), `llm` (the model decides everything), `hybrid`
(the SOP engine where a rule matches, the model for the rest, which is where the abnormal events
are). The model is asked under a decoding constraint generated from the station definition and
the log, so its answer is always one JSON object naming one of the station's functions with
well-typed arguments, and an SOP step's values are ones the log wrote; the safety gate then checks
the command against the live state before anything runs.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Literal

from plcpilot.errors import PlcPilotError
from plcpilot.llm.base import Backend, Constraint, Message, OnToken, Sampling
from plcpilot.plant import gate, sop
from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import Function, Param, SopRule, Station
from plcpilot.plant.understand import SENSOR, choice_pattern, clip

Mode = Literal["sop", "llm", "hybrid"]
MODES: tuple[Mode, ...] = ("sop", "llm", "hybrid")
LOG_LINES = 30  # newest lines shown to the model (plus the task line); keeps prompts in context
SAMPLING = Sampling(max_tokens=160, temperature=0.0, top_k=1)  # an operator should be repeatable
UNCOVERED = "unexpected event"
OPERATOR_ADAPTER = "agent"  # the adapter scripts/train-agent-adapter installs (docs/train.md)
RULE_REASON = "SOP: "  # an SOP step's reason: this, then its rule as the system prompt lists it
COMMAND_KEY = '", "command": "'  # between the answer's reason and its command
REASON_CHARS = 160  # the answer's reason, as the decoding grammar bounds it
ANY_TEXT = "[^'\"]{1,60}"  # a text argument without its own pattern
MOST_LOG_VALUES = 32  # more distinct values than this and the log singles none out: type open
SENSOR_EVENTS = ("arrive", "pass")  # the rule events that happen at a proximity sensor

POLICY = (
    "Anything the SOP does not cover is abnormal: a conveyor that does not move, a holder or "
    "switch that fails, an RFID read or verification failure, a workpiece not in stock, a robot "
    "arm exception, a robot request that cannot be sent, a communication or electrical failure, "
    "an inactivity timeout, a machining or painting process that stops, a robot that fails to "
    "load. Then stop acting on the workpiece and call alert_to_supervisor('<short cause>') naming "
    "the failed component (e.g. 'Holder H2 failure', 'conveyor C2 failure', 'Timeout'). Call "
    "emergency_stop() only where people or equipment are in danger. Never guess a retry.")


@dataclass
class Decision:
    reason: str
    command: str  # what will run: the proposed command, or the gate's alert replacing it
    source: Literal["sop", "model", "fallback"]
    proposed: str = ""  # what the SOP engine or model proposed, before the gate
    allowed: bool = True
    refusal: str = ""
    raw: str = ""  # the model's text
    seconds: float = 0.0
    tokens_out: int = 0

    def answer(self) -> dict[str, str]:
        """FORMATS.md §5: exactly these two keys."""
        return {"reason": self.reason, "command": self.command}


# ------------------------------------------------------------------ prompt
def _readable(rule: SopRule) -> str:
    """A rule's event in words, for the model."""
    kind, *subject = rule.event
    match kind:
        case "arrive":
            return f"{subject[0]} detects a workpiece or carrier"
        case "pass":
            return f"a workpiece passes {subject[0]}"
        case "run":
            return f"conveyor {subject[0]} has just been started for {subject[1]} seconds"
        case "done":
            return f"{subject[0]}() reports success"
        case "docked":
            return "the transport robot has docked"
    return "a station requests a transport"


def rule_text(rule: SopRule) -> str:
    """A rule's condition exactly as the system prompt lists it, so an answer whose reason
    quotes it can copy the command that follows it there."""
    return (f"when {_readable(rule)}" + (f" during a {rule.task} task" if rule.task else "")
            + "".join(f" where the {value} is the task's {param}"
                      for value, param in rule.same.items()))


def system_prompt(station: Station) -> str:
    functions = "\n".join(
        f"- {fn.signature()}: {fn.doc}"
        + (f" ({'; '.join(p.describe() for p in fn.params)})" if fn.params else "")
        + (" Write its arguments as name=value." if fn.keywords else "")
        for fn in station.functions.values())
    tasks = ", ".join(station.tasks)
    rules = "\n".join(f"- {rule_text(r)}: {r.do}" for r in station.sop)
    return (
        f"{station.role}\n\nComponents: {', '.join(station.components)}.\n\n"
        f"Your functions:\n{functions}\n\nTasks come from the Manager ({tasks}); values in "
        "{braces} below come from the task line or from earlier events.\n\n"
        f"Standard operating procedure (newest event → your command):\n{rules}\n\n"
        f"Abnormal events: {POLICY}\n\n"
        'Answer with one JSON object and nothing else: {"reason": "<short reason>", '
        '"command": "<one function call>"}. Strings inside the call use single quotes.')


def shown(events: list[Event]) -> list[Event]:
    """The lines the model sees: the newest `LOG_LINES`, and the task line if it is older."""
    task = next((e for e in reversed(events) if e.source == "Manager"), None)
    lines = events[-LOG_LINES:]
    return [task, *lines] if task is not None and task not in lines else lines


def user_prompt(station: Station, events: list[Event]) -> str:
    log = "\n".join(e.line() for e in shown(events))
    return (f"Event log of the {station.name}:\n{log}\n\nThe newest event is: "
            f"{events[-1].text}\nWhat is your next command?")


def messages(station: Station, events: list[Event]) -> list[Message]:
    return [Message("system", system_prompt(station)), Message("user", user_prompt(station,
                                                                                    events))]


def default_model() -> str:
    """The embedded model with the operator adapter when it is installed (it beats the bare
    model on held-out wording, docs/train.md), else the bare embedded model."""
    from plcpilot.llm.models import adapters_dir

    installed = (adapters_dir() / OPERATOR_ADAPTER / "adapter.gguf").is_file()
    return f"embedded+lora:{OPERATOR_ADAPTER}" if installed else "embedded"


# ------------------------------------------------------------------ decoding constraint
def log_values(param: Param, text: str) -> list[str]:
    """The values of `param` written in `text`, spelt as a call writes them: choices named
    as a log may write them (any case, 'CNC' for 'CNC Station'), numbers in range, words
    matching a text pattern that has no spaces. A text that may hold spaces (a name, a
    description) has no finite list, so none is returned; nor for a log that writes more than
    `MOST_LOG_VALUES` of them (it names no value in particular, and the grammar stays small)."""
    match param.type:
        case "choice":
            found = [c for c in param.choices if choice_pattern(c).search(text)]
        case "int" | "float":
            numbers = re.findall(r"(?<![\w.])[0-9]{1,5}(?:\.[0-9]{1,3})?(?![0-9])", text)
            found = [n if param.type == "float" else str(int(float(n))) for n in numbers
                     if param.min <= float(n) <= param.max
                     and (param.type == "float" or float(n).is_integer())]
        case _:
            if not param.pattern or re.search(r" |\\s", param.pattern):
                return []
            words = (w.strip(".-") for w in re.findall(r"[A-Za-z0-9_.-]+", text))
            found = [w for w in words if re.fullmatch(param.pattern, w)]
    found = list(dict.fromkeys(found))
    return found if len(found) <= MOST_LOG_VALUES else []


def _value_lark(param: Param, seen: list[str] | None = None) -> str:
    """A value of `param`'s type; with `seen`, only one of those (copied from the log)."""
    if seen:
        quote = "" if param.type in ("int", "float") else "'"
        return " | ".join(json.dumps(f"{quote}{v}{quote}") for v in seen)
    match param.type:
        case "choice":
            return " | ".join(json.dumps(f"'{c}'") for c in param.choices)
        case "int":
            return "/-?[0-9]{1,5}/"
        case "float":
            return r"/-?[0-9]{1,5}(\.[0-9]{1,3})?/"
    return "\"'\" /" + (param.pattern or ANY_TEXT).replace("/", "\\/") + "/ \"'\""


def _call_lark(fn: Function) -> str:
    """`name(` then each argument (its separator and keyword as literals) then `)`."""
    parts = [json.dumps(fn.name + "(")]
    for i, p in enumerate(fn.params):
        literal = (", " if i else "") + (f"{p.name}=" if fn.keywords else "")
        parts += ([json.dumps(literal)] if literal else []) + [f"({_value_lark(p)})"]
    return " ".join([*parts, '")"'])


def _rule_call(rule: SopRule) -> tuple[str, list[str]]:
    """A rule's command as its function's name and its arguments as written."""
    name, _, rest = rule.do.partition("(")
    return name, (rest.removesuffix(")").split(", ") if rest != ")" else [])


def _written(station: Station, name: str, index: int) -> set[str]:
    """The values the SOP writes literally as argument `index` of `name` (the 'carrier' of
    robot_arm_pick('carrier')). A placeholder in that place stands for another value: the
    rule would have written this one."""
    found = set()
    for rule in station.sop:
        other, args = _rule_call(rule)
        if other == name and index < len(args) and "{" not in args[index]:
            found.add(args[index].split("=", 1)[-1].strip("'"))
    return found


def _rule_lark(station: Station, rule: SopRule, log: str | None = None) -> str:
    """An SOP step's answer: the reason quoting `rule`, then the rule's own command, each
    placeholder a value of its parameter's type that the model fills from the log. Given the
    shown `log`, a placeholder takes only a value written there (the system prompt says
    they come from the task line or earlier events), other than one the SOP writes literally
    in its place, when the log writes any."""
    name, args = _rule_call(rule)
    fn = station.functions[name]
    parts = [json.dumps(f"{RULE_REASON}{rule_text(rule)}{COMMAND_KEY}{name}(")]
    for i, (arg, param) in enumerate(zip(args, fn.params, strict=True)):
        comma = ", " if i else ""
        if "{" not in arg:
            parts.append(json.dumps(comma + arg))
            continue
        literal = comma + (arg.split("=", 1)[0] + "=" if fn.keywords else "")
        if log is None:
            seen = None
        else:
            written = _written(station, name, i)
            seen = [v for v in log_values(param, log) if v not in written]
        parts += ([json.dumps(literal)] if literal else []) + [f"({_value_lark(param, seen)})"]
    return " ".join([*parts, '")"'])


def _not_starting_with(prefix: str, most: int) -> str:
    """A regex for 1..`most` characters of a JSON string that do not begin with `prefix`
    (letters, spaces and colons: nothing to escape)."""
    assert re.fullmatch(r"[A-Za-z: ]+", prefix), prefix
    char = r'[^"\\\n]'
    alternatives = [prefix[:k] + f"[^{prefix[k]}\"\\\\\\n]" + f"{char}{{0,{most - k - 1}}}"
                    for k in range(len(prefix))]
    alternatives += [prefix[:k] for k in range(1, len(prefix))]
    return "/(" + "|".join(alternatives) + ")/"


def quotable(station: Station, events: list[Event] | None = None) -> list[SopRule]:
    """The SOP rules an answer to `events` may quote. When the newest line is the plant's and
    names a proximity sensor that has rules here (IAS_PLANT.md: BG56 infeed of C1 …), only
    that sensor's rules: an event at a sensor is answered by one of its steps or by the
    policy, however the line is worded. Otherwise (an operator's echo, which may start a
    conveyor; a line naming no sensor) every rule."""
    if not events or events[-1].calls:
        return list(station.sop)
    named = {s.upper() for s in SENSOR.findall(events[-1].text)}
    at = [r for r in station.sop if r.event[0] in SENSOR_EVENTS and r.event[1] in named]
    return at or list(station.sop)


def lark_grammar(station: Station, events: list[Event] | None = None) -> str:
    """The answer format with only this station's functions and argument types (Lark, as
    llguidance reads it). A reason that quotes an SOP rule binds the command to that rule's, so
    the model cannot state one rule and run another; any other reason allows any call. Given
    the log's `events`, the rules are those `quotable` there and their placeholders take
    values the log shows the model. The model still chooses the rule and the values. Ranges
    and state are the gate's job: a grammar cannot see the plant."""
    log = "\n".join(e.text for e in shown(events)) if events is not None else None
    calls = [f"f{i}: {_call_lark(fn)}" for i, fn in enumerate(station.functions.values())]
    steps = [f"r{j}: {_rule_lark(station, rule, log)}"
             for j, rule in enumerate(quotable(station, events))]
    return "\n".join([
        'start: "{\\"reason\\": \\"" answer "\\"}"',
        "answer: " + " | ".join([*(f"r{j}" for j in range(len(steps))),
                                 f"REASON {json.dumps(COMMAND_KEY)} call"]),
        f"REASON: {_not_starting_with(RULE_REASON + 'when', REASON_CHARS)}",
        "call: " + " | ".join(f"f{i}" for i in range(len(calls))), *calls, *steps])


def _value_regex(param: Param) -> str:
    match param.type:
        case "choice":
            return "(" + "|".join(f"'{re.escape(c)}'" for c in param.choices) + ")"
        case "int":
            return "-?[0-9]{1,5}"
        case "float":
            return r"-?[0-9]{1,5}(\.[0-9]{1,3})?"
    return f"'({param.pattern or ANY_TEXT})'"


def json_schema(station: Station) -> str:
    """The same format as a JSON schema, for servers that take schemas rather than grammars."""
    calls = []
    for fn in station.functions.values():
        args = ", ".join((f"{p.name}=" if fn.keywords else "") + _value_regex(p)
                         for p in fn.params)
        calls.append(re.escape(fn.name) + r"\(" + args + r"\)")
    return json.dumps({
        "type": "object", "additionalProperties": False, "required": ["reason", "command"],
        "properties": {"reason": {"type": "string", "maxLength": 160},
                       "command": {"type": "string", "pattern": "^(" + "|".join(calls) + ")$"}}})


def constraint_for(station: Station, backend: Backend,
                   events: list[Event] | None = None) -> Constraint | None:
    """The grammar for a decision on `events` where the backend takes one, else the schema
    (which cannot bind a reason to its rule, nor values to the log)."""
    if "lark" in backend.accepts:
        return Constraint("lark", lark_grammar(station, events))
    if "json_schema" in backend.accepts:
        return Constraint("json_schema", json_schema(station))
    return None


# ------------------------------------------------------------------ deciding
def read_answer(text: str) -> tuple[str, str]:
    """(reason, command) from a model's answer; PlcPilotError when it is not that JSON object."""
    m = re.search(r"\{.*\}", text, re.S)
    try:
        data = json.loads(m.group(0) if m else text)
    except json.JSONDecodeError:
        raise PlcPilotError(f"the model did not answer with JSON: {text.strip()[:120]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        raise PlcPilotError(f"the model's JSON has no command: {text.strip()[:120]!r}")
    return str(data.get("reason", "")), data["command"]


def own_lines(station: Station, events: list[Event]) -> list[Event]:
    """The station's lines of a log: a missing station tag is this station's; the name may be
    written loosely ('CNC', 'cnc station'); a log with no line of the station is refused."""
    mine = [e for e in events if not e.station or same_station(e.station, station.name)]
    if not mine:
        others = sorted({e.station for e in events})
        raise PlcPilotError(f"the log has lines of {', '.join(others)}, none of the "
                            f"{station.name}")
    return mine


def same_station(tag: str, name: str) -> bool:
    def core(text: str) -> str:
        return " ".join(text.casefold().replace("_", " ").removesuffix(" station").split())
    return core(tag) == core(name)


class Agent:
    def __init__(self, station: Station, mode: Mode = "sop", backend: Backend | None = None,
                 constrained: bool = True, on_token: OnToken | None = None):
        if mode not in MODES:
            raise PlcPilotError(f"unknown mode {mode!r}; choose {', '.join(MODES)}")
        if mode != "sop" and backend is None:
            raise PlcPilotError(f"mode {mode} needs a model (--model)")
        self.station, self.mode, self.backend = station, mode, backend
        self.on_token = on_token  # hears the model's answer grow (live progress)
        self.constrained = constrained

    def decide(self, events: list[Event], flags: dict[str, bool] | None = None) -> Decision:
        """The command for the newest event, already through the safety gate. Without live
        flags (a log read from a file) the gate checks the command's form and arguments only."""
        if not events:
            raise PlcPilotError("the event log is empty")
        events = own_lines(self.station, events)
        meaning = sop.read(self.station, events)
        proposal = self._propose(events)
        verdict = gate.check(self.station, proposal.proposed, flags, meaning)
        proposal.command, proposal.allowed = verdict.command, verdict.allowed
        if not verdict.allowed:
            proposal.refusal = verdict.refusal
            proposal.reason = f"safety gate: {verdict.refusal}"
        return proposal

    def _propose(self, events: list[Event]) -> Decision:
        """sop and hybrid: the SOP engine's answer where it understood the event; otherwise
        hybrid asks the model and sop escalates (never a guessed retry)."""
        if self.mode != "llm":
            found = sop.decide(self.station, events)
            if isinstance(found, sop.SopDecision):
                return Decision(clip(found.reason, REASON_CHARS), "", "sop",
                                proposed=found.command)
            if self.mode == "sop":
                return Decision(clip(found.why, REASON_CHARS), "", "fallback",
                                proposed=gate.alert(UNCOVERED).text())
        return self._ask(events)

    def _ask(self, events: list[Event]) -> Decision:
        started = time.perf_counter()
        constraint = (constraint_for(self.station, self.backend, events) if self.constrained
                      else None)
        completion = self.backend.complete(messages(self.station, events), SAMPLING,
                                           constraint, on_token=self.on_token)
        seconds = time.perf_counter() - started
        try:
            reason, command = read_answer(completion.text)
        except PlcPilotError as e:
            reason, command = str(e), "(no command)"
        return Decision(clip(reason, REASON_CHARS), "", "model", proposed=command,
                        raw=completion.text,
                        seconds=seconds, tokens_out=completion.tokens_out)
