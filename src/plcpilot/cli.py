"""The `plcpilot` command: a thin shell over the API (no logic of its own lives here).

Exit codes (FORMATS.md): 0 valid/passed, 1 invalid/failed, 2 unusable input (PlcPilotError).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plcpilot import languages
from plcpilot.cli_agent import agent_app
from plcpilot.diagnostics import CheckReport
from plcpilot.errors import PlcPilotError
from plcpilot.sources import DEFAULT_MAX_BYTES, read_source
from plcpilot.spec import SimulationReport

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Write, check, simulate and verify PLC programs with local LLMs.")
tasks_app = typer.Typer(no_args_is_help=True, help="Task sets: verify references and tests.")
app.add_typer(tasks_app, name="tasks")
models_app = typer.Typer(no_args_is_help=True, help="Local models: list, fetch opt-in ones.")
app.add_typer(models_app, name="models")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks: run models over task sets, "
                                                   "report.")
app.add_typer(bench_app, name="bench")
app.add_typer(agent_app, name="agent")
out = Console()
err = Console(stderr=True, soft_wrap=True)


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
CpuOpt = Annotated[str, typer.Option("--cpu", help="CPU model: fx3u (default) or fx2n.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language (default: by file ending, "
                                                            "else fx-il).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
EncodingOpt = Annotated[str, typer.Option("--encoding", help="Text encoding of the file.")]
MaxBytesOpt = Annotated[int, typer.Option("--max-bytes", help="Largest input accepted.")]


def _language(path: str, lang: str | None):
    return languages.get(lang) if lang else languages.for_path(Path(path))


def _print_check(name: str, report: CheckReport, cpu: str) -> None:
    verdict = "[green]valid[/]" if report.is_valid else "[red]invalid[/]"
    tiers = "  ".join(f"{k} {v:.2f}" for k, v in report.tiers.items())
    out.print(f"[bold]{name}[/]: {verdict} ({report.language}, {cpu.upper()})  {tiers}  "
              f"overall {report.overall:.3f}")
    if not (report.errors or report.warnings):
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("line", "", "code", "message"):
        table.add_column(col)
    hinted: set[str] = set()  # a code's fix hint is shown once
    for severity, diags, style in (("error", report.errors, "red"),
                                   ("warning", report.warnings, "yellow")):
        for d in diags:
            message = d.message
            if d.hint and d.code not in hinted:
                message += f"\n[dim]fix: {d.hint}[/]"
                hinted.add(d.code)
            table.add_row(str(d.line or "-"), f"[{style}]{severity}[/]", d.code, message)
    out.print(table)


@app.command()
def check(
    file: Annotated[str, typer.Argument(help="Program file, or - for standard input.")],
    json_: JsonOpt = False, cpu: CpuOpt = "fx3u", lang: LangOpt = None,
    encoding: EncodingOpt = "utf-8", max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> None:
    """Static check: three-tier report (FORMATS.md §2); exit 0 valid, 1 invalid, 2 unusable."""
    language = _language(file, lang)
    report = language.check(read_source(file, encoding=encoding, max_bytes=max_bytes), cpu=cpu)
    if json_:
        print(report.to_json())
    else:
        _print_check(file, report, cpu)
    raise typer.Exit(0 if report.is_valid else 1)


def _print_simulation(report: SimulationReport) -> None:
    for t in report.tests:
        mark = "[green]PASS[/]" if t.passed else "[red]FAIL[/]"
        out.print(f"{mark} {t.name} [dim]({t.scans} scans)[/]")
        if t.error:
            out.print(f"     [red]{t.error}[/]")
        for f in t.failures:
            span = f" for {f.scans} scan(s) from" if f.kind == "hold" else " at"
            out.print(f"     {f.name}: expected {f.expected}, got {f.actual}{span} {f.at_ms} ms")
    for note in report.notes:
        out.print(f"[yellow]not simulated[/] {note}")
    total = len(report.tests)
    passed = sum(t.passed for t in report.tests)
    out.print(f"[bold]{passed}/{total} tests passed[/]")


@app.command()
def simulate(
    file: Annotated[str, typer.Argument(help="Program file, or - for standard input.")],
    tests: Annotated[Path, typer.Option("--tests", help="Task file holding the tests.")],
    task: Annotated[str | None, typer.Option("--task", help="Task id in the file.")] = None,
    json_: JsonOpt = False, cpu: CpuOpt = "fx3u", lang: LangOpt = None,
    trace: Annotated[Path | None, typer.Option("--trace", help="Write every scan to CSV.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Timing diagram PNG of the first "
                                                             "test.")] = None,
    signals: Annotated[str | None, typer.Option(
        "--signals", help="Comma-separated devices to trace/plot (default: the devices the tests "
                          "name, then the program's bit devices, 16 at most).")] = None,
    max_scans: Annotated[int, typer.Option("--max-scans", help="Bound per test.")] = 500_000,
    max_seconds: Annotated[float, typer.Option("--max-seconds", help="Wall-time bound per "
                                                                     "test.")] = 60.0,
    encoding: EncodingOpt = "utf-8", max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> None:
    """Run a task's behavioural tests on a program (FORMATS.md §3)."""
    from plcpilot.spec import Trace, find_task, load_tasks, run_tests

    chosen = find_task(load_tasks(tests), task)
    if not chosen.tests:
        raise PlcPilotError(f"task {chosen.id!r} has no tests")
    language = languages.get(lang) if lang else languages.get(chosen.language)
    source = read_source(file, encoding=encoding, max_bytes=max_bytes)
    factory = language.simulator(source, cpu=cpu)
    recorder = None
    if trace or plot:
        names = ([s.strip() for s in signals.split(",") if s.strip()] if signals else
                 _default_signals(chosen, factory()))
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
        if trace:
            out.print(f"[dim]trace: {trace}[/]")
        if plot:
            out.print(f"[dim]timing diagram: {plot}[/]")
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


