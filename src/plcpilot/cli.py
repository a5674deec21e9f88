"""The `plcpilot` command: a thin shell over the API (no logic of its own lives here).

Exit codes: 0 valid/passed, 1 invalid/failed, 2 unusable input (PlcPilotError), 130 interrupted.
Everything a command produces (a report, a program, JSON) goes to standard output; progress,
messages and human summaries of a program go to standard error, so `plcpilot generate > p.il`
gives a program and nothing else.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from plcpilot import __version__, languages
from plcpilot.cli_agent import agent_app
from plcpilot.cli_sfc import sfc_app
from plcpilot.cli_train import train_app
from plcpilot.console import Ticker, console, progress_bar, rule, styled, warner
from plcpilot.diagnostics import CheckReport
from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.sources import DEFAULT_MAX_BYTES, read_source, writable, write_atomic
from plcpilot.spec import SimulationReport


def _version(value: bool) -> None:
    if value:
        print(f"plcpilot {__version__}")
        raise typer.Exit()


app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Write, check, simulate and verify PLC programs with local LLMs.")


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
        ] = False) -> None:
    """Write, check, simulate and verify PLC programs with local LLMs."""


tasks_app = typer.Typer(no_args_is_help=True, help="Task sets: verify references and tests.")
app.add_typer(tasks_app, name="tasks")
models_app = typer.Typer(no_args_is_help=True, help="Local models: list, fetch opt-in ones.")
app.add_typer(models_app, name="models")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks: run models over task sets, "
                                                   "report.")
app.add_typer(bench_app, name="bench")
app.add_typer(agent_app, name="agent")
app.add_typer(sfc_app, name="sfc")
app.add_typer(train_app, name="train")
out = console()
err = console(stderr=True)


def _loop_window(chars: int) -> int:
    """0 (off) or a window the rule can use: a unit must fit three times."""
    if chars < 0 or 0 < chars < 3:
        raise typer.BadParameter(f"{chars}: give 0 (off) or a window of at least 3 characters")
    return chars


StopLoopsOpt = Annotated[int, typer.Option(
    "--stop-loops", metavar="CHARS", callback=_loop_window,
    help="Cut an answer where its last CHARS characters repeat one unit (of at most CHARS/3) "
         "and stop decoding there (in-process models); 0: off, the paper's protocol.")]
StopCountsOpt = Annotated[int, typer.Option(
    "--stop-counts", metavar="CHARS", callback=_loop_window,
    help="The same with all digits alike, so counting sequences (D125, D126, ...) are cut too; "
         "real programs count, so use 160 or more. 0: off.")]
OptOpt = Annotated[list[str] | None, typer.Option(
    "--opt", metavar="NAME=VALUE", help="A language option, e.g. --opt cpu=fx2n for FX "
                                        "(repeatable; `plcpilot languages` lists them).")]
CpuOpt = Annotated[str | None, typer.Option("--cpu", help="Same as --opt cpu=CPU.")]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", help=f"Language (default: by file ending, else {languages.DEFAULT}).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
EncodingOpt = Annotated[str, typer.Option("--encoding", help="Text encoding of the file "
                                                             "(a UTF-16 byte-order mark is "
                                                             "recognised without it).")]
MaxBytesOpt = Annotated[int, typer.Option("--max-bytes", min=1, help="Largest input accepted.")]
TemperatureOpt = Annotated[float, typer.Option("--temperature", min=0.0, max=5.0,
                                               help="Sampling temperature (0: greedy).")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens", min=1, max=1_000_000,
                                           help="New tokens per model call.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Model spec: embedded, gguf:PATH, "
                                                       "ollama:TAG, openai:URL#MODEL, "
                                                       "scripted:FILE.")]


def _language(path: str, lang: str | None):
    return languages.get(lang) if lang else languages.for_path(Path(path))


def _options(opt: list[str] | None, cpu: str | None) -> dict[str, str]:
    """--opt NAME=VALUE; --cpu CPU is a thin alias of --opt cpu=CPU (README commands use it)."""
    return languages.parse_options([*(opt or []), *([f"cpu={cpu}"] if cpu else [])])


def print_check(name: str, report: CheckReport, options: dict[str, str], c=out) -> None:
    verdict = ("valid", "green") if report.is_valid else ("invalid", "red")
    tiers = "  ".join(f"{k} {v:.2f}" for k, v in report.tiers.items())
    about = ", ".join([report.language,
                       *languages.shown_options(languages.get(report.language), options)])
    c.print(styled((name, "bold"), ": ", verdict, f" ({about})  "
                   f"{tiers}  overall {report.overall:.3f}"))
    if not (report.errors or report.warnings):
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("line", "", "code", "message"):
        table.add_column(col)
    hinted: set[str] = set()  # a code's fix hint is shown once
    for severity, diags, style in (("error", report.errors, "red"),
                                   ("warning", report.warnings, "yellow")):
        for d in diags:
            message = styled(d.message)
            if d.hint and d.code not in hinted:
                message.append(f"\nfix: {d.hint}", style="dim")
                hinted.add(d.code)
            where = "-" if not d.line else f"{d.line}:{d.column}" if d.column else str(d.line)
            table.add_row(where, styled((severity, style)), d.code, message)
    c.print(table)


FORMATS = ("pretty", "text", "json", "sarif")


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="Program files or folders (their program "
                                                    "files, recursively); - for standard "
                                                    "input.")],
    json_: JsonOpt = False,
    format_: Annotated[str, typer.Option(
        "--format", help="pretty (a table per file), text (file:line:col: severity: message "
                         "[code], for editors), json (the check report), sarif (SARIF 2.1.0, "
                         "for CI code scanning).")] = "pretty",
    opt: OptOpt = None, cpu: CpuOpt = None, lang: LangOpt = None,
    encoding: EncodingOpt = "utf-8", max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> None:
    """Static check of one or more programs; exit 0 valid, 1 invalid, 2 unusable (the worst
    over all files)."""
    from plcpilot.check_formats import FileCheck, as_json, as_lines, as_sarif
    from plcpilot.sources import program_files

    fmt = "json" if json_ else format_
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: choose one of {', '.join(FORMATS)}",
                                 param_hint="--format")
    suffixes = languages.get(lang).suffixes if lang else tuple(
        s for language in languages.load_all().values() for s in language.suffixes)
    paths = program_files(files, suffixes)
    given = _options(opt, cpu)
    involved = {_language(p, lang).name for p in paths}
    languages.check_options(map(languages.get, sorted(involved)), given)
    checks = []
    unknown = [p for p in paths if p != "-" and Path(p).suffix.lower() not in suffixes]
    if unknown and not lang:  # never a silent guess: say which language reads them
        err.print(styled(("note: ", "yellow"), f"{', '.join(unknown[:3])}"
                         f"{' …' if len(unknown) > 3 else ''}: no installed language has this "
                         f"file ending; checked as {languages.for_path(Path(unknown[0])).name} "
                         "(choose with --lang)"))
    for path in paths:
        try:
            source = read_source(path, encoding=encoding, max_bytes=max_bytes)
            language = _language(path, lang)
            checks.append(FileCheck(path, language.check(
                source, **languages.options_for(language, given))))
        except PlcPilotError as e:
            if len(paths) == 1:
                raise
            checks.append(FileCheck(path, error=str(e)))
            err.print(styled(("error: ", "red"), str(e)))
    if fmt == "pretty":
        for c in checks:
            if c.report is not None:
                print_check(c.path, c.report, given)
        if len(checks) > 1:
            counts = [sum(c.exit_code == k for c in checks) for k in (0, 1, 2)]
            out.print(styled((f"{len(checks)} files: ", "bold"), f"{counts[0]} valid, "
                             f"{counts[1]} invalid, {counts[2]} unusable"))
    else:
        print({"text": as_lines, "json": as_json, "sarif": as_sarif}[fmt](checks),
              end="" if fmt == "text" else "\n")
    raise typer.Exit(max(c.exit_code for c in checks))


def _print_simulation(report: SimulationReport, c=out) -> None:
    for t in report.tests:
        mark = ("PASS", "green") if t.passed else ("FAIL", "red")
        c.print(styled(mark, f" {t.name} ", (f"({t.scans} scans)", "dim")))
        if t.error:
            c.print(styled("     ", (t.error, "red")))
        for f in t.failures:
            span = f" for {f.scans} scan(s) from" if f.kind == "hold" else " at"
            c.print(styled(f"     {f.name}: {f.describe()}{span} {f.at_ms} ms"))
    for note in report.notes:
        c.print(styled(("not simulated", "yellow"), f" {note}"))
    passed = sum(t.passed for t in report.tests)
    c.print(styled((f"{passed}/{len(report.tests)} tests passed", "bold")))


@app.command()
def simulate(
    file: Annotated[str, typer.Argument(help="Program file, or - for standard input.")],
    tests: Annotated[Path, typer.Option("--tests", help="Task file holding the tests.")],
    task: Annotated[str | None, typer.Option("--task", help="Task id in the file.")] = None,
    json_: JsonOpt = False, opt: OptOpt = None, cpu: CpuOpt = None, lang: LangOpt = None,
    trace: Annotated[Path | None, typer.Option("--trace", help="Write every scan to CSV.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Timing diagram PNG of the first "
                                                             "test.")] = None,
    signals: Annotated[str | None, typer.Option(
        "--signals", help="Comma-separated devices to trace/plot (default: the devices the tests "
                          "name, then the program's bit devices, 16 at most).")] = None,
    max_scans: Annotated[int, typer.Option("--max-scans", min=1, help="Bound per test.")
                         ] = 500_000,
    max_seconds: Annotated[float, typer.Option("--max-seconds", min=0.001,
                                               help="Wall-time bound per test.")] = 60.0,
    encoding: EncodingOpt = "utf-8", max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> None:
    """Run a task's behavioural tests on a program; exit 0 all passed, 1 one failed, 2 unusable."""
    from plcpilot.spec import Trace, find_task, load_tasks, run_tests

    for path, what in ((trace, "--trace"), (plot, "--plot")):
        if path is not None:
            writable(path, what)
    chosen = find_task(load_tasks(tests), task)
    if not chosen.tests:
        raise PlcPilotError(f"task {chosen.id!r} has no tests")
    language = languages.get(lang) if lang else languages.get(chosen.language)
    given = _options(opt, cpu)
    languages.check_options([language], given)
    source = read_source(file, encoding=encoding, max_bytes=max_bytes)
    factory = languages.simulator(language, source, given, chosen.entry)
    recorder = None
    if trace or plot:
        names = ([s.strip() for s in signals.split(",") if s.strip()] if signals else
                 _default_signals(chosen, factory()))
        probe = factory()
        for name in names:  # an unknown signal is an error now, not after the run
            try:
                probe.read(name)
            except PlcPilotError as e:
                raise PlcPilotError(f"--signals {name}: {e}") from None
        recorder = Trace(names)
    report = run_tests(factory, chosen.tests, task=chosen.id, trace=recorder,
                       max_scans=max_scans, max_seconds=max_seconds)
    if recorder and trace:
        recorder.write_csv(trace)
    if recorder and plot:
        recorder.plot(plot)
    if json_:
        print(report.to_json())
    else:
        _print_simulation(report)
        for path, what in ((trace, "trace"), (plot, "timing diagram")):
            if path:
                out.print(styled((f"{what}: {path}", "dim")))
    raise typer.Exit(0 if report.passed else 1)


