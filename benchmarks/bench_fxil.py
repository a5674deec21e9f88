"""FX IL checker and simulator speed: the shipped task set and a 10 000-line program.

Run: .venv/bin/python benchmarks/bench_fxil.py
Prints one table; the baseline is the issue's target (whole task set checked and every test
simulated in under 10 s on a 2-core machine). Numbers are measured, never asserted in tests.
"""

from __future__ import annotations

import platform
import random
import time

from rich.console import Console
from rich.table import Table

from plcpilot.fxil.checker import check
from plcpilot.fxil.simulator import FxMachine, compile_program
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks, run_tests

TARGET_S = 10.0


def big_program(lines: int = 10_000, seed: int = 1) -> str:
    """A valid program of about `lines` lines: self-holding circuits, timers, arithmetic."""
    rnd = random.Random(seed)
    out: list[str] = []
    k = 0
    while len(out) < lines - 1:
        x = [f"X{rnd.randrange(0, 0o200):o}" for _ in range(3)]
        m, t = 100 + k, k % 500
        out += [f"LD {x[0]}", f"OR M{m}", f"ANI {x[1]}", f"OUT M{m}",
                f"LD M{m}", f"OUT T{t} K{rnd.randrange(1, 50)}",
                f"LD T{t}", f"AND {x[2]}", f"ADD D{k % 7000} K1 D{k % 7000}",
                f"LD> D{k % 7000} K1000", f"RST D{k % 7000}"]
        k += 1
    out.append("END")
    return "\n".join(out[: lines - 1] + ["END"]) + "\n"


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    tasks = load_tasks(shipped_tasks("fx-il"))
    refs = [t.reference for t in tasks if t.reference]
    ref_lines = sum(len(r.splitlines()) for r in refs)
    _, check_s = timed(lambda: [check(r) for r in refs])

    executed = simulated_ms = 0

    def simulate_all():
        nonlocal executed, simulated_ms
        for t in tasks:
            compiled = compile_program(t.reference)
            machines: list[FxMachine] = []

            def factory(compiled=compiled, machines=machines):
                machines.append(compiled())
                return machines[-1]
            report = run_tests(factory, t.tests)
            executed += sum(m.executed for m in machines)
            simulated_ms += sum(r.scans * test.scan_ms
                                for r, test in zip(report.tests, t.tests, strict=True))
    _, sim_s = timed(simulate_all)
    _, total_s = timed(lambda: [check(r) for r in refs] and simulate_all())

    big = big_program()
    big_lines = len(big.splitlines())
    report, big_check_s = timed(lambda: check(big))
    assert report.is_valid, report.errors[:3]
    machine = compile_program(big)()
    scans = 200
    _, big_sim_s = timed(lambda: [machine.scan(k * 10, 10) for k in range(scans)])

    cpu = platform.processor() or platform.machine()
    table = Table(title=f"FX IL checker and simulator ({cpu}, Python {platform.python_version()})")
    for col in ("workload", "size", "wall s", "throughput", "simulated time / wall s"):
        table.add_column(col, justify="left" if col == "workload" else "right")
    table.add_row("check task set", f"{len(refs)} programs, {ref_lines} lines", f"{check_s:.3f}",
                  f"{ref_lines / check_s:,.0f} lines/s", "")
    table.add_row("simulate task set", f"{sum(len(t.tests) for t in tasks)} tests",
                  f"{sim_s:.3f}", f"{executed / sim_s:,.0f} instr/s",
                  f"{simulated_ms / 1000 / sim_s:,.0f} s/s")
    table.add_row("check 10k-line program", f"{big_lines} lines", f"{big_check_s:.3f}",
                  f"{big_lines / big_check_s:,.0f} lines/s", "")
    table.add_row("simulate 10k-line program", f"{scans} scans of 10 ms", f"{big_sim_s:.3f}",
                  f"{machine.executed / big_sim_s:,.0f} instr/s",
                  f"{scans * 10 / 1000 / big_sim_s:,.2f} s/s")
    verdict = "meets" if total_s < TARGET_S else "MISSES"
    table.add_row("[bold]task set: check + all tests[/]", f"baseline: target {TARGET_S:.0f} s",
                  f"[bold]{total_s:.3f}[/]", verdict, "")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
