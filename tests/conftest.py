from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# tests never touch the user's model/index cache, and never reach for a model hub
os.environ.setdefault("PLCPILOT_CACHE", tempfile.mkdtemp(prefix="plcpilot-test-cache-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
CORPUS = ROOT.parent / "shared" / "corpus"
XOJO = CORPUS / "fx" / "xojo"


def cli(*args: str, input: str | bytes | None = None, timeout: float = 120,
        cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the installed `plcpilot` command as a user would (`env`: variables to set)."""
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run([sys.executable, "-m", "plcpilot", *map(str, args)], input=input,
                          capture_output=True, cwd=cwd, timeout=timeout,
                          env=os.environ | env if env else None)


class Scanner:
    """Drive an FX machine scan by scan (10 ms scans) for semantic tests."""

    def __init__(self, program: str, scan_ms: int = 10):
        from plcpilot.fxil.simulator import compile_program

        self.m = compile_program(program)()
        self.scan_ms = scan_ms
        self.t = 0

    def set(self, **values: int) -> Scanner:
        for k, v in values.items():
            self.m.write(k, v)
        return self

    def run(self, ms: int | None = None, scans: int | None = None) -> Scanner:
        count = scans if scans is not None else ms // self.scan_ms
        for _ in range(count):
            self.m.scan(self.t, self.scan_ms)
            self.t += self.scan_ms
        return self

    def __getitem__(self, name: str) -> int:
        return self.m.read(name)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the checkout")
    return CORPUS
