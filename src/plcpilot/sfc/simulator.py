"""SFC simulation: the chart translated to one ST FUNCTION_BLOCK that the `st` interpreter runs,
one call per scan (the way matiec compiles SFC, so ST conditions and actions mean exactly what
they mean in ST: types, wrap, timers, step flags).

One scan, in this order (FORMATS.md §1's timelines; the same in `plcpilot.sfc.compile_fx`):
1. Every step active since an earlier scan advances its `Step.T` by the scan time.
2. Transitions are evaluated on the steps active at the start of the scan and the current
   inputs. A transition clears when all its source steps are active and its condition is TRUE;
   of the transitions leaving one step, only the first that clears (in the chart's order:
   IEC's left-to-right priority) fires. All clearing transitions fire together: their source
   steps deactivate, then their target steps activate with `Step.T` = 0. One evolution per
   scan: a step entered now is left at the next scan at the earliest.
3. Action control computes each action's Q from the steps as they now are (IEC qualifiers:
   N while active; S stored until an R; P and P1 one scan on activation, P0 one scan on
   deactivation; L while active for at most its time; D once active for its time; SD stored,
   after its time; DS stored once active for its time; SL stored for its time). R wins over
   the stored qualifiers in the same scan.
4. Actions with Q run: an ST body executes, a BOOL variable named as an action takes Q's
   value. A body does not run once more when Q falls (IEC's final "Q = FALSE" execution is
   not modelled).
In the first scan the initial steps are active, so a transition out of them may fire in it.
Step flags are readable and settable by name (`Fill.X`, `Fill.T` in ms).
"""

from __future__ import annotations

from collections.abc import Callable

from plcpilot.errors import PlcPilotError
from plcpilot.sfc.checks import SECTIONS, ST_STEP_TYPE
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import st_types

SCAN = "plcpilot_scan"  # TIME: the scan time, written before every scan
STARTED = "plcpilot_started"


class _Action:
    """One action as the action control block sees it: its name (or a generated one for an
    inline body), its body or target variable, and its associations."""

    def __init__(self, key: str, body: str | None, variable: str | None):
        self.key, self.body, self.variable = key, body, variable
        self.uses: list[tuple[str, str, str | None, int]] = []  # (step, qualifier, time, n)


OVERFLOW = "plcpilot_overflow"  # set when a transition fires into a step that stays active


def to_st(chart: Chart, scan_input: bool = False) -> str:
    """The chart as an ST FUNCTION_BLOCK of the same name (see the module docstring). With
    `scan_input` the scan time is a VAR_INPUT, free for a model checker (plcpilot.sfc.interpret)
    instead of written by SfcMachine."""
    actions = _actions(chart)
    declared = {v.name.upper() for v in chart.variables}
    decl = [f"TYPE {ST_STEP_TYPE} : STRUCT X : BOOL; T : TIME; END_STRUCT; "
            + " ".join(st_types(chart)) + " END_TYPE", f"FUNCTION_BLOCK {chart.name}"]
    for v in chart.variables:
        init = f" := {v.initial}" if v.initial is not None else ""
        # a VAR_EXTERNAL's global lives in the configuration, which a chart does not carry:
        # here it is the chart's own variable, which a test sets (so never CONSTANT)
        section = "VAR" if v.kind == "external" else SECTIONS[v.kind]
        constant = " CONSTANT" if v.constant and v.kind != "external" else ""
        decl.append(f"{section}{constant} {v.name} : {v.type}{init}; END_VAR")
    internal = [f"{s.name} : {ST_STEP_TYPE};" for s in chart.steps]
    if scan_input:
        decl.append(f"VAR_INPUT {SCAN} : TIME; END_VAR")
    else:
        internal.append(f"{SCAN} : TIME;")
    internal += [f"{STARTED} : BOOL;", f"{OVERFLOW} : BOOL;"]
    internal += [f"plcpilot_fire{k} : BOOL;" for k in range(len(chart.transitions))]
    body = [f"IF NOT {STARTED} THEN", *[f"  {s.name}.X := TRUE;" for s in chart.steps
                                        if s.initial], f"  {STARTED} := TRUE;",
            "ELSE", *[f"  IF {s.name}.X THEN {s.name}.T := {s.name}.T + {SCAN}; END_IF;"
                      for s in chart.steps], "END_IF;"]
    body += _transitions(chart)
    for a in actions:
        internal += [f"plcpilot_q_{a.key} : BOOL;", f"plcpilot_stored_{a.key} : BOOL;"]
        for _, qualifier, _, n in a.uses:
            if qualifier in EDGES:
                internal += [f"plcpilot_was{n} : BOOL;"]
            if qualifier in ("SD", "SL"):
                internal += [f"plcpilot_run{n} : BOOL;", f"plcpilot_t{n} : TIME;"]
        body += _control(a)
    for a in actions:
        if a.variable is not None:
            if a.variable.upper() not in declared:
                raise PlcPilotError(f"action {a.variable} is neither a declared action nor a "
                                    "variable")
            body.append(f"{a.variable} := plcpilot_q_{a.key};")
        else:
            body += [f"IF plcpilot_q_{a.key} THEN", a.body, "END_IF;"]
    return "\n".join([*decl, "VAR", *(f"  {line}" for line in internal), "END_VAR", *body,
                      "END_FUNCTION_BLOCK", ""])


