"""Decode speed before and after fine-tuning: the embedded model, the same with a LoRA adapter
applied at run time (`embedded+lora:DIR`), and the adapter merged into one GGUF
(`plcpilot train merge`), on the same prompts.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_adapter_speed.py --run runs/code-lora \
         [--merged runs/code-lora/merged.gguf] [--n 6] [--max-tokens 128]
Each of N shipped FX tasks gives its rag+grammar prompt (3 retrieved examples, leave-one-out);
every model answers it greedily under the FX grammar. Prompt evaluation is timed with a
1-token run of the prompt, decoding per token after it, so a model that stops sooner is not
thereby faster.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

from plcpilot import languages
from plcpilot.generate.pipeline import default_index
from plcpilot.generate.prompts import build_messages
from plcpilot.llm.base import Constraint, Sampling
from plcpilot.llm.specs import load_backend
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks


def timed(backend, messages, max_tokens: int, constraint) -> tuple[float, float, int]:
    """(prompt s, decoding ms per token, tokens out): a cold 1-token run, then the answer."""
    backend.llm.reset()  # every model evaluates every prompt from scratch
    t0 = time.perf_counter()
    backend.complete(messages, Sampling(max_tokens=1, temperature=0), None)
    prompt_s = time.perf_counter() - t0
    out = backend.complete(messages, Sampling(max_tokens=max_tokens, temperature=0), constraint)
    return prompt_s, 1000 * out.seconds / max(out.tokens_out, 1), out.tokens_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a `train lora` run folder")
    ap.add_argument("--merged", help="the run merged by `plcpilot train merge`")
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    fx = languages.get("fx-il")
    constraint = Constraint("lark", fx.grammar())
    index = default_index("fx-il")
    tasks = load_tasks(shipped_tasks("fx-il"))[:: max(1, 172 // args.n)][: args.n]
    prompts = []
    for task in tasks:
        found, _ = index.search(task.prompt, exclude_id=task.id)
        prompts.append(build_messages(task.prompt, fx, [(r.task.prompt, r.task.reference)
                                                        for r in found], "code-only"))
    specs = ["embedded", f"embedded+lora:{args.run}"] + (
        [f"gguf:{args.merged}"] if args.merged else [])
    rows = {}
    for spec in specs:
        backend = load_backend(spec)
        timed(backend, prompts[0], 4, constraint)  # warm-up: load, first allocation
        rows[spec] = [timed(backend, m, args.max_tokens, constraint) for m in prompts]
        del backend
    table = Table(title=f"decode speed: {len(tasks)} FX rag+grammar prompts, greedy, "
                        f"at most {args.max_tokens} tokens")
    for col in ("model", "prompt eval s", "ms/token", "tokens/s", "× base", "mean tokens out"):
        table.add_column(col, justify="left" if col == "model" else "right")
    base_ms = statistics.mean(r[1] for r in rows["embedded"])
    for spec, rs in rows.items():
        ms = statistics.mean(r[1] for r in rs)
        table.add_row(spec, f"{statistics.mean(r[0] for r in rs):.2f}", f"{ms:.1f}",
                      f"{1000 / ms:.1f}", f"{base_ms / ms:.2f}",
                      f"{statistics.mean(r[2] for r in rs):.0f}")
    Console(width=130).print(table)


if __name__ == "__main__":
    main()
