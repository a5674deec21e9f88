"""A merged GGUF: the embedded model with a run's LoRA adapter folded into its weights, for
what takes one model file and no adapter (`--model gguf:FILE`, or a llama.cpp server or Ollama
given the file).

The adapter's tensors are already in llama.cpp's layout (q/k rows permuted, see
`gguf_adapter`), so merging is W + (α/r)·B·A on the dequantised base tensor, as llama.cpp applies
an adapter at run time. A merged tensor is stored as Q8_0: re-quantising it to the base's 4 bits
would round away much of a delta that small. Every other tensor and all metadata are copied
byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import


def merge_adapter(base: Path, adapter: Path, out: Path) -> int:
    """Write `base` with `adapter` merged to `out`; returns the number of merged tensors."""
    gguf = optional_import("gguf", "merging adapters into GGUF models", "train")
    quants = optional_import("gguf.quants", "merging adapters into GGUF models", "train")
    lora = gguf.GGUFReader(adapter)
    alpha = lora.get_field(gguf.Keys.Adapter.LORA_ALPHA)
    if alpha is None:
        raise PlcPilotError(f"{adapter} is not a LoRA adapter GGUF (no LoRA alpha)")
    pairs: dict[str, dict[str, object]] = {}
    for t in lora.tensors:
        target, _, part = t.name.rpartition(".lora_")
        pairs.setdefault(target, {})[part] = t.data
    model = gguf.GGUFReader(base)
    if unknown := set(pairs) - {t.name for t in model.tensors}:
        raise PlcPilotError(f"{adapter} adapts tensors {base.name} does not have "
                            f"({', '.join(sorted(unknown)[:3])}): was it trained on another model?")
    part = out.with_name(out.name + ".part")  # a killed merge leaves no half model under `out`
    writer = gguf.GGUFWriter(str(part), model.get_field(gguf.Keys.General.ARCHITECTURE).contents())
    for field in model.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # the writer writes these itself
        kind = field.types[0]
        writer.add_key_value(field.name, field.contents(), kind,
                             sub_type=field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None)
    for t in model.tensors:
        ab = pairs.get(t.name)
        if ab is None:
            writer.add_tensor(t.name, t.data, raw_dtype=t.tensor_type)
            continue
        a, b = ab["a"], ab["b"]
        weights = quants.dequantize(t.data, t.tensor_type)
        weights = weights + (alpha.contents() / a.shape[0]) * (b @ a)
        kind = gguf.GGMLQuantizationType.Q8_0
        writer.add_tensor(t.name, quants.quantize(weights.astype("float32"), kind), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    part.replace(out)
    return len(pairs)
