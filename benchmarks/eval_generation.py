"""Leave-one-out generation on a task set: checker and behavioural pass rate per mode.

Run: .venv/bin/python benchmarks/eval_generation.py --model embedded --out out/eval-embedded
Each (task, mode) sample is appended to OUT/samples.jsonl as it finishes; a rerun skips the
finished ones, so a killed run resumes. Tasks are visited in a fixed interleaved order so a
partial run still compares every mode on the same tasks. `--summary` prints the table only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from plcpilot.generate.pipeline import MODES, default_index, generate, settings_for
from plcpilot.llm.base import Sampling
from plcpilot.llm.specs import load_backend
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks


def interleaved(n: int, stride: int = 7) -> list[int]:
    """A fixed order that spreads early samples over all categories (files are by category)."""
    return sorted(range(n), key=lambda i: ((i * stride) % n, i))


def summarize(path: Path) -> Table:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_mode: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_mode[r["mode"]].append(r)
    common = set.intersection(*(set(r["task_id"] for r in v) for v in by_mode.values())) \
        if by_mode else set()
    table = Table(title=f"{path.parent.name}: {len(common)} tasks in every mode "
                        f"({len(rows)} samples)")
    for col in ("mode", "n", "checker pass", "paper-valid", "behaviour pass", "closed at budget",
                "mean tokens out", "mean decode s", "mean total s"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for mode in MODES:
        rs = [r for r in by_mode.get(mode, []) if r["task_id"] in common]
        if not rs:
            continue
        def pct(key: str, rs=rs) -> str:
            return f"{100 * sum(bool(r[key]) for r in rs) / len(rs):.1f} %"

        def mean(key: str, rs=rs) -> str:
            return f"{sum(r[key] for r in rs) / len(rs):.1f}"
        table.add_row(mode, str(len(rs)), pct("is_valid"), pct("paper_valid"),
                      pct("behaviour_passed"), pct("closed_truncated"), mean("tokens_out"),
                      mean("decode_s"), mean("total_s"))
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--modes", nargs="+", default=list(MODES))
    ap.add_argument("--tasks", default=str(shipped_tasks("fx-il")))
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--limit", type=int, default=None, help="tasks to visit")
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    samples = out / "samples.jsonl"
    if args.summary:
        Console(width=140).print(summarize(samples))
        return
    tasks = load_tasks(args.tasks)
    done = set()
    if samples.exists():
        rows = map(json.loads, samples.read_text().splitlines())
        done = {(r["task_id"], r["mode"]) for r in rows}
    backend = load_backend(args.model)
    index = default_index("fx-il")
    order = interleaved(len(tasks))[: args.limit]
    console = Console(width=140)
    for n, i in enumerate(order):
        task = tasks[i]
        for mode in args.modes:
            if (task.id, mode) in done:
                continue
            settings = settings_for(mode, model=args.model, sampling=Sampling(
                max_tokens=args.max_tokens, temperature=args.temperature, seed=i))
            started = time.perf_counter()
            g = generate(task.prompt, settings, task=task, backend=backend, index=index)
            a = g.final
            record = {
                "task_id": task.id, "category": task.category, "model": args.model, "mode": mode,
                "is_valid": g.is_valid, "paper_valid": a.check.paper_valid,
                "tiers": a.check.tiers, "behaviour_passed": bool(g.behaviour_passed),
                "rounds": len(g.attempts), "closed_truncated": a.closed_truncated,
                "finish_reason": a.finish_reason,
                "tokens_in": sum(x.tokens_in for x in g.attempts),
                "tokens_out": sum(x.tokens_out for x in g.attempts),
                "decode_s": g.timings["decode_s"], "retrieve_ms": g.timings["retrieve_ms"],
                "total_s": round(time.perf_counter() - started, 3),
                "exemplars": [e["id"] for e in g.exemplars], "program": g.program,
                "errors": [e.code for e in a.check.errors],
            }
            with samples.open("a") as f:
                f.write(json.dumps(record) + "\n")
            console.print(f"[{n + 1}/{len(order)}] {task.id} {mode}: valid={g.is_valid} "
                          f"behaviour={g.behaviour_passed} {record['total_s']:.1f}s")
    console.print(summarize(samples))


if __name__ == "__main__":
    main()