def _default_signals(task, machine) -> list[str]:
    """The devices the tests name, then the program's own bit devices."""
    named: dict[str, None] = {}
    for test in task.tests:
        for e in test.timeline:
            for name in e.names:
                named.setdefault(name.upper())
    for name in machine.signals():
        named.setdefault(name)
    return list(named)[:16]


def _report_path(program: Path) -> Path:
    """Where `generate -o FILE` keeps the report: beside the program, FILE's stem + .report.json."""
    return program.with_name(program.stem + ".report.json")


@app.command()
def generate(
    request: Annotated[str | None, typer.Argument(
        help="What the program should do, in words (default: the --task's prompt).")] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help=f"Language to write (default: the --task's, else {languages.DEFAULT})."
    )] = None,
    model: ModelOpt = "embedded",
    k: Annotated[int, typer.Option("--k", min=0, max=20, help="Examples retrieved (0: none).")
                 ] = 3,
    no_rag: Annotated[bool, typer.Option("--no-rag", help="No retrieved examples.")] = False,
    no_grammar: Annotated[bool, typer.Option("--no-grammar", help="Free decoding.")] = False,
    repair: Annotated[int, typer.Option("--repair", min=0, max=20, help="Repair rounds.")] = 2,
    tests: Annotated[Path | None, typer.Option("--tests", help="Task file with tests to "
                                                               "judge the program.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Task id in --tests.")] = None,
    template: Annotated[str, typer.Option("--template", help="two-part or code-only (free "
                                                             "decoding).")] = "two-part",
    max_tokens: MaxTokensOpt = 1024,
    temperature: TemperatureOpt = 0.7,
    seed: Annotated[int | None, typer.Option("--seed", min=0)] = None,
    stop_loops: StopLoopsOpt = 0,
    stop_counts: StopCountsOpt = 0,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the program to FILE and the report beside it "
                               "(FILE's stem + .report.json) after every round, so a killed "
                               "run keeps its finished rounds.")] = None,
    opt: OptOpt = None, cpu: CpuOpt = None, json_: JsonOpt = False,
) -> None:
    """Natural language in; a checked (and, with --tests, tested) program out.

    The program (or with --json the whole report) goes to standard output; progress and the
    report for people go to standard error. With a task, retrieval leaves that task out (its
    reference is never an example). Ctrl-C keeps the rounds already finished."""
    from plcpilot.generate.pipeline import Settings
    from plcpilot.generate.pipeline import generate as run
    from plcpilot.generate.prompts import TEMPLATES
    from plcpilot.llm.base import Sampling
    from plcpilot.spec import find_task, load_tasks

    if template not in TEMPLATES:
        raise PlcPilotError(f"unknown template {template!r}; one of {', '.join(TEMPLATES)}")
    if output is not None:
        writable(output, "--output")
        writable(_report_path(output), "the report")
    chosen = find_task(load_tasks(tests), task) if tests else None
    if request is None:
        if chosen is None:
            raise PlcPilotError("say what the program should do, or name a task with "
                                "--tests FILE --task ID")
        request = chosen.prompt
    if chosen is not None and lang is not None and lang != chosen.language:
        raise PlcPilotError(f"task {chosen.id!r} is written in {chosen.language}, not {lang}: "
                            "drop --lang (the task's language decides)")
    language = chosen.language if chosen else lang or languages.DEFAULT
    settings = Settings(language=language, model=model, rag=not no_rag and k > 0, k=k,
                        grammar=not no_grammar, repair=repair, template=template,
                        options=_options(opt, cpu),
                        sampling=Sampling(max_tokens=max_tokens, temperature=temperature,
                                          seed=seed, stop_loops=stop_loops,
                                          stop_counts=stop_counts))
    kept = []  # the generation after its last finished round

    def finished_round(g) -> None:
        kept[:] = [g]
        if output is not None:
            write_atomic(output, _exported(language, g.program, output))
            write_atomic(_report_path(output), g.to_json() + "\n")
        err.print(_round_line(g.final, settings.repair + 1))

    with Ticker(err) as ticker:
        try:
            result = run(request, settings, task=chosen, on_round=finished_round,
                         progress=lambda status: ticker.update(*status.describe()))
        except KeyboardInterrupt:
            if not kept:
                err.print(styled(("interrupted", "yellow"), " before the first round finished: "
                                                            "nothing to keep"))
                raise typer.Exit(130) from None
            result = kept[0]
            result.interrupted = True
    if json_:
        print(result.to_json())
    else:
        _print_generation(result, to_stdout=output is None)
    if output is not None:
        err.print(styled((f"program: {output}, report: {_report_path(output)}", "dim")))
    if result.interrupted:
        err.print(styled(("interrupted", "yellow"), f" after round {len(result.attempts)} of "
                                                    f"{settings.repair + 1}"))
        raise typer.Exit(130)
    passed = result.is_valid and result.behaviour_passed is not False
    raise typer.Exit(0 if passed else 1)


