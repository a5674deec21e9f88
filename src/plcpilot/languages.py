"""The Language protocol, its optional capabilities, its options, and the registry.

Every PLC language is a plug-in with the same faces: parse+check, a simulator for behavioural
tests, a decoding constraint for generation, and its own diagnostic codes. Everything that
differs between languages (prompt wording, checker tiers, extra verdicts, options such as the
FX CPU model) is declared on the language object, so code above the languages never names one.
Built-ins and third-party packages register the same way: an object exposed in the
`plcpilot.languages` entry-point group (see pyproject.toml), so a Siemens-STL package is a peer.
Pipelines (generate, bench, server) reach languages only through `get()`.

Beyond the faces, a language may offer capabilities that callers discover with `isinstance` on
the small protocols below (`Mutants`, `Properties`, `Exports`), so a command
over a language without one says so instead of failing on an import.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from plcpilot.errors import PlcPilotError

if TYPE_CHECKING:
    from plcpilot.diagnostics import CheckReport, Code
    from plcpilot.llm.base import Backend, Constraint
    from plcpilot.spec import Machine, Task

# what a command assumes when neither a file ending, a task nor --lang names a language
DEFAULT = "fx-il"


@dataclass(frozen=True)
class Option:
    """A setting a language declares (FX: `cpu`), given on the CLI as `--opt name=value`."""

    name: str
    default: str
    allowed: tuple[str, ...]
    help: str
    # how the value appears in a report's verdict line (FX: "FX3U"); None: not shown
    shown: Callable[[str], str] | None = None


@runtime_checkable
class Language(Protocol):
    name: str  # registry key used in task files ("fx-il", "st", "sfc")
    title: str
    suffixes: tuple[str, ...]  # file endings that select this language
    code_fence: str  # markdown fence tag for programs in prompts ("fx-il", "st")
    prompt_rules: str  # how a program is written, for generation prompts
    answer_rule: str  # how a bare answer ends, for code-only prompts ("" when nothing to say)
    # settings the language takes (may be empty): every method below gets them as keywords,
    # all declared ones with defaults filled in (options_for), never another language's
    options: tuple[Option, ...]
    codes: Mapping[str, Code]  # its diagnostic codes (plcpilot.diagnostics), by code
    # extra yes/no verdicts its check reports carry, by report field, with a column label for
    # benchmark reports (FX: {"paper_valid": "paper-valid"}); may be empty
    verdicts: Mapping[str, str]
    # optional: `generated_errors`, the warning codes that count as errors for generated code
    # (the repair loop hears of them), e.g. FX's double-coil; none when absent. Optional too:
    # `calibration_note`, what a benchmark report adds to its checker's calibration on the
    # references (FX: how the paper's checker fared on its own)

    def check(self, source: str, **options) -> CheckReport:
        """Static check: never raises for a bad program, reports it. Its tiers are the
        language's own; reports show whichever it returns."""

    def simulator(self, source: str, **options) -> Callable[[], Machine]:
        """Check and compile once; each call of the result powers on a fresh machine.

        Raises PlcPilotError when the program cannot run (it has check errors)."""

    def constraint(self, backend: Backend, request: str = "", **options) -> Constraint:
        """The decoding constraint for `backend`: the first kind the language offers that the
        backend accepts (plcpilot.llm.base.choose); PlcPilotError when it accepts none.
        `request` is what the answer is for: a language may bind its constraint to it (FX with
        io=named: the inputs and outputs it names)."""

    def close_truncated(self, source: str, **options) -> str | None:
        """Complete a grammar-valid prefix cut off at the token budget (None if impossible)."""

    def reads_as_code(self, line: str) -> bool:
        """Is this one line of an answer code (not prose)? For the benchmark's prose count."""


@runtime_checkable
class Mutants(Protocol):
    """Capability: mutants of a program, to measure whether a task's tests pin its behaviour."""

    def mutants(self, source: str) -> list[tuple[str, str]]:
        """(description, mutated source) pairs, deterministic."""


@runtime_checkable
class Properties(Protocol):
    """Capability: check a task's properties (Agents4PLC's PLCverif requirements, which stand
    in for tests) on a program."""

    def check_properties(self, task: Task, source: str, *, bmc: int = 0) -> list:
        """Reports (plcpilot.st.properties.PropertyReport) by simulation over generated input
        sequences and, with bmc = k > 0, by bounded model checking over k cycles."""


@runtime_checkable
class Exports(Protocol):
    """Capability: the program written in another file format (SFC: PLCopen XML), chosen by
    the output file's ending."""

    export_suffixes: tuple[str, ...]

    def export(self, source: str, suffix: str) -> str:
        """`source` as the format of `suffix`; PlcPilotError when it cannot be converted."""


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


def for_path(path: Path, default: str = DEFAULT) -> Language:
    """The language a file's ending selects, else `default`."""
    suffix = path.suffix.lower()
    for lang in load_all().values():
        if suffix in lang.suffixes:
            return lang
    return get(default)


def parse_options(assignments: Iterable[str]) -> dict[str, str]:
    """`name=value` strings (the CLI's repeatable --opt) as a mapping; the last one wins."""
    given = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise PlcPilotError(f"--opt {text!r}: write it as NAME=VALUE, e.g. --opt cpu=fx2n")
        given[name.strip()] = value.strip()
    return given


def check_options(langs: Iterable[Language], given: Mapping[str, str]) -> None:
    """Refuse an option none of `langs` declares, or a value its language does not allow, with
    a message naming the allowed ones."""
    langs = list(langs)
    declared = {o.name for lang in langs for o in lang.options}
    for name in given:
        if name not in declared:
            which = ", ".join(sorted({lang.name for lang in langs}))
            allowed = ", ".join(sorted(declared)) or "none"
            raise PlcPilotError(f"unknown option {name!r} for {which}; options: {allowed}")
    for lang in langs:
        options_for(lang, given)


def options_for(language: Language, given: Mapping[str, str]) -> dict[str, str]:
    """Every option of the language: the values of `given` it declares (checked against the
    allowed ones), defaults for the rest. Options it does not declare are another language's."""
    out = {}
    for o in language.options:
        value = given.get(o.name, o.default)
        if value not in o.allowed:
            raise PlcPilotError(f"{language.name}: option {o.name} cannot be {value!r}; "
                                f"allowed: {', '.join(o.allowed)}")
        out[o.name] = value
    return out


def simulator(language: Language, source: str, options: Mapping[str, str],
              entry: str | None = None) -> Callable[[], Machine]:
    """The language's simulator for `source` with its options, running the task's `entry` POU
    when the task names one (FORMATS.md §1; a language without POUs, FX, ignores it)."""
    return language.simulator(source, **options_for(language, options),
                              **({"entry": entry} if entry else {}))


def shown_options(language: Language, options: Mapping[str, str]) -> list[str]:
    """The option values a verdict line names (FX: the CPU model), as the language shows them."""
    return [o.shown(options.get(o.name, o.default)) for o in language.options if o.shown]


def mutants_of(language: Language) -> Mutants:
    """The language as a mutant source, or a PlcPilotError saying it offers none."""
    if not isinstance(language, Mutants):
        raise PlcPilotError(f"{language.name} offers no mutants: `plcpilot tasks mutate` works "
                            "for languages that do")
    return language
