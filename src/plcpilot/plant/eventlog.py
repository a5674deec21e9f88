"""The plant's event log, one event per line:
`[<Station>][<System|Operator|Manager>][hh:mm:ss] <text>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from plcpilot.errors import PlcPilotError

Source = Literal["System", "Operator", "Manager"]
LINE = re.compile(r"^\[(?P<station>[^\]]+)\]\s*\[(?P<source>System|Operator|Manager)\]\s*"
                  r"\[(?P<time>\d{2}:[0-5]\d:[0-5]\d)\]\s+(?P<text>\S.*)$")
CALLED = re.compile(r"calls function: (?P<call>.+?)\.?$")


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
    def call(self) -> str | None:
        """The command an Operator line reports, if it reports one (what the plant executed)."""
        if self.source != "Operator":
            return None
        m = CALLED.search(self.text)
        return m["call"] if m else None


def parse_log(text: str, *, where: str = "log") -> list[Event]:
    """Every event of a log; a line that is not in the plant's format is an error naming it."""
    events = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = LINE.match(raw.strip())
        if not m:
            raise PlcPilotError(
                f"{where}:{number}: not an event line: {raw.strip()[:80]!r}; expected "
                "[<Station>][<System|Operator|Manager>][hh:mm:ss] <text>")
        h, mi, s = (int(x) for x in m["time"].split(":"))
        events.append(Event(m["station"].strip(), m["source"], h * 3600 + mi * 60 + s,
                            m["text"].strip()))
    if not events:
        raise PlcPilotError(f"{where}: no events in the log")
    return events


def format_log(events: list[Event]) -> str:
    return "".join(e.line() + "\n" for e in events)