def _round_line(a, rounds: int):
    sim = a.simulation
    tests = f", tests {sum(t.passed for t in sim.tests)}/{len(sim.tests)}" if sim else ""
    closed = ", closed" if a.closed_truncated else ""
    return styled((f"round {a.round + 1}/{rounds}: {a.tokens_out} tokens in {a.decode_s:.1f} s "
                   f"({a.finish_reason}{closed}), {len(a.check.errors)} check errors, "
                   f"{len(a.check.warnings)} warnings{tests}", "dim"))


def _exported(language: str, program: str, output: Path) -> str:
    """The program in the format OUTPUT's ending asks for, when the language converts to it
    (SFC: .xml is PLCopen TC6); otherwise as generated. A program that does not convert (it
    does not check) is written as generated."""
    lang = languages.get(language)
    if isinstance(lang, languages.Exports) and output.suffix.lower() in lang.export_suffixes:
        try:
            return lang.export(program, output.suffix.lower())
        except PlcPilotError:
            return program
    return program


def _print_generation(result, to_stdout: bool) -> None:
    """The program on standard output; what people read about it on standard error."""
    if result.exemplars:
        shown = ", ".join(f"{e['id']} ({e['score']:.2f})" for e in result.exemplars)
        err.print(styled((f"examples: {shown}", "dim")))
    if to_stdout:
        rule(err, "program")
        sys.stderr.flush()
        print(result.program.rstrip(), flush=True)
        rule(err)
    print_check("program", result.final.check, result.settings["options"], c=err)
    if result.final.simulation is not None:
        _print_simulation(result.final.simulation, c=err)
    elif result.final.simulation_error:
        err.print(styled((result.final.simulation_error, "red")))
    t = result.timings
    err.print(styled((f"retrieve {t['retrieve_ms']:.0f} ms, decode {t['decode_s']:.1f} s, "
                      f"check {t['check_s'] * 1000:.1f} ms, simulate "
                      f"{t['simulate_s'] * 1000:.1f} ms, total {t['total_s']:.1f} s", "dim")))


