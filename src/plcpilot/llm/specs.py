"""One model-spec string selects backend and model everywhere (CLI, bench, agent).

`scheme:rest` — `embedded[:name]`, `gguf:<path>`, `ollama:<tag>`, `openai:<base-url>#<model>`,
`scripted:<file>`. Schemes come from the `plcpilot.backends` entry-point group (built-ins too,
see pyproject.toml), imported lazily so a spec never pulls in libraries it does not use.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points

from plcpilot.errors import PlcPilotError
from plcpilot.llm.base import Backend

DEFAULT_MODEL = "embedded"


def schemes() -> dict[str, Callable[[str], Backend]]:
    return {ep.name: ep for ep in entry_points(group="plcpilot.backends")}


@cache
def load_backend(spec: str = DEFAULT_MODEL) -> Backend:
    """The backend for a spec (cached: a model loads once per process), checked by its
    preflight: a missing package or an unreachable server is an error here, not minutes later."""
    scheme, sep, rest = spec.partition(":")
    known = schemes()
    if scheme not in known:
        close = difflib.get_close_matches(scheme, list(known), n=2)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise PlcPilotError(
            f"unknown model spec {spec!r}: the scheme must be one of "
            f"{', '.join(sorted(known))} (e.g. ollama:qwen2.5-coder:7b, "
            f"openai:http://127.0.0.1:8000/v1#model, gguf:/path/model.gguf).{hint}")
    if not sep and scheme != "embedded":
        raise PlcPilotError(f"model spec {spec!r} needs something after '{scheme}:'")
    backend = known[scheme].load()(rest)
    backend.preflight()
    return backend
