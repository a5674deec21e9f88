"""Task-set importers. Agents4PLC (../shared/corpus/st/agents4plc): pretty-printed JSON objects
one after another (not one per line), each an NL instruction with the POU interface and
PLCverif-style properties. Until the ST language lands they are imported and validated, and
the properties kept on the task for it."""

from __future__ import annotations

import json
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.spec import Task


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
        out.append(obj)


def import_agents4plc(path: Path | str) -> list[Task]:
    """One file (benchmark_v1_easy.jsonl, …): category = the file's difficulty."""
    path = Path(path)
    category = path.stem.removeprefix("benchmark_")  # v1_easy, v2_medium, …
    tasks = []
    for n, obj in enumerate(_objects(path.read_text(encoding="utf-8"), path), start=1):
        missing = [k for k in ("id", "instruction", "properties_to_be_validated") if k not in obj]
        if missing:
            raise PlcPilotError(f"{path}: object {n} lacks {', '.join(missing)}")
        props = obj["properties_to_be_validated"]
        if not isinstance(props, list) or not all(isinstance(p, dict) and "property" in p
                                                  for p in props):
            raise PlcPilotError(f"{path}: object {n} ({obj['id']}): properties must be a list "
                                "of {property_description, property}")
        tasks.append(Task(id=str(obj["id"]), language="st", category=category,
                          prompt=obj["instruction"].strip(), properties=props,
                          source="Agents4PLC (Apache-2.0)"))
    return tasks
