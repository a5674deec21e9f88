"""What an event means, read from what carries meaning rather than from how it is worded.

A line of a real plant log says the same thing in many ways ("BG56 detects a carrier", "BG56:
workpiece present at C1 infeed", "a workpiece was detected by sensor BG56"). The agent keys on:
- sensor ids (BG56 …) and whether the workpiece arrives at or passes the sensor;
- the function-call echo of the operator's own commands, which says what a result is about;
- components (conveyors C1–C4, holders H1–H3, switch S1, RFID reader TF81, robot arm, CNC,
  painting machine, transport robot) and each function's `result` words (plant.yaml);
- success and failure words, and danger words (people, fire, collision);
- task parameters, read by name and type from the station's own functions.
The vocabulary is data (plant.yaml `understanding`), written from IAS_PLANT.md's components and
plain English, not from the simulator's sentences; the phrasing benchmark's held-out templates
measure whether that holds.

A line none of these classify is `unknown`: the SOP engine never guesses an action for it, so
`hybrid` mode asks the model and `sop` mode escalates. Failure is read before anything else a line
says, so a failed command is never taken for the event that would repeat it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import Param, Station

Kind = Literal["danger", "fault", "called", "arrive", "pass", "run", "done", "docked",
               "request", "unknown"]
SENSOR = re.compile(r"\b(BG\d{2})\b", re.I)
CONVEYOR = re.compile(r"\bC([1-4])\b|\bconveyor[ _]?(?:C)?([1-4])\b", re.I)
SECONDS = re.compile(r"(\d{1,3})\s*(?:s\b|sec\w*)", re.I)
SHELF = re.compile(r"\b([A-Z]_\d{1,3})\b")
QUOTED = re.compile(r"['\"‘’“”]([^'\"‘’“”]{1,80})['\"‘’“”]")
WORKPIECE_ID = re.compile(r"\b(W\d{2,4})\b")
# a line that gives a task: it names one, is a polite imperative, or is signed by a manager/MES
TASK_NOUN = re.compile(r"\b(task|order|job|assignment)s?\b"
                       r"|^\W*(\w+\s*:\s*)?(please|kindly|mgr|manager|mes|erp|scheduler)\b", re.I)
NUMBER = r"(\d+(?:\.\d+)?)"
# words a parameter name stands for in prose ("1.0 mm deep", "12 mm long")
SYNONYMS = {"depth": ("depth", "deep"), "length": ("length", "long"), "rpm": ("rpm", "spindle"),
            "spindle": ("spindle", "rpm")}
FREE_TEXT = re.compile(r"[^A-Za-z0-9 _.,:/-]")
# text that addresses the operator instead of describing a workpiece: never an argument
INSTRUCTION = re.compile(r"\b(ignore|instruction\w*|previous|prompt|disregard|override|you "
                         r"(must|should)|call|execute|function|command|emergency)\b|\w\(", re.I)


@dataclass(frozen=True)
class Meaning:
    kind: Kind
    subject: str = ""  # the sensor, function or conveyor the event is about
    seconds: int | None = None  # run: how long the conveyor runs
    values: dict[str, str] = field(default_factory=dict)  # shelf, check, place, requester
    cause: str = ""  # fault: a short cause naming the failed component
    calls: tuple[str, ...] = ()  # called: the functions the operator ran

    @property
    def abnormal(self) -> bool:
        return self.kind in ("danger", "fault", "unknown")

    def describe(self) -> str:
        match self.kind:
            case "danger":
                return "people or equipment in danger"
            case "fault":
                return f"failure: {self.cause}"
            case "run":
                return f"conveyor {self.subject} started for {self.seconds} s"
            case "done":
                return f"{self.subject}() reports success"
            case "called":
                return "the operator called " + ", ".join(self.calls)
            case "unknown":
                return "an event the agent cannot classify"
            case "arrive":
                return f"a workpiece at {self.subject}"
            case "pass":
                return f"a workpiece passed {self.subject}"
            case "docked":
                return "the robot docked" + (f" at {self.values['place']}"
                                             if "place" in self.values else "")
        return "a transport request" + (f" from {self.values['requester']}"
                                        if "requester" in self.values else "")


def understand(station: Station, event: Event, before: list[Event] = ()) -> Meaning:
    """The meaning of `event`, given the events `before` it (for the echo of the command a
    result answers)."""
    words = station.understanding
    text = event.text
    if words["danger"].search(text):
        return Meaning("danger", cause="danger")
    if event.calls:
        return _called(event)
    pending = _pending(before)
    if _failed(station, text):
        return Meaning("fault", cause=cause_of(station, text, pending))
    if m := SENSOR.search(text):
        kind = "pass" if words["passing"].search(text) else "arrive"
        return Meaning(kind, m[1].upper())
    if station.name == "Transport Robot" and words["request"].search(text):
        return Meaning("request", values=_places(station, text, "requester"))
    if words["docked"].search(text) and _mentions_robot_or_place(station, text):
        return Meaning("docked", values=_places(station, text, "place") or _last_place(before))
    if fn := result_of(station, text, pending):
        return Meaning("done", fn, values=_values(text))
    if run := _conveyor_run(text):
        return Meaning("run", run[0], run[1])
    return Meaning("unknown")


def _called(event: Event) -> Meaning:
    names = tuple(name for name, _ in event.calls)
    for name, args in event.calls:
        if (conveyor := _conveyor_of_call(name)) and (secs := re.search(r"\d+", args)):
            return Meaning("run", conveyor, int(secs[0]), calls=names)
    return Meaning("called", calls=names)


def _conveyor_of_call(name: str) -> str | None:
    m = re.fullmatch(r"(?:conveyor_?|C)([1-4])_?run", name, re.I)
    return f"C{m[1]}" if m else None


def _conveyor_run(text: str) -> tuple[str, int] | None:
    """A conveyor reported started for some seconds ("Conveyor C1 starts running for 8 s")."""
    c, s = CONVEYOR.search(text), SECONDS.search(text)
    if c and s and re.search(r"\b(start\w*|run\w*|moving|mov\w*|driv\w*|on)\b", text, re.I):
        return f"C{c[1] or c[2]}", int(s[1])
    return None


def _pending(before: list[Event]) -> tuple[tuple[str, str], ...]:
    """The calls (name, arguments) of the newest function-call echo: what a result is likely
    to answer. An Operator line that names no call (cut short) hides which call came last."""
    for e in reversed(before):
        if e.calls or e.source == "Operator":
            return tuple(e.calls)
    return ()


def _failed(station: Station, text: str) -> bool:
    words = station.understanding
    return bool(words["failure"].search(words["benign"].sub(" ", text)))


def cause_of(station: Station, text: str, pending: tuple[tuple[str, str], ...] = ()) -> str:
    """A short cause naming the failed component: from the line, else from the command it
    answers, else 'unexpected event'."""
    for cause in station.understanding.causes:
        if m := cause.pattern.search(text):
            return cause.cause.format(**{k: v.upper() for k, v in m.groupdict().items() if v})
    for name, _ in pending:
        spelled = re.sub(r"conveyor (\d)", r"conveyor C\1", name.replace("_", " "))
        for cause in station.understanding.causes:
            if m := cause.pattern.search(spelled):
                return cause.cause.format(**{k: v.upper() for k, v in m.groupdict().items() if v})
    return "unexpected event"


def result_of(station: Station, text: str, pending: tuple[tuple[str, str], ...]) -> str | None:
    """The station function a line reports success of: the command the operator just ran (its
    echo) when the line speaks of it at all (its result words, or a word of its name or
    description, or an argument it was called with); else the function whose result words it
    uses most; else, when the line only says something succeeded, the echoed command."""
    scores = {}
    for fn in station.functions.values():
        if fn.result_words is not None:
            scores[fn.name] = len({m.group(0).casefold()
                                   for m in fn.result_words.finditer(text)})
    for name, args in pending:
        if name in scores and (scores[name] or _topic(station, name) & _words(text)
                               or any(a in text for a in QUOTED.findall(args))):
            return name
    best = max(scores.values(), default=0)
    if best:
        return next(n for n, s in scores.items() if s == best)
    if station.understanding["success"].search(text):
        return next((n for n, _ in pending if n in scores), None)
    return None


STOPWORDS = frozenset(["a", "an", "the", "of", "to", "from", "or", "and", "at", "for", "its",
                       "it", "with", "on", "onto", "into", "in", "back", "by", "is", "be", "s"])


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in STOPWORDS}


def _topic(station: Station, name: str) -> set[str]:
    """The words a function's name and description use (what a line about it may mention)."""
    fn = station.functions[name]
    return _words(name.replace("_", " ") + " " + fn.doc)


