"""Run folders (`bench run --out DIR`, `agent bench --out DIR`): one run at a time, and the
result lines read back without trusting them.

Two runs appending to one folder each redo the other's samples (44 lines for 22 samples) and
the report counts both, so a run holds an flock on DIR/run.lock from start to end. The kernel
drops the lock when the process dies, however it dies: a killed run leaves no stale lock. The
holder writes who it is into the file, for the refusal message. Reports read without the lock.

A result line may be cut by a kill, edited by hand or not ours at all: a line that is not a
record of the folder's kind is skipped and reported (its result is redone on resume), and a
second record of a finished result is skipped too, so a report never counts one twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import socket
import sys
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from plcpilot.errors import PlcPilotError, first_problem

LOCK = "run.lock"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold DIR/run.lock for the block (creating DIR), or refuse naming who holds it."""
    path = folder / LOCK
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise PlcPilotError(f"{folder}: cannot lock the run folder ({e.strerror or e})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PlcPilotError(f"{folder} is in use by another run ({_holder(fd)}); wait for "
                                "it to end or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": datetime.now().astimezone().isoformat(" ", "seconds"),
                                 "command": shlex.join(sys.argv)}).encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # the lock goes with the descriptor; the file stays (see above)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        who = json.loads(os.pread(fd, 65536, 0))
        return f"pid {who['pid']} on {who['host']} since {who['since']}: {who['command']}"
    except (ValueError, TypeError, KeyError):  # it has not written its name yet
        return "a process that has not said who it is yet"


@dataclass(frozen=True)
class Lines:
    """The records of a JSONL result file, and the lines skipped: (line number, why)."""

    records: list[dict]
    skipped: list[tuple[int, str]]

    def warning(self, path: Path) -> str | None:
        """One line for the user, or None when nothing was skipped."""
        if not self.skipped:
            return None
        numbers = ", ".join(str(n) for n, _ in self.skipped[:10])
        more = f" and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else ""
        line, why = self.skipped[0]
        return (f"{path}: skipped {len(self.skipped)} line(s) that are not results "
                f"(line {numbers}{more}; line {line}: {why}); a run on this folder redoes "
                "them, and deleting those lines silences this")


def read_lines(path: Path, model: type[BaseModel], key: Callable[[dict], Hashable]) -> Lines:
    """Every line of `path` that `model` accepts, the first of each `key`; blank lines are no
    records. A missing file has none."""
    records, skipped, seen = [], [], {}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Lines([], [])
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read ({e.strerror or e})") from None
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
            model.model_validate(record)
        except UnicodeDecodeError:
            skipped.append((number, "not UTF-8"))
            continue
        except ValidationError as e:
            skipped.append((number, first_problem(e)))
            continue
        except (ValueError, RecursionError):  # cut by a kill, or not JSON at all
            skipped.append((number, "not a JSON line"))
            continue
        first = seen.setdefault(key(record), number)
        if first != number:
            skipped.append((number, f"the same result as line {first}"))
            continue
        records.append(record)
    return Lines(records, skipped)
