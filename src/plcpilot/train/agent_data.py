"""Operator-agent transcripts: the gold operator run through the plant simulator, each decision
point becoming one `{"reason", "command"}` example (LLM4IAS's data, made by our own plant).

What keeps the evaluation honest:
- Every task draws its parameters at random (workpiece names, tools, colours, places), so the
  model must copy them from the log; the shipped decision points use the fixed VARIANTS.
- A scenario seed is a group: all its episodes go to one split, never lines of one run to both.
  Seeds start at SEED_BASE, far from the shipped points' seed 0.
- Logs are worded with the development half of plant/phrasing.py, optionally widened by its
  training-only styles (`wording="train"`); the held-out half is never seen here and stays for
  evaluation (`agent bench --phrasing held_out`).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from typing import Literal

from plcpilot.plant import agent, sop
from plcpilot.plant.calls import parse_call
from plcpilot.plant.eventlog import parse_log
from plcpilot.plant.model import Plant, Station
from plcpilot.plant.phrasing import rephrase
from plcpilot.plant.scenarios import VARIANTS, episode
from plcpilot.plant.simulator import FaultPlan
from plcpilot.plant.understand import clip
from plcpilot.train.records import ChatMessage, Example, Split

SEED_BASE = 1000
FAULT_OCCURRENCES = (1, 2, 3)  # the fault strikes the 1st, 2nd or 3rd call it can strike
FAULT_RUNS = 2  # of those, per station and fault: abnormal points are a third of the shipped set


def random_params(station: Station, task: str, rng: random.Random) -> dict[str, str]:
    """Parameters for one task of `station`, drawn from the domains the plant declares."""
    _, example = next(v for v in VARIANTS[station.name] if v[0] == task)
    if task == "transport":
        places = sorted({p for _, v in VARIANTS[station.name] for p in v.values()})
        source = rng.choice([p for p in places if p != "user"])
        return {"source": source,
                "destination": rng.choice([p for p in places if p != source])}
    params = {}
    for name in example:
        param = station.param(name)
        if name == "name" or param is None:
            params[name] = f"W{rng.randint(1, 60):02d}"
        elif param.type == "choice":
            params[name] = rng.choice(param.choices)
        elif param.type == "int":
            params[name] = str(rng.randint(int(param.min), int(param.max)))
        else:
            params[name] = f"{rng.uniform(param.min, param.max):.1f}"
    return params


def answer(station: Station, events, gold: str) -> str:
    """The gold answer as the decoding grammar shapes it. A normal step's reason quotes its SOP
    rule as the system prompt lists it: a 135M model that has written the rule can copy the
    command that follows it in the prompt, where a paraphrase of the event (the SOP engine's
    own reason) left it to recall the mapping from training. An abnormal step's reason names
    the escalation's cause."""
    decision = sop.decide(station, events)
    if isinstance(decision, sop.SopDecision) and decision.command == gold:
        reason = agent.RULE_REASON + agent.rule_text(decision.rule) if decision.rule else \
            decision.reason
    else:
        cause = parse_call(gold, station).args
        reason = f"abnormal event ({cause[0]}): stop and alert the supervisor" if cause else \
            "danger: stop the station"
    reason = clip(reason.replace('"', "'").replace("\\", "/"), agent.REASON_CHARS)
    return json.dumps({"reason": reason, "command": gold})


def _points(plant: Plant, seed: int) -> Iterator[tuple[str, str, list, str]]:
    """(station, kind, log events, gold) for one scenario seed: one normal episode per
    station on a random task, and FAULT_RUNS fault episodes per station and fault it can suffer."""
    rng = random.Random(seed)
    for name in VARIANTS:
        station = plant.station(name)
        task = rng.choice(sorted({t for t, _ in VARIANTS[name]}))
        params = random_params(station, task, rng)
        for sim, event, gold in episode(plant, name, task, params, None, rng.randrange(1 << 30)):
            yield name, "sop", sim.log_until(event), gold
        for fault, occurrence in itertools.product(plant.faults, rng.sample(FAULT_OCCURRENCES,
                                                                              FAULT_RUNS)):
            for sim, event, gold in episode(plant, name, task, params,
                                            FaultPlan(fault, occurrence), rng.randrange(1 << 30)):
                if sim.state["fault"]:
                    yield name, "abnormal", sim.log_until(event), gold
                    break


def agent_examples(plant: Plant, seeds: dict[int, Split],
                   progress: Callable[[], None] = lambda: None,
                   wording: Literal["dev", "train"] = "dev") -> Iterator[Example]:
    """Examples for every decision point of every seed, logs in dev-half wording (`"train"`:
    with the training-only styles too)."""
    for seed, split in seeds.items():
        for i, (name, kind, events, gold) in enumerate(_points(plant, seed)):
            station = plant.station(name)
            worded = parse_log(rephrase(events, wording, seed * 1000 + i), station=name)
            shown = agent.own_lines(station, worded)
            prompt = agent.messages(station, shown)
            yield Example(
                id=f"agent-{seed}-{i:03d}", kind=f"agent-{kind}", split=split,
                group=f"seed-{seed}",
                messages=[ChatMessage(role=m.role, content=m.content) for m in prompt],
                answer=answer(station, events, gold))
        progress()


def split_seeds(train: int, validation: int) -> dict[int, Split]:
    """Seed → split: `train` seeds then `validation` seeds, from SEED_BASE."""
    return {SEED_BASE + i: ("train" if i < train else "validation")
            for i in range(train + validation)}
