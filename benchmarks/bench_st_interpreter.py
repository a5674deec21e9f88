"""ST interpreter speed: scans/s of a PID-like FB (TON, FOR loops over an ARRAY of 16 REALs).

Run: .venv/bin/python benchmarks/bench_st_interpreter.py [--scans 20000]
Prints one table. The baseline, run in the same process, is the FX simulator (closures too)
on an FX program of the same shape: the 16-value history shifted and summed straight-line
(FX IL has no indexed loop the simulator runs), a PI step and a timer. Numbers are measured,
never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import time

from rich.console import Console
from rich.table import Table

from plcpilot.fxil.simulator import compile_program
from plcpilot.st.interpreter import compile_unit
from plcpilot.st.parser import parse

PID = """
FUNCTION_BLOCK PID
VAR_INPUT sp, pv : REAL; enable : BOOL; END_VAR
VAR_OUTPUT out : REAL; settled : BOOL; END_VAR
VAR
  kp : REAL := 1.2; ki : REAL := 0.1; kd : REAL := 0.05;
  err, last, i_sum, avg : REAL;
  hist : ARRAY[1..16] OF REAL;
  k : INT;
  calm : TON;
END_VAR
err := sp - pv;
FOR k := 16 TO 2 BY -1 DO hist[k] := hist[k - 1]; END_FOR;
hist[1] := err;
avg := 0.0;
FOR k := 1 TO 16 DO avg := avg + hist[k]; END_FOR;
avg := avg / 16.0;
IF enable THEN i_sum := LIMIT(-100.0, i_sum + ki * err, 100.0); END_IF;
out := LIMIT(0.0, kp * err + i_sum + kd * (err - last), 100.0);
last := err;
calm(IN := ABS(avg) < 0.5, PT := T#2s);
settled := calm.Q;
END_FUNCTION_BLOCK
"""


def fx_program() -> str:
    """The same work in FX IL: shift D1..D16, sum them, PI step with limits, a timer."""
    lines = ["LD M8000", "SUB D100 D101 D0"]
    lines += [f"MOV D{k - 1} D{k}" for k in range(16, 1, -1)]
    lines += ["MOV D0 D1", "MOV K0 D20"]
    lines += [f"ADD D20 D{k} D20" for k in range(1, 17)]
    lines += ["DIV D20 K16 D22", "MUL D0 K12 D30", "ADD D30 D40 D32",
              "LD< D32 K0", "MOV K0 D32", "LD> D32 K100", "MOV K100 D32",
              "LD< D22 K5", "OUT T200 K200", "LD T200", "OUT Y0", "END"]
    return "\n".join(lines) + "\n"


def scans_per_s(machine, scans: int) -> float:
    t0 = time.perf_counter()
    for k in range(scans):
        machine.scan(k * 10, 10)
    return scans / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=20_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    new_st = compile_unit(parse(PID).unit)
    compile_s = time.perf_counter() - t0
    st = new_st()
    st.write("sp", 50.0)
    st.write("pv", 20.0)
    st.write("enable", True)
    fx = compile_program(fx_program())()
    fx.write("D100", 50)
    fx.write("D101", 20)
    st_rate, fx_rate = scans_per_s(st, args.scans), scans_per_s(fx, args.scans)
    cpu = platform.processor() or platform.machine()
    table = Table(title=f"ST interpreter ({cpu}, Python {platform.python_version()})")
    for col in ("workload", "scans", "scans/s", "simulated s / wall s"):
        table.add_column(col, justify="left" if col == "workload" else "right")
    table.add_row("ST: PID FB (TON, 2 FOR loops over 16 REALs)", f"{args.scans:,}",
                  f"{st_rate:,.0f}", f"{st_rate * 10 / 1000:,.0f}")
    table.add_row("baseline: FX simulator, same work straight-line", f"{args.scans:,}",
                  f"{fx_rate:,.0f}", f"{fx_rate * 10 / 1000:,.0f}")
    table.add_row("ST compile (parse + compile_unit)", "", f"{compile_s * 1000:.1f} ms", "")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
