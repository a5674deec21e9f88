"""A chart from a file, whichever form it is in: PLCopen XML (any namespace plcopen.py reads)
or the reduced JSON. Decided by content, not the file ending: a `.xml` that holds JSON is still
read, and anything else is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from plcpilot.errors import PlcPilotError, first_problem
from plcpilot.sfc.model import Chart
from plcpilot.sfc.xmlsafe import read_bytes

MAX_JSON_BYTES = 4 * 1024 * 1024


def load_chart(path: Path, pou: str | None = None) -> Chart:
    from plcpilot.sfc.plcopen import read_chart

    if _looks_like_xml(path):
        return read_chart(path, pou)
    return chart_from_json(read_bytes(path, MAX_JSON_BYTES), str(path))


def chart_from_text(text: str, where: str = "input", pou: str | None = None) -> Chart:
    """A chart from program text (a model's answer, standard input): XML or JSON."""
    from plcpilot.sfc.plcopen import chart_of, charts_of

    data = text.encode("utf-8")
    if data.lstrip().startswith(b"<"):
        return chart_of(charts_of(data, where), where, pou)
    if len(data) > MAX_JSON_BYTES:
        raise PlcPilotError(f"{where}: over {MAX_JSON_BYTES // (1024 * 1024)} MB, the limit "
                            "for a reduced chart")
    return chart_from_json(data, where)


def chart_from_json(data: bytes, where: str) -> Chart:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlcPilotError(f"{where}: neither PLCopen XML nor reduced JSON ({e})") from None
    except RecursionError:
        raise PlcPilotError(f"{where}: nested too deeply to be a chart") from None
    try:
        return Chart.model_validate(raw)
    except ValidationError as e:
        raise PlcPilotError(f"{where}: not a chart: {first_problem(e)}") from None


def _looks_like_xml(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read ({e.strerror or e})") from None
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def chart_json(chart: Chart) -> str:
    return json.dumps(chart.dump(), indent=2, ensure_ascii=False) + "\n"
