"""Reading program files the way a user hands them over: clear errors, never garbage.

Empty, binary, oversized and undecodable files are refused with a message that says what to do
(the CLI maps PlcPilotError to exit code 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

from plcpilot.errors import PlcPilotError

# An FX3U holds at most 64 000 steps: even a fully commented listing is far below this.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def read_source(path: str | Path, *, encoding: str = "utf-8",
                max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Text of a program file (`-` is standard input)."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        p = Path(path)
        if p.is_dir():
            raise PlcPilotError(f"{p} is a directory; give a program file")
        try:
            size = p.stat().st_size
            if size > max_bytes:
                raise PlcPilotError(
                    f"{p} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit for "
                    "a program (an FX3U holds 64 000 steps); raise it with --max-bytes if you "
                    "mean it")
            data = p.read_bytes()
        except FileNotFoundError:
            raise PlcPilotError(f"{p}: no such file") from None
        except OSError as e:
            raise PlcPilotError(f"{p}: cannot read ({e.strerror})") from None
    if len(data) > max_bytes:
        raise PlcPilotError(f"{name}: input over the {max_bytes} byte limit (--max-bytes)")
    if b"\0" in data[:8192]:
        raise PlcPilotError(f"{name} looks binary (it contains NUL bytes); give the program as "
                            "text (GX Works: export as text/CSV instruction list)")
    try:
        text = data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise PlcPilotError(
            f"{name} is not valid {encoding} (byte {e.start}); if it is a GX Works export in "
            "another code page, give it with --encoding (e.g. cp932, cp1252)") from None
    except LookupError:
        raise PlcPilotError(f"unknown encoding {encoding!r}") from None
    if not text.strip():
        raise PlcPilotError(f"{name} is empty")
    return text