def _values(text: str) -> dict[str, str]:
    values = {}
    if m := SHELF.search(text):
        values["shelf"] = m[1]
    if check := _description(text):
        values["check"] = check
    return values


def _description(text: str) -> str | None:
    """The free text a result carries (what the RFID tag asks to inspect): quoted, or after a
    colon or dash."""
    if m := QUOTED.search(text):
        return m[1]
    for mark in (":", " - ", " – ", " — "):
        if mark in text:
            return text.split(mark, 1)[1]
    return None


def free_text(text: str, limit: int = 80) -> str | None:
    """A free-text argument taken from a log, made safe: only plain characters, cut at a word
    boundary within `limit`; None when the text addresses the operator instead (an injected
    instruction never becomes an argument)."""
    if INSTRUCTION.search(text):
        return None
    cleaned = " ".join(FREE_TEXT.sub(" ", text).split()).strip(" .,:;-")
    return clip(cleaned, limit) or None


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" .,:;-")


# ------------------------------------------------------------------ places and tasks
def _choices(station: Station, name: str) -> list[str]:
    param = station.param(name) or station.param("place")
    return list(param.choices) if param else []


def choice_pattern(choice: str) -> re.Pattern:
    """A choice as a log may write it, in any case: 'CNC Station' also as 'the CNC station',
    'CNC', 'cnc-station'; 'blue' as the word blue."""
    core = re.escape(choice.removesuffix(" Station")).replace(r"\ ", r"[\s_-]*")
    return re.compile(rf"\b{core}(?:[\s_-]*station)?\b", re.I)


