"""The deterministic operator compiled from a station's SOP: the baseline the agent is scored
against, and the part of `hybrid` mode that needs no model.

It answers the newest event by what it means (plant/understand.py), never by its wording:
- danger → `emergency_stop()`, the plant's policy where people or equipment are at risk;
- a failure → `alert_to_supervisor('<cause>')` naming the failed component;
- a normal event → the SOP rule for it, with placeholders filled from the event, from what
  earlier events reported (a shelf, an inspection) and from the Manager's task.
An event it cannot classify, or a normal event no rule covers, gets no decision (None with the
reason): the caller escalates or asks the model, and nothing is ever guessed as a retry.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from plcpilot.plant.eventlog import Event
from plcpilot.plant.gate import STOP, alert
from plcpilot.plant.model import SopRule, Station
from plcpilot.plant.understand import Meaning, free_text, task_of, understand


@dataclass(frozen=True)
class SopDecision:
    command: str
    trigger: Event
    meaning: Meaning
    rule: SopRule | None = None  # None for the policy's own answers (danger, failure)

    @property
    def reason(self) -> str:
        return f"SOP: {self.meaning.describe()}" if self.rule else \
            f"policy: {self.meaning.describe()}"


@dataclass(frozen=True)
class Uncovered:
    """No decision: why, and the event's meaning (unknown, or normal without a rule)."""

    why: str
    trigger: Event
    meaning: Meaning


def trigger_of(events: list[Event]) -> Event:
    """The event to answer: the newest line, unless it is only the echo of the operator's own
    command (then the newest line before it that the plant wrote)."""
    for e in reversed(events):
        if not e.calls:
            return e
    return events[-1]


def read(station: Station, events: list[Event]) -> Meaning:
    """What the event to answer means (the newest echo counts when it starts a conveyor, as
    that asks for a holder release)."""
    newest = understand(station, events[-1], events[:-1])
    if newest.kind == "run" or not events[-1].calls:
        return newest
    index = events.index(trigger_of(events))
    return understand(station, events[index], events[:index])


def decide(station: Station, events: list[Event]) -> SopDecision | Uncovered:
    meaning = read(station, events)
    trigger = events[-1] if meaning.kind == "run" else trigger_of(events)
    if meaning.kind == "danger":
        return SopDecision(f"{STOP}()", trigger, meaning)
    if meaning.kind == "fault":
        return SopDecision(alert(meaning.cause).text(), trigger, meaning)
    if meaning.kind in ("unknown", "called"):
        return Uncovered(f"cannot classify: {trigger.text}", trigger, meaning)
    kind, params = task_of(station, events)
    known = {**_context(station, events[:events.index(trigger)]), **params,
             **meaning.values}
    for rule in station.sop:
        if not _fits(rule, meaning) or (rule.task and rule.task != kind):
            continue
        if any(known.get(value) != params.get(param) for value, param in rule.same.items()):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(rule.do) if f}
        if names <= known.keys():
            return _fill(rule, known, trigger, meaning)
    return Uncovered(f"no SOP rule for: {meaning.describe()}", trigger, meaning)


def _fits(rule: SopRule, meaning: Meaning) -> bool:
    kind, *subject = rule.event
    if kind != meaning.kind:
        return False
    if kind == "run":
        return [meaning.subject, str(meaning.seconds)] == subject
    return not subject or subject[0] == meaning.subject


def _fill(rule: SopRule, known: dict[str, str], trigger: Event,
          meaning: Meaning) -> SopDecision:
    """The rule's command. Every value taken from the log is sanitised and bounded, and one that
    addresses the operator (an injected instruction) is escalated, never passed on."""
    values = {}
    for name in {f for _, f, _, _ in string.Formatter().parse(rule.do) if f}:
        values[name] = free_text(known[name])
        if values[name] is None:
            return SopDecision(alert("suspicious text in the log").text(), trigger,
                               Meaning("fault", cause="suspicious text in the log"))
    return SopDecision(rule.do.format(**values), trigger, meaning, rule)


def _context(station: Station, events: list[Event]) -> dict[str, str]:
    """Values earlier events reported (a shelf, a check, a place), newest last so it wins."""
    found: dict[str, str] = {}
    for i, e in enumerate(events):
        if e.source not in ("Operator", "Manager"):
            found.update(understand(station, e, events[:i]).values)
    return found