@tasks_app.command("verify")
def tasks_verify(
    paths: Annotated[list[Path] | None, typer.Argument(help="Task files or folders (default: the "
                                                           "shipped FX task set).")] = None,
    opt: OptOpt = None, cpu: CpuOpt = None, json_: JsonOpt = False,
    show: Annotated[int, typer.Option("--show", min=0, help="Problems listed per failing "
                                                            "task.")] = 3,
) -> None:
    """Check every reference and run every test; print a table per category."""
    from plcpilot.paths import shipped_tasks
    from plcpilot.spec import load_tasks
    from plcpilot.verify import by_category, verify_tasks

    tasks = [t for p in (paths or [shipped_tasks()]) for t in load_tasks(p)]
    with progress_bar(err, disable=json_) as bar:
        job = bar.add_task("verifying", total=len(tasks))
        verdicts = verify_tasks(tasks, _options(opt, cpu), progress=lambda v: bar.advance(job))
    if json_:
        import json

        print(json.dumps([v.model_dump() for v in verdicts], indent=2))
    else:
        table = Table(title=f"{len(tasks)} tasks", header_style="bold")
        table.add_column("category", no_wrap=True)
        for col in ("tasks", "refs valid", "tests passed", "tasks passed", "s"):
            table.add_column(col, justify="right")
        for cat, r in by_category(verdicts).items():
            style = "bold" if cat == "all" else ""
            table.add_row(cat, str(r["tasks"]), f"{r['valid']}/{r['tasks']}",
                          f"{r['tests_passed']}/{r['tests']}", f"{r['passed']}/{r['tasks']}",
                          f"{r['seconds']:.2f}", style=style)
        out.print(table)
        for v in verdicts:
            if not v.passed:
                out.print(styled(("FAIL", "red"), f" {v.id}"))
                for p in v.problems[:show]:
                    out.print(styled(f"     {p}"))
            for note in v.notes:
                out.print(styled(("not simulated", "yellow"), f" {v.id}: {note}"))
    raise typer.Exit(0 if all(v.passed for v in verdicts) else 1)


