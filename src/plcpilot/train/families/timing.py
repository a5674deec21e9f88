"""Timers that run across scans: on-delay chains, off-delays, single pulses and flashers.

FX references use 100 ms timers (T0–T199, preset K = tenths of a second); ST references the
standard TON/TOF/TP blocks, called every scan. Times are whole tenths of a second, and the tests
look MARGIN away from every timed edge.
"""

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

# --- on-delay chain (staggered start) -----------------------------------------------------------

def _chain_draw(rng: random.Random) -> Draw:
    n = rng.randint(1, 3)
    what = rng.choice(("motor", "pump", "fan", "heater stage", "conveyor"))
    signals = [Signal("run", "in", "run switch (maintained)", ("run", "enable", "sw_run",
                                                                  "auto_on", "system_on"))]
    signals += [Signal(f"out{i}", "out", f"{what} {i + 1}", (f"{what.split()[0]}{i + 1}",
                                                            f"out{i + 1}", f"stage{i + 1}"))
                for i in range(n)]
    return Draw("on-delay-chain", {"delays": [tenths(rng, 500, 3000) for _ in range(n)],
                                   "what": what, "timers": timer_numbers(rng, n)}, signals)


def _chain_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    delays = p["delays"]
    if len(delays) == 1:
        return (f"Delayed switch-on of the {p['what']}: {names['out0']} comes on once "
                f"{names['run']} has been closed for {seconds(delays[0])} without a break, and "
                f"drops the moment {names['run']} opens.")
    steps = [f"{names['out0']} {seconds(delays[0])} after {names['run']} closes"]
    steps += [f"{names[f'out{i}']} {seconds(d)} after {names[f'out{i - 1}']}"
              for i, d in enumerate(delays) if i]
    return (f"Bring {len(delays)} {p['what']}s on one by one: {words(steps, 'and')}. Opening "
            f"{names['run']} drops all of them immediately; if it opens before the last one is "
            "on, the timing begins again from zero at the next closing.")


def _chain_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    parts = [f"{names[f'out{i}']} after a further {seconds(d)}" if i else
             f"{names['out0']} after {seconds(d)}" for i, d in enumerate(p["delays"])]
    return (f"On-delay sequence. While switch {names['run']} is on without interruption, "
            f"turn on {words(parts, 'and')}. Outputs stay on while {names['run']} stays on "
            f"and all drop out when it goes off.")


def _chain_fx(draw: Draw, names: dict[str, str]) -> str:
    lines, condition = [], names["run"]
    for i, (delay, timer) in enumerate(zip(draw.params["delays"], draw.params["timers"],
                                           strict=True)):
        lines += [f"LD {condition}", f"OUT T{timer} {fx_k(delay)}", f"LD T{timer}",
                  f"OUT {names[f'out{i}']}"]
        condition = f"T{timer}"
    return fx_program(lines)


def _chain_st(draw: Draw, names: dict[str, str]) -> str:
    lines, local, condition = [], [], names["run"]
    for i, delay in enumerate(draw.params["delays"]):
        timer = f"delay{i + 1}"
        local.append(f"{timer} : TON")
        lines += [f"{timer}(IN := {condition}, PT := {st_time(delay)});",
                  f"{names[f'out{i}']} := {timer}.Q;"]
        condition = f"{timer}.Q"
    return st_program("StaggeredStart", draw, "\n".join(lines), local)


