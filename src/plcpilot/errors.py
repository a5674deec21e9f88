"""The one exception type for errors a user can cause (bad file, bad program, unknown name).

The CLI turns it into exit code 2 with its message; everything else is a bug and may traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class PlcPilotError(Exception):
    """A user-facing error: the message names the file/line and says how to fix it."""


class SimulationLimit(RuntimeError):
    """A simulation stopped by a bound (watchdog, nesting, wall time): reported, not raised."""


def needs_extra(feature: str, extra: str, package: str) -> PlcPilotError:
    """The error for an optional dependency that is not installed: names the extra to install."""
    return PlcPilotError(f"{feature} needs {package}, which is not installed: "
                         f"pip install 'plcpilot[{extra}]' (in a clone: scripts/setup {extra})")


def optional_import(module: str, feature: str, extra: str, package: str | None = None
                    ) -> ModuleType:
    """Import an optional dependency, or raise the needs-extra error (never a raw
    ModuleNotFoundError, whichever module first reaches for it)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise needs_extra(feature, extra, package or module) from None


def first_problem(e: ValidationError) -> str:
    """The first thing pydantic found wrong, where it is: `sample: Input should be …`."""
    problem = e.errors()[0]
    where = ".".join(str(x) for x in problem["loc"])
    return f"{where}: {problem['msg']}" if where else problem["msg"]
