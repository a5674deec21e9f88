"""Bounded model checking (st.bmc, z3) against simulation (st.properties) on three programs.

Run: .venv/bin/python benchmarks/bench_bmc.py [--timeout 10]
Prints one table: per program and method, the verdicts and the seconds taken. Simulation runs
check_properties' defaults (200 runs x 50 cycles, stopping once every property is decided);
BMC runs k = 5, 10 and 20 cycles. Each program has one seeded bug; the interesting column is
which method finds it and what a bounded proof of the other properties costs. Numbers are
measured, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from plcpilot.spec import Task
from plcpilot.st.bmc import bmc_properties
from plcpilot.st.properties import PropertyReport, check_properties


def task(pou: str, *properties: tuple[str, list[str]]) -> Task:
    return Task(id=pou, language="st", prompt=f"FUNCTION_BLOCK {pou} ...",
                properties=[{"property": {"job_req": "pattern", "pattern_id": pid,
                                          "pattern_params": {str(n): p for n, p in
                                                             enumerate(params, start=1)}}}
                            for pid, params in properties])


# bug: the DINT product wraps, so raw = 2 + 2**30 also trips (simulation never draws it)
SCALER = """FUNCTION_BLOCK Scaler
VAR_INPUT raw : DINT; END_VAR
VAR_OUTPUT scaled : DINT; trip : BOOL; END_VAR
scaled := raw * 4;
trip := scaled = 8;
END_FUNCTION_BLOCK
"""
# bug: the reset only works while a pulse arrives
BATCH = """FUNCTION Clamp : INT
VAR_INPUT x : INT; END_VAR
Clamp := LIMIT(0, x, 100);
END_FUNCTION

FUNCTION_BLOCK Batch
VAR_INPUT pulse : BOOL; reset : BOOL; setpoint : INT; END_VAR
VAR_OUTPUT done : BOOL; count : INT; END_VAR
VAR edge : R_TRIG; c : CTU; END_VAR
edge(CLK := pulse);
c(CU := edge.Q, R := reset AND pulse, PV := Clamp(setpoint));
count := c.CV;
done := c.Q;
END_FUNCTION_BLOCK
"""
# bug: the heater may stay on 1 degree above the limit (REAL, float32, and a TON)
HEATER = """FUNCTION_BLOCK Heater
VAR_INPUT temp : REAL; demand : BOOL; END_VAR
VAR_OUTPUT heat : BOOL; END_VAR
VAR settle : TON; END_VAR
settle(IN := demand, PT := T#5s);
heat := settle.Q AND temp < 81.0;
END_FUNCTION_BLOCK
"""
PROGRAMS = [
    ("Scaler", SCALER, task("Scaler", ("pattern-implication", ["instance.trip",
                                                               "instance.raw = 2"]))),
    ("Batch", BATCH, task("Batch",
                          ("pattern-implication", ["instance.reset", "instance.count = 0"]),
                          ("pattern-forbidden", ["instance.count > 10"]),
                          ("pattern-reachability", ["instance.done"]))),
    ("Heater", HEATER, task("Heater",
                            ("pattern-implication", ["instance.heat", "instance.temp < 80.0"]),
                            ("pattern-implication", ["instance.heat", "instance.demand"]),
                            ("pattern-reachability", ["instance.heat"]))),
]


def summary(report: PropertyReport) -> str:
    counts = Counter(p.verdict for p in report.properties)
    return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per BMC query")
    args = parser.parse_args()
    table = Table(title=f"BMC (z3) vs simulation, {platform.processor() or platform.machine()}",
                  header_style="bold")
    for col in ("program", "method", "verdicts", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for name, source, t in PROGRAMS:
        started = time.perf_counter()
        report = check_properties(t, source)
        table.add_row(name, f"simulation {report.runs}x{report.cycles}", summary(report),
                      f"{time.perf_counter() - started:.2f}")
        for k in (5, 10, 20):
            started = time.perf_counter()
            report = bmc_properties(t, source, k=k, timeout_s=args.timeout)
            table.add_row("", f"BMC k={k}", summary(report),
                          f"{time.perf_counter() - started:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
