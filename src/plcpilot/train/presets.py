"""Training presets: the paper's defaults, recorded as published, and ours for a 2-core CPU."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from plcpilot.errors import PlcPilotError


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    epochs: float = Field(gt=0)
    lr: float = Field(gt=0)
    batch: int = Field(ge=1)  # examples per optimiser step (gradient accumulation on CPU)
    rank: int = Field(ge=1)
    alpha: float = Field(gt=0)
    dropout: float = Field(ge=0, lt=1)
    top_layers: int = Field(default=0, ge=0)  # adapt only the last N blocks (0: all)
    bf16: bool = False  # bf16 autocast for the matrix products (fp32 master weights)
    warmup: float = Field(default=0.05, ge=0, lt=1)  # share of steps with a rising rate


PRESETS = {
    # LLM4IAS (Llama-3-8B): 1 epoch, learning rate 1e-5, batch 16, LoRA r 32, alpha 32
    "llm4ias": Preset(epochs=1, lr=1e-5, batch=16, rank=32, alpha=32, dropout=0.05),
    # this machine: see docs/train.md for the measurements behind each field
    "cpu": Preset(epochs=1, lr=3e-4, batch=8, rank=16, alpha=32, dropout=0.0, top_layers=12,
                  bf16=True),
    # full fine-tuning of the same blocks (rank, alpha and dropout unused): a starting point
    # at the usual full fine-tuning rate, not tuned by comparing runs
    "cpu-full": Preset(epochs=1, lr=3e-5, batch=8, rank=16, alpha=32, dropout=0.0,
                       top_layers=12, bf16=True),
}


def preset(name: str, **overrides) -> Preset:
    if name not in PRESETS:
        raise PlcPilotError(f"unknown preset {name!r}; choose {', '.join(PRESETS)}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    return PRESETS[name].model_copy(update=changes)