def _chain_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    delays = draw.params["delays"]
    outs = [f"out{i}" for i in range(len(delays))]
    events, on_at, start = [at(100, run=True)], 100, 100
    for i, delay in enumerate(delays):
        on_at += delay
        events += [hold(start, on_at - MARGIN, **{o: False for o in outs[i:]}),
                   expect(on_at + MARGIN, **{o: True for o in outs[:i + 1]})]
        start = on_at + MARGIN
    off = on_at + 500
    events += [at(off, run=False), hold(off + 50, off + 400, **dict.fromkeys(outs, False))]
    restart = [at(100, run=True), at(100 + delays[0] // 2, run=False),
               at(200 + delays[0] // 2, run=True),
               hold(100, 200 + delays[0] // 2 + delays[0] - MARGIN, **{outs[0]: False}),
               expect(200 + delays[0] // 2 + delays[0] + MARGIN, **{outs[0]: True})]
    return [("outputs follow one after the other, all off together", events),
            ("an interrupted run signal restarts the delay", restart)]


ON_DELAY_CHAIN = Family(
    name="on-delay-chain", category="timer", draw=_chain_draw,
    phrasings=(_chain_say_1, _chain_say_2), fx=_chain_fx, st=_chain_st, tests=_chain_tests,
    explain="Each on-delay timer is driven by the previous stage's done bit, so the delays add "
            "up and one input dropping resets every timer after it in the same scan.")


# --- off-delay -----------------------------------------------------------------------------------

def _off_draw(rng: random.Random) -> Draw:
    source, out = rng.choice((("presence sensor", "corridor light"),
                              ("heater on signal", "cooling fan"),
                              ("spindle running signal", "coolant pump"),
                              ("door open switch", "interior light"),
                              ("burner on signal", "exhaust fan")))
    signals = [Signal("sw", "in", source, ("sensor", "sw", "request", "signal_in", "demand")),
               Signal("out", "out", out, ("fan", "light", "out", "pump", "load"))]
    return Draw("off-delay", {"delay": tenths(rng, 1000, 5000), "source": source, "out": out,
                              "timer": timer_numbers(rng, 1)[0]}, signals)


def _off_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Run-on for the {p['out']}. {names['out']} comes on as soon as the {p['source']} "
            f"{names['sw']} turns on, and stays on for {seconds(p['delay'])} after it turns off. "
            f"If {names['sw']} comes back during that time, the run-on starts again from its "
            "next falling edge.")


def _off_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Off-delay: output {names['out']} ({p['out']}) follows input {names['sw']} "
            f"({p['source']}) going on immediately but goes off only "
            f"{seconds(p['delay'])} after {names['sw']} has gone off.")


def _off_fx(draw: Draw, names: dict[str, str]) -> str:
    timer = f"T{draw.params['timer']}"
    return fx_program([f"LD {names['sw']}", f"OR {names['out']}", f"ANI {timer}",
                       f"OUT {names['out']}", f"LDI {names['sw']}", f"AND {names['out']}",
                       f"OUT {timer} {fx_k(draw.params['delay'])}"])


def _off_st(draw: Draw, names: dict[str, str]) -> str:
    body = (f"runon(IN := {names['sw']}, PT := {st_time(draw.params['delay'])});\n"
            f"{names['out']} := runon.Q;")
    return st_program("RunOn", draw, body, ["runon : TOF"])


def _off_sfc(draw: Draw, names: dict[str, str]) -> str:
    sw, out = names["sw"], names["out"]
    return sfc_chart("RunOn", draw, [step("Off", initial=True), step("On", out),
                                     step("Running", out)],
                     [move("Off", "On", sw), move("On", "Running", f"NOT {sw}"),
                      move("Running", "On", sw, jump=True),
                      move("Running", "Off", f"Running.T >= {st_time(draw.params['delay'])}",
                           jump=True)])


def _off_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    d = draw.params["delay"]
    basic = [hold(0, 100, out=False), at(100, sw=True), hold(150, 1000, out=True),
             at(1000, sw=False), hold(1050, 1000 + d - MARGIN, out=True),
             hold(1000 + d + MARGIN, 1000 + d + 600, out=False)]
    # the input stays on an odd number of scans here and an even number above: a chart that
    # flickers between two states while the input is on ends in either of them
    again, off = 1000 + d // 2, 1000 + d // 2 + 210
    retrigger = [at(100, sw=True), at(1000, sw=False), at(again, sw=True), at(off, sw=False),
                 hold(150, off + d - MARGIN, out=True),
                 hold(off + d + MARGIN, off + d + 500, out=False)]
    return [("on at once, off after the delay", basic),
            ("the input returning restarts the run-on", retrigger)]


OFF_DELAY = Family(
    name="off-delay", category="timer", draw=_off_draw, phrasings=(_off_say_1, _off_say_2),
    fx=_off_fx, st=_off_st, tests=_off_tests, sfc=_off_sfc,
    sfc_equivalent=("transition 1: leads to Running instead of On",  # left again next scan
                    # Running drives the output as On does and is re-entered while the input
                    # is on, so its time counts from the input's fall either way
                    "transition 2: condition always TRUE",
                    "transitions 3 and 4: priority swapped"),  # input back as the time ends
    explain="The output follows the input at once and holds itself; a timer that runs only while "
            "the input is off and the output on breaks the hold after the delay, and the input "
            "returning resets that timer.")


# --- single pulse --------------------------------------------------------------------------------

def _pulse_draw(rng: random.Random) -> Draw:
    out = rng.choice(("ejector solenoid", "horn", "stamp valve", "marking jet", "door opener"))
    signals = [Signal("btn", "in", "trigger push button (NO)", ("trigger", "btn", "pb_go",
                                                                 "request", "cmd")),
               Signal("out", "out", out, ("solenoid", "horn", "valve", "out", "pulse_out"))]
    return Draw("pulse", {"length": tenths(rng, 1000, 4000), "out": out,
                          "timer": timer_numbers(rng, 1)[0]}, signals)


def _pulse_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Each press of {names['btn']} energises the {p['out']} {names['out']} for exactly "
            f"{seconds(p['length'])}, however long the button is held. A press while the pulse "
            "is running is ignored (the pulse is not extended).")


def _pulse_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Fixed-length pulse: on the rising edge of {names['btn']}, output {names['out']} "
            f"goes on for {seconds(p['length'])}. Not retriggerable; holding the input does "
            "not lengthen the pulse.")


def _pulse_fx(draw: Draw, names: dict[str, str]) -> str:
    timer = f"T{draw.params['timer']}"
    return fx_program([f"LDP {names['btn']}", f"SET {names['out']}", f"LD {names['out']}",
                       f"OUT {timer} {fx_k(draw.params['length'])}", f"LD {timer}",
                       f"RST {names['out']}"])


def _pulse_st(draw: Draw, names: dict[str, str]) -> str:
    body = (f"shot(IN := {names['btn']}, PT := {st_time(draw.params['length'])});\n"
            f"{names['out']} := shot.Q;")
    return st_program("SinglePulse", draw, body, ["shot : TP"])


def _pulse_sfc(draw: Draw, names: dict[str, str]) -> str:
    btn = names["btn"]
    return sfc_chart("SinglePulse", draw, [step("Idle", initial=True),
                                           step("Pulse", names["out"]), step("Released")],
                     [move("Idle", "Pulse", btn),
                      move("Pulse", "Released", f"Pulse.T >= {st_time(draw.params['length'])}"),
                      move("Released", "Idle", f"NOT {btn}", jump=True)])


def _pulse_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    n = draw.params["length"]
    short = [hold(0, 100, out=False), *press("btn", 100),
             hold(150, 100 + n - MARGIN, out=True), hold(100 + n + MARGIN, n + 600, out=False)]
    long = [at(100, btn=True), hold(150, 100 + n - MARGIN, out=True),
            hold(100 + n + MARGIN, 100 + n + 500, out=False), at(100 + n + 500, btn=False),
            hold(100 + n + 550, 100 + n + 800, out=False)]
    again = 100 + n // 2
    ignored = [*press("btn", 100), *press("btn", again),
               hold(100 + n + MARGIN, again + n + 300, out=False)]
    return [("a short press gives one pulse", short),
            ("holding the button does not lengthen it", long),
            ("a press during the pulse is ignored", ignored)]


PULSE = Family(
    name="pulse", category="timer", draw=_pulse_draw, phrasings=(_pulse_say_1, _pulse_say_2),
    fx=_pulse_fx, st=_pulse_st, tests=_pulse_tests, sfc=_pulse_sfc,
    explain="Only the rising edge of the button starts the pulse; the timer runs from the output "
            "itself and ends it, so holding or pressing again changes nothing.")


# --- flasher -------------------------------------------------------------------------------------

def _flasher_draw(rng: random.Random) -> Draw:
    what = rng.choice(("warning beacon", "fault lamp", "signal light", "buzzer"))
    signals = [Signal("enable", "in", "enable switch", ("enable", "alarm", "flash_on", "active",
                                                       "blink")),
               Signal("out", "out", what, ("beacon", "lamp", "light", "out", "buzzer"))]
    return Draw("flasher", {"on": tenths(rng, 500, 1500), "off": tenths(rng, 500, 1500),
                            "what": what, "timers": timer_numbers(rng, 2)}, signals)


def _flasher_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"{names['out']} ({p['what']}) blinks while {names['enable']} is on: lit for "
            f"{seconds(p['on'])}, dark for {seconds(p['off'])}, the first lit phase beginning "
            f"the moment {names['enable']} switches on. With {names['enable']} off the output "
            "stays dark.")