@tasks_app.command("mutate")
def tasks_mutate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Task files or folders (default: the "
                                                           "shipped FX task set).")] = None,
    opt: OptOpt = None, cpu: CpuOpt = None,
) -> None:
    """Mutation check (for languages that offer mutants; FX: swap inputs, change presets); list
    mutants the tests fail to kill."""
    from plcpilot.paths import shipped_tasks
    from plcpilot.spec import load_tasks
    from plcpilot.verify import mutation_checks

    tasks = [t for p in (paths or [shipped_tasks()]) for t in load_tasks(p)]
    with progress_bar(err) as bar:
        job = bar.add_task("mutating", total=len(tasks))

        def mutating(t) -> None:
            bar.update(job, description=f"mutating {t.id}", advance=1)

        outcomes = mutation_checks(tasks, _options(opt, cpu), progress=mutating)
    survivors = [o for o in outcomes if not o.killed and not o.exempt]
    for o in survivors:
        out.print(styled(("survived", "red"), f" {o.task}: {o.mutant}"))
    killed = sum(o.killed for o in outcomes)
    exempt = sum(o.exempt and not o.killed for o in outcomes)
    out.print(styled((f"{killed}/{len(outcomes)} mutants killed", "bold"),
                     f", {exempt} declared equivalent, {len(survivors)} surviving, over "
                     f"{len(tasks)} tasks"))
    raise typer.Exit(1 if survivors else 0)


