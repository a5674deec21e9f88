"""What a running ST program shares besides its variables: the scan's clock, the loop budget
(the watchdog), run-time errors.

Closures are compiled once per program and shared by every machine powered on from it, so the
per-scan state cannot live in them: `Runtime` is that state, pointed at the scanning machine's
globals and notes when its scan starts (machines of one program never scan concurrently).
"""

from __future__ import annotations

from plcpilot.errors import PlcPilotError, SimulationLimit

# Loop statements one scan may run. Like the FX watchdog (fxil.runtime.WATCHDOG_STEPS): a real
# PLC stops a scan that overruns its cycle time; 300 000 loop statements take well under a
# second here and far longer than any real cycle, so only a runaway loop reaches it.
LOOP_BUDGET = 300_000


class StRuntimeError(SimulationLimit, PlcPilotError):
    """A run-time error of the ST program (index out of bounds, integer division by zero, the
    loop budget): a PlcPilotError for callers that scan directly, and a SimulationLimit so that
    the timeline runner reports it as the test's error instead of aborting every test."""


class Runtime:
    __slots__ = ("now", "dt", "steps", "globals", "notes")

    def __init__(self) -> None:
        self.now = 0  # this scan's start, ms since power-on
        self.dt = 0  # this scan's duration, ms
        self.steps = 0  # loop statements run this scan
        self.globals: list = []  # the scanning machine's VAR_GLOBAL frame
        self.notes: list[str] = []  # the scanning machine's notes

    def fail(self, pou: str, line: int, message: str) -> StRuntimeError:
        """The error to raise, recorded in the machine's notes first."""
        text = f"{pou}, line {line}: {message}" if line else f"{pou}: {message}"
        self.notes.append(text)
        return StRuntimeError(text)

    def over_budget(self, pou: str, line: int) -> StRuntimeError:
        return self.fail(pou, line, f"the scan ran more than {LOOP_BUDGET:,} loop statements "
                                    "(an endless loop?); a PLC's watchdog would stop it here")


# statement results: how control leaves a statement list
EXIT, CONTINUE, RETURN = 1, 2, 3
