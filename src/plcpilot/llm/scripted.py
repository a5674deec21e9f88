"""Deterministic replies for tests and demos: `scripted:<file>`.

The file is YAML or JSON: a list of replies used in turn (the last one repeats), or a mapping
from a substring of the last user message to a reply. No model, no network, no randomness.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from plcpilot.errors import PlcPilotError
from plcpilot.llm.base import Completion, Constraint, Message, Sampling, require
from plcpilot.llm.loops import stop_loops


class ScriptedBackend:
    accepts = frozenset({"lark", "json_schema"})  # replies are taken as written
    max_concurrency = 1  # replies are used in turn

    def __init__(self, path: str):
        self.spec = f"scripted:{path}"
        p = Path(path)
        if not p.is_file():
            raise PlcPilotError(f"scripted backend: no such file {path}")
        try:
            text = p.read_text(encoding="utf-8")
            data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as e:
            raise PlcPilotError(f"scripted backend: cannot read {path}: {e}") from None
        if isinstance(data, list) and data and all(isinstance(r, str) for r in data):
            self.replies, self.by_substring = data, {}
        elif isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            self.replies, self.by_substring = [], data
        else:
            raise PlcPilotError(f"scripted backend: {path} must hold a list of replies or a "
                                "mapping from a prompt substring to a reply")
        self.calls = 0

    def complete(self, messages: list[Message], sampling: Sampling = Sampling(),
                 constraint: Constraint | None = None) -> Completion:
        require(self, constraint)
        started = time.perf_counter()
        prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if self.by_substring:
            matches = [k for k in self.by_substring if k in prompt]
            if not matches:
                raise PlcPilotError("scripted backend: no scripted reply matches the prompt")
            reply = self.by_substring[max(matches, key=len)]
        else:
            reply = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        words = len(prompt.split())
        return stop_loops(Completion(text=reply, finish_reason="stop", tokens_in=words,
                                     tokens_out=len(reply.split()),
                                     seconds=time.perf_counter() - started,
                                     constrained=constraint is not None), sampling)


def backend(rest: str) -> ScriptedBackend:
    return ScriptedBackend(rest)
