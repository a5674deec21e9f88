"""The Language protocol and its registry.

Every PLC language is a plug-in with the same faces: parse+check, a simulator for behavioural
tests, and a grammar for constrained decoding.
Built-ins and third-party packages register the same way: an object exposed in the
`plcpilot.languages` entry-point group (see pyproject.toml), so a Siemens-STL package is a peer.
Pipelines (generate, bench, server) reach languages only through `get()`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from plcpilot.errors import PlcPilotError

if TYPE_CHECKING:
    from plcpilot.diagnostics import CheckReport
    from plcpilot.spec import Machine


@runtime_checkable
class Language(Protocol):
    name: str  # registry key used in task files ("fx-il", "st", "sfc")
    title: str
    suffixes: tuple[str, ...]  # file endings that select this language
    code_fence: str  # markdown fence tag for programs in prompts ("fx-il", "st")
    prompt_rules: str  # how a program is written, for generation prompts
    # optional: `generated_errors`, the warning codes that count as errors for generated code
    # (the repair loop hears of them), e.g. FX's double-coil; none when absent

    def check(self, source: str, **options) -> CheckReport:
        """Static check: never raises for a bad program, reports it."""

    def simulator(self, source: str, **options) -> Callable[[], Machine]:
        """Check and compile once; each call of the result powers on a fresh machine.

        Raises PlcPilotError when the program cannot run (it has check errors)."""

    def grammar(self, **options) -> str:
        """A Lark grammar for constrained decoding: what the checker accepts, where a CFG can."""

    def close_truncated(self, source: str, **options) -> str | None:
        """Complete a grammar-valid prefix cut off at the token budget (None if impossible)."""


_REGISTRY: dict[str, Language] = {}
_loaded = False


def register(language: Language) -> Language:
    if not isinstance(language, Language):
        raise TypeError(f"{language!r} does not implement the Language protocol")
    _REGISTRY[language.name] = language
    return language


def load_all() -> dict[str, Language]:
    """Load every language in the entry-point group once (built-ins included)."""
    global _loaded
    if not _loaded:
        for ep in entry_points(group="plcpilot.languages"):
            register(ep.load())
        _loaded = True
    return _REGISTRY


def get(name: str) -> Language:
    languages = load_all()
    if name in languages:
        return languages[name]
    close = difflib.get_close_matches(name, list(languages), n=2)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise PlcPilotError(
        f"unknown language {name!r}; installed: {', '.join(sorted(languages)) or 'none'}.{hint}"
    )


def for_path(path: Path, default: str = "fx-il") -> Language:
    """The language a file's ending selects, else `default`."""
    suffix = path.suffix.lower()
    for lang in load_all().values():
        if suffix in lang.suffixes:
            return lang
    return get(default)
