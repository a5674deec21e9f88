"""Latches and interlocks: self-holding with several starts and stops, stop dominant; a
reversing starter whose two directions lock each other out."""

from __future__ import annotations

import random

from plcpilot.train.families.base import (
    Draw,
    Family,
    Signal,
    at,
    expect,
    fx_program,
    hold,
    move,
    press,
    sfc_chart,
    st_program,
    step,
    words,
)

MACHINES = ("conveyor", "pump", "fan", "agitator", "compressor", "mixer", "extractor",
            "screw feeder", "blower", "chain conveyor")
STARTS = ("start", "start_pb", "btn_start", "start_local", "start_remote", "start_panel",
          "pb_on", "start_a", "start_b", "start_c", "run_request")
STOPS = ("stop", "stop_pb", "btn_stop", "stop_local", "stop_remote", "stop_panel", "pb_off",
         "stop_a", "stop_b", "stop_c", "halt")
OUTPUTS = ("motor", "contactor", "k1", "motor_on", "drive", "run_out")
LAMPS = ("lamp_run", "run_lamp", "green_lamp", "h1", "running", "lamp_on")


def _pressed(draw: Draw, role: str) -> bool:
    """The value a stop input reads while pressed: False for a normally closed one."""
    return role not in draw.params["nc"]


def _stop_push(draw: Draw, role: str, ms: int) -> list[dict]:
    p = _pressed(draw, role)
    return [at(ms, **{role: p}), at(ms + 100, **{role: not p})]


def _at_rest(draw: Draw) -> dict:
    """Normally closed stops read ON from power-on."""
    return {role: True for role in draw.params["nc"]}


# --- latch -------------------------------------------------------------------------------------

def _latch_draw(rng: random.Random) -> Draw:
    starts = [f"start{i}" for i in range(rng.randint(1, 3))]
    stops = [f"stop{i}" for i in range(rng.randint(1, 3))]
    nc = [s for s in stops if rng.random() < 0.25]
    machine = rng.choice(MACHINES)
    signals = [Signal(s, "in", "start push button (NO)", STARTS) for s in starts]
    signals += [Signal(s, "in", f"stop push button ({'NC' if s in nc else 'NO'})", STOPS)
                for s in stops]
    signals.append(Signal("out", "out", f"{machine} motor contactor", OUTPUTS))
    lamp = rng.random() < 0.5
    if lamp:
        signals.append(Signal("lamp", "out", f"{machine} running lamp", LAMPS))
    return Draw("latch", {"starts": starts, "stops": stops, "nc": nc, "machine": machine,
                          "lamp": lamp}, signals)


def _stop_words(draw: Draw, names: dict[str, str]) -> str:
    nc = draw.params["nc"]
    if not nc:
        return ""
    which = words([names[s] for s in nc], "and")
    verb = "is a normally closed button" if len(nc) == 1 else "are normally closed buttons"
    return (f" {which} {verb}: ON while not pressed, OFF when pressed, so a broken wire also "
            "stops.")


def _latch_lamp(draw: Draw, names: dict[str, str]) -> str:
    return f" Lamp {names['lamp']} is on while the {draw.params['machine']} runs." \
        if draw.params["lamp"] else ""


def _latch_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    starts = words([names[s] for s in p["starts"]])
    stops = words([names[s] for s in p["stops"]])
    return (f"Self-holding circuit for the {p['machine']}: a momentary press of {starts} "
            f"energises {names['out']}, and the circuit holds it after the button springs back. "
            f"Pressing {stops} de-energises it and wins when operated together with a start."
            + _stop_words(draw, names) + _latch_lamp(draw, names))


def _latch_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    n = len(p["starts"])
    places = "one start button" if n == 1 else f"{n} start buttons (operator stations)"
    return (f"The {p['machine']} can be started from {places}: "
            f"{words([names[s] for s in p['starts']], 'and')}. Its contactor is {names['out']}. "
            f"Once started it must keep running until a stop command from "
            f"{words([names[s] for s in p['stops']])}. When start and stop are operated together "
            f"the {p['machine']} stays off." + _stop_words(draw, names)
            + _latch_lamp(draw, names))


