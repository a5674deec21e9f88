"""Function blocks over data, in the style of the Agents4PLC and OSCAT tasks: a running average
of the last N stored samples in a ring buffer (ARRAY, edge-triggered store, DINT sum). ST only:
FX IL states such a block only through index registers, which the families leave out."""

from __future__ import annotations

import random

from plcpilot.train.families.base import (
    Draw,
    Family,
    Signal,
    at,
    expect,
    hold,
    st_program,
)


def _average_draw(rng: random.Random) -> Draw:
    what = rng.choice(("weight", "flow reading", "temperature", "pressure", "fill level"))
    signals = [Signal("store", "in", "store the sample (rising edge)", ("store", "take",
                                                                         "sample_now", "latch")),
               Signal("sample", "in", f"{what} sample", ("sample", "value", "reading", "x_in"),
                      word=True),
               Signal("clear", "in", "empty the buffer (while TRUE)", ("clear", "reset",
                                                                      "flush")),
               Signal("average", "out", f"average {what} of the stored samples",
                      ("average", "mean", "avg"), word=True),
               Signal("count", "out", "number of samples stored (up to the window)",
                      ("count", "n_stored", "filled"), word=True)]
    window = rng.randint(3, 6)
    # window + 2 stores leave the write index off slot 1, so a clear that forgets to reset it
    # shows; the sample after the clear differs from what slot 1 still holds
    values = [rng.randint(-200, 1500) for _ in range(window + 2)]
    after = rng.randint(-200, 1500)
    after += after == values[window]
    return Draw("average", {"what": what, "window": window, "values": values, "after": after,
                            "name": rng.choice(("RunningAverage", "MeanFilter",
                                                "SampleAverage"))}, signals)


def _average_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"FUNCTION_BLOCK {p['name']}: keeps the last {p['window']} {p['what']} samples in "
            f"an ARRAY ring buffer. Each rising edge of {names['store']} stores INT "
            f"{names['sample']}, replacing the oldest once the buffer is full. "
            f"{names['average']} is the integer average (truncated) of the stored samples, 0 "
            f"while none is stored; {names['count']} is how many are stored. While "
            f"{names['clear']} is TRUE the buffer is emptied. Sum in DINT so the total cannot "
            "overflow.")


def _average_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Write a function block {p['name']} with inputs {names['store']} (BOOL, acts on "
            f"its rising edge) and {names['sample']} (INT), and outputs {names['average']} and "
            f"{names['count']} (INT): a moving average over a window of {p['window']} samples. "
            "Before the window is full, average what has been stored; integer division "
            f"truncates toward zero. Input {names['clear']} (BOOL) empties the window while it "
            "is TRUE.")


def _average_st(draw: Draw, names: dict[str, str]) -> str:
    n = draw.params["window"]
    store, sample, average, count, clear = (names[r] for r in ("store", "sample", "average",
                                                                "count", "clear"))
    body = "\n".join([
        f"edge(CLK := {store});", f"IF {clear} THEN", f"  {count} := 0;", "  next_slot := 1;",
        "ELSIF edge.Q THEN", f"  buffer[next_slot] := {sample};",
        f"  next_slot := next_slot MOD {n} + 1;",
        f"  IF {count} < {n} THEN", f"    {count} := {count} + 1;", "  END_IF;", "END_IF;",
        "total := 0;", f"FOR i := 1 TO {count} DO", "  total := total + buffer[i];",
        "END_FOR;", f"IF {count} > 0 THEN",
        f"  {average} := DINT_TO_INT(total / {count});", "ELSE", f"  {average} := 0;",
        "END_IF;"])
    local = [f"buffer : ARRAY[1..{n}] OF INT", "next_slot : INT := 1", "edge : R_TRIG",
             "total : DINT", "i : INT"]
    return st_program(draw.params["name"], draw, body, local, pou="FUNCTION_BLOCK")


def _truncated(total: int, n: int) -> int:
    return abs(total) // n * (1 if total >= 0 else -1)


def _average_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    window, values = draw.params["window"], draw.params["values"]
    events, stored, t = [hold(0, 100, average=0, count=0)], [], 100  # scans before any store
    for i, value in enumerate(values):
        length = 50 if i else 200  # the first store is held over many scans: one edge
        events += [at(t, sample=value, store=True), at(t + length, store=False)]
        stored = (stored + [value])[-window:]
        events.append(expect(t + length + 20, count=len(stored),
                             average=_truncated(sum(stored), len(stored))))
        t += length + 50
    after = draw.params["after"]
    events += [at(t, clear=True), expect(t + 50, count=0, average=0), at(t + 50, clear=False),
               at(t + 100, sample=after, store=True), at(t + 150, store=False),
               expect(t + 170, count=1, average=after)]
    return [("averages the last samples, oldest replaced; clear empties it", events)]


AVERAGE = Family(
    name="average", category="data_structures", draw=_average_draw,
    phrasings=(_average_say_1, _average_say_2), fx=None, st=_average_st,
    tests=_average_tests,
    explain="An R_TRIG makes one store per edge; the write index wraps with MOD so the oldest "
            "sample is replaced, the sum runs over the stored slots in a DINT, and the average "
            "is 0 until something is stored.")