def _places(station: Station, text: str, name: str) -> dict[str, str]:
    for choice in _choices(station, "place"):
        if choice_pattern(choice).search(text):
            return {name: choice}
    return {}


def _mentions_robot_or_place(station: Station, text: str) -> bool:
    """A docking line names the robot, a place it goes to, or the station whose log it is."""
    return bool(re.search(r"\b(robot\w*|agv|amr|vehicle|transporter)\b", text, re.I)
                or _places(station, text, "place") or choice_pattern(station.name).search(text))


def _last_place(before: list[Event]) -> dict[str, str]:
    """Where the robot was last sent (navigate_to's echo), when a docking line names no place."""
    for e in reversed(before):
        for name, args in e.calls:
            if name == "navigate_to" and (q := QUOTED.search(args)):
                return {"place": q[1]}
    return {}


def task_of(station: Station, events: list[Event]) -> tuple[str | None, dict[str, str]]:
    """The newest task assigned to the station: its kind and parameters, from a Manager line or
    any line that speaks of a task, order or job (a role tag may be missing or wrong). A later
    line of the same kind adds to the parameters rather than erasing them ("ready for the next
    job" names no drill)."""
    kind, params = None, {}
    for e in events:
        if (e.source == "Manager" or TASK_NOUN.search(e.text)) and not e.calls \
                and (task := read_task(station, e.text)):
            params = {**params, **task[1]} if task[0] == kind else dict(task[1])
            kind = task[0]
    return kind, params


def read_task(station: Station, text: str) -> tuple[str, dict[str, str]] | None:
    """A task line's kind (the kind whose words it uses most) and its parameters."""
    hits = {kind: len(task.pattern.findall(text)) for kind, task in station.tasks.items()}
    kind = max(hits, key=hits.get) if hits else None
    if kind is None or not hits[kind]:
        return None
    params = {}
    for name in station.tasks[kind].params:
        if (value := _task_param(station, name, text)) is not None:
            params[name] = value
    return kind, params


def _task_param(station: Station, name: str, text: str) -> str | None:
    if name == "name":
        if m := WORKPIECE_ID.search(text):
            return m[1].upper()
        return free_text(q[1], 40) if (q := QUOTED.search(text)) else None
    if name in ("source", "destination"):
        return _route(station, text).get(name)
    param = station.param(name)
    if param is None:
        return None
    if param.type == "choice":
        return next((c for c in param.choices
                     if re.search(rf"\b{re.escape(c)}\w*", text, re.I)), None)
    return _number_for(param, text)


# How a transport order marks where the workpiece is picked up and where it goes.
SOURCE = (r"(\b(from|source|origin)|\bpick(ed|ing)?[- ]?(it |the \w+ )?up( at| from| in)?"
          r"|\bcollect\w*( it)? (at|from)|\bfetch\w*( it)? (at|from))\s*:?")
DESTINATION = (r"(\b(to|towards|for|into|destination|dest)|\bdrop[- ]?off( at)?"
               r"|\bdeliver\w*( it)? at|->|→|=>)\s*:?")


def _route(station: Station, text: str) -> dict[str, str]:
    """source and destination of a transport: 'from X to Y' (or 'X -> Y'), either marked in any
    order, else the first place named is the source and the second the destination."""
    found, named = {}, []
    for choice in _choices(station, "place"):
        pattern = choice_pattern(choice).pattern
        if m := re.search(pattern, text, re.I):
            named.append((m.start(), choice))
        if re.search(rf"{SOURCE}\s*(the\s+)?{pattern}", text, re.I):
            found["source"] = choice
        elif re.search(rf"{DESTINATION}\s*(the\s+)?{pattern}", text, re.I):
            found["destination"] = choice
    order = [choice for _, choice in sorted(named)]
    for role, choice in zip(("source", "destination"), order, strict=False):
        if role not in found and choice not in found.values():
            found[role] = choice
    return found


def _number_for(param: Param, text: str) -> str | None:
    """A number given for the parameter: `name=1.0`, 'depth 1.0', '1.0 mm deep', '1200 rpm'."""
    keys = [w for part in param.name.split("_") for w in SYNONYMS.get(part, (part,))
            if part != "cutting"]
    for key in keys:
        for pattern in (rf"(?<![A-Za-z]){key}\w*\s*(?:=|:|of|is|at)?\s*{NUMBER}",
                        rf"{NUMBER}\s*(?:mm|rpm|min-1|1/min)?\s*{key}\b"):
            if m := re.search(pattern, text, re.I):
                value = float(m[1])
                return str(int(value)) if param.type == "int" and value.is_integer() else m[1]
    return None