def _condition(chart: Chart, k: int) -> str:
    t = chart.transitions[k]
    if t.condition is not None:
        return t.condition
    if t.reference is not None:
        named = next((b for b in chart.named_transitions if b.name == t.reference), None)
        if named is None or named.text is None or named.language != "ST":
            raise PlcPilotError(f"transition {k + 1} refers to {t.reference}, which has no ST "
                                "body to simulate")
        text = named.text.strip()
        return text[2:].rstrip().rstrip(";") if text.startswith(":=") else text
    if t.network is not None:
        raise PlcPilotError(f"transition {k + 1}'s condition is an LD/FBD network: only ST "
                            "conditions simulate")
    return "TRUE"


def _transitions(chart: Chart) -> list[str]:
    lines, taken_from = [], {}
    for k, t in enumerate(chart.transitions):
        ready = " AND ".join(f"{s}.X" for s in t.source) or "FALSE"
        earlier = sorted({j for s in t.source for j in taken_from.get(s, [])})
        blocked = "".join(f" AND NOT plcpilot_fire{j}" for j in earlier)
        lines.append(f"plcpilot_fire{k} := {ready}{blocked} AND ({_condition(chart, k)});")
        for s in t.source:
            taken_from.setdefault(s, []).append(k)
    for k, t in enumerate(chart.transitions):  # a token into a step no firing empties
        for g in dict.fromkeys(t.target):
            if g in t.source:
                continue
            emptied = "".join(f" AND NOT plcpilot_fire{j}"
                              for j, other in enumerate(chart.transitions) if g in other.source)
            lines.append(f"IF plcpilot_fire{k} AND {g}.X{emptied} THEN {OVERFLOW} := TRUE; "
                         "END_IF;")
            for j in range(k + 1, len(chart.transitions)):  # two tokens entering together
                if g in chart.transitions[j].target:
                    lines.append(f"IF plcpilot_fire{k} AND plcpilot_fire{j} THEN {OVERFLOW} "
                                 ":= TRUE; END_IF;")
    for k, t in enumerate(chart.transitions):  # deactivate every source, then activate targets
        lines.append(f"IF plcpilot_fire{k} THEN " + " ".join(f"{s}.X := FALSE;"
                                                             for s in t.source) + " END_IF;")
    for k, t in enumerate(chart.transitions):
        lines.append(f"IF plcpilot_fire{k} THEN " + " ".join(f"{s}.X := TRUE; {s}.T := T#0s;"
                                                             for s in t.target) + " END_IF;")
    return lines


