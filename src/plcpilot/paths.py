"""Where shipped data lives: inside the wheel (plcpilot/data) or, in a checkout, ./data."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    packaged = Path(__file__).parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


def shipped_tasks(language: str = "fx-il") -> Path:
    return data_dir() / "tasks" / language
