"""Values, not just bits: an alarm on a measured level with hysteresis and acknowledge, and the
scaling of a raw analogue reading with limits. FX reads and writes D registers (comparison
contacts, MUL and the 32-bit DDIV); ST uses INT with a DINT intermediate, since raw × span
overflows INT."""

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
    press,
    st_program,
)

# --- alarm with hysteresis and acknowledge -------------------------------------------------------


def _alarm_draw(rng: random.Random) -> Draw:
    quantity, unit = rng.choice((("tank level", "mm"), ("oil temperature", "0.1 °C"),
                                 ("line pressure", "mbar"), ("bearing temperature", "0.1 °C")))
    high = rng.randrange(300, 3000, 10)
    low = high - rng.randrange(50, 300, 10)
    signals = [Signal("value", "in", f"{quantity} in {unit}", ("level", "value", "measured",
                                                               "pv", "reading"), word=True),
               Signal("ack", "in", "acknowledge push button (NO)", ("ack", "pb_ack",
                                                                     "acknowledge")),
               Signal("horn", "out", "alarm horn", ("horn", "siren", "buzzer")),
               Signal("lamp", "out", "alarm lamp", ("alarm_lamp", "lamp", "h_alarm"))]
    return Draw("alarm", {"quantity": quantity, "unit": unit, "high": high, "low": low,
                          "relays": rng.sample(range(100, 500), 2)}, signals)


def _alarm_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"High {p['quantity']} alarm. The {p['quantity']} is in {names['value']} "
            f"({p['unit']}). The alarm becomes active when it rises above {p['high']} and stays "
            f"active until it falls below {p['low']} (hysteresis). Lamp {names['lamp']} is on "
            f"while the alarm is active. Horn {names['horn']} sounds when the alarm becomes "
            f"active and is silenced by {names['ack']}; only a new alarm sounds it again.")


def _alarm_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Alarm handling for {names['value']}: on above {p['high']}, off below {p['low']}. "
            f"Outputs: {names['lamp']} shows the alarm state, {names['horn']} is latched on at "
            f"each new alarm and reset by the operator's acknowledge {names['ack']}.")


def _alarm_fx(draw: Draw, names: dict[str, str]) -> str:
    active, rise = (f"M{m}" for m in draw.params["relays"])
    value, p = names["value"], draw.params
    return fx_program([f"LD> {value} K{p['high']}", f"SET {active}",
                       f"LD< {value} K{p['low']}", f"RST {active}",
                       f"LD {active}", f"PLS {rise}", f"LD {rise}", f"SET {names['horn']}",
                       f"LD {names['ack']}", f"RST {names['horn']}",
                       f"LD {active}", f"OUT {names['lamp']}"])


def _alarm_st(draw: Draw, names: dict[str, str]) -> str:
    p, value = draw.params, names["value"]
    body = "\n".join([
        f"IF {value} > {p['high']} THEN", "  active := TRUE;",
        f"ELSIF {value} < {p['low']} THEN", "  active := FALSE;", "END_IF;",
        "rise(CLK := active);",
        "IF rise.Q THEN", f"  {names['horn']} := TRUE;", "END_IF;",
        f"IF {names['ack']} THEN", f"  {names['horn']} := FALSE;", "END_IF;",
        f"{names['lamp']} := active;"])
    return st_program("LevelAlarm", draw, body, ["active : BOOL", "rise : R_TRIG"])


def _alarm_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    high, low = draw.params["high"], draw.params["low"]
    between = (high + low) // 2
    events = [at(0, value=low - 10), hold(0, 200, horn=False, lamp=False),
              at(200, value=high), hold(200, 400, horn=False, lamp=False),
              at(400, value=high + 1), expect(450, horn=True, lamp=True),
              *press("ack", 600), hold(750, 1000, horn=False, lamp=True),
              at(1000, value=between), hold(1050, 1300, horn=False, lamp=True),
              at(1300, value=low), hold(1350, 1500, lamp=True),
              at(1500, value=low - 1), hold(1550, 1800, horn=False, lamp=False),
              at(1800, value=between), hold(1850, 2000, lamp=False),
              at(2000, value=high + 50), expect(2050, horn=True, lamp=True),
              hold(2050, 2400, horn=True)]
    return [("hysteresis, acknowledge, and a new alarm sounds again", events)]


