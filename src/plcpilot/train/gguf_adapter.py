"""A peft LoRA adapter as a llama.cpp GGUF adapter, so the in-process backends load it
(`embedded+lora:DIR`) without merging or re-quantising the base.

llama.cpp stores a Llama model's q and k projections with their rows permuted for its rotary
embedding layout (transformers undoes that when it reads a GGUF). A LoRA delta B·A on those
projections must be permuted the same way; permuting B's rows does it, since P(BA) = (PB)A.
"""

from __future__ import annotations

import re
from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import

_MODULE = re.compile(r"(model\.layers\.\d+\.(?:self_attn|mlp)\.\w+)\.lora_([AB])\.weight$")


def _permute(weights, n_head: int):
    """llama.cpp's row order for q/k (its convert script's `permute`), on numpy rows."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def write_adapter_gguf(model, path: Path) -> int:
    """Write the adapter of a peft model to `path`; returns the number of adapted matrices."""
    gguf = optional_import("gguf", "writing GGUF adapters", "train")
    peft = optional_import("peft", "LoRA fine-tuning", "train")
    config = model.get_base_model().config
    if config.model_type != "llama":
        raise PlcPilotError(f"GGUF adapters are written for Llama-architecture models; this base "
                            f"is {config.model_type!r} (the peft adapter folder still works "
                            "with transformers)")
    lora = model.peft_config["default"]
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    pairs: dict[str, dict[str, object]] = {}
    for key, tensor in peft.get_peft_model_state_dict(model).items():
        if m := _MODULE.search(key):
            pairs.setdefault(m.group(1), {})[m.group(2)] = tensor.detach().float().numpy()
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(lora.lora_alpha))
    heads = {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}
    for module, ab in sorted(pairs.items()):
        target = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if target is None or set(ab) != {"A", "B"}:
            raise PlcPilotError(f"cannot map {module} to a llama.cpp tensor")
        b = ab["B"]
        if (n := heads.get(module.rsplit(".", 1)[1])) is not None:
            b = _permute(b, n)
        writer.add_tensor(target + ".lora_a", ab["A"])
        writer.add_tensor(target + ".lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(pairs)
