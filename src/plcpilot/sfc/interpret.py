"""`plcpilot sfc verify --interpret K`: the Safe-SFC questions asked again with the conditions
and actions as ST computes them, over every input sequence of up to K scans, by bounded model
checking (plcpilot.st.bmc, z3) of the chart's ST translation (plcpilot.sfc.simulator.to_st).

Free conditions (plcpilot.sfc.safety) over-approximate: a step the conditions can never reach
is "reachable" there. Here inputs and the scan time are free and everything else follows the
program, so a step is `reached` only by a run that really gets there, and an overflow or two
exclusive steps together come with the inputs that cause them. The answers hold up to K scans
from power-on (a longer run may differ); a construct the encoder does not cover is reported as
not feasible, never guessed.
"""

from __future__ import annotations

from plcpilot.sfc.model import Chart
from plcpilot.sfc.simulator import OVERFLOW, to_st
from plcpilot.spec import Task


def interpret(chart: Chart, exclusive: list[tuple[str, str]], k: int, timeout_s: float = 10.0):
    """A PropertyReport: per step `reached`/`not reached`, overflow and each exclusive pair
    `proved` (never within k scans) or `violated` with a counterexample."""
    from plcpilot.st.bmc import bmc_properties

    def prop(pattern: str, text: str, description: str) -> dict:
        return {"property_description": description,
                "property": {"job_req": "pattern", "pattern_id": pattern,
                             "entry_point": chart.name, "pattern_params": {"1": text}}}

    properties = [prop("pattern-forbidden", f"instance.{OVERFLOW}", "no token overflow")]
    properties += [prop("pattern-forbidden", f"instance.{a}.X AND instance.{b}.X",
                        f"{a} and {b} never active together") for a, b in exclusive]
    properties += [prop("pattern-reachability", f"instance.{s.name}.X", f"step {s.name} "
                        "reachable") for s in chart.steps]
    task = Task(id=chart.name, language="st", prompt=f"FUNCTION_BLOCK {chart.name}",
                properties=properties)
    return bmc_properties(task, to_st(chart, scan_input=True), k=k, timeout_s=timeout_s)