def _latch_say_3(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    lines = [f"Latching motor circuit for a {p['machine']}.",
             f"- Start inputs: {', '.join(names[s] for s in p['starts'])} (momentary)",
             f"- Stop inputs: {', '.join(names[s] for s in p['stops'])}",
             f"- Output: {names['out']} (motor contactor)"]
    if p["lamp"]:
        lines.append(f"- Output: {names['lamp']} (run indication)")
    lines.append("Any start latches the output, any stop resets it, stop dominates."
                 + _stop_words(draw, names))
    return "\n".join(lines)


def _stop_terms(draw: Draw, names: dict[str, str], fx: bool) -> list[str]:
    nc = draw.params["nc"]
    if fx:
        return [f"{'AND' if s in nc else 'ANI'} {names[s]}" for s in draw.params["stops"]]
    return [names[s] if s in nc else f"NOT {names[s]}" for s in draw.params["stops"]]


def _latch_fx(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    first, *more = p["starts"]
    lines = [f"LD {names[first]}", *(f"OR {names[s]}" for s in more), f"OR {names['out']}",
             *_stop_terms(draw, names, fx=True), f"OUT {names['out']}"]
    if p["lamp"]:
        lines += [f"LD {names['out']}", f"OUT {names['lamp']}"]
    return fx_program(lines)


def _latch_st(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    held = " OR ".join([*(names[s] for s in p["starts"]), names["out"]])
    body = f"{names['out']} := ({held}) AND {' AND '.join(_stop_terms(draw, names, fx=False))};"
    if p["lamp"]:
        body += f"\n{names['lamp']} := {names['out']};"
    return st_program("Latch", draw, body)


def _latch_sfc(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    starts = " OR ".join(names[s] for s in p["starts"])
    released = " AND ".join(_stop_terms(draw, names, fx=False))
    pressed = " OR ".join(names[s] if s not in p["nc"] else f"NOT {names[s]}"
                          for s in p["stops"])
    outputs = [names["out"], *([names["lamp"]] if p["lamp"] else [])]
    return sfc_chart("Latch", draw, [step("Idle", initial=True), step("Latched", *outputs)],
                     [move("Idle", "Latched", f"({starts}) AND {released}"),
                      move("Latched", "Idle", pressed, jump=True)])


def _latch_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    p = draw.params
    rest = _at_rest(draw)
    out = {"out": True, "lamp": True} if p["lamp"] else {"out": True}
    off = {k: False for k in out}
    events = [at(0, **rest)] if rest else []
    events.append(hold(0, 200, **off))
    t = 200
    for i, start in enumerate(p["starts"]):
        stop = p["stops"][i % len(p["stops"])]
        events += press(start, t)
        events += [expect(t + 200, **out), hold(t + 200, t + 600, **out)]
        events += _stop_push(draw, stop, t + 600)
        events += [hold(t + 750, t + 1000, **off)]
        t += 1000
    for stop in p["stops"][len(p["starts"]):]:  # stops no start was paired with
        events += press(p["starts"][0], t) + [expect(t + 200, **out)]
        events += _stop_push(draw, stop, t + 400) + [hold(t + 550, t + 800, **off)]
        t += 800
    dominant = [at(0, **rest)] if rest else []
    stop = p["stops"][-1]
    dominant += [at(100, **{stop: _pressed(draw, stop)}), at(200, **{p["starts"][0]: True}),
                 hold(200, 600, **off), at(600, **{p["starts"][0]: False}),
                 at(700, **{stop: not _pressed(draw, stop)}), hold(700, 1000, **off)]
    return [("every start latches, every stop releases", events),
            ("stop wins over start", dominant)]


LATCH = Family(
    name="latch", category="basic_control", draw=_latch_draw,
    phrasings=(_latch_say_1, _latch_say_2, _latch_say_3), fx=_latch_fx, st=_latch_st,
    tests=_latch_tests, sfc=_latch_sfc,
    interchangeable=lambda d: [d.params["starts"],
                               [s for s in d.params["stops"] if s not in d.params["nc"]],
                               d.params["nc"]],
    explain="The starts are ORed with the output's own contact (self-holding) and the stops are "
            "in series after them, so a stop breaks the latch and wins over a start pressed at "
            "the same time; a normally closed stop is read as a normal contact.")


# --- reversing interlock ------------------------------------------------------------------------

def _interlock_draw(rng: random.Random) -> Draw:
    machine = rng.choice(("hoist", "gate", "conveyor", "slide", "door", "winch", "roller shutter"))
    a, b = rng.choice((("forward", "reverse"), ("up", "down"), ("open", "close"),
                       ("left", "right")))
    limits = rng.random() < 0.5
    signals = [Signal("a_start", "in", f"{a} push button (NO)", (f"pb_{a}", f"btn_{a}",
                                                                  f"{a}_pb", f"cmd_{a}")),
               Signal("b_start", "in", f"{b} push button (NO)", (f"pb_{b}", f"btn_{b}",
                                                                  f"{b}_pb", f"cmd_{b}")),
               Signal("stop", "in", "stop push button (NO)", STOPS)]
    if limits:
        signals += [Signal("a_limit", "in", f"{a} end limit switch (ON at the end)",
                           (f"ls_{a}", f"limit_{a}", f"{a}_end")),
                    Signal("b_limit", "in", f"{b} end limit switch (ON at the end)",
                           (f"ls_{b}", f"limit_{b}", f"{b}_end"))]
    signals += [Signal("a", "out", f"{a} contactor", (f"k_{a}", f"motor_{a}", f"{a}_out")),
                Signal("b", "out", f"{b} contactor", (f"k_{b}", f"motor_{b}", f"{b}_out"))]
    return Draw("interlock", {"machine": machine, "a": a, "b": b, "limits": limits, "nc": []},
                signals)


def _limits_words(draw: Draw, names: dict[str, str]) -> str:
    if not draw.params["limits"]:
        return ""
    a, b = draw.params["a"], draw.params["b"]
    return (f" Limit switch {names['a_limit']} stops the {a} movement at its end and "
            f"{names['b_limit']} stops the {b} movement.")


def _interlock_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Reversing starter for a {p['machine']}. Push button {names['a_start']} starts "
            f"{p['a']} ({names['a']}), {names['b_start']} starts {p['b']} ({names['b']}); both "
            f"self-hold. {names['stop']} stops either direction. The two contactors are "
            f"interlocked: a direction cannot start while the other one runs, the operator "
            f"has to stop first." + _limits_words(draw, names))


def _interlock_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"A {p['machine']} motor runs {p['a']} with contactor {names['a']} and {p['b']} "
            f"with contactor {names['b']}. Never energise both. {names['a_start']} and "
            f"{names['b_start']} are momentary buttons that latch their direction, "
            f"{names['stop']} releases it. Pressing the other direction's button while running "
            f"must be ignored." + _limits_words(draw, names))


def _interlock_fx(draw: Draw, names: dict[str, str]) -> str:
    lines = []
    for me, other in (("a", "b"), ("b", "a")):
        lines += [f"LD {names[me + '_start']}", f"OR {names[me]}", f"ANI {names['stop']}",
                  f"ANI {names[other]}"]
        if draw.params["limits"]:
            lines.append(f"ANI {names[me + '_limit']}")
        lines.append(f"OUT {names[me]}")
    return fx_program(lines)


def _interlock_st(draw: Draw, names: dict[str, str]) -> str:
    lines = []
    for me, other in (("a", "b"), ("b", "a")):
        limit = f" AND NOT {names[me + '_limit']}" if draw.params["limits"] else ""
        lines.append(f"{names[me]} := ({names[me + '_start']} OR {names[me]}) AND NOT "
                     f"{names['stop']} AND NOT {names[other]}{limit};")
    return st_program("Reversing", draw, "\n".join(lines))


def _interlock_sfc(draw: Draw, names: dict[str, str]) -> str:
    steps, moves = [step("Idle", initial=True)], []
    for me in ("a", "b"):
        name = f"Run{draw.params[me].capitalize()}"
        limit = draw.params["limits"]
        steps.append(step(name, names[me]))
        moves.append(move("Idle", name, f"{names[me + '_start']} AND NOT {names['stop']}"
                          + (f" AND NOT {names[me + '_limit']}" if limit else "")))
        moves.append(move(name, "Idle", names["stop"] + (f" OR {names[me + '_limit']}"
                                                         if limit else ""), jump=True))
    return sfc_chart("Reversing", draw, steps, moves)


def _interlock_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    events = [hold(0, 200, a=False, b=False), *press("a_start", 200),
              hold(400, 700, a=True, b=False), *press("b_start", 700),
              hold(700, 1100, a=True, b=False), *press("stop", 1100),
              hold(1100, 1500, b=False), hold(1300, 1500, a=False), *press("b_start", 1500),
              hold(1700, 2000, a=False, b=True), *press("a_start", 2000),
              hold(2000, 2400, a=False, b=True), *press("stop", 2400),
              hold(2400, 2800, a=False), hold(2600, 2800, b=False)]
    tests = [("each direction latches; the other is locked out", events)]
    if draw.params["limits"]:
        tests.append(("a limit switch ends its movement", [
            *press("a_start", 100), expect(300, a=True), at(600, a_limit=True),
            hold(700, 1000, a=False), at(1000, a_limit=False), hold(1000, 1200, a=False),
            *press("b_start", 1200), expect(1400, b=True), at(1600, b_limit=True),
            hold(1700, 2000, b=False)]))
    return tests


INTERLOCK = Family(
    name="interlock", category="basic_control", draw=_interlock_draw,
    phrasings=(_interlock_say_1, _interlock_say_2), fx=_interlock_fx, st=_interlock_st,
    tests=_interlock_tests, sfc=_interlock_sfc,
    sfc_equivalent=("transitions 1 and 3: priority swapped",),  # both starts in one scan
    explain="Each direction is a self-holding latch with the stop in series and the other "
            "direction's output as a normally closed contact, so the two can never be on "
            "together; an end limit breaks its own direction's latch.")