@app.command()
def generate(
    request: Annotated[str | None, typer.Argument(
        help="What the program should do, in words (default: the --task's prompt).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language to write.")] = "fx-il",
    model: Annotated[str, typer.Option("--model", help="Model spec: embedded, gguf:PATH, "
                                                       "ollama:TAG, openai:URL#MODEL, "
                                                       "scripted:FILE.")] = "embedded",
    k: Annotated[int, typer.Option("--k", help="Examples retrieved (0: none).")] = 3,
    no_rag: Annotated[bool, typer.Option("--no-rag", help="No retrieved examples.")] = False,
    no_grammar: Annotated[bool, typer.Option("--no-grammar", help="Free decoding.")] = False,
    repair: Annotated[int, typer.Option("--repair", help="Repair rounds.")] = 2,
    tests: Annotated[Path | None, typer.Option("--tests", help="Task file with tests to "
                                                               "judge the program.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Task id in --tests.")] = None,
    template: Annotated[str, typer.Option("--template", help="two-part or code-only (free "
                                                             "decoding).")] = "two-part",
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 1024,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.7,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    stop_loops: StopLoopsOpt = 0,
    stop_counts: StopCountsOpt = 0,
    cpu: CpuOpt = "fx3u", json_: JsonOpt = False,
) -> None:
    """Natural language in; a checked (and, with --tests, tested) program out.

    With a task, retrieval leaves that task out (its reference is never an example)."""
    from plcpilot.generate.pipeline import Settings
    from plcpilot.generate.pipeline import generate as run
    from plcpilot.generate.prompts import TEMPLATES
    from plcpilot.llm.base import Sampling
    from plcpilot.spec import find_task, load_tasks

    if template not in TEMPLATES:
        raise PlcPilotError(f"unknown template {template!r}; one of {', '.join(TEMPLATES)}")
    chosen = find_task(load_tasks(tests), task) if tests else None
    if request is None:
        if chosen is None:
            raise PlcPilotError("say what the program should do, or name a task with "
                                "--tests FILE --task ID")
        request = chosen.prompt
    settings = Settings(language=lang, model=model, rag=not no_rag and k > 0, k=k,
                        grammar=not no_grammar, repair=repair, template=template, cpu=cpu,
                        sampling=Sampling(max_tokens=max_tokens, temperature=temperature,
                                          seed=seed, stop_loops=stop_loops,
                                          stop_counts=stop_counts))
    with err.status("starting", spinner="dots") as status:
        result = run(request, settings, task=chosen,
                     progress=None if json_ else lambda stage: status.update(stage))
    if json_:
        print(result.to_json())
    else:
        _print_generation(result)
    passed = result.is_valid and result.behaviour_passed is not False
    raise typer.Exit(0 if passed else 1)


