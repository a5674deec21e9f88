"""Trained weights in llama.cpp's terms: a peft LoRA adapter as a llama.cpp GGUF adapter, so
the in-process backends load it (`embedded+lora:DIR`) without merging or re-quantising the base;
and full fine-tuning's changes as deltas of llama.cpp tensors, for `gguf_merge`.

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


def _layout(config):
    """(transformers → llama.cpp tensor names, q/k heads) of a Llama-architecture model."""
    gguf = optional_import("gguf", "writing GGUF files", "train")
    if config.model_type != "llama":
        raise PlcPilotError(f"GGUF files are written for Llama-architecture models; this base "
                            f"is {config.model_type!r} (the peft adapter or safetensors folder "
                            "still works with transformers)")
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    return names, {"q_proj": config.num_attention_heads, "k_proj": config.num_key_value_heads}


def _llama_cpp(names, heads: dict, module: str, rows):
    """(llama.cpp's name of `module`'s weight, `rows` in llama.cpp's row order)."""
    target = names.get_name(module + ".weight", try_suffixes=(".weight",))
    if target is None:
        raise PlcPilotError(f"cannot map {module} to a llama.cpp tensor")
    n = heads.get(module.rsplit(".", 1)[1])
    return target, rows if n is None else _permute(rows, n)


def write_adapter_gguf(model, path: Path) -> int:
    """Write the adapter of a peft model to `path`; returns the number of adapted matrices."""
    gguf = optional_import("gguf", "writing GGUF adapters", "train")
    peft = optional_import("peft", "LoRA fine-tuning", "train")
    names, heads = _layout(model.get_base_model().config)
    lora = model.peft_config["default"]
    pairs: dict[str, dict[str, object]] = {}
    for key, tensor in peft.get_peft_model_state_dict(model).items():
        if m := _MODULE.search(key):
            pairs.setdefault(m.group(1), {})[m.group(2)] = tensor.detach().float().numpy()
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(lora.lora_alpha))
    for module, ab in sorted(pairs.items()):
        if set(ab) != {"A", "B"}:
            raise PlcPilotError(f"{module}: the adapter has only lora_{''.join(ab)}")
        target, b = _llama_cpp(names, heads, module, ab["B"])
        writer.add_tensor(target + ".lora_a", ab["A"])
        writer.add_tensor(target + ".lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(pairs)


def weight_deltas(trained: dict, initial: dict, config) -> dict:
    """Full fine-tuning's changes as llama.cpp tensors: name → trained − initial (float32
    numpy, q/k rows in llama.cpp's order), for the weights in `trained` (transformers names)."""
    names, heads = _layout(config)
    deltas = {}
    for name, weights in trained.items():
        delta = (weights.detach().float() - initial[name].detach().float()).numpy()
        target, delta = _llama_cpp(names, heads, name.removesuffix(".weight"), delta)
        deltas[target] = delta
    return deltas
