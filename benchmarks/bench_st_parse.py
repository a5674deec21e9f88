"""ST parse and check speed on OSCAT: tree-sitter's parse alone (the baseline) vs parse + AST
build vs parse + AST + the checker.

Run: .venv/bin/python benchmarks/bench_st_parse.py [--corpus ../shared/corpus] [--repeat 5]
Prints one table. Each time is the best of `--repeat` passes over every OSCAT file; the raw
tree-sitter parse and the full `plcpilot.st.parser.parse` (tree + AST + diagnostics) run in the
same process, so their ratio is what the Python AST walk costs; the checker's column adds the
typed checks of `plcpilot check` (each file checked on its own, as the command does).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from plcpilot.st.checker import check_parsed
from plcpilot.st.parser import parse, parse_tree

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    files = [p.read_bytes() for p in sorted((args.corpus / "st" / "oscat").glob("*.st"))]
    if not files:
        raise SystemExit(f"no OSCAT files under {args.corpus / 'st' / 'oscat'}")
    pous = [p for data in files for p in parse(data).unit.pous]
    raw = best_of(args.repeat, lambda: [parse_tree(data) for data in files])
    full = best_of(args.repeat, lambda: [parse(data) for data in files])
    texts = [data.decode() for data in files]
    checked = best_of(args.repeat, lambda: [check_parsed(parse(t), t) for t in texts])
    size = sum(map(len, files))

    table = Table(title=f"ST parse, OSCAT ({len(files)} files, {size / 1e3:.0f} kB), "
                        f"best of {args.repeat}, {platform.processor() or platform.machine()}")
    for col in ("POUs", "POUs ok", "tree-sitter parse s", "parse + AST s", "AST overhead",
                "parse + AST + check s"):
        table.add_column(col, justify="right")
    table.add_row(str(len(pous)), str(sum(not p.has_errors for p in pous)), f"{raw:.3f}",
                  f"{full:.3f}", f"{full / raw:.1f}x", f"{checked:.3f}")
    table.caption = ("POUs as parsed, one per copy: Beremiz repeats LOGGER and its python_* "
                     "blocks in every file; LOGGER's `{{ C }}` block is what fails")
    Console().print(table)


if __name__ == "__main__":
    main()
