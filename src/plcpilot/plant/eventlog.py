"""The plant's event log, one event per line: `[<Station>][<System|Operator|Manager>][hh:mm:ss]
<text>` as the plant writes it, and as real logs bend it.

Real logs drop the role tag, put spaces between tags or before the text, move the time tag, cut a
line short, or (test-point excerpts) carry only a time tag. The reader takes every one of those:
tags are read by what they hold (a clock, a role, otherwise the station), a missing role is
inferred from the text (a function-call echo is the Operator's, a task or order line the
Manager's), a missing station is left empty for the caller to fill. It refuses only what is not a
log at all: no line with a tag, or text that is not text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from plcpilot.errors import PlcPilotError

Source = Literal["System", "Operator", "Manager"]
ROLES: dict[str, Source] = {"system": "System", "operator": "Operator", "manager": "Manager"}
TAGS = re.compile(r"^\s*((?:\[[^\[\]\n]{0,80}\]\s*)+)")
TAG = re.compile(r"\[([^\[\]\n]*)\]")
CLOCK = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)(?:[.,]\d+)?\s*$")
BARE_CLOCK = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)(?:[.,]\d+)?\s+")
# a call as the plant writes one: a bare name, then parenthesised literal arguments
CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)")
ECHO = re.compile(r"\b(call(s|ed|ing)?|execut\w*|exec|invok\w*|functions?|commands?|cmds?|sen[dt]s?"
                  r"|issu\w*|dispatch\w*|trigger\w*)\b", re.I)
ORDER = re.compile(r"^\W*(new\s+)?(task|order|job)\b|\b(task|order|job)\s+(is\s+)?(assigned|"
                   r"received|given)|\bassign\w*\b.*\b(task|order|job)\b", re.I)


@dataclass(frozen=True)
class Event:
    station: str
    source: Source
    seconds: int
    text: str

    @property
    def clock(self) -> str:
        h, rest = divmod(self.seconds, 3600)
        return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"

    def line(self) -> str:
        return f"[{self.station}][{self.source}][{self.clock}] {self.text}"

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(name, argument text) of each call an Operator line reports (what the plant ran)."""
        return calls_in(self.text) if self.source == "Operator" else []

    @property
    def call(self) -> str | None:
        """The first command an Operator line reports, as written."""
        found = self.calls
        return f"{found[0][0]}({found[0][1]})" if found else None


def calls_in(text: str) -> list[tuple[str, str]]:
    """The calls a line names: every `name(args)` when the line says it called, starts with the
    call or puts it after a '>' or ':' ("Station > f()"), else those whose name is code-like
    (has an underscore, as plant functions do)."""
    found = [(m[1], m[2].strip()) for m in CALL.finditer(text)]
    if not found:
        return []
    first = CALL.search(text)
    if ECHO.search(text) or not text[:first.start()].strip(" \t>:-=") \
            or re.search(r"[>:]\s*$", text[:first.start()]):
        return found
    return [(n, a) for n, a in found if "_" in n]


def _source(text: str) -> Source:
    if calls_in(text):
        return "Operator"
    return "Manager" if ORDER.search(text) else "System"


def read_line(raw: str, previous: Event | None) -> Event | None:
    """One line as an event (None for a line with no tag and nothing before it to attach to)."""
    station, source, seconds = "", None, None
    rest = raw
    if m := TAGS.match(raw):
        rest = raw[m.end():]
        for tag in TAG.findall(m[1]):
            if c := CLOCK.match(tag):
                seconds = int(c[1]) * 3600 + int(c[2]) * 60 + int(c[3])
            elif tag.strip().casefold() in ROLES:
                source = ROLES[tag.strip().casefold()]
            elif not station:
                station = tag.strip().strip("'\"").strip()
    elif previous is None:
        return None
    if seconds is None and (c := BARE_CLOCK.match(rest)):
        seconds = int(c[1]) * 3600 + int(c[2]) * 60 + int(c[3])
        rest = rest[c.end():]
    text = " ".join(rest.split())
    if previous is not None:
        seconds = previous.seconds if seconds is None else seconds
        station = station or previous.station
    return Event(station, source or _source(text), seconds or 0, text)


def parse_log(text: str, *, where: str = "log", station: str | None = None) -> list[Event]:
    """Every event of a log. Lines without tags continue after a tagged one (a line cut in two, a
    note); a line of punctuation alone ('---', a rule between excerpts) is no event; a log with
    no tagged line at all is refused, naming its first line. `station` names the events whose
    station tag is missing."""
    events: list[Event] = []
    first = ""
    for raw in text.splitlines():
        if not re.search(r"\w", raw):
            continue
        first = first or raw.strip()
        event = read_line(raw, events[-1] if events else None)
        if event is not None and event.text:
            events.append(event)
    if not events:
        if first:
            raise PlcPilotError(
                f"{where}: not an event log: no line starts with a [tag] (first line "
                f"{first[:80]!r}); expected [<Station>][<System|Operator|Manager>][hh:mm:ss] "
                "<text>")
        raise PlcPilotError(f"{where}: no events in the log")
    if station:
        events = [replace(e, station=station) if not e.station else e for e in events]
    return events


def format_log(events: list[Event]) -> str:
    return "".join(e.line() + "\n" for e in events)
