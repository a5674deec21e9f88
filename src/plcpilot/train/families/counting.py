"""Counting edges and stepping through a sequence: a batch counter with reset (preset fixed or
from a register), and a timed step sequence (FX step ladder STL, ST CASE on a step number)."""

from __future__ import annotations

import random

from plcpilot.train.families.base import (
    MARGIN,
    Draw,
    Family,
    Signal,
    at,
    expect,
    fx_k,
    fx_program,
    hold,
    move,
    press,
    seconds,
    sfc_chart,
    st_program,
    st_time,
    step,
    tenths,
    timer_numbers,
    words,
)

# --- batch counter -------------------------------------------------------------------------------


def _counter_draw(rng: random.Random) -> Draw:
    thing = rng.choice(("bottle", "box", "part", "bag", "can", "pallet"))
    from_register = rng.random() < 0.4
    signals = [Signal("sensor", "in", f"{thing} sensor (one pulse per {thing})",
                      ("sensor", "part_in", "photo_eye", "count_in", "pulse")),
               Signal("reset", "in", "reset push button (NO)", ("reset", "pb_reset", "clear",
                                                                "rst"))]
    if from_register:
        signals.append(Signal("preset", "in", "batch size (set by the HMI)",
                              ("batch_size", "preset", "target", "set_count"), word=True))
    signals.append(Signal("done", "out", "batch complete lamp", ("done", "batch_full",
                                                                 "lamp_done", "full")))
    return Draw("counter", {"thing": thing, "size": rng.randint(2, 9),
                            "other_size": rng.randint(2, 9), "register": from_register,
                            "counter": rng.randrange(100)}, signals)


def _counter_size(draw: Draw, names: dict[str, str]) -> str:
    return (f"the batch size in {names['preset']}" if draw.params["register"]
            else f"{draw.params['size']} {draw.params['thing']}s")


def _counter_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Batch counter: every {p['thing']} passing sensor {names['sensor']} counts once "
            f"(count the rising edges, not the time the sensor is on). When "
            f"{_counter_size(draw, names)} have been counted, lamp {names['done']} comes on and "
            f"stays on. {names['reset']} clears the count and the lamp.")


def _counter_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Count {p['thing']}s on input {names['sensor']}. Output {names['done']} signals a "
            f"full batch of {_counter_size(draw, names)}; input {names['reset']} resets the "
            "counter for the next batch.")


def _counter_fx(draw: Draw, names: dict[str, str]) -> str:
    c = f"C{draw.params['counter']}"
    preset = names["preset"] if draw.params["register"] else f"K{draw.params['size']}"
    return fx_program([f"LD {names['sensor']}", f"OUT {c} {preset}", f"LD {c}",
                       f"OUT {names['done']}", f"LD {names['reset']}", f"RST {c}"])


def _counter_st(draw: Draw, names: dict[str, str]) -> str:
    preset = names["preset"] if draw.params["register"] else str(draw.params["size"])
    body = (f"batch(CU := {names['sensor']}, R := {names['reset']}, PV := {preset});\n"
            f"{names['done']} := batch.Q;")
    return st_program("BatchCounter", draw, body, ["batch : CTU"])


def _pulses(n: int, start: int, long_first: bool = False) -> tuple[list[dict], int]:
    """n sensor pulses from `start`, 200 ms apart (the first held 500 ms when long_first)."""
    events, t = [], start
    for i in range(n):
        length = 500 if long_first and i == 0 else 100
        events += press("sensor", t, length)
        t += length + 100
    return events, t


def _counter_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    p = draw.params
    first = [at(0, preset=p["size"])] if p["register"] else []
    pulses, t = _pulses(p["size"] - 1, 100, long_first=True)
    first += pulses + [hold(0, t + 100, done=False)]
    pulses, t = _pulses(1, t + 100)
    first += pulses + [expect(t + 50, done=True)]
    pulses, t2 = _pulses(2, t + 100)
    first += pulses + [hold(t + 50, t2 + 100, done=True)]
    first += press("reset", t2 + 100) + [hold(t2 + 250, t2 + 500, done=False)]
    tests = [("a full batch lights the lamp; reset clears it", first)]
    if p["register"]:
        size = p["other_size"]
        second = [at(0, preset=size)]
        pulses, t = _pulses(size - 1, 100)
        second += pulses + [hold(0, t + 100, done=False)]
        pulses, t = _pulses(1, t + 100)
        second += pulses + [expect(t + 50, done=True)]
        tests.append(("the batch size comes from the register", second))
    return tests


COUNTER = Family(
    name="counter", category="counter", draw=_counter_draw,
    phrasings=(_counter_say_1, _counter_say_2), fx=_counter_fx, st=_counter_st,
    tests=_counter_tests,
    explain="An up counter counts rising edges of the sensor only, so a long pulse counts once; "
            "its done bit is the batch lamp, and the reset input clears value and bit.")