@bench_app.command("run")
def bench_run(
    tasks: Annotated[list[Path], typer.Option("--tasks", help="Task files or folders.")],
    model: Annotated[list[str], typer.Option("--model", help="Model spec (repeatable).")],
    mode: Annotated[list[str], typer.Option("--mode", help="llm-only, rag, rag+grammar, "
                                                           "rag+grammar+repair (repeatable).")],
    run_dir: Annotated[Path, typer.Option("--out", help="Run folder (resumed if it exists).")],
    samples: Annotated[int, typer.Option("--samples", min=1, max=1000,
                                         help="Samples per task (Pass@k).")] = 1,
    temperature: TemperatureOpt = 0.7,
    top_k: Annotated[int, typer.Option("--top-k", min=0)] = 40,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, max=1_000_000,
                                            help="New tokens per call (use 4096 for thinking "
                                                 "models).")] = 1024,
    k: Annotated[int, typer.Option("--k", min=0, max=20, help="Retrieved examples.")] = 3,
    every: Annotated[int, typer.Option("--every", min=1, help="Take every n-th task.")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Then only the first n "
                                                                     "tasks.")] = None,
    stop_loops: StopLoopsOpt = 0,
    stop_counts: StopCountsOpt = 0,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=256,
                                             help="Parallel requests to servers.")] = 4,
    examples: Annotated[list[Path] | None, typer.Option(
        "--examples", help="Task files whose references retrieval draws on, besides the run's "
                           "own (for tasks without references, e.g. Agents4PLC's); never run."
    )] = None,
    examples_only: Annotated[bool, typer.Option(
        "--examples-only", help="Retrieve only from --examples, never from the run's own tasks "
                                "(a held-out family without its siblings as exemplars).")] = False,
    bmc: Annotated[int, typer.Option("--bmc", min=0, max=200, help="Tasks with properties: "
                                     "also bounded model checking over this many cycles (z3; "
                                     "0: simulation only).")] = 0,
    opt: OptOpt = None, cpu: CpuOpt = None,
) -> None:
    """Run (or resume) a benchmark; samples are appended to OUT/samples.jsonl as they finish.
    Tasks with PLCverif-style properties instead of tests (Agents4PLC's folder can be given
    as it is) get the paper's syntax and verification pass."""
    from plcpilot.bench.report import write_report
    from plcpilot.bench.runner import run

    with progress_bar(err) as bar:
        job = bar.add_task("samples", total=None)

        def total(n: int, done: int) -> None:
            bar.update(job, total=n, completed=done)

        def progress(r: dict) -> None:
            verdict = "error" if r["error"] else ("valid" if r["is_valid"] else "invalid")
            if r.get("verification_passed") is not None:
                verdict += ", verified" if r["verification_passed"] else ", not verified"
            bar.update(job, advance=1, description=f"{r['task_id']} {r['mode']}: {verdict}")

        if bmc:
            optional_import("z3", "bounded model checking", "verify", "z3-solver")
        records = run(tasks, model, mode, run_dir, samples=samples, temperature=temperature,
                      top_k=top_k, max_tokens=max_tokens, stop_loops=stop_loops,
                      stop_counts=stop_counts, k=k, options=_options(opt, cpu), every=every,
                      limit=limit, examples=examples or [],
                      examples_only=examples_only, bmc=bmc,
                      concurrency=concurrency, progress=progress, total=total, warn=warner(err))
    report = write_report(run_dir)
    errors = sum(r["error"] is not None for r in records)
    out.print(f"{len(records)} samples ({errors} errors) in {run_dir}; report: {report}")


