"""Reading untrusted XML safely (lxml; why lxml: libxml2's C parser, with switches for every
attack below, where the standard library's expat needs defusedxml on top).

A PLCopen file arrives from anyone's project folder. Refused with a clear PlcPilotError:
- any DOCTYPE: entity declarations are how billion-laughs (exponential expansion) and XXE
  (reading local files or URLs through external entities) work, and no PLCopen tool writes one;
- network access and external DTDs (no_network, load_dtd off), entity substitution off;
- more than MAX_BYTES, or nesting deeper than libxml2's default limit (256 levels; huge_tree
  stays off);
- text that is not well-formed, with the line libxml2 names.
"""

from __future__ import annotations

import re
from pathlib import Path

from plcpilot.errors import PlcPilotError, optional_import

etree = optional_import("lxml.etree", "PLCopen XML", "sfc", "lxml")

MAX_BYTES = 20 * 1024 * 1024  # the largest corpus project is 0.4 MB
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_blank_text=False)


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read ({e.strerror or e})") from None
    if len(data) > limit:
        raise PlcPilotError(f"{path}: over {limit // (1024 * 1024)} MB, the limit for one chart "
                            "file")
    return data


def parse_xml(data: bytes, where: str) -> etree._Element:
    """The root element of `data`, or a PlcPilotError saying why it is refused."""
    if _DOCTYPE.search(data):
        raise PlcPilotError(f"{where}: refused: the file declares a DOCTYPE or ENTITY; PLCopen "
                            "files have none, and entity declarations are how entity-expansion "
                            "(billion laughs) and external-entity (XXE) attacks work")
    try:
        return etree.fromstring(data, parser())
    except etree.XMLSyntaxError as e:
        raise PlcPilotError(f"{where}: not well-formed XML, line {e.lineno}: {e.msg}") from None
