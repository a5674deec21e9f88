"""Training throughput on this machine: the choices the `cpu` preset makes, each against the
plain way (every token through every block with a graph, fp32, LoRA on all 30 blocks), on the
same operator-agent examples with the embedded SmolLM2-135M.

Run: .venv/bin/python benchmarks/bench_train_speed.py [--examples 8]
(needs the train extra; builds its examples from the plant simulator; run it with nothing else
on the CPU). Each row is one optimiser step's worth of examples in training order (mixed
stations, as the shuffle gives them): forward and backward for each, and prompt+answer tokens
per second over all of them. Shared system turns are computed inside the timing, once per
station, as once per optimiser step in training. One untimed example warms each row up.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from plcpilot.plant.model import load_plant
from plcpilot.train import lora
from plcpilot.train.agent_data import agent_examples, split_seeds
from plcpilot.train.base import load_base
from plcpilot.train.presets import preset

ROWS = [  # (label, top layers, bf16, shared system turn)
    ("plain: all blocks, fp32, whole prompt", 0, False, False),
    ("+ bf16 autocast", 0, True, False),
    ("+ shared system turn", 0, True, True),
    ("+ only the top 12 blocks adapted (cpu preset)", 12, True, True),
    ("  top 6 blocks", 6, True, True),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()
    pool = list(agent_examples(load_plant(), split_seeds(1, 0)))
    examples = [pool[i] for i in lora._order(len(pool), 1, 0)[: args.examples + 1]]
    table = Table(title=f"LoRA training speed, {args.examples} agent examples, SmolLM2-135M")
    for column in ("setup", "tokens/s", "s per example", "× plain"):
        table.add_column(column, justify="left" if column == "setup" else "right")
    plain = None
    for label, top, bf16, shared in ROWS:
        base = load_base("embedded")
        model = lora.attach_lora(base.model, preset("cpu", top_layers=top, bf16=bf16))
        encoded = [lora.encode(base.tokenizer, e) for e in examples]
        lora.answer_loss(model, encoded[0], bf16).backward()  # warm-up, untimed
        prefixes = lora.SharedPrefixes() if shared else None
        started = time.perf_counter()
        for x in encoded[1:]:
            lora.answer_loss(model, x, bf16, prefixes).backward()
        seconds = time.perf_counter() - started
        rate = sum(len(x.ids) for x in encoded[1:]) / seconds
        plain = plain or rate
        table.add_row(label, f"{rate:.0f}", f"{seconds / (len(encoded) - 1):.1f}",
                      f"{rate / plain:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
