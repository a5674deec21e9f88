"""The safety gate: every command is re-validated against the station definition and the
station's live state before it may run; a refused command becomes an alert, never an action.

It trusts nothing upstream (not the grammar, not the SOP engine): the grammar keeps a model's
output well-formed, but only the gate knows the plant's state at the moment of execution.
"""

from __future__ import annotations

from dataclasses import dataclass

from plcpilot.plant.calls import Call, CallError, parse_call
from plcpilot.plant.model import Station
from plcpilot.plant.simulator import unmet

ALERT = "alert_to_supervisor"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    command: str  # the command to execute: the checked one, or the alert that replaces it
    call: Call
    refusal: str = ""  # why the proposed command was refused


def alert(station: Station, reason: str) -> Call:
    """An alert whose reason fits the alert's argument pattern (letters, digits, a few marks)."""
    cleaned = "".join(c if c.isalnum() or c in " _.,:/-" else " " for c in reason)
    return Call(ALERT, (" ".join(cleaned.split())[:60].strip() or "unexpected event",))


def check(station: Station, command: str, flags: dict[str, bool] | None) -> Verdict:
    """Known function, typed arguments in range, and (given the live `flags`; None for a log
    read from a file, where the state is unknown) the state the function requires."""
    try:
        call = parse_call(command, station)
    except CallError as e:
        return _refuse(station, f"not a valid command: {e}", "invalid command")
    fn = station.functions[call.function]
    missing = unmet(fn.requires, flags) if flags is not None else []
    if missing:
        return _refuse(station, f"{call.function} refused: {', '.join(missing)}",
                       f"gate refused {call.function}")
    return Verdict(True, call.text(fn), call)


def _refuse(station: Station, why: str, alert_reason: str) -> Verdict:
    call = alert(station, alert_reason)
    return Verdict(False, call.text(station.functions[ALERT]), call, why)
