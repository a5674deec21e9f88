"""The one exception type for errors a user can cause (bad file, bad program, unknown name).

The CLI turns it into exit code 2 with its message; everything else is a bug and may traceback.
"""


class PlcPilotError(Exception):
    """A user-facing error: the message names the file/line and says how to fix it."""


class SimulationLimit(RuntimeError):
    """A simulation stopped by a bound (watchdog, nesting, wall time): reported, not raised."""


def needs_extra(feature: str, extra: str, package: str) -> PlcPilotError:
    """The error for an optional dependency that is not installed: names the extra to install."""
    return PlcPilotError(f"{feature} needs {package}: install plcpilot with the [{extra}] extra "
                         f"(`scripts/setup {extra}`)")
