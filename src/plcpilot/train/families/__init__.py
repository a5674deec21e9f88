"""Synthetic control-problem families for code-generation training data (see base.py).

FAMILIES make the training and validation splits; HELD_OUT families are never trained on and
measure transfer to a kind of problem the model has not seen. COMBINED2/3 state two or three
of the others' requirements in one task (FX only)."""

from plcpilot.train.families.analog import ALARM, SCALING
from plcpilot.train.families.combined import COMBINED2, COMBINED3
from plcpilot.train.families.counting import COUNTER, SEQUENCE
from plcpilot.train.families.data import AVERAGE
from plcpilot.train.families.logic import INTERLOCK, LATCH
from plcpilot.train.families.timing import FLASHER, OFF_DELAY, ON_DELAY_CHAIN, PULSE

FAMILIES = (LATCH, INTERLOCK, ON_DELAY_CHAIN, OFF_DELAY, PULSE, FLASHER, COUNTER, SEQUENCE,
            SCALING, AVERAGE, COMBINED2, COMBINED3)
HELD_OUT = (ALARM,)
BY_NAME = {f.name: f for f in (*FAMILIES, *HELD_OUT)}
