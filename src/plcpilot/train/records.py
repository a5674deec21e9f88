"""One supervised example: the chat messages inference sends, and the answer it should give.

The messages come from the same prompt builders as inference (plant.agent.messages, the
generation pipeline's prompts), so a model trains on exactly the template it is used with.
Files are JSON lines, one example each, with the split named on every line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from plcpilot.errors import PlcPilotError, first_problem

Split = Literal["train", "validation", "test"]  # test: held out, never trained on


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str  # what the example teaches, e.g. agent-sop, agent-abnormal
    split: Split
    group: str  # examples of one group (a scenario seed) always share a split
    messages: list[ChatMessage]  # the prompt, ending before the answer
    answer: str


def write_examples(examples: Iterable[Example], path: Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for example in examples:
            f.write(example.model_dump_json() + "\n")
            n += 1
    return n


def read_examples(path: Path, split: Split | None = None) -> list[Example]:
    """The examples of a JSONL file (or every *.jsonl in a folder), optionally of one split."""
    path = Path(path)
    if path.is_dir():
        return [e for f in sorted(path.glob("*.jsonl")) for e in read_examples(f, split)]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read training data ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise PlcPilotError(f"{path}: not UTF-8 text (byte {e.start}); training data is JSON "
                            "lines") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            example = Example.model_validate_json(line)
        except ValidationError as e:
            raise PlcPilotError(f"{path}:{number}: not a training example: "
                                f"{first_problem(e)}") from None
        if split is None or example.split == split:
            out.append(example)
    if not out:
        raise PlcPilotError(f"{path}: no training examples" + (f" in split {split}" if split
                                                                  else ""))
    return out
