"""plcpilot: local LLMs that write, check, simulate and verify PLC programs."""

from plcpilot.errors import PlcPilotError

__version__ = "0.1.0"
__all__ = ["PlcPilotError", "__version__"]
