"""Does decoding several sequences in one llama.cpp batch pay on this CPU?

A full FX benchmark run on the embedded model is decode-bound (most answers run to the 1024-token
budget). Two one-thread llama.cpp processes gained too little (docs/bench.md); this measures the
other lever, B sequences advanced together by one `llama_decode` per step, against the baseline
B = 1 in the same run. Greedy steps, no grammar: it measures the model, not sampling.
`--context` sets the prompt length. The benchmark's RAG prompts are long; at that length
attention dominates and batching gains little (docs/bench.md).

    python benchmarks/bench_batched_decode.py [--steps 128] [--batch 1 2 4 8] [--context 1500] \
        2>/dev/null

(llama.cpp logs each context it creates to stderr; the table goes to stdout.)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

PROMPT = ("Write a Mitsubishi FX instruction list program: X0 starts the conveyor motor Y0, X1 "
          "stops it, and the motor stops after 30 s with timer T0.")


def run(model_path: str, batch: int, steps: int, threads: int, context: int = 0
        ) -> tuple[float, float]:
    """(prompt tokens/s, generated tokens/s) for `batch` sequences decoded side by side."""
    import llama_cpp as lc

    model = lc.llama_model_load_from_file(model_path.encode(), lc.llama_model_default_params())
    vocab = lc.llama_model_get_vocab(model)
    n_vocab = lc.llama_vocab_n_tokens(vocab)
    buf = (lc.llama_token * 256)()
    n = lc.llama_tokenize(vocab, PROMPT.encode(), len(PROMPT), buf, 256, True, False)
    prompt = (list(buf[:n]) * (1 + context // n))[:max(context, n)]
    params = lc.llama_context_default_params()
    params.n_ctx = (len(prompt) + steps + 8) * batch
    params.n_batch, params.n_seq_max = 512, batch
    params.n_threads = params.n_threads_batch = threads
    ctx = lc.llama_init_from_model(model, params)
    b = lc.llama_batch_init(512, 0, 1)

    def submit(items: list[tuple[int, int, int, bool]]) -> None:
        b.n_tokens = len(items)
        for i, (token, pos, seq, logits) in enumerate(items):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, pos, 1, logits
            b.seq_id[i][0] = seq
        if lc.llama_decode(ctx, b) != 0:
            raise RuntimeError("llama_decode failed")

    started = time.perf_counter()
    for seq in range(batch):
        for at in range(0, len(prompt), 512):
            submit([(t, at + p, seq, at + p == len(prompt) - 1)
                    for p, t in enumerate(prompt[at:at + 512])])
    prompt_s = time.perf_counter() - started
    # the first token of every sequence from its prompt's last logits; then one batch per step
    last = [int(np.argmax(np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, -1),
                                                 shape=(n_vocab,))))] * batch
    started = time.perf_counter()
    for step in range(steps):
        submit([(last[s], len(prompt) + step, s, True) for s in range(batch)])
        for s in range(batch):
            logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, s), shape=(n_vocab,))
            last[s] = int(np.argmax(logits))
    gen_s = time.perf_counter() - started
    lc.llama_batch_free(b)
    lc.llama_free(ctx)
    lc.llama_model_free(model)
    return batch * len(prompt) / prompt_s, batch * steps / gen_s


def main() -> None:
    from plcpilot.llm.llamacpp import default_threads
    from plcpilot.llm.models import EMBEDDED, model_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--context", type=int, default=0,
                    help="Prompt tokens per sequence (the FX RAG prompts are long).")
    ap.add_argument("--model", default=str(model_path(EMBEDDED)))
    args = ap.parse_args()
    threads = default_threads()
    print(f"model {args.model}, {threads} threads, {args.steps} steps after a "
          f"{args.context or 'short'}-token prompt\n")
    print(f"| sequences | prompt tokens/s | generated tokens/s | vs {args.batch[0]} |")
    print("|---:|---:|---:|---:|")
    base = None
    for batch in args.batch:
        prompt_rate, gen_rate = run(args.model, batch, args.steps, threads, args.context)
        base = base or gen_rate
        print(f"| {batch} | {prompt_rate:.0f} | {gen_rate:.1f} | {gen_rate / base:.2f}× |")


if __name__ == "__main__":
    main()