def _flasher_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Blinker for output {names['out']}: lit {seconds(p['on'])}, dark "
            f"{seconds(p['off'])}, running as long as {names['enable']} is true and beginning "
            "lit. The lit and dark times may differ, so one clock bit will not do.")


def _flasher_fx(draw: Draw, names: dict[str, str]) -> str:
    on, off = (f"T{t}" for t in draw.params["timers"])
    return fx_program([f"LD {names['enable']}", f"ANI {off}", f"OUT {on} {fx_k(draw.params['on'])}",
                       f"LD {on}", f"OUT {off} {fx_k(draw.params['off'])}",
                       f"LD {names['enable']}", f"ANI {on}", f"OUT {names['out']}"])


def _flasher_st(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    body = (f"on_time(IN := {names['enable']} AND NOT off_time.Q, PT := {st_time(p['on'])});\n"
            f"off_time(IN := on_time.Q, PT := {st_time(p['off'])});\n"
            f"{names['out']} := {names['enable']} AND NOT on_time.Q;")
    return st_program("Flasher", draw, body, ["on_time : TON", "off_time : TON"])


def _flasher_sfc(draw: Draw, names: dict[str, str]) -> str:
    p, enable = draw.params, names["enable"]
    return sfc_chart("Flasher", draw, [step("Idle", initial=True), step("Lit", names["out"]),
                                       step("Dark")],
                     [move("Idle", "Lit", enable),
                      move("Lit", "Idle", f"NOT {enable}", jump=True),
                      move("Lit", "Dark", f"Lit.T >= {st_time(p['on'])}"),
                      move("Dark", "Idle", f"NOT {enable}", jump=True),
                      move("Dark", "Lit", f"Dark.T >= {st_time(p['off'])}", jump=True)])


def _flasher_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    on, off = draw.params["on"], draw.params["off"]
    events, t = [hold(0, 100, out=False), at(100, enable=True)], 100
    for _ in range(2):  # two periods; each adds a few scans of drift, inside the margins
        events += [hold(t + MARGIN, t + on - MARGIN, out=True),
                   hold(t + on + MARGIN, t + on + off - MARGIN, out=False)]
        t += on + off
    events += [at(t + on // 2, enable=False), hold(t + on // 2 + 50, t + on + off + 500,
                                                   out=False)]
    return [("flashes with its own on and off times while enabled", events)]


FLASHER = Family(
    name="flasher", category="timer", draw=_flasher_draw,
    phrasings=(_flasher_say_1, _flasher_say_2), fx=_flasher_fx, st=_flasher_st,
    tests=_flasher_tests, sfc=_flasher_sfc,
    sfc_equivalent=("transition 2: leads to Dark instead of Idle",  # left again next scan
                    "transition 4: leads to Lit instead of Idle",
                    "transition 5: leads to Idle instead of Lit",
                    "transitions 2 and 3: priority swapped",  # disabled as a phase ends
                    "transitions 4 and 5: priority swapped"),
    explain="Two timers reset each other: the first times the on phase, the second, started by "
            "the first, times the off phase and restarts the first; the output is on while the "
            "first timer is still running.")