# --- timed sequence ------------------------------------------------------------------------------

def _sequence_draw(rng: random.Random) -> Draw:
    steps = rng.sample(("fill", "heat", "mix", "drain", "rinse", "dry", "clamp", "press",
                        "cool", "release"), rng.randint(2, 4))
    signals = [Signal("start", "in", "cycle start push button (NO)",
                      ("start", "pb_start", "cycle_start", "go"))]
    signals += [Signal(f"s{i}", "out", f"{step} output", (f"{step}_valve", f"do_{step}", step))
                for i, step in enumerate(steps)]
    return Draw("sequence", {"steps": steps, "times": [tenths(rng, 500, 2000) for _ in steps],
                             "timers": timer_numbers(rng, len(steps)),
                             "states": sorted(rng.sample(range(20, 60), len(steps)))}, signals)


def _sequence_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    parts = [f"{step} ({names[f's{i}']}) for {seconds(t)}"
             for i, (step, t) in enumerate(zip(p["steps"], p["times"], strict=True))]
    return (f"Timed machine cycle. A press of {names['start']} while the machine is idle runs "
            f"the steps {words(parts, 'then')}; only one step output is on at a time. After the "
            "last step the machine is idle again and waits for the next start. A start press "
            "during the cycle is ignored.")


def _sequence_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    lines = [f"Write a step sequence started by {names['start']} (from the idle step only):"]
    lines += [f"{i + 1}. {step}: output {names[f's{i}']} on for {seconds(t)}"
              for i, (step, t) in enumerate(zip(p["steps"], p["times"], strict=True))]
    lines.append("Then back to idle. Outputs are off while idle.")
    return "\n".join(lines)


def _sequence_fx(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    lines = ["LD M8002", "SET S0", "STL S0", f"LD {names['start']}", f"SET S{p['states'][0]}"]
    for i, (state, timer, t) in enumerate(zip(p["states"], p["timers"], p["times"],
                                              strict=True)):
        following = f"SET S{p['states'][i + 1]}" if i + 1 < len(p["states"]) else "OUT S0"
        lines += [f"STL S{state}", f"OUT {names[f's{i}']}", f"OUT T{timer} {fx_k(t)}",
                  f"LD T{timer}", following]
    return fx_program([*lines, "RET"])


def _sequence_st(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    n = len(p["steps"])
    timers = [f"step_time{i + 1}(IN := step = {i + 1}, PT := {st_time(t)});"
              for i, t in enumerate(p["times"])]
    cases = [f"  0: IF {names['start']} THEN step := 1; END_IF;"]
    cases += [f"  {i + 1}: IF step_time{i + 1}.Q THEN step := {(i + 2) % (n + 1)}; END_IF;"
              for i in range(n)]
    outputs = [f"{names[f's{i}']} := step = {i + 1};" for i in range(n)]
    body = "\n".join([*timers, "CASE step OF", *cases, "END_CASE;", *outputs])
    local = ["step : INT", *(f"step_time{i + 1} : TON" for i in range(n))]
    return st_program("Sequence", draw, body, local)


def _sequence_sfc(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    steps = [f"{word.capitalize()}Step" for word in p["steps"]]
    moves = [move("Idle", steps[0], names["start"])]
    for i, (name, t) in enumerate(zip(steps, p["times"], strict=True)):
        last = i + 1 == len(steps)
        moves.append(move(name, "Idle" if last else steps[i + 1], f"{name}.T >= {st_time(t)}",
                          jump=last))
    return sfc_chart("Sequence", draw, [step("Idle", initial=True),
                                        *(step(n, names[f"s{i}"]) for i, n in enumerate(steps))],
                     moves)


def _sequence_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    times = draw.params["times"]
    outs = [f"s{i}" for i in range(len(times))]
    idle = dict.fromkeys(outs, False)
    events, t = [hold(0, 100, **idle), *press("start", 100)], 100
    for i, length in enumerate(times):
        events.append(hold(t + MARGIN, t + length - MARGIN,
                           **{o: o == outs[i] for o in outs}))
        if i == 0:
            events += press("start", t + length // 2)  # ignored: the cycle runs on
        t += length
    events.append(hold(t + MARGIN, t + 600, **idle))
    events += press("start", t + 600)
    events.append(hold(t + 600 + MARGIN, t + 600 + times[0] - MARGIN,
                       **{o: o == outs[0] for o in outs}))
    return [("one cycle per start, one step at a time", events)]


SEQUENCE = Family(
    name="sequence", category="sequencer", draw=_sequence_draw,
    phrasings=(_sequence_say_1, _sequence_say_2), fx=_sequence_fx, st=_sequence_st,
    tests=_sequence_tests, sfc=_sequence_sfc,
    explain="Each step is a state (an STL step, or a CASE branch on a step number) whose output "
            "is on while it is active; its timer runs across scans and moves to the next step, "
            "the last step returns to idle, and the start is only read in the idle step.")
