"""Structural and ST checks of a chart (`plcpilot sfc check`), with the report shape every
language uses (FORMATS.md §2): tiers `structure` (share of structural rules held) and `st`
(share of conditions and actions whose ST checks), errors and warnings with codes.

Pairing of parallel divergences and convergences is checked by giving every step the stack
of parallel branches it lies in (its region): a parallel divergence pushes one entry per
branch, the convergence that closes it must join one step of each of its branches, all under
the same stack, and pops it. A step reached under two different stacks is entered from two
regions: a jump into or out of a parallel region, or branches joined by the wrong kind of
convergence. Safety (reachability, token overflow, deadlock) is plcpilot.sfc.safety's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from plcpilot.diagnostics import CheckReport, Diagnostic
from plcpilot.sfc.codes import CODES
from plcpilot.sfc.model import TIMED, Chart, Transition

Region = tuple[tuple[int, int], ...]  # (index of the divergence transition, branch) per level
STRUCTURE_RULES = ("initial-steps", "duplicate-step", "bad-step-name", "unknown-step",
                   "no-source", "no-target",
                   "unpaired-convergence", "mixed-regions", "unknown-action",
                   "unknown-transition", "missing-time")
ST_STEP_TYPE = "plcpilot_sfc_step"
SECTIONS = {"input": "VAR_INPUT", "output": "VAR_OUTPUT", "in_out": "VAR_IN_OUT",
            "local": "VAR", "temp": "VAR_TEMP", "external": "VAR_EXTERNAL", "global": "VAR"}


@dataclass
class Finding:
    code: str
    where: str  # "step S1", "transition 3 (S1 -> S2 [x])", "action A"
    message: str

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(code=self.code, message=f"{self.where}: {self.message}",
                          hint=CODES[self.code].hint)


def check_chart(chart: Chart, multiple_initial: bool = False) -> CheckReport:
    findings = list(structure(chart, multiple_initial))
    st_findings, pieces = st_problems(chart)
    findings += st_findings
    errors = [f.diagnostic() for f in findings if CODES[f.code].severity == "error"]
    warnings = [f.diagnostic() for f in findings if CODES[f.code].severity != "error"]
    broken = {f.code for f in findings} & set(STRUCTURE_RULES)
    bad_pieces = len({f.where for f in st_findings})
    tiers = {"structure": 1 - len(broken) / len(STRUCTURE_RULES),
             "st": 1.0 if not pieces else 1 - bad_pieces / pieces}
    return CheckReport(language="sfc", is_valid=not errors, tiers=tiers,
                       overall=round(sum(tiers.values()) / len(tiers), 3), errors=errors,
                       warnings=warnings,
                       stats={"steps": len(chart.steps), "transitions": len(chart.transitions),
                              "st_pieces": pieces})


def where_transition(k: int, t: Transition) -> str:
    return f"transition {k + 1} ({t.label})"


# ---- structure -----------------------------------------------------------------------------

def structure(chart: Chart, multiple_initial: bool = False) -> Iterator[Finding]:
    names = Counter(s.name for s in chart.steps)
    for name, n in names.items():
        if n > 1:
            yield Finding("duplicate-step", f"step {name}", f"{n} steps are named {name}")
    yield from _step_names(chart)
    initial = [s.name for s in chart.steps if s.initial]
    if not initial or (len(initial) > 1 and not multiple_initial):
        yield Finding("initial-steps", "chart",
                      f"{len(initial)} initial steps" + (f" ({', '.join(initial)})"
                                                         if initial else ""))
    entered, left = set(), set()
    named_conditions = {b.name for b in chart.named_transitions}
    for k, t in enumerate(chart.transitions):
        where = where_transition(k, t)
        if not t.source:
            yield Finding("no-source", where, "no step precedes it")
        if not t.target:
            yield Finding("no-target", where, "it leads to no step")
        for name in t.source + t.target:
            if name not in names:
                kind = "jump target" if t.jump and name in t.target else "step"
                yield Finding("unknown-step", where, f"{kind} {name} does not exist")
        if t.reference is not None and t.reference not in named_conditions:
            yield Finding("unknown-transition", where, f"no named transition {t.reference}")
        entered.update(t.target)
        left.update(t.source)
    for s in chart.steps:
        if s.name not in left:
            yield Finding("dead-end", f"step {s.name}", "no transition leaves it")
        if s.name not in entered and not s.initial:
            yield Finding("never-entered", f"step {s.name}", "no transition enters it")
    yield from _actions(chart)
    yield from _regions(chart)


def _step_names(chart: Chart) -> Iterator[Finding]:
    """A step's flags are ST (`Name.X`): its name must read as a name there."""
    from plcpilot.st.parser import parse_expression, parse_statements

    variables = {v.name.upper() for v in chart.variables}
    for s in chart.steps:
        if s.name.upper() in variables:
            yield Finding("bad-step-name", f"step {s.name}", "a variable has the same name "
                          "(IEC names ignore case)")
        elif parse_expression(f"{s.name}.X")[1] or parse_statements(f"{s.name}.X := TRUE;")[1]:
            yield Finding("bad-step-name", f"step {s.name}", "an ST keyword cannot name a step")


def _actions(chart: Chart) -> Iterator[Finding]:
    known = {a.name.upper() for a in chart.actions} | {v.name.upper() for v in chart.variables}
    for s in chart.steps:
        for a in s.actions:
            where = f"step {s.name}, action {a.action or 'inline'} ({a.qualifier})"
            if a.action is not None and a.action.upper() not in known:
                yield Finding("unknown-action", where, f"{a.action} is neither a declared "
                              "action nor a variable")
            if a.qualifier in TIMED and a.time is None:
                yield Finding("missing-time", where, f"{a.qualifier} needs a time")
            if a.qualifier not in TIMED and a.time is not None:
                yield Finding("needless-time", where, f"{a.qualifier} takes no time "
                              f"({a.time} is ignored)")


