"""A merged GGUF: the embedded model with trained changes folded into its weights, for what
takes one model file and no adapter (`--model gguf:FILE`, or a llama.cpp server or Ollama given
the file): a run's LoRA adapter, or the deltas of full fine-tuning.

The changes are in llama.cpp's layout already (q/k rows permuted, see `gguf_adapter`); an
adapter's is (α/r)·B·A, as llama.cpp applies it at run time. A changed quantised tensor is
stored as Q8_0: re-quantising it to the base's 4 bits would round away much of a delta that
small; a float one stays float. Every other tensor and all metadata are copied byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import


def _read(path: Path):
    """A GGUF file, or a clear error for one that is not (truncated, another format)."""
    gguf = optional_import("gguf", "merging into GGUF models", "train")
    try:
        return gguf.GGUFReader(path)
    except (OSError, ValueError, IndexError) as e:
        raise PlcPilotError(f"{path}: not a readable GGUF file ({e})") from None


def merge_adapter(base: Path, adapter: Path, out: Path) -> int:
    """Write `base` with the GGUF LoRA `adapter` merged to `out`; returns the merged tensors."""
    gguf = optional_import("gguf", "merging adapters into GGUF models", "train")
    lora = _read(adapter)
    alpha = lora.get_field(gguf.Keys.Adapter.LORA_ALPHA)
    if alpha is None:
        raise PlcPilotError(f"{adapter} is not a LoRA adapter GGUF (no LoRA alpha)")
    pairs: dict[str, dict[str, object]] = {}
    for t in lora.tensors:
        target, _, part = t.name.rpartition(".lora_")
        pairs.setdefault(target, {})[part] = t.data
    deltas = {target: (alpha.contents() / ab["a"].shape[0]) * (ab["b"] @ ab["a"])
              for target, ab in pairs.items()}
    return merge_deltas(base, deltas, out, f"{adapter} adapts")


def merge_deltas(base: Path, deltas: dict, out: Path, what: str = "the run changes") -> int:
    """Write `base` with each llama.cpp tensor of `deltas` (name → float32 array) added to
    `out`; returns how many were changed."""
    gguf = optional_import("gguf", "merging into GGUF models", "train")
    quants = optional_import("gguf.quants", "merging into GGUF models", "train")
    model = _read(base)
    if unknown := set(deltas) - {t.name for t in model.tensors}:
        raise PlcPilotError(f"{what} tensors {base.name} does not have "
                            f"({', '.join(sorted(unknown)[:3])}): was it trained on another model?")
    part = out.with_name(out.name + ".part")  # a killed merge leaves no half model under `out`
    writer = gguf.GGUFWriter(str(part), model.get_field(gguf.Keys.General.ARCHITECTURE).contents())
    for field in model.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # the writer writes these itself
        kind = field.types[0]
        writer.add_key_value(field.name, field.contents(), kind,
                             sub_type=field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None)
    floats = (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16)
    for t in model.tensors:
        delta = deltas.get(t.name)
        if delta is None:
            writer.add_tensor(t.name, t.data, raw_dtype=t.tensor_type)
        elif t.tensor_type in floats:
            writer.add_tensor(t.name, (t.data + delta.reshape(t.data.shape)).astype(t.data.dtype))
        else:
            weights = (quants.dequantize(t.data, t.tensor_type) + delta).astype("float32")
            kind = gguf.GGMLQuantizationType.Q8_0
            writer.add_tensor(t.name, quants.quantize(weights, kind), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    part.replace(out)
    return len(deltas)
