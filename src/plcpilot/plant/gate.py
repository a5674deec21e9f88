"""The safety gate: every command is re-validated against the station definition, the station's
live state and what the event being answered means, before it may run; a refused command
becomes an alert (or, where people or equipment are in danger, the emergency stop), never an
action.

It trusts nothing upstream (not the grammar, not the SOP engine, not the model): the grammar keeps
a model's output well-formed, but only the gate knows the plant's state at the moment of execution.
For a log read from a file, where the live state is unknown, the event's meaning stands in for
it: after a reported failure no motion or process command passes, after danger only the
emergency stop does.
"""

from __future__ import annotations

from dataclasses import dataclass

from plcpilot.plant.calls import Call, CallError, parse_call
from plcpilot.plant.model import Station
from plcpilot.plant.simulator import unmet
from plcpilot.plant.understand import Meaning, clip

ALERT, STOP = "alert_to_supervisor", "emergency_stop"
REASON_CHARS = 60  # an alert's reason, as the plant's alert_to_supervisor pattern takes it


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    command: str  # the command to execute: the checked one, or the alert that replaces it
    call: Call
    refusal: str = ""  # why the proposed command was refused


def alert(reason: str) -> Call:
    """An alert whose reason fits the alert's argument pattern (letters, digits, a few marks),
    cut at a word boundary, never mid-word."""
    cleaned = "".join(c if c.isalnum() or c in " _.,:/-" else " " for c in reason)
    return Call(ALERT, (clip(" ".join(cleaned.split()), REASON_CHARS) or "unexpected event",))


def check(station: Station, command: str, flags: dict[str, bool] | None,
          meaning: Meaning | None = None) -> Verdict:
    """Known function, typed arguments in range, then the state the function requires: the
    live `flags`, or (None: a log read from a file) what the answered event's `meaning` says."""
    danger = meaning is not None and meaning.kind == "danger"
    try:
        call = parse_call(command, station)
    except CallError as e:
        return _refuse(station, f"not a valid command: {e}", "invalid command", danger)
    fn = station.functions[call.function]
    if danger and call.function != STOP:
        return _refuse(station, f"{call.function} refused: people or equipment are in danger",
                       "danger", danger)
    reason = f"gate refused {call.function}"
    if flags is None and meaning is not None and meaning.kind == "fault":
        missing = [f"fault is set ({meaning.cause})"] if "!fault" in fn.requires else []
        reason = meaning.cause
    else:
        missing = unmet(fn.requires, flags) if flags is not None else []
    if missing:
        return _refuse(station, f"{call.function} refused: {', '.join(missing)}", reason, danger)
    return Verdict(True, call.text(fn), call)


def _refuse(station: Station, why: str, alert_reason: str, danger: bool) -> Verdict:
    call = Call(STOP, ()) if danger else alert(alert_reason)
    return Verdict(False, call.text(station.functions[call.function]), call, why)
