"""Reading the files users hand over (programs, event logs): clear errors, never garbage.

Empty, binary, oversized and undecodable input is refused with a message that says what to do
(the CLI maps PlcPilotError to exit code 2). Standard input gets the same checks as a file.
Text is decoded first and checked for NUL characters after: UTF-16 (GX Works' "Unicode text"
export) is text full of NUL bytes, and a byte-order mark selects it without --encoding.
"""

from __future__ import annotations

import codecs
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from plcpilot.errors import PlcPilotError

# An FX3U holds at most 64 000 steps: even a fully commented listing is far below this.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Kind:
    """What a file is meant to hold, for messages that name it and say how to fix it."""

    noun: str
    why_small: str  # why the size limit is generous
    as_text: str  # how to give it as text instead of binary


PROGRAM = Kind("program", "an FX3U holds 64 000 steps",
               "give the program as text (GX Works: export the instruction list as text/CSV)")
EVENT_LOG = Kind("event log", "a day of a station's log is a few hundred KB",
                 "give the plant's text log, one event per line")


def read_source(path: str | Path, *, encoding: str = "utf-8",
                max_bytes: int = DEFAULT_MAX_BYTES, kind: Kind = PROGRAM) -> str:
    """Text of a file (`-` is standard input), bounded by `max_bytes`."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = "standard input"
    else:
        data = _read_file(Path(path), max_bytes, kind)
    if len(data) > max_bytes:
        raise PlcPilotError(f"{name}: input over the {max_bytes} byte limit for a {kind.noun} "
                            f"({kind.why_small}); raise it with --max-bytes if you mean it")
    text = _decode(data, name, encoding, kind)
    if "\0" in text:
        hint = (" If it is UTF-16 text without a byte-order mark, give --encoding utf-16-le."
                if encoding.replace("-", "").lower() in ("utf8", "utf8sig") else "")
        raise PlcPilotError(f"{name} looks binary (it contains NUL characters); {kind.as_text}."
                            + hint)
    if not text.strip():
        raise PlcPilotError(f"{name} is empty")
    return text


def _read_file(p: Path, max_bytes: int, kind: Kind) -> bytes:
    if p.is_dir():
        raise PlcPilotError(f"{p} is a directory; give a {kind.noun} file")
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise PlcPilotError(
                f"{p} is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit for "
                f"a {kind.noun} ({kind.why_small}); raise it with --max-bytes if you mean it")
        with p.open("rb") as f:  # a file that grows while read stays bounded too
            return f.read(max_bytes + 1)
    except FileNotFoundError:
        raise PlcPilotError(f"{p}: no such file") from None
    except OSError as e:
        raise PlcPilotError(f"{p}: cannot read ({e.strerror})") from None


def _decode(data: bytes, name: str, encoding: str, kind: Kind) -> str:
    if encoding.replace("-", "").lower() in ("utf8", "utf8sig") and data.startswith(_UTF16_BOMS):
        encoding = "utf-16"  # the byte-order mark says so
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise PlcPilotError(
            f"{name} is not valid {encoding} (byte {e.start}); if it is a {kind.noun} in another "
            "code page, give it with --encoding (e.g. cp932, cp1252, utf-16)") from None
    except LookupError:
        raise PlcPilotError(f"unknown encoding {encoding!r}") from None


def writable(path: Path, what: str) -> Path:
    """`path` as an output file, checked before any work is done: not a directory, in a
    folder that exists and can be written."""
    if path.is_dir():
        raise PlcPilotError(f"{what} {path} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise PlcPilotError(f"{what} {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PlcPilotError(f"{what} {path}: no permission to write there")
    return path


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` in one step: a reader (or a kill) never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def program_files(args: list[str], suffixes: tuple[str, ...]) -> list[str]:
    """The files a `check` over files and folders reads: a folder gives its files with one of
    `suffixes` (recursively, sorted); a file or `-` is taken as given."""
    found: list[str] = []
    for arg in args:
        p = Path(arg)
        if arg != "-" and p.is_dir():
            inside = sorted(str(f) for f in p.rglob("*") if f.is_file()
                            and f.suffix.lower() in suffixes)
            if not inside:
                raise PlcPilotError(f"{p}: no program files ({', '.join(suffixes)}) in it")
            found += inside
        else:
            found.append(arg)
    return found
