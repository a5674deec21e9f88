"""A training run folder: its configuration (a resume must match it), the adapter in both forms
(or, for full fine-tuning, the trained weights and the merged GGUF), the loss curve, and
train.json with what was measured (time, tokens, machine)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.train import lora
from plcpilot.train.base import load_base
from plcpilot.train.gguf_adapter import weight_deltas, write_adapter_gguf
from plcpilot.train.gguf_merge import merge_deltas
from plcpilot.train.presets import Preset
from plcpilot.train.records import Example

CONFIG, SUMMARY, PLOT = "config.json", "train.json", "loss.png"
ADAPTER_GGUF, MODEL_GGUF = "adapter.gguf", "model.gguf"


def data_digest(examples: list[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(e.model_dump_json().encode())
    return h.hexdigest()[:16]


def _hold(out: Path, config: dict) -> None:
    if out.exists() and not out.is_dir():
        raise PlcPilotError(f"--out {out} is a file; a training run needs a folder")
    out.mkdir(parents=True, exist_ok=True)
    path = out / CONFIG
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved != config:
            raise PlcPilotError(f"{out} holds a training run with another configuration "
                                f"({json.dumps(saved)}); use a new --out")
    path.write_text(json.dumps(config, indent=2) + "\n")


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__}


def run(base_spec: str, train: list[Example], validation: list[Example], preset: Preset,
        out: Path, *, seed: int, save_every: int, start_from: Path | None,
        on_progress: Callable[[lora.Progress], None], full: bool = False) -> dict:
    config = {"base": base_spec, "preset": preset.model_dump(), "seed": seed,
              "examples": len(train), "data": data_digest(train),
              "start_from": str(start_from) if start_from else None}
    if full:  # LoRA runs keep the configuration they had before full fine-tuning existed
        config["method"] = "full"
    _hold(out, config)
    base = load_base(base_spec)
    before = lora.validation_loss(base.model, base, validation, preset.bf16) \
        if validation else None
    started = time.perf_counter()
    model = lora.train(base, train, preset, out, seed=seed, save_every=save_every,
                       start_from=start_from, full=full, on_progress=on_progress)
    wall = time.perf_counter() - started
    after = lora.validation_loss(model, base, validation, preset.bf16) if validation else None
    lora.save_trained(model, out, full)
    gguf = out / (MODEL_GGUF if full else ADAPTER_GGUF)
    if not base.gguf:
        adapted = 0
    elif full:  # the changes against a fresh copy of the base, folded into its GGUF
        initial = dict(load_base(base_spec).model.named_parameters())
        adapted = merge_deltas(base.gguf, weight_deltas(lora.trained_weights(model), initial,
                                                        model.config), gguf)
    else:
        adapted = write_adapter_gguf(model, gguf)
    state = json.loads((out / lora.CHECKPOINT / lora.STATE).read_text())
    blocks = (f"the top {preset.top_layers}" if preset.top_layers else "all") + \
        f" blocks of {base_spec}"
    plot_losses(out, f"full fine-tuning of {blocks}: {len(train)} examples, lr {preset.lr:g}"
                if full else f"LoRA on {blocks}: {len(train)} examples, lr {preset.lr:g}, "
                             f"r {preset.rank}")
    summary = {**config, "steps": state["step"], "tokens": state["tokens"],
               "seconds": round(state["seconds"], 1),
               "tokens_per_second": round(state["tokens"] / max(state["seconds"], 1e-9), 1),
               "this_session_seconds": round(wall, 1),
               "validation_examples": len(validation),
               "validation_loss_before": before, "validation_loss_after": after,
               "adapted_matrices": adapted,
               f"{gguf.stem}_gguf_bytes": gguf.stat().st_size if adapted else None,
               "machine": machine()}
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def plot_losses(out: Path, title: str) -> Path:
    from plcpilot.plots import pyplot

    rows = [line.split(",") for line in (out / lora.LOSSES).read_text().splitlines()[1:]]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot([int(r[1]) for r in rows], [float(r[3]) for r in rows], marker=".", linewidth=1.2)
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("answer loss (cross-entropy)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / PLOT, dpi=120)
    plt.close(fig)
    return out / PLOT
