"""The two tables issue 14 asks to see, measured in one run and printed as Markdown:

1. every SFC POU of the corpus: steps, transitions, alternative and parallel divergences,
   import, lossless round trip (XML → reduced → XML → reduced), check, Safe-SFC verdict and
   the verification time (BDD engine; the explicit-state baseline's time beside it);
2. every shipped SFC task over FX devices: the chart on its timelines in the SFC simulator,
   the STL program `sfc compile --to fx-il` makes of it in the FX checker and on the same
   timelines in the FX simulator, and whether the two simulators agree.

Run: .venv/bin/python benchmarks/sfc_tables.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from plcpilot import languages
from plcpilot.paths import shipped_tasks
from plcpilot.sfc.checks import check_chart
from plcpilot.sfc.compile_fx import compile_fx
from plcpilot.sfc.model import Chart
from plcpilot.sfc.plcopen import chart_xml, read_chart, read_charts
from plcpilot.sfc.safety import verify
from plcpilot.spec import load_tasks
from plcpilot.verify import simulate_task


def _verdict(report) -> str:
    if not report.decided:
        return "undecided"
    return "safe" if report.safe else "unsafe (" + ", ".join(
        sorted({v.criterion for v in report.violations})) + ")"


def corpus_table(corpus: Path) -> list[str]:
    rows = ["| file / POU | steps | transitions | alternative / parallel divergences | import "
            "| round trip | check | Safe-SFC | BDD s | explicit s |",
            "|---|---:|---:|---|---|---|---|---|---:|---:|"]
    verify(Chart.model_validate({"name": "warm", "steps": [{"name": "S", "initial": True}]}))
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(corpus.glob("*.xml")):
            for chart in read_charts(path):
                again = Path(tmp) / "again.xml"
                again.write_bytes(chart_xml(chart))
                lossless = read_chart(again, chart.name).dump() == chart.dump()
                alternative = sum(
                    1 for s in chart.steps
                    if sum(s.name in t.source for t in chart.transitions) > 1)
                parallel = sum(len(t.target) > 1 for t in chart.transitions)
                check = check_chart(chart)
                codes = sorted({e.code for e in check.errors})
                bdd = verify(chart)
                explicit = verify(chart, engine="explicit")
                rows.append(
                    f"| {path.stem[:30]} / {chart.name} | {len(chart.steps)} | "
                    f"{len(chart.transitions)} | {alternative} / {parallel} | ✓ | "
                    f"{'✓' if lossless else '✗'} | "
                    f"{'✓' if check.is_valid else '✗ ' + ', '.join(codes)} | {_verdict(bdd)} | "
                    f"{bdd.seconds:.3f} | {explicit.seconds:.3f} |")
    return rows


def stl_table() -> list[str]:
    fx = languages.get("fx-il")
    rows = ["| task | steps | STL lines | FX checker | chart's tests (SFC) | STL's tests (FX) "
            "| agree |", "|---|---:|---:|---|---|---|---|"]
    for task in load_tasks(shipped_tasks("sfc")):
        if task.category != "fx_devices":
            continue
        chart = Chart.model_validate_json(task.reference)
        program = compile_fx(chart)
        valid = fx.check(program).is_valid
        on_chart = simulate_task(task.reference, task)
        on_fx = simulate_task(program, task.model_copy(update={"language": "fx-il",
                                                               "reference": program}))
        same = [t.passed for t in on_chart.tests] == [t.passed for t in on_fx.tests]
        rows.append(f"| {task.id} | {len(chart.steps)} | {len(program.splitlines())} | "
                    f"{'✓' if valid else '✗'} | "
                    f"{sum(t.passed for t in on_chart.tests)}/{len(on_chart.tests)} | "
                    f"{sum(t.passed for t in on_fx.tests)}/{len(on_fx.tests)} | "
                    f"{'✓' if same and on_chart.passed else '✗'} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2]
                        / "shared" / "corpus" / "sfc")
    args = parser.parse_args()
    print("\n".join(corpus_table(args.corpus)))
    print()
    print("\n".join(stl_table()))


if __name__ == "__main__":
    main()