def _print_generation(result) -> None:
    if result.exemplars:
        shown = ", ".join(f"{e['id']} ({e['score']:.2f})" for e in result.exemplars)
        out.print(f"[dim]examples: {shown}[/]")
    for a in result.attempts:
        sim = a.simulation
        tests = (f", tests {sum(t.passed for t in sim.tests)}/{len(sim.tests)}" if sim else "")
        closed = ", closed" if a.closed_truncated else ""
        out.print(f"[dim]round {a.round + 1}: {a.tokens_out} tokens in {a.decode_s:.1f} s "
                  f"({a.finish_reason}{closed}), {len(a.check.errors)} check errors{tests}[/]")
    out.rule("program")
    out.print(result.program.rstrip(), highlight=False)
    out.rule()
    _print_check("program", result.final.check, result.settings["cpu"])
    if result.final.simulation is not None:
        _print_simulation(result.final.simulation)
    elif result.final.simulation_error:
        out.print(f"[red]{result.final.simulation_error}[/]")
    t = result.timings
    out.print(f"[dim]retrieve {t['retrieve_ms']:.0f} ms, decode {t['decode_s']:.1f} s, "
              f"check {t['check_s'] * 1000:.1f} ms, simulate {t['simulate_s'] * 1000:.1f} ms, "
              f"total {t['total_s']:.1f} s[/]")


@tasks_app.command("verify")
def tasks_verify(
    paths: Annotated[list[Path] | None, typer.Argument(help="Task files or folders (default: the "
                                                           "shipped FX task set).")] = None,
    cpu: CpuOpt = "fx3u", json_: JsonOpt = False,
    show: Annotated[int, typer.Option("--show", help="Problems listed per failing task.")] = 3,
) -> None:
    """Check every reference and run every test; print a table per category."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from plcpilot.paths import shipped_tasks
    from plcpilot.spec import load_tasks
    from plcpilot.verify import by_category, verify_tasks

    tasks = [t for p in (paths or [shipped_tasks()]) for t in load_tasks(p)]
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=json_) as bar:
        job = bar.add_task("verifying", total=len(tasks))
        verdicts = verify_tasks(tasks, cpu, progress=lambda v: bar.advance(job))
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
                out.print(f"[red]FAIL[/] {v.id}")
                for p in v.problems[:show]:
                    out.print(f"     {p}")
            for note in v.notes:
                out.print(f"[yellow]not simulated[/] {v.id}: {note}")
    raise typer.Exit(0 if all(v.passed for v in verdicts) else 1)


@tasks_app.command("mutate")
def tasks_mutate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Task files or folders (default: the "
                                                           "shipped FX task set).")] = None,
    cpu: CpuOpt = "fx3u",
) -> None:
    """Mutation check: swap inputs, change presets; list mutants the tests fail to kill."""
    from plcpilot.paths import shipped_tasks
    from plcpilot.spec import load_tasks
    from plcpilot.verify import mutation_check

    tasks = [t for p in (paths or [shipped_tasks()]) for t in load_tasks(p)]
    outcomes = [o for t in tasks for o in mutation_check(t, cpu)]
    survivors = [o for o in outcomes if not o.killed and not o.exempt]
    for o in survivors:
        out.print(f"[red]survived[/] {o.task}: {o.mutant}")
    killed = sum(o.killed for o in outcomes)
    exempt = sum(o.exempt and not o.killed for o in outcomes)
    out.print(f"[bold]{killed}/{len(outcomes)} mutants killed[/], {exempt} declared equivalent, "
              f"{len(survivors)} surviving, over {len(tasks)} tasks")
    raise typer.Exit(1 if survivors else 0)


@bench_app.command("run")
def bench_run(
    tasks: Annotated[list[Path], typer.Option("--tasks", help="Task files or folders.")],
    model: Annotated[list[str], typer.Option("--model", help="Model spec (repeatable).")],
    mode: Annotated[list[str], typer.Option("--mode", help="llm-only, rag, rag+grammar, "
                                                           "rag+grammar+repair (repeatable).")],
    run_dir: Annotated[Path, typer.Option("--out", help="Run folder (resumed if it exists).")],
    samples: Annotated[int, typer.Option("--samples", help="Samples per task (Pass@k).")] = 1,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.7,
    top_k: Annotated[int, typer.Option("--top-k")] = 40,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="New tokens per call (use "
                                                                 "4096 for thinking models).")
                          ] = 1024,
    k: Annotated[int, typer.Option("--k", help="Retrieved examples.")] = 3,
    every: Annotated[int, typer.Option("--every", help="Take every n-th task.")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Then only the first n "
                                                                     "tasks.")] = None,
    stop_loops: StopLoopsOpt = 0,
    stop_counts: StopCountsOpt = 0,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Parallel requests to "
                                                                   "servers.")] = 4,
    cpu: CpuOpt = "fx3u",
) -> None:
    """Run (or resume) a benchmark; samples are appended to OUT/samples.jsonl as they finish."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from plcpilot.bench.report import write_report
    from plcpilot.bench.runner import run

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
        job = bar.add_task("samples", total=None)

        def total(n: int, done: int) -> None:
            bar.update(job, total=n, completed=done)

        def progress(r: dict) -> None:
            verdict = "error" if r["error"] else ("valid" if r["is_valid"] else "invalid")
            bar.update(job, advance=1, description=f"{r['task_id']} {r['mode']}: {verdict}")

        records = run(tasks, model, mode, run_dir, samples=samples, temperature=temperature,
                      top_k=top_k, max_tokens=max_tokens, stop_loops=stop_loops,
                      stop_counts=stop_counts, k=k, cpu=cpu, every=every, limit=limit,
                      concurrency=concurrency, progress=progress, total=total)
    report = write_report(run_dir)
    errors = sum(r["error"] is not None for r in records)
    out.print(f"{len(records)} samples ({errors} errors) in {run_dir}; report: {report}")


