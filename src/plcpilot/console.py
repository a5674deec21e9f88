"""Consoles for the command line: user text is never markup, piped output is never wrapped.

Almost everything the CLI prints holds text from a user or a model: paths, task ids, station
names, log lines, operands, test names. Rich would read `[/x]` there as a closing tag and fail,
and silently drop `[red]` or `[hh:mm:ss]`. So the consoles have markup, emoji codes and
highlighting off, and styles come from `styled()` parts, which are never parsed.

When a stream is not a terminal (a pipe, a file, CI), lines are not wrapped at 80 columns:
`plcpilot models list | cat` gets each path on one line.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

PIPE_WIDTH = 1000  # wide enough that no message or table row wraps in a pipe


def console(stderr: bool = False) -> Console:
    c = Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)
    if not c.is_terminal:
        c.width = PIPE_WIDTH
    return c


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line from plain strings and (text, style) pairs; nothing in it is read as markup."""
    return Text.assemble(*parts)


def rule(c: Console, title: str = "") -> None:
    """A horizontal rule on a terminal; a short plain one in a pipe (no 1000-column line)."""
    if c.is_terminal:
        c.rule(Text(title))
    else:
        c.print(f"--- {title} ---" if title else "---")


def progress_bar(c: Console, *, disable: bool = False) -> Progress:
    """The bar long commands show on stderr; task descriptions are plain text, not markup."""
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=c, disable=disable)


class Ticker:
    """Live progress on stderr for one long job: a status line on a terminal; elsewhere (a pipe,
    `--json` into a file, CI) a plain line when the stage changes and every `every` seconds, so
    a long run is never silent and never floods a log."""

    def __init__(self, c: Console, every: float = 5.0, enabled: bool = True):
        import time

        self.c, self.every, self.enabled, self._clock = c, every, enabled, time.monotonic
        self._status = None
        self._last_stage: str | None = None
        self._last_at = 0.0

    def __enter__(self) -> Ticker:
        if self.enabled and self.c.is_terminal:
            self._status = self.c.status(Text("starting"), spinner="dots")
            self._status.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)

    def update(self, stage: str, detail: str = "") -> None:
        """Show `stage` (and `detail`, e.g. tokens so far); a new stage is always shown."""
        if not self.enabled:
            return
        line = f"{stage}: {detail}" if detail else stage
        if self._status is not None:
            self._status.update(Text(line))
            return
        now = self._clock()
        if stage != self._last_stage or now - self._last_at >= self.every:
            self.c.print(line)
            self._last_stage, self._last_at = stage, now