ALARM = Family(
    name="alarm", category="alarm", draw=_alarm_draw, phrasings=(_alarm_say_1, _alarm_say_2),
    fx=_alarm_fx, st=_alarm_st, tests=_alarm_tests,
    explain="The alarm state is set above the high limit and reset below the low one, so it "
            "holds in between; the horn is set only on the rising edge of that state and reset "
            "by the acknowledge.")


# --- scaling with limits -------------------------------------------------------------------------

RAW_FULL = 4000


def _scaling_draw(rng: random.Random) -> Draw:
    quantity, unit, span = rng.choice((("flow", "l/min", 250), ("pressure", "0.01 bar", 1000),
                                       ("level", "cm", 400), ("speed", "rpm", 1500),
                                       ("temperature", "0.1 °C", 1600), ("weight", "kg", 500)))
    signals = [Signal("raw", "in", "raw analogue input (0–4000 = 0–100 %)",
                      ("raw", "ai_raw", "adc", "input_raw"), word=True),
               Signal("value", "out", f"{quantity} in {unit}", ("value", "scaled", "eng",
                                                                  quantity), word=True),
               Signal("fault", "out", "input out of range lamp", ("fault", "range_error",
                                                                  "ai_fault"))]
    return Draw("scaling", {"quantity": quantity, "unit": unit, "span": span,
                            "scratch": rng.randrange(200, 400, 8)}, signals)


def _scaling_say_1(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Scale the raw {p['quantity']} reading {names['raw']} (0 to {RAW_FULL}) to "
            f"{names['value']} in {p['unit']}: 0 to {p['span']}, linearly, integer result "
            f"rounded down. A raw value below 0 or above {RAW_FULL} is a sensor fault: light "
            f"{names['fault']} and clamp {names['value']} to 0 or {p['span']}.")


def _scaling_say_2(draw: Draw, names: dict[str, str]) -> str:
    p = draw.params
    return (f"Analogue input conversion: {names['value']} = {names['raw']} * {p['span']} / "
            f"{RAW_FULL}, limited to 0..{p['span']}. Output {names['fault']} is on while "
            f"{names['raw']} is outside 0..{RAW_FULL}. Take care that the product does not "
            "overflow a 16-bit integer.")


def _scaling_fx(draw: Draw, names: dict[str, str]) -> str:
    p, raw, value = draw.params, names["raw"], names["value"]
    product, quotient = p["scratch"], p["scratch"] + 2
    return fx_program([
        "LD M8000", f"MUL {raw} K{p['span']} D{product}",
        f"DDIV D{product} K{RAW_FULL} D{quotient}", f"MOV D{quotient} {value}",
        f"LD< {raw} K0", f"MOV K0 {value}",
        f"LD> {raw} K{RAW_FULL}", f"MOV K{p['span']} {value}",
        f"LD< {raw} K0", f"OR> {raw} K{RAW_FULL}", f"OUT {names['fault']}"])


def _scaling_st(draw: Draw, names: dict[str, str]) -> str:
    p, raw, value, fault = draw.params, names["raw"], names["value"], names["fault"]
    body = "\n".join([
        f"IF {raw} < 0 THEN", f"  {value} := 0;", f"  {fault} := TRUE;",
        f"ELSIF {raw} > {RAW_FULL} THEN", f"  {value} := {p['span']};", f"  {fault} := TRUE;",
        "ELSE",
        f"  {value} := DINT_TO_INT(INT_TO_DINT({raw}) * {p['span']} / {RAW_FULL});",
        f"  {fault} := FALSE;", "END_IF;"])
    return st_program("Scaling", draw, body)


def _scaling_tests(draw: Draw) -> list[tuple[str, list[dict]]]:
    span = draw.params["span"]
    events, t = [], 0
    # each out-of-range reading follows an in-range one, so every branch must write both outputs
    for raw in (0, 1, 999, 2000, 3999, RAW_FULL, 4001, 1234, -1, 2000, 30000, -500, 3999):
        if raw < 0:
            value, fault = 0, True
        elif raw > RAW_FULL:
            value, fault = span, True
        else:
            value, fault = raw * span // RAW_FULL, False
        events += [at(t, raw=raw), expect(t + 30, value=value, fault=fault)]
        t += 50
    return [("scaled, clamped and flagged", events)]


SCALING = Family(
    name="scaling", category="scaling", draw=_scaling_draw,
    phrasings=(_scaling_say_1, _scaling_say_2), fx=_scaling_fx, st=_scaling_st,
    tests=_scaling_tests,
    explain="The raw value is multiplied into a 32-bit intermediate before the division, so "
            "raw × span cannot overflow; out-of-range readings override the result with the "
            "limit and light the fault output.")
