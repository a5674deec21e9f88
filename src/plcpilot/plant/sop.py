"""The deterministic operator compiled from a station's SOP: the baseline the agent is scored
against, and the part of `hybrid` mode that needs no model.

It answers the newest System/Manager line with the first SOP rule whose expression matches it;
placeholders come from that match, from what earlier lines of the log reported (a shelf, an
inspection), and from the Manager's task. Anything no rule covers is, by the plant's policy,
abnormal: `decide` returns None and the caller escalates or asks the model.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from plcpilot.plant.eventlog import Event
from plcpilot.plant.model import SopRule, Station


@dataclass(frozen=True)
class SopDecision:
    command: str
    rule: SopRule
    trigger: Event


def task_of(station: Station, events: list[Event]) -> tuple[str | None, dict[str, str]]:
    """The newest task a Manager line assigned to the station."""
    for e in reversed(events):
        if e.source == "Manager" and (task := station.task_of(e.text)):
            return task
    return None, {}


def context(station: Station, events: list[Event]) -> dict[str, str]:
    """Named groups every SOP expression captured over the log, newest last (so it wins)."""
    found: dict[str, str] = {}
    for e in events:
        if e.source == "Operator":
            continue
        for rule in station.sop:
            if m := rule.pattern.search(e.text):
                found.update({k: v for k, v in m.groupdict().items() if v is not None})
    return found


def decide(station: Station, events: list[Event]) -> SopDecision | None:
    trigger = next((e for e in reversed(events) if e.source != "Operator"), None)
    if trigger is None:
        return None
    kind, params = task_of(station, events)
    known = {**context(station, events[:-1]), **params}
    for rule in station.sop:
        m = rule.pattern.search(trigger.text)
        if not m or (rule.task and rule.task != kind):
            continue
        values = {**known, **{k: v for k, v in m.groupdict().items() if v is not None}}
        if any(values.get(group) != params.get(param) for group, param in rule.same.items()):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(rule.do) if f}
        if names <= values.keys():
            return SopDecision(rule.do.format(**values), rule, trigger)
    return None