@bench_app.command("report")
def bench_report(run_dir: Annotated[Path, typer.Argument(help="A bench run folder.")]) -> None:
    """Write summary.json, report.md and the plots of a run (finished or not)."""
    from plcpilot.bench.report import write_report

    if not (run_dir / "config.json").is_file():
        raise PlcPilotError(f"{run_dir} is not a bench run folder (no config.json)")
    out.print(f"report: {write_report(run_dir, warn=warner(err))}")


@tasks_app.command("properties")
def tasks_properties(
    program: Annotated[str, typer.Argument(help="ST program file, or - for standard input.")],
    tests: Annotated[Path, typer.Option("--tests", help="Task file with the properties (e.g. "
                                                        "from `tasks import agents4plc`).")],
    task: Annotated[str | None, typer.Option("--task", help="Task id in the file.")] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, max=100_000, help="Input sequences.")
                    ] = 200,
    cycles: Annotated[int, typer.Option("--cycles", min=1, max=100_000, help="PLC cycles per "
                                                                           "sequence.")] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the input sequences.")] = 0,
    bmc: Annotated[int | None, typer.Option("--bmc", min=1, max=200, help="Instead of simulating, "
                                            "check every input sequence of up to this many "
                                            "cycles with z3 (bounded model checking).")] = None,
    json_: JsonOpt = False, encoding: EncodingOpt = "utf-8",
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> None:
    """Check a task's PLCverif-style properties on a program by simulation over generated input
    sequences (random, boundary and held values; no counterexample is not a proof), or with
    --bmc K by z3 over every input sequence of up to K cycles (a proof bounded by K). A
    counterexample refutes a property. Exit 0 none violated, 1 one violated, 2 unusable input."""
    from plcpilot.spec import find_task, load_tasks
    from plcpilot.st.properties import check_properties

    chosen = find_task(load_tasks(tests), task)
    source = read_source(program, encoding=encoding, max_bytes=max_bytes)
    with Ticker(err, enabled=not json_) as ticker:
        if bmc is None:
            ticker.update(f"simulating {runs} runs of {cycles} cycles")
            report = check_properties(chosen, source, runs=runs, cycles=cycles, seed=seed)
        else:
            optional_import("z3", "bounded model checking", "verify", "z3-solver")
            from plcpilot.st.bmc import bmc_properties

            ticker.update(f"bounded model checking, {bmc} cycles")
            report = bmc_properties(chosen, source, k=bmc)
    how = (f"{report.runs} runs x {report.cycles} cycles" if bmc is None
           else f"every input sequence of up to {bmc} cycles (z3)")
    if json_:
        print(report.model_dump_json(indent=2))
    else:
        table = Table(title=f"{chosen.id}: parses {report.parses}, type-checks "
                            f"{report.type_checks}, {how}",
                      header_style="bold")
        for col in ("verdict", "pattern", "property"):
            table.add_column(col)
        for p in report.properties:
            colour = {"violated": "red", "held": "green", "reached": "green", "proved": "green",
                      "unknown": "yellow", "not feasible": "yellow"}.get(p.verdict, "")
            table.add_row(Text(p.verdict, style=colour), Text(p.pattern),
                          Text(p.description or "; ".join(p.expressions)))
        out.print(table)
        for p in report.properties:
            if p.counterexample is not None:
                c = p.counterexample
                out.print(styled(("counterexample", "red"), f" to {p.pattern} "
                                 f"({'; '.join(p.expressions)}): cycle {c.cycle} of "
                                 f"{c.scan_ms} ms, inputs {c.inputs[-1]}, values {c.values}"))
        for problem in report.problems:
            out.print(styled(("problem", "yellow"), f" {problem}"))
        out.print(styled(report.note))
    raise typer.Exit(1 if any(p.verdict == "violated" for p in report.properties) else 0)