def _regions(chart: Chart) -> Iterator[Finding]:
    """Propagate each step's region (see the module docstring) from the initial steps."""
    steps = {s.name for s in chart.steps}
    region: dict[str, Region] = {s.name: () for s in chart.steps if s.initial}
    reported: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for k, t in enumerate(chart.transitions):
            if not t.source or not all(s in region for s in t.source):
                continue
            out = _after(chart, k, t, [region[s] for s in t.source])
            if isinstance(out, Finding):
                if (out.code, out.where) not in reported:
                    reported.add((out.code, out.where))
                    yield out
                continue
            for i, name in enumerate(t.target):
                if name not in steps:
                    continue
                mine = out + (((k, i),) if len(t.target) > 1 else ())
                if name not in region:
                    region[name] = mine
                    changed = True
                elif region[name] != mine and ("mixed", name) not in reported:
                    reported.add(("mixed", name))
                    how = "jump" if t.jump else "transition"
                    yield Finding("mixed-regions", f"step {name}",
                                  f"the {how} {where_transition(k, t)} enters it from "
                                  f"{_describe(chart, mine)}, other transitions from "
                                  f"{_describe(chart, region[name])}")


def _after(chart: Chart, k: int, t: Transition, sources: list[Region]) -> Region | Finding:
    """The region after transition k fires, or why its sources cannot be joined."""
    if len(sources) == 1:
        return sources[0]
    where = where_transition(k, t)
    tops = [r[-1] if r else None for r in sources]
    outer = {r[:-1] for r in sources if r}
    divergences = {top[0] for top in tops if top is not None}
    branches = [top[1] for top in tops if top is not None]
    if None in tops or len(outer) != 1 or len(divergences) != 1:
        return Finding("unpaired-convergence", where, "its source steps do not lie in the "
                       "branches of one parallel divergence")
    (d,) = divergences
    opened = len(chart.transitions[d].target)
    if sorted(branches) != list(range(opened)):
        return Finding("unpaired-convergence", where,
                       f"{where_transition(d, chart.transitions[d])} opens {opened} branches; "
                       f"this joins branch(es) {', '.join(str(b + 1) for b in sorted(branches))}")
    return next(iter(outer))


def _describe(chart: Chart, region: Region) -> str:
    if not region:
        return "outside any parallel region"
    d, branch = region[-1]
    return f"branch {branch + 1} of {where_transition(d, chart.transitions[d])}"


# ---- ST ------------------------------------------------------------------------------------

def st_problems(chart: Chart) -> tuple[list[Finding], int]:
    """Every condition and ST action checked against the chart's declarations and step
    flags, in one wrapper FUNCTION_BLOCK; (findings, number of ST pieces)."""
    from plcpilot.sfc.plcopen import st_types
    from plcpilot.st.checker import check

    pieces = list(_pieces(chart))
    if not pieces:
        return [], 0
    types = " ".join(st_types(chart))
    lines = [f"TYPE {ST_STEP_TYPE} : STRUCT X : BOOL; T : TIME; END_STRUCT; {types} END_TYPE",
             f"FUNCTION_BLOCK {chart.name}"]
    for v in chart.variables:
        section = SECTIONS[v.kind] + (" CONSTANT" if v.constant else "")
        init = f" := {v.initial}" if v.initial is not None else ""
        lines.append(f"{section} {v.name} : {v.type}{init}; END_VAR")
    steps = " ".join(f"{s.name} : {ST_STEP_TYPE};" for s in chart.steps)
    lines.append(f"VAR {steps} plcpilot_condition : BOOL; END_VAR")
    first_body_line = len(lines) + 1
    owner: list[str] = []  # per body line, the piece it belongs to
    for where, text, is_condition in pieces:
        body = f"plcpilot_condition := {text};" if is_condition else text
        for line in body.splitlines() or [""]:
            lines.append(line)
            owner.append(where)
    lines.append("END_FUNCTION_BLOCK")
    report = check("\n".join(lines) + "\n")
    findings, seen = [], set()
    for d in report.errors:
        if d.line is None or not first_body_line <= d.line < first_body_line + len(owner):
            continue  # a declaration the project defines elsewhere (a type, an FB)
        where = owner[d.line - first_body_line]
        if (where, d.message) not in seen:
            seen.add((where, d.message))
            findings.append(Finding("st-error", where, f"{d.message} (st/{d.code})"))
    return findings, len(pieces)


def _pieces(chart: Chart) -> Iterator[tuple[str, str, bool]]:
    """(where, ST text, is a condition) for each piece of ST in the chart."""
    for k, t in enumerate(chart.transitions):
        if t.condition is not None:
            yield where_transition(k, t), t.condition, True
    for b in chart.named_transitions:
        if b.language == "ST" and b.text is not None:
            text = b.text.strip()
            if text.startswith(":="):  # IEC's textual form `:= expression;`
                text = text[2:].rstrip().rstrip(";")
            yield f"named transition {b.name}", text, True
    for s in chart.steps:
        for a in s.actions:
            if a.st is not None:
                yield f"step {s.name}, inline action ({a.qualifier})", a.st, False
    for b in chart.actions:
        if b.language == "ST" and b.text is not None:
            yield f"action {b.name}", b.text, False
