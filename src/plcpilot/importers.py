"""Third-party task sets read as tasks. Agents4PLC (its benchmark/*.jsonl): pretty-printed JSON
objects one after another (not one per line), each an NL instruction with the POU interface and
PLCverif-style properties, which stand in for tests (plcpilot.st.properties checks them).

`load_tasks` reads such a file directly (`recognise`), so `bench run --tasks DIR` takes the
benchmark's own folder; `tasks import agents4plc` writes them as a task file of ours."""

from __future__ import annotations

import json
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.spec import Task
from plcpilot.taskfile import MAX_JSON_BYTES, read_text


def _objects(text: str, path: Path) -> list[dict]:
    decoder, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        try:
            obj, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise PlcPilotError(f"{path}: not a sequence of JSON objects at char {e.pos}: "
                                f"{e.msg}") from None
        except RecursionError:
            raise PlcPilotError(f"{path}: nested too deeply to be a task") from None
        out.append(obj)


def recognise(path: Path, text: str) -> bool:
    """An Agents4PLC file: JSON objects spread over lines, with their instruction field (our
    JSONL has one object per line, and a prompt)."""
    first = text.lstrip()[:1]
    return path.suffix == ".jsonl" and first == "{" and "\n" in text.strip().split("}", 1)[0] \
        and '"properties_to_be_validated"' in text and '"instruction"' in text


def import_agents4plc(path: Path | str, text: str | None = None) -> list[Task]:
    """One file (benchmark_v1_easy.jsonl, …): category = the file's difficulty."""
    path = Path(path)
    if text is None:
        text = read_text(path, MAX_JSON_BYTES)
    category = path.stem.removeprefix("benchmark_")  # v1_easy, v2_medium, …
    tasks = []
    for n, obj in enumerate(_objects(text, path), start=1):
        if not isinstance(obj, dict):
            raise PlcPilotError(f"{path}: object {n} is not a task (a JSON object)")
        missing = [k for k in ("id", "instruction", "properties_to_be_validated") if k not in obj]
        if missing:
            raise PlcPilotError(f"{path}: object {n} lacks {', '.join(missing)}")
        props = obj["properties_to_be_validated"]
        if not isinstance(props, list) or not all(isinstance(p, dict) and "property" in p
                                                  for p in props):
            raise PlcPilotError(f"{path}: object {n} ({obj['id']}): properties must be a list "
                                "of {property_description, property}")
        if not isinstance(obj["instruction"], str):
            raise PlcPilotError(f"{path}: object {n} ({obj['id']}): the instruction is not text")
        tasks.append(Task(id=str(obj["id"]), language="st", category=category,
                          prompt=obj["instruction"].strip(), properties=props,
                          source="Agents4PLC (Apache-2.0)"))
    return tasks