def _actions(chart: Chart) -> list[_Action]:
    named = {b.name.upper(): b for b in chart.actions}
    by_key: dict[str, _Action] = {}
    n = 0
    for s in chart.steps:
        for i, use in enumerate(s.actions):
            if use.st is not None:
                key = f"{s.name}_{i}"
                by_key[key] = _Action(key, use.st, None)
            else:
                key = use.action.upper()
                if key not in by_key:
                    b = named.get(key)
                    if b is not None and (b.text is None or b.language != "ST"):
                        raise PlcPilotError(f"action {b.name} is {b.language}: only ST "
                                            "actions simulate")
                    by_key[key] = _Action(key, b.text if b else None, None if b else use.action)
            by_key[key].uses.append((s.name, use.qualifier, use.time, n))
            n += 1
    return list(by_key.values())


def _control(a: _Action) -> list[str]:
    """ST for action `a`'s Q: each association's part, then the resets (R wins)."""
    q, stored = f"plcpilot_q_{a.key}", f"plcpilot_stored_{a.key}"
    lines, parts = [], [stored]
    for step, qualifier, time, n in a.uses:
        was, x = f"plcpilot_was{n}", f"{step}.X"
        up, down = f"({x} AND NOT {was})", f"(NOT {x} AND {was})"
        if qualifier == "N":
            parts.append(x)
        elif qualifier in ("P", "P1"):
            parts.append(up)
        elif qualifier == "P0":
            parts.append(down)
        elif qualifier == "S":
            lines.append(f"IF {x} THEN {stored} := TRUE; END_IF;")
        elif qualifier == "L":
            parts.append(f"({x} AND {step}.T < {time})")
        elif qualifier == "D":
            parts.append(f"({x} AND {step}.T >= {time})")
        elif qualifier == "DS":
            lines.append(f"IF {x} AND {step}.T >= {time} THEN {stored} := TRUE; END_IF;")
        elif qualifier in ("SD", "SL"):
            run, t = f"plcpilot_run{n}", f"plcpilot_t{n}"
            lines += [f"IF {run} THEN {t} := {t} + {SCAN}; END_IF;",
                      f"IF {up} THEN {run} := TRUE; {t} := T#0s; END_IF;"]
            parts.append(f"({run} AND {t} >= {time})" if qualifier == "SD"
                         else f"({run} AND {t} < {time})")
    for step, qualifier, _, _ in a.uses:  # after every set: R dominates (IEC)
        if qualifier == "R":
            lines.append(f"IF {step}.X THEN {stored} := FALSE;"
                         + "".join(f" plcpilot_run{m} := FALSE;" for _, qq, _, m in a.uses
                                   if qq in ("SD", "SL")) + " END_IF;")
    lines.append(f"{q} := {' OR '.join(parts)};")
    lines += [f"plcpilot_was{n} := {step}.X;" for step, qualifier, _, n in a.uses
              if qualifier in EDGES]
    return lines


EDGES = ("P", "P1", "P0", "SD", "SL")  # qualifiers that watch a step's activation edge


class SfcMachine:
    """spec.TypedMachine over the ST machine of `to_st`: writes the scan time first."""

    def __init__(self, inner):
        self.inner = inner

    def scan(self, now_ms: int, scan_ms: int) -> None:
        self.inner.write(SCAN, scan_ms)
        self.inner.scan(now_ms, scan_ms)

    def read(self, name: str):
        return self.inner.read(name)

    def write(self, name: str, value) -> None:
        self.inner.write(name, value)

    def type_of(self, name: str) -> str | None:
        return self.inner.type_of(name)

    @property
    def notes(self) -> list[str]:
        return self.inner.notes

    def signals(self) -> list[str]:
        return [s for s in self.inner.signals() if not s.lower().startswith("plcpilot_")]


def simulator(chart: Chart) -> Callable[[], SfcMachine]:
    from plcpilot.st.checker import check_parsed
    from plcpilot.st.interpreter import compile_unit
    from plcpilot.st.parser import parse

    source = to_st(chart)
    parsed = parse(source)
    report = check_parsed(parsed, source)
    if not report.is_valid:
        first = report.errors[0]
        raise PlcPilotError(f"the chart's ST does not check: {first.message} ({first.code}); "
                            "`plcpilot sfc check` shows where")
    new = compile_unit(parsed.unit, chart.name)
    return lambda: SfcMachine(new())
