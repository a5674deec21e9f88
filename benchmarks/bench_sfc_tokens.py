"""How much smaller the reduced form is than the PLCopen XML it stands for, in the tokens a
small model reads: the embedded SmolLM2's tokenizer (llama.cpp, vocabulary only: no weights
run), on every SFC POU of the corpus.

Run: .venv/bin/python benchmarks/bench_sfc_tokens.py [--corpus DIR]
Columns: the original file's tokens (the whole project, as a user would paste it), the POU's
XML as our export writes it (the chart alone, layout included), the reduced JSON (compact, as
a prompt carries it), the same without what it keeps opaque (LD/FBD networks and bodies, data
types: what a model writes is the rest), and the reduced JSON's share of the export. The
baseline is the export: the same content in the format tools exchange.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from plcpilot.llm.models import model_path
from plcpilot.sfc.plcopen import chart_xml, read_charts


def _authored(chart) -> dict:
    """The chart without its opaque parts: XML bodies, networks, extras, data types."""
    data = chart.dump()
    for key in ("extras", "data_types"):
        data.pop(key, None)
    data["actions"] = [b for b in data.get("actions", []) if "xml" not in b]
    data["named_transitions"] = [b for b in data.get("named_transitions", []) if "xml" not in b]
    for t in data.get("transitions", []):
        t.pop("network", None)
    return data


def main() -> None:
    from llama_cpp import Llama

    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2]
                        / "shared" / "corpus" / "sfc")
    args = parser.parse_args()
    vocab = Llama(model_path=str(model_path()), vocab_only=True, verbose=False)

    def tokens(text: str) -> int:
        return len(vocab.tokenize(text.encode("utf-8"), add_bos=False))

    table = Table(title="Tokens (SmolLM2 tokenizer): PLCopen XML vs the reduced form",
                  header_style="bold")
    for col in ("chart", "steps", "file", "export XML", "reduced JSON", "without opaque",
                "JSON / XML"):
        table.add_column(col, justify="left" if col == "chart" else "right")
    totals = [0, 0, 0]
    for f in sorted(args.corpus.glob("*.xml")):
        whole = tokens(f.read_text(encoding="utf-8"))
        for chart in read_charts(f):
            xml = tokens(chart_xml(chart).decode("utf-8"))
            reduced = tokens(json.dumps(chart.dump(), separators=(",", ":")))
            authored = tokens(json.dumps(_authored(chart), separators=(",", ":")))
            totals[0] += xml
            totals[1] += reduced
            totals[2] += authored
            table.add_row(f"{f.stem[:30]}/{chart.name}", str(len(chart.steps)), f"{whole:,}",
                          f"{xml:,}", f"{reduced:,}", f"{authored:,}", f"{reduced / xml:.0%}")
    table.add_row("all", "", "", f"{totals[0]:,}", f"{totals[1]:,}", f"{totals[2]:,}",
                  f"{totals[1] / totals[0]:.0%}")
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
