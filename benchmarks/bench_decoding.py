"""Constrained vs free decoding on the same model and prompts: tokens/s and validity.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_decoding.py [--model SPEC] [--n 8]
For each of N shipped tasks (its code-only prompt with 3 retrieved examples, leave-one-out) the
model decodes freely, then under the FX grammar through llguidance, and, for a few tokens, under
the same grammar converted to GBNF for llama.cpp's own sampler. Per-token cost excludes prompt
evaluation (timed separately with a 1-token run of the same prompt).
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

from plcpilot import languages
from plcpilot.generate.pipeline import default_index
from plcpilot.generate.prompts import build_messages, extract_program
from plcpilot.llm.base import Constraint, Sampling
from plcpilot.llm.specs import load_backend
from plcpilot.paths import shipped_tasks
from plcpilot.spec import load_tasks


def per_token_ms(backend, messages, sampling, constraint=None):
    """A 1-token run evaluates (and caches) the prompt; the full run then costs decoding only."""
    t0 = time.perf_counter()
    backend.complete(messages, Sampling(max_tokens=1, temperature=0), None)
    prompt_s = time.perf_counter() - t0
    out = backend.complete(messages, sampling, constraint)
    return out, 1000 * out.seconds / max(out.tokens_out, 1), prompt_s


def gbnf_ms_per_token(backend, messages, grammar: str, tokens: int) -> float:
    """llama.cpp's GBNF sampler on the same grammar (converted), a few tokens only: slow."""
    from llama_cpp import LlamaGrammar

    from plcpilot.llm.gbnf import lark_to_gbnf

    g = LlamaGrammar.from_string(lark_to_gbnf(grammar), verbose=False)
    msgs = [{"role": m.role, "content": m.content} for m in messages]
    backend.llm.create_chat_completion(messages=msgs, max_tokens=1, temperature=0)  # cache
    t0 = time.perf_counter()
    out = backend.llm.create_chat_completion(messages=msgs, max_tokens=tokens, temperature=0,
                                             grammar=g)
    return 1000 * (time.perf_counter() - t0) / max(out["usage"]["completion_tokens"], 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--gbnf-tokens", type=int, default=8)
    args = ap.parse_args()
    fx = languages.get("fx-il")
    backend = load_backend(args.model)
    grammar = fx.grammar()
    index = default_index("fx-il")
    tasks = load_tasks(shipped_tasks("fx-il"))[:: max(1, 172 // args.n)][: args.n]
    rows = {"free": [], "llguidance": []}
    gbnf = []
    for i, task in enumerate(tasks):
        found, _ = index.search(task.prompt, exclude_id=task.id)
        messages = build_messages(task.prompt, fx, [(r.task.prompt, r.task.reference)
                                                    for r in found], "code-only")
        sampling = Sampling(max_tokens=args.max_tokens, temperature=0.7, seed=i)
        for name, constraint in (("free", None), ("llguidance", Constraint("lark", grammar))):
            out, ms, prompt_s = per_token_ms(backend, messages, sampling, constraint)
            program = out.text if constraint else extract_program(out.text)
            if constraint and out.finish_reason == "length":
                program = fx.close_truncated(program) or program
            report = fx.check(program)
            if constraint and not report.is_valid:
                print(f"{task.id}: {out.finish_reason}: {[e.code for e in report.errors]}")
            rows[name].append((ms, out.tokens_out, prompt_s, report.is_valid))
        if i < 2 and hasattr(backend, "llm"):
            gbnf.append(gbnf_ms_per_token(backend, messages, grammar, args.gbnf_tokens))
    table = Table(title=f"decoding on {args.model}: {len(tasks)} tasks, max {args.max_tokens} "
                        "tokens, same prompts and seeds")
    for col in ("decoding", "ms/token (mean)", "tokens/s", "overhead vs free",
                "mean tokens out", "prompt eval s", "checker pass"):
        table.add_column(col, justify="left" if col == "decoding" else "right")
    free_ms = statistics.mean(r[0] for r in rows["free"])
    for name, rs in rows.items():
        ms = statistics.mean(r[0] for r in rs)
        table.add_row(name, f"{ms:.1f}", f"{1000 / ms:.1f}", f"{ms - free_ms:+.2f} ms",
                      f"{statistics.mean(r[1] for r in rs):.0f}",
                      f"{statistics.mean(r[2] for r in rs):.2f}",
                      f"{100 * sum(r[3] for r in rs) / len(rs):.0f} %")
    if gbnf:
        ms = statistics.mean(gbnf)
        table.add_row(f"GBNF (llama.cpp sampler, {args.gbnf_tokens} tokens)", f"{ms:.1f}",
                      f"{1000 / ms:.2f}", f"{ms - free_ms:+.1f} ms", "", "", "")
    Console(width=130).print(table)


if __name__ == "__main__":
    main()
