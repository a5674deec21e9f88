"""Stations, functions and SOPs as typed data, loaded from data/plant/plant.yaml.

One definition drives the simulator, the agent's prompt, the decoding grammar and the safety gate,
so the four can never disagree about what a station may do.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from plcpilot.errors import PlcPilotError
from plcpilot.paths import data_dir


class Param(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: Literal["choice", "int", "float", "text"]
    choices: list[str] = []
    min: float | None = None
    max: float | None = None
    pattern: str | None = None

    def describe(self) -> str:
        if self.type == "choice":
            return f"{self.name}: one of " + ", ".join(f"'{c}'" for c in self.choices)
        if self.type == "text":
            return f"{self.name}: a short string in single quotes"
        return f"{self.name}: {self.type} from {self.min:g} to {self.max:g}"


class Function(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    doc: str
    params: list[Param]
    keywords: bool = False  # written name=value, as run_CNC(tool='drill', …)
    requires: list[str] = []
    result: str = ""  # words by which a log line reports on this function (a regex)

    @property
    def result_words(self) -> re.Pattern | None:
        return _compile(self.result, re.I) if self.result else None

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.name for p in self.params)})"


EVENTS = ("arrive", "pass", "run", "done", "docked", "request")  # what `when` may name


class SopRule(BaseModel):
    """`when` an event the agent understood (kind and its subject, e.g. `arrive BG56`, `done
    load`, `run C1 8`), during a task kind, `do` a command."""

    model_config = ConfigDict(extra="forbid")
    when: str
    do: str
    task: str | None = None
    same: dict[str, str] = {}

    @model_validator(mode="after")
    def _known_event(self):
        if self.when.split()[0] not in EVENTS:
            raise ValueError(f"SOP rule when {self.when!r}: events are {', '.join(EVENTS)}")
        return self

    @property
    def event(self) -> tuple[str, ...]:
        return tuple(self.when.split())


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: str  # recognise the task kind in a task line (a regex, case-insensitive)
    params: list[str] = []

    @property
    def pattern(self) -> re.Pattern:
        return _compile(self.words, re.I)


class Cause(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str
    cause: str

    @property
    def pattern(self) -> re.Pattern:
        return _compile(self.match, re.I)


class Understanding(BaseModel):
    """The plant's domain words the agent reads events by (see plant.yaml)."""

    model_config = ConfigDict(extra="forbid")
    danger: str
    failure: str
    benign: str
    success: str
    passing: str
    docked: str
    request: str
    causes: list[Cause]

    def __getitem__(self, name: str) -> re.Pattern:
        return _compile(getattr(self, name), re.I)


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    line: str
    gold: str
    strikes: list[str]
    danger: bool = False


class Station(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: str
    components: list[str]
    functions: dict[str, Function]
    tasks: dict[str, Task]
    sop: list[SopRule]
    understanding: Understanding  # the plant's, shared by every station

    def param(self, name: str) -> Param | None:
        """The parameter of that name of one of the station's functions."""
        return next((p for fn in self.functions.values() for p in fn.params if p.name == name),
                    None)


class Plant(BaseModel):
    stations: dict[str, Station]
    faults: dict[str, Fault]

    def station(self, name: str) -> Station:
        if name in self.stations:
            return self.stations[name]
        folded = {n.casefold(): s for n, s in self.stations.items()}
        if name.casefold() in folded:
            return folded[name.casefold()]
        raise PlcPilotError(f"unknown station {name!r}; the plant has: "
                            + ", ".join(self.stations))


@cache
def _compile(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


class _File(BaseModel):
    """The YAML file's own layout, before shared functions and rules are merged in."""

    model_config = ConfigDict(extra="forbid")
    functions: dict[str, dict]
    common_functions: list[str]
    common_sop: list[SopRule]
    stations: list[dict]
    faults: dict[str, dict]
    understanding: Understanding

    @model_validator(mode="after")
    def _names_exist(self):
        for st in self.stations:
            for f in st.get("functions", []) + self.common_functions:
                if f not in self.functions:
                    raise ValueError(f"station {st.get('name')}: unknown function {f}")
        return self


def load_plant(path: Path | None = None) -> Plant:
    path = path or data_dir() / "plant" / "plant.yaml"
    return _load(Path(path))


@cache
def _load(path: Path) -> Plant:
    try:
        raw = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        functions = {n: Function(name=n, **f) for n, f in raw.functions.items()}
        stations = {}
        for st in raw.stations:
            st = dict(st)
            common = st.pop("common", True)
            names = list(dict.fromkeys(st.pop("functions") + (raw.common_functions if common
                                                              else [])))
            rules = [SopRule.model_validate(r) for r in st.pop("sop")]
            station = Station(functions={n: functions[n] for n in names},
                              sop=rules + (raw.common_sop if common else []),
                              understanding=raw.understanding, **st)
            stations[station.name] = station
        faults = {n: Fault(name=n, **f) for n, f in raw.faults.items()}
    except (OSError, yaml.YAMLError, ValidationError, ValueError, TypeError) as e:
        raise PlcPilotError(f"{path}: not a plant definition: {e}") from None
    return Plant(stations=stations, faults=faults)


