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


def warner(c: Console):
    """A `warn(message)` callback for the API's warnings (e.g. skipped result lines)."""
    return lambda message: c.print(styled(("warning: ", "yellow"), message))


def rule(c: Console, title: str = "") -> None:
    """A horizontal rule on a terminal; a short plain one in a pipe (no 1000-column line)."""
    if c.is_terminal:
        c.rule(Text(title))
    else:
        c.print(f"--- {title} ---" if title else "---")


def progress_bar(c: Console, *, disable: bool = False) -> Progress | LogProgress:
    """The bar long commands show on stderr (task descriptions are plain text, not markup); in
    a pipe or a log file, plain progress lines instead."""
    if not c.is_terminal:
        return LogProgress(c, disable=disable)
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=c, disable=disable)


class LogProgress:
    """The calls of a rich Progress, written as lines for a log: a task's state at most every
    `every` seconds and when it completes, with elapsed time and an estimate of what is left.
    The estimate follows the recent rate (over the last few shown intervals), not the mean
    since the start: a run that resumes, or whose first items are instant (the SOP engine
    before the model), would otherwise promise minutes where hours remain."""

    WINDOW = 6  # shown intervals the rate is taken over

    def __init__(self, c: Console, every: float = 5.0, disable: bool = False):
        import time

        self.c, self.every, self.disable, self._clock = c, every, disable, time.monotonic
        self.tasks: dict[int, dict] = {}

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def add_task(self, description: str, total: float | None = None) -> int:
        now = self._clock()
        self.tasks[len(self.tasks)] = {"description": description, "total": total,
                                       "completed": 0, "started": now, "shown": now,
                                       "recent": []}
        return len(self.tasks) - 1

    def advance(self, task: int, advance: float = 1) -> None:
        self.update(task, advance=advance)

    def update(self, task: int, *, total: float | None = None, completed: float | None = None,
               advance: float | None = None, description: str | None = None) -> None:
        t = self.tasks[task]
        for key, value in (("total", total), ("completed", completed),
                           ("description", description)):
            if value is not None:
                t[key] = value
        t["completed"] += advance or 0
        now = self._clock()
        done = t["total"] is not None and t["completed"] >= t["total"]
        if not self.disable and (done or now - t["shown"] >= self.every):
            t["shown"] = now
            self.c.print(self._line(t, now))
            t["recent"] = [*t["recent"][-self.WINDOW:], (now, t["completed"])]

    @staticmethod
    def _line(t: dict, now: float) -> str:
        elapsed, n, total = now - t["started"], t["completed"], t["total"]
        line = f"{t['description']}: {n:g}" + (f"/{total:g}" if total else "")
        line += f" in {elapsed:.0f} s"
        then, before = t["recent"][0] if t["recent"] else (now, n)
        rate = (n - before) / (now - then) if now > then else 0
        if total and 0 < n < total and rate > 0:
            line += f", about {(total - n) / rate:.0f} s left"
        return line


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