@tasks_app.command("import")
def tasks_import(
    kind: Annotated[str, typer.Argument(help="agents4plc")],
    files: Annotated[list[Path], typer.Argument(help="Files to import.")],
    to: Annotated[Path, typer.Option("--out", help="JSONL task file to write.")],
) -> None:
    """Import a third-party benchmark as a task file (validated on the way)."""
    import json

    from plcpilot.importers import import_agents4plc

    if kind != "agents4plc":
        raise PlcPilotError(f"unknown importer {kind!r}; available: agents4plc")
    writable(to, "--out")
    tasks = [t for f in files for t in import_agents4plc(f)]
    write_atomic(to, "".join(json.dumps(t.model_dump(exclude_none=True)) + "\n" for t in tasks))
    out.print(f"{len(tasks)} tasks written to {to}")


@models_app.command("list")
def models_list() -> None:
    """Known local models and where they are."""
    from plcpilot.llm.models import KNOWN, model_path

    for name, m in KNOWN.items():
        try:
            where = (str(model_path(name)), "green")
        except PlcPilotError as e:
            where = (str(e), "yellow")
        out.print(styled((name, "bold"), f" ({m.licence}): {m.note}\n    ", where))


@models_app.command("fetch")
def models_fetch(name: Annotated[str, typer.Argument(help="qwen2.5-coder-1.5b")]) -> None:
    """Download an opt-in model into the user's cache, verifying size and sha256."""
    from plcpilot.llm.fetch import fetch_qwen

    if name != "qwen2.5-coder-1.5b":
        raise PlcPilotError(f"nothing to fetch for {name!r}; fetchable: qwen2.5-coder-1.5b")
    with Ticker(err) as ticker:
        path = fetch_qwen(progress=ticker.update)
    out.print(f"{name}: {path} (use --model embedded:{name})")


@app.command()
def explain(
    code: Annotated[str | None, typer.Argument(
        help="Diagnostic code, e.g. stack-unbalanced or fx-il/stack-unbalanced (a code several "
             "languages define needs its language).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Look the code up in this "
                                                            "language.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List every diagnostic code.")] = False,
) -> None:
    """What a diagnostic code means and how to fix it (--list: every code)."""
    from plcpilot.diagnostics import all_codes
    from plcpilot.diagnostics import explain as lookup

    if list_:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("code", "severity", "title"):
            table.add_column(col)
        for name, c in all_codes():
            if lang is None or languages.get(lang).name == name:
                table.add_row(f"{name}/{c.code}", c.severity, c.title)
        out.print(table)
        return
    if code is None:
        raise PlcPilotError("name a diagnostic code (e.g. plcpilot explain stack-unbalanced), "
                            "or list them all with --list")
    name, c = lookup(code, lang)
    out.print(styled((f"{name}/{c.code}", "bold"), f" ({c.severity}): {c.title}\n"
                     f"{c.explanation}\n", ("fix:", "green"), f" {c.hint}"))


@app.command("languages")
def list_languages() -> None:
    """The installed languages (built-in and plug-ins)."""
    for name, lang in sorted(languages.load_all().items()):
        out.print(styled(f"{name:8} {lang.title}  ", (f"({', '.join(lang.suffixes)})", "dim")))
        for o in lang.options:
            out.print(styled(f"         --opt {o.name}=", (" | ".join(o.allowed), "bold"),
                             f"  {o.help}"))


def _terminated(signum, frame) -> None:
    """SIGTERM ends a command the way Ctrl-C does, so it can keep what it finished."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except PlcPilotError as e:
        err.print(styled(("error: ", "red"), str(e)))
        sys.exit(2)
    except KeyboardInterrupt:
        err.print(styled(("interrupted", "yellow")))
        sys.exit(130)
