"""Safe-SFC verification: the BDD engine against explicit-state search, in the same run.

Run: .venv/bin/python benchmarks/bench_sfc_verify.py [--corpus DIR] [--timeout 10]
Prints one table: per chart (the corpus's 13 SFC POUs, then parallel charts made to size by
plcpilot.sfc.synthetic, up to the issue's 60-step / 12-branch target), the reachable markings,
each engine's verdict and seconds. The explicit engine stops at --timeout and says undecided,
as LLM4SFC's nuXmv runs did at 6 hours. Measured, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from rich.console import Console
from rich.table import Table

from plcpilot.sfc.plcopen import read_charts
from plcpilot.sfc.safety import SafetyReport, verify
from plcpilot.sfc.synthetic import parallel_chart

SIZES = [(3, 4), (6, 5), (10, 5), (12, 5), (16, 4)]  # (branches, steps per branch)


def verdict(r: SafetyReport) -> str:
    if not r.decided:
        return "undecided"
    return "safe" if r.safe else "unsafe: " + ", ".join(sorted({v.criterion
                                                               for v in r.violations}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2]
                        / "shared" / "corpus" / "sfc")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    charts = [(f"{f.stem[:28]}/{c.name}", c) for f in sorted(args.corpus.glob("*.xml"))
              for c in read_charts(f)]
    charts += [(f"parallel {b}x{n} ({b * n + 2} steps)", parallel_chart(b, n)) for b, n in SIZES]
    table = Table(title=f"Safe-SFC verification, {platform.processor() or platform.machine()}, "
                        f"explicit bounded at {args.timeout:g} s", header_style="bold")
    for col in ("chart", "steps", "markings", "bdd", "bdd s", "explicit", "explicit s"):
        table.add_column(col, justify="right" if col not in ("chart", "bdd", "explicit")
                         else "left")
    verify(charts[0][1])  # CUDD's first use loads it: not part of any chart's time
    for name, chart in charts:
        bdd = verify(chart, engine="bdd", timeout_s=args.timeout)
        explicit = verify(chart, engine="explicit", timeout_s=args.timeout)
        table.add_row(name, str(len(chart.steps)), f"{bdd.states:,}" if bdd.decided else "?",
                      verdict(bdd), f"{bdd.seconds:.3f}", verdict(explicit),
                      f"{explicit.seconds:.3f}")
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
