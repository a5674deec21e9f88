"""Deterministic replies for tests and demos: `scripted:<file>[?tokens_per_s=N]`.

The file is YAML or JSON: a list of replies used in turn (the last one repeats), or a mapping
from a substring of the last user message to a reply. No model, no network, no randomness.
With `tokens_per_s`, a reply is handed out word by word at that rate, as a model would decode
it: what progress displays, interruptions and time bounds see is then like a real run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import yaml

from plcpilot.errors import PlcPilotError
from plcpilot.llm.base import Completion, Constraint, Message, OnToken, Sampling, require
from plcpilot.llm.loops import stop_loops


class ScriptedBackend:
    accepts = frozenset({"lark", "json_schema"})  # replies are taken as written
    max_concurrency = 1  # replies are used in turn

    def __init__(self, path: str, tokens_per_s: float = 0.0):
        self.spec = f"scripted:{path}"
        self.tokens_per_s = tokens_per_s
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

    def preflight(self) -> None:
        """The replies were read when the backend was made: nothing can fail later."""

    def complete(self, messages: list[Message], sampling: Sampling = Sampling(),
                 constraint: Constraint | None = None,
                 on_token: OnToken | None = None) -> Completion:
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
        self._pace(len(reply.split()), on_token)
        words = len(prompt.split())
        return stop_loops(Completion(text=reply, finish_reason="stop", tokens_in=words,
                                     tokens_out=len(reply.split()),
                                     seconds=time.perf_counter() - started,
                                     constrained=constraint is not None), sampling)


    def _pace(self, tokens: int, on_token: OnToken | None) -> None:
        for n in range(1, tokens + 1):
            if self.tokens_per_s:
                time.sleep(1 / self.tokens_per_s)
            if on_token is not None:
                on_token(n)


def backend(rest: str) -> ScriptedBackend:
    path, _, query = rest.partition("?")
    options = parse_qs(query)
    unknown = set(options) - {"tokens_per_s"}
    if unknown:
        raise PlcPilotError(f"scripted backend: unknown option(s) {', '.join(sorted(unknown))}; "
                            "known: tokens_per_s")
    try:
        rate = float(options.get("tokens_per_s", ["0"])[-1])
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1e6:
        raise PlcPilotError(f"scripted backend: tokens_per_s must be a number from 0 to 1e6, "
                            f"got {options['tokens_per_s'][-1]!r}")
    return ScriptedBackend(path, rate)
