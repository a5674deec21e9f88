"""Fine-tuning on CPU, LoRA or full (every weight of the top blocks): one example at a time,
gradients accumulated to the preset's batch.

Three things make a 2-core CPU enough (measured in benchmarks/bench_train_speed.py):
- Only the answer's tokens are scored (the prompt is context), and only their logits are
  computed: for a 1,500-token agent prompt and a 40-token answer that skips 97 % of the
  49k-wide output layer.
- The system turn, the same for every example of a station and 70 % of an agent prompt's
  tokens, runs once per optimiser step (the weights do not change within one) without a
  graph; examples continue from its key/value cache. The loss is the same number; the gradient
  leaves out the path through the system turn's keys and values, so the adapter learns to
  answer given the instructions, not to re-read them.
- With `top_layers`, the blocks below the adapted ones build no graph either.
The run folder holds a checkpoint every `save_every` optimiser steps, and a killed run resumes
from the last one with the same data order.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.train.base import Base
from plcpilot.train.presets import Preset
from plcpilot.train.records import Example

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
CHECKPOINT, ADAPTER, STATE, LOSSES = "checkpoint", "adapter", "state.json", "loss.csv"
WEIGHTS = "weights.safetensors"  # full fine-tuning: the trained blocks' weights


@dataclass
class Encoded:
    ids: list[int]
    prompt: int  # tokens before the answer
    shared: int = 0  # leading tokens that are the system turn (0: none to share)


def _template(tokenizer, messages: list[dict], opened: bool) -> list[int]:
    return list(tokenizer.apply_chat_template(messages, add_generation_prompt=opened,
                                              tokenize=True, return_dict=True)["input_ids"])


def encode(tokenizer, example: Example) -> Encoded:
    """The prompt exactly as inference renders it (the chat template with the assistant turn
    opened), then the answer and the end-of-turn token."""
    messages = [m.model_dump() for m in example.messages]
    prompt = _template(tokenizer, messages, True)
    end = tokenizer.eos_token or ""
    answer = tokenizer(example.answer + end, add_special_tokens=False)["input_ids"]
    shared = 0
    if messages[0]["role"] == "system" and len(messages) > 1:
        system = _template(tokenizer, messages[:1], False)
        shared = len(system) if prompt[: len(system)] == system else 0
    return Encoded(prompt + list(answer), len(prompt), shared)


class SharedPrefixes:
    """Key/value caches of system turns, valid while the weights stay as they are: clear()
    after every optimiser step."""

    def __init__(self):
        self.caches: dict[tuple[int, ...], object] = {}

    def clear(self) -> None:
        self.caches.clear()

    def get(self, causal, ids: list[int]):
        """A fresh cache holding the prefix (each example appends its own tokens to it)."""
        import torch
        from transformers import DynamicCache

        key = tuple(ids)
        if key not in self.caches:
            with torch.no_grad():
                cache = causal.model(input_ids=torch.tensor([ids]), use_cache=True).cache
            self.caches[key] = [(layer.keys, layer.values) for layer in cache.layers]
        fresh = DynamicCache(config=causal.config)
        for i, (keys, values) in enumerate(self.caches[key]):
            fresh.update(keys, values, i)
        return fresh


@dataclass
class Progress:
    """What a caller hears after every example: for a bar with tokens/s and ETA."""
    examples: int
    total: int
    tokens: int
    seconds: float
    loss: float | None  # the mean loss of the last optimiser step, when one just ended


def _top_blocks(model, preset: Preset) -> list[int]:
    layers = model.config.num_hidden_layers
    return list(range(layers - min(preset.top_layers or layers, layers), layers))


def attach_lora(model, preset: Preset):
    peft = optional_import("peft", "LoRA fine-tuning", "train")
    config = peft.LoraConfig(r=preset.rank, lora_alpha=preset.alpha,
                             lora_dropout=preset.dropout, target_modules=TARGETS,
                             layers_to_transform=_top_blocks(model, preset),
                             task_type="CAUSAL_LM")
    return peft.get_peft_model(model, config)


def unfreeze_top(model, preset: Preset):
    """Full fine-tuning: every weight of the top blocks trains (attention, MLP, norms); the
    embeddings, tied to the output layer in SmolLM2, and the lower blocks stay as they are."""
    top = {f"model.layers.{i}." for i in _top_blocks(model, preset)}
    for name, p in model.named_parameters():
        p.requires_grad = any(name.startswith(prefix) for prefix in top)
    return model


def trained_weights(model) -> dict:
    """The weights full fine-tuning changes, by their transformers names."""
    return {n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def answer_loss(model, encoded: Encoded, bf16: bool, prefixes: SharedPrefixes | None = None):
    """Mean cross-entropy over the answer's tokens, computing only their logits; with
    `prefixes`, the system turn comes from its cache."""
    import torch

    ids = torch.tensor([encoded.ids])
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model  # peft or not
    start = encoded.shared if prefixes is not None else 0
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        cache = prefixes.get(causal, encoded.ids[:start]) if start else None
        hidden = causal.model(input_ids=ids[:, start:], cache=cache,
                              use_cache=cache is not None).last_hidden_state
        logits = causal.lm_head(hidden[0, encoded.prompt - start - 1:-1])
    return torch.nn.functional.cross_entropy(logits.float(), ids[0, encoded.prompt:])


def _order(n: int, epochs: float, seed: int) -> list[int]:
    """Example indexes for the whole run: each epoch a fresh shuffle, a fractional last one cut."""
    rng = random.Random(seed)
    order: list[int] = []
    for _ in range(math.ceil(epochs)):
        epoch = list(range(n))
        rng.shuffle(epoch)
        order += epoch
    return order[: max(1, round(n * epochs))]


def train(base: Base, examples: list[Example], preset: Preset, out: Path, *, seed: int = 0,
          save_every: int = 10, max_tokens: int = 4096, start_from: Path | None = None,
          full: bool = False, on_progress: Callable[[Progress], None] = lambda p: None):
    """Train (or resume) a LoRA adapter into `out`, from zero or from the peft adapter folder
    `start_from` (another run's, same rank and blocks: more epochs, another learning rate);
    returns the peft model. With `full`, the top blocks' own weights train instead (no
    `start_from`) and the model itself is returned."""
    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    encoded = [encode(base.tokenizer, e) for e in examples]
    too_long = [e.id for e, x in zip(examples, encoded, strict=True) if len(x.ids) > max_tokens]
    if too_long:
        raise PlcPilotError(f"{len(too_long)} examples exceed {max_tokens} tokens (e.g. "
                            f"{too_long[0]}); the model's context at inference is that long")
    model = unfreeze_top(base.model, preset) if full else attach_lora(base.model, preset)
    if start_from is not None:
        _load_adapter(model, start_from)
    params = [p for p in model.parameters() if p.requires_grad]
    order = _order(len(encoded), preset.epochs, seed)
    steps = math.ceil(len(order) / preset.batch)
    optimizer = torch.optim.AdamW(params, lr=preset.lr, weight_decay=0.0)
    warm = max(1, round(steps * preset.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    state = _resume(model, optimizer, schedule, out, full)
    seen, step, tokens, seconds = (state[k] for k in ("seen", "step", "tokens", "seconds"))
    model.train()
    started, window, prefixes = time.perf_counter() - seconds, [], SharedPrefixes()
    for position in range(seen, len(order)):
        x = encoded[order[position]]
        loss = answer_loss(model, x, preset.bf16, prefixes)
        (loss / preset.batch).backward()
        window.append(loss.item())
        tokens += len(x.ids)
        ended = (position + 1) % preset.batch == 0 or position + 1 == len(order)
        if ended:
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            prefixes.clear()
            step += 1
            _log_loss(out, step, position + 1, tokens, sum(window) / len(window),
                      schedule.get_last_lr()[0], time.perf_counter() - started)
        on_progress(Progress(position + 1, len(order), tokens, time.perf_counter() - started,
                             sum(window) / len(window) if ended else None))
        if ended:
            window = []
            if step % save_every == 0 or position + 1 == len(order):
                _save(model, optimizer, schedule, out, full, {
                    "seen": position + 1, "step": step, "tokens": tokens,
                    "seconds": time.perf_counter() - started})
    return model


def _log_loss(out: Path, step: int, seen: int, tokens: int, loss: float, lr: float,
              seconds: float) -> None:
    path = out / LOSSES
    new = not path.exists()
    with path.open("a", encoding="utf-8") as f:
        if new:
            f.write("step,examples,tokens,loss,lr,seconds\n")
        f.write(f"{step},{seen},{tokens},{loss:.5f},{lr:.3g},{seconds:.1f}\n")


def _save(model, optimizer, schedule, out: Path, full: bool, state: dict) -> None:
    """Adapter (or trained weights), optimiser and position, written beside the old checkpoint
    and swapped in."""
    import shutil

    import torch

    fresh, final = out / (CHECKPOINT + ".new"), out / CHECKPOINT
    shutil.rmtree(fresh, ignore_errors=True)
    save_trained(model, fresh, full)
    torch.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                "rng": torch.get_rng_state()}, fresh / "optimizer.pt")
    (fresh / STATE).write_text(json.dumps(state))
    shutil.rmtree(final, ignore_errors=True)
    fresh.rename(final)


def save_trained(model, folder: Path, full: bool) -> None:
    """The peft adapter as folder/adapter, or the trained weights as folder/weights.safetensors."""
    if not full:
        model.save_pretrained(folder / ADAPTER)
        return
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(trained_weights(model), folder / WEIGHTS)


def _resume(model, optimizer, schedule, out: Path, full: bool) -> dict:
    import torch

    start = {"seen": 0, "step": 0, "tokens": 0, "seconds": 0.0}
    folder = out / CHECKPOINT
    if not (folder / STATE).is_file():
        (out / LOSSES).unlink(missing_ok=True)  # a fresh run: no curve of an earlier one
        return start
    if full:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(folder / WEIGHTS), strict=False)
    else:
        _load_adapter(model, folder / ADAPTER)
    saved = torch.load(folder / "optimizer.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"])
    state = json.loads((folder / STATE).read_text())
    _trim_losses(out / LOSSES, state["step"])
    return state


def _load_adapter(model, folder: Path) -> None:
    peft = optional_import("peft", "LoRA fine-tuning", "train")
    if not (folder / "adapter_config.json").is_file():
        raise PlcPilotError(f"{folder}: not a peft adapter folder (no adapter_config.json)")
    result = peft.set_peft_model_state_dict(model, peft.utils.load_peft_weights(str(folder)))
    if [k for k in result.unexpected_keys if "lora" in k]:
        raise PlcPilotError(f"{folder}: the adapter does not fit these settings (another rank "
                            "or other blocks)")


def _trim_losses(path: Path, step: int) -> None:
    """Drop loss rows logged after the checkpoint: the resumed run logs those steps again."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [r for r in lines[1:] if int(r.split(",")[0]) <= step]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def validation_loss(model, base: Base, examples: list[Example], bf16: bool) -> float:
    import torch

    model.eval()
    prefixes = SharedPrefixes()
    with torch.no_grad():
        losses = [answer_loss(model, encode(base.tokenizer, e), bf16, prefixes).item()
                  for e in examples]
    return sum(losses) / len(losses)
