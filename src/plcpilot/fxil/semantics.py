"""What each FX instruction does: one builder per semantics class of the instruction table.

A builder turns a statement into a closure `op() -> next_pc` over the CPU state, with its
operands resolved to accessors once. Builders live in sem_logic, sem_coils, sem_flow and
sem_applied, named `b_<class>`. A semantics class without a builder is "not simulated": its
statements compile to a closure that records that they ran unsimulated (never a silent skip).
"""

from __future__ import annotations

from collections.abc import Callable

from plcpilot.fxil import sem_applied, sem_coils, sem_flow, sem_logic
from plcpilot.fxil.runtime import Build, Op, unsimulated

BUILDERS: dict[str, Callable[[Build], Op]] = {
    name[2:]: fn for module in (sem_logic, sem_coils, sem_flow, sem_applied)
    for name, fn in vars(module).items() if name.startswith("b_") and callable(fn)
}
NOT_SIMULATED = {
    "to": "TO writes a special function module buffer (no modules are simulated)",
    "from": "FROM reads a special function module buffer (no modules are simulated)",
    "ei": "interrupts are not simulated", "di": "interrupts are not simulated",
    "iret": "interrupts are not simulated",
}



def build(b: Build) -> Op:
    sem = b.st.mnemonic.instr.sem
    if sem in BUILDERS:
        return BUILDERS[sem](b)
    return unsimulated(b, NOT_SIMULATED.get(sem, f"{b.st.word} is not simulated"))
