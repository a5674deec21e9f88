"""Mitsubishi FX Instruction List: parse -> check -> simulate -> grammar."""

from __future__ import annotations

from plcpilot.fxil.checker import check
from plcpilot.fxil.devices import CPUS


class FxIlLanguage:
    name = "fx-il"
    title = "Mitsubishi FX Instruction List"
    suffixes = (".il", ".fxil", ".iL")

    def check(self, source: str, cpu: str = "fx3u", **_):
        return check(source, cpu)

    def simulator(self, source: str, cpu: str = "fx3u", **_):
        from plcpilot.fxil.simulator import compile_program

        return compile_program(source, cpu=cpu)

    def grammar(self, cpu: str = "fx3u", **_) -> str:
        from plcpilot.fxil.grammar import lark_grammar

        return lark_grammar(cpu)


language = FxIlLanguage()
__all__ = ["CPUS", "check", "language"]
