"""Mutants of a chart, to measure whether a task's tests pin its behaviour (`plcpilot tasks
mutate`): the mistakes a chart's author makes, one per mutant, each still a valid chart.

- a transition's condition negated, or replaced by TRUE;
- a transition leading to another step;
- two alternative branches (transitions leaving one step) swapped in priority;
- an action dropped, or its qualifier changed (N↔S, S/R dropped, P→N), or its time doubled;
- a timer comparison's time doubled inside a condition.
"""

from __future__ import annotations

import json
import re

from plcpilot.sfc.files import chart_from_text
from plcpilot.sfc.model import Chart

_TIME = re.compile(r"T#(\d+)(ms|s)\b", re.I)
_SWAP = {"N": "S", "S": "N", "P": "N", "P1": "N", "P0": "N", "L": "N", "D": "N", "SD": "S",
         "DS": "S", "SL": "S"}


def mutants(source: str) -> list[tuple[str, str]]:
    chart = chart_from_text(source)
    out: list[tuple[str, Chart]] = []
    names = [s.name for s in chart.steps]
    for k, t in enumerate(chart.transitions):
        if t.condition is not None:
            out.append((f"transition {k + 1}: condition negated",
                        _with_transition(chart, k, condition=f"NOT ({t.condition})")))
            if t.condition.strip().upper() != "TRUE":
                out.append((f"transition {k + 1}: condition always TRUE",
                            _with_transition(chart, k, condition="TRUE")))
            doubled = _TIME.sub(lambda m: f"T#{int(m.group(1)) * 2}{m.group(2)}", t.condition)
            if doubled != t.condition:
                out.append((f"transition {k + 1}: time doubled",
                            _with_transition(chart, k, condition=doubled)))
        if len(t.target) == 1:
            other = next((n for n in names if n not in t.target and n not in t.source), None)
            if other is not None:
                out.append((f"transition {k + 1}: leads to {other} instead of {t.target[0]}",
                            _with_transition(chart, k, target=[other])))
        later = next((j for j in range(k + 1, len(chart.transitions))
                      if chart.transitions[j].source == t.source), None)
        if later is not None:
            swapped = chart.model_copy(deep=True)
            swapped.transitions[k], swapped.transitions[later] = \
                swapped.transitions[later], swapped.transitions[k]
            out.append((f"transitions {k + 1} and {later + 1}: priority swapped", swapped))
    for s_index, step in enumerate(chart.steps):
        for a_index, use in enumerate(step.actions):
            what = f"step {step.name}, action {use.action or 'inline'} ({use.qualifier})"
            dropped = chart.model_copy(deep=True)
            del dropped.steps[s_index].actions[a_index]
            out.append((f"{what}: dropped", dropped))
            if use.qualifier in _SWAP:
                changed = chart.model_copy(deep=True)
                new = _SWAP[use.qualifier]
                changed.steps[s_index].actions[a_index].qualifier = new
                changed.steps[s_index].actions[a_index].time = None
                out.append((f"{what}: qualifier {new}", changed))
            if use.time:
                longer = chart.model_copy(deep=True)
                longer.steps[s_index].actions[a_index].time = _TIME.sub(
                    lambda m: f"T#{int(m.group(1)) * 2}{m.group(2)}", use.time)
                out.append((f"{what}: time doubled", longer))
    return [(d, json.dumps(c.dump())) for d, c in out]


def _with_transition(chart: Chart, k: int, **changes) -> Chart:
    copy = chart.model_copy(deep=True)
    for key, value in changes.items():
        setattr(copy.transitions[k], key, value)
    return copy
