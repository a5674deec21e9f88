"""Charts made to size, for the verifier's benchmark and tests: a sequence that opens parallel
branches of a given length and joins them, the shape whose state space grows as the product of
the branch lengths (what made LLM4SFC's model checker time out)."""

from __future__ import annotations

from plcpilot.sfc.model import Chart


def parallel_chart(branches: int, length: int, name: str = "Parallel") -> Chart:
    """Init → (branches × `length` steps in parallel) → Join → back to Init; with
    1 + branches·length + 1 steps. Conditions are inputs c0, c1, …"""
    steps = [{"name": "Init", "initial": True}]
    transitions = []
    heads, tails = [], []
    for b in range(branches):
        names = [f"B{b}_{i}" for i in range(length)]
        steps += [{"name": n} for n in names]
        heads.append(names[0])
        tails.append(names[-1])
        transitions += [{"from": [a], "to": [z], "condition": f"c{i % 8}"}
                        for i, (a, z) in enumerate(zip(names, names[1:], strict=False))]
    steps.append({"name": "Join"})
    transitions = [{"from": ["Init"], "to": heads, "condition": "start"}, *transitions,
                   {"from": tails, "to": ["Join"], "condition": "TRUE"},
                   {"from": ["Join"], "to": ["Init"], "condition": "NOT start"}]
    variables = [{"name": n, "kind": "input", "type": "BOOL"}
                 for n in ["start", *(f"c{i}" for i in range(min(8, max(length - 1, 0))))]]
    return Chart.model_validate({"name": name, "variables": variables, "steps": steps,
                                 "transitions": transitions})
