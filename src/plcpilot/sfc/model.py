"""The reduced form of a Sequential Function Chart: one pydantic model, the single source of
truth that PLCopen XML import/export, checks, verification, simulation, rendering and the
decoding schema all read.

The topology is the chart's Petri net, written out: every transition names the steps it takes
its token from (`from`) and the steps it gives tokens to (`to`). That makes every branch
explicit without divergence and convergence objects a small model would have to pair up:
- alternative divergence: several transitions share a source step; they are tried in the order
  written (IEC's left-to-right priority) unless `priority` says otherwise;
- alternative convergence: several transitions lead to the same step;
- parallel divergence: a transition with several targets; parallel convergence: a transition
  with several sources (it fires when all of them are active).
Nothing is inferred from conditions: two transitions with equal conditions stay two branches.
`jump: true` draws the transition's single target as a jump (an arrow to the step's name)
rather than a line; it changes the picture, not the behaviour.

Conditions and action bodies are ST text. What the form cannot hold as ST (LD or FBD networks)
is kept as opaque PLCopen XML (`Body.xml`, `Transition.network`, `Chart.extras`) and written back
verbatim, never dropped.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Qualifier = Literal["N", "R", "S", "P", "P0", "P1", "L", "D", "SD", "DS", "SL"]
TIMED: frozenset[str] = frozenset({"L", "D", "SD", "DS", "SL"})  # qualifiers that take a time
VarKind = Literal["input", "output", "in_out", "local", "temp", "external", "global"]
PouKind = Literal["program", "functionBlock", "function"]
BodyLanguage = Literal["ST", "IL", "LD", "FBD", "SFC"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _identifier(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an IEC identifier (letters, digits, _)")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Variable(_Strict):
    """A declaration. `type` is IEC text (BOOL, INT, TON, STRING[20], ARRAY [0..3] OF INT);
    `initial` an IEC literal. A type the text cannot carry is kept as `type_xml`."""

    name: Identifier
    kind: VarKind = "local"
    type: str = "BOOL"
    initial: str | None = None
    initial_xml: str | None = None  # an array or struct initial value, as PLCopen XML
    constant: bool = False
    address: str | None = None  # a located variable: %IX0.0, %QW1
    comment: str = ""
    type_xml: str | None = None



class Body(_Strict):
    """A named action's or transition's body: ST or IL as text, LD/FBD/SFC as opaque XML."""

    name: str
    language: BodyLanguage = "ST"
    text: str | None = None
    xml: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Body:
        if (self.text is None) == (self.xml is None):
            raise ValueError(f"body {self.name!r}: give text (ST, IL) or xml (LD, FBD, SFC), "
                             "exactly one")
        return self


class ActionUse(_Strict):
    """One line of a step's action block: a qualifier and either a named action (or a BOOL
    variable, which IEC also allows) or an inline ST body."""

    qualifier: Qualifier = "N"
    time: str | None = None  # the duration of L, D, SD, DS, SL (an IEC TIME literal)
    action: str | None = None
    st: str | None = None
    indicator: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ActionUse:
        if (self.action is None) == (self.st is None):
            raise ValueError("an action association names an action or gives inline ST, "
                             "exactly one")
        return self


class Step(_Strict):
    name: Identifier
    initial: bool = False
    comment: str = ""
    actions: list[ActionUse] = Field(default_factory=list)



class Transition(_Strict):
    """An edge of the chart's Petri net. The condition is ST text, the name of a transition
    declared in `Chart.transitions` (`reference`), or an LD/FBD network (`network`, opaque)."""

    source: list[str] = Field(alias="from")  # empty or unknown names: checks report them
    target: list[str] = Field(alias="to")
    condition: str | None = None
    reference: str | None = None
    network: str | None = None
    priority: int | None = None
    jump: bool = False
    comment: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Transition:
        if sum(x is not None for x in (self.condition, self.reference, self.network)) > 1:
            raise ValueError("a transition has one condition: ST text, a reference or a "
                             "network")
        if self.jump and len(self.target) != 1:
            raise ValueError("a jump goes to exactly one step")
        return self

    @property
    def label(self) -> str:
        """How people read it: `S1 -> S2 [cond]`."""
        cond = self.condition if self.condition is not None else (
            self.reference or ("network" if self.network else "TRUE"))
        return f"{', '.join(self.source)} -> {', '.join(self.target)} [{cond}]"


class Chart(_Strict):
    """One SFC POU."""

    name: Identifier
    pou: PouKind = "program"
    variables: list[Variable] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)
    actions: list[Body] = Field(default_factory=list)
    named_transitions: list[Body] = Field(default_factory=list)
    extras: list[str] = Field(default_factory=list)  # opaque XML of non-SFC elements in the body
    # the project's data types (PLCopen dataType elements, opaque), which variables may use;
    # the checker reads enumerations, structures, subranges, arrays and aliases from them
    data_types: list[str] = Field(default_factory=list)
    comment: str = ""


    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def dump(self) -> dict:
        """The compact JSON form: defaults left out, `from`/`to` as written."""
        return self.model_dump(by_alias=True, exclude_defaults=True)


# what a model writes: the rest of the form (opaque XML, named transitions, layout hints) comes
# from imported files; leaving it out keeps the schema, and so the prompt, small
_NOT_AUTHORED = {"extras", "data_types", "named_transitions", "network", "reference",
                 "type_xml", "initial_xml", "address", "indicator", "priority", "comment",
                 "constant", "pou"}


def authoring_schema() -> dict:
    """The JSON schema constrained decoding follows: the Chart model's own schema, with the
    fields only imports fill left out."""
    schema = Chart.model_json_schema(by_alias=True)

    def prune(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for name in _NOT_AUTHORED & set(props):
                    del props[name]
                if "required" in node:
                    node["required"] = [r for r in node["required"] if r not in _NOT_AUTHORED]
            for value in node.values():
                prune(value)
        elif isinstance(node, list):
            for value in node:
                prune(value)
    prune(schema)
    return schema