@bench_app.command("report")
def bench_report(run_dir: Annotated[Path, typer.Argument(help="A bench run folder.")]) -> None:
    """Write summary.json, report.md and the plots of a run (finished or not)."""
    from plcpilot.bench.report import write_report

    if not (run_dir / "config.json").is_file():
        raise PlcPilotError(f"{run_dir} is not a bench run folder (no config.json)")
    out.print(f"report: {write_report(run_dir)}")


@tasks_app.command("import")
def tasks_import(
    kind: Annotated[str, typer.Argument(help="agents4plc")],
    files: Annotated[list[Path], typer.Argument(help="Files to import.")],
    to: Annotated[Path, typer.Option("--out", help="JSONL task file to write.")],
) -> None:
    """Import a third-party benchmark as a task file (validated on the way)."""
    import json

    from plcpilot.bench.importers import import_agents4plc

    if kind != "agents4plc":
        raise PlcPilotError(f"unknown importer {kind!r}; available: agents4plc")
    tasks = [t for f in files for t in import_agents4plc(f)]
    to.write_text("".join(json.dumps(t.model_dump(exclude_none=True)) + "\n" for t in tasks))
    out.print(f"{len(tasks)} tasks written to {to}")


@models_app.command("list")
def models_list() -> None:
    """Known local models and where they are."""
    from plcpilot.llm.models import KNOWN, model_path

    for name, m in KNOWN.items():
        try:
            where = f"[green]{model_path(name)}[/]"
        except PlcPilotError as e:
            where = f"[yellow]{e}[/]"
        out.print(f"[bold]{name}[/] ({m.licence}): {m.note}\n    {where}")


@models_app.command("fetch")
def models_fetch(name: Annotated[str, typer.Argument(help="qwen2.5-coder-1.5b")]) -> None:
    """Download an opt-in model into the user's cache, verifying size and sha256."""
    from plcpilot.llm.fetch import fetch_qwen

    if name != "qwen2.5-coder-1.5b":
        raise PlcPilotError(f"nothing to fetch for {name!r}; fetchable: qwen2.5-coder-1.5b")
    with err.status("fetching") as status:
        path = fetch_qwen(progress=status.update)
    out.print(f"{name}: {path} (use --model embedded:{name})")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="Diagnostic code, e.g. stack-unbalanced.")]):
    """What a diagnostic code means and how to fix it."""
    from plcpilot.diagnostics import explain as lookup

    c = lookup(code)
    out.print(f"[bold]{c.code}[/] ({c.severity}): {c.title}\n{c.explanation}\n[green]fix:[/] "
              f"{c.hint}")


@app.command("languages")
def list_languages() -> None:
    """The installed languages (built-in and plug-ins)."""
    for name, lang in sorted(languages.load_all().items()):
        out.print(f"{name:8} {lang.title}  [dim]({', '.join(lang.suffixes)})[/]")


def main() -> None:
    try:
        app()
    except PlcPilotError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        sys.exit(2)
