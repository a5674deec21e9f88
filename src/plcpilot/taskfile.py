"""Task files (FORMATS.md §1) read within bounds: a hostile or broken file is a PlcPilotError
naming the file (and the line where the parser knows it), never a traceback, minutes of
parsing or an out-of-memory. The loaded records are JSON data whichever format they came in.

Why each bound (docs/hardening.md, "Test timelines and task files", has the measurements):
- MAX_YAML_BYTES, MAX_JSON_BYTES: parsing time. PyYAML's constructor is Python even over
  libyaml: real task files load at ~1.1 s per MiB, the slowest shape (a million tiny nested
  lists) at ~7.7 s per MiB; JSON parses in C, ~25 times faster. Shipped files are under 100 KB;
  a folder of files loads as one task set, so a bigger set is split, not refused.
- MAX_DEPTH: a task needs about eight levels (list, task, tests, test, timeline, event, set,
  and a few for ST structs and arrays). Checked on the parser's events, which come one at a
  time, before anything recursive runs (libyaml's composer recurses in C), and again on the
  loaded data, where aliases and merge keys have added their levels.
- MAX_EXPANDED: aliases share a subtree that pydantic, json.dumps and the bench fingerprint
  expand; nine nested anchors of ten aliases each make 10^9 nodes out of a few hundred bytes,
  and a chain of merge keys (`<<: *previous`) makes PyYAML's constructor quadratic. The
  expanded size is counted per anchor as the events come (linear in the document) and bounded
  at twice MAX_YAML_BYTES, which a document without aliases never reaches.
- INT_BITS: no PLC integer is wider than 64 bits; Python refuses int() of over 4300 digits and
  is quadratic below that, and a hex literal is not limited at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from plcpilot.errors import PlcPilotError

MAX_YAML_BYTES = 512 << 10
MAX_JSON_BYTES = 4 << 20  # JSON parses in C: ~25x faster than YAML per byte
MAX_DEPTH = 32
MAX_EXPANDED = 2 * MAX_YAML_BYTES  # nodes plus string characters, aliases expanded
INT_BITS = 64
_INT_CHARS = 100  # longer integer literals are refused before int() sees them

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~5x faster


class _WideInt(Exception):
    """An integer literal over INT_BITS (the message says where)."""


class _Loader(_Base):
    """The safe loader, producing JSON data: mapping keys are the text written (`on:` is the
    key "on", not True), YAML-only scalars (timestamps, !!binary) stay the text written, a
    !!set is a mapping with null values, and integers fit INT_BITS."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):  # `!!set [a]`: SafeConstructor's error
            return super().construct_mapping(node, deep)
        self.flatten_mapping(node)  # merge keys (`<<: *base`) first, as SafeConstructor does
        mapping = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "a key must be a plain value (JSON keys are strings)",
                                       key_node.start_mark)
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_bounded_int(self, node):
        text = self.construct_scalar(node)
        value = self.construct_yaml_int(node) if len(text) <= _INT_CHARS else None
        if value is None or value.bit_length() > INT_BITS:
            raise _WideInt(f"line {node.start_mark.line + 1}: {_wide(text)}")
        return value


def _explicit(construct, kind: str):
    """A scalar constructor that refuses text its tag does not fit: PyYAML trusts an explicit
    tag and fails with IndexError, KeyError or ValueError on `!!int`, `!!bool x`, `!!float x`."""
    def checked(loader, node):
        try:
            return construct(loader, node)
        except (IndexError, KeyError, ValueError):
            raise ConstructorError(None, None, f"{node.value!r} is not {kind}",
                                   node.start_mark) from None
    return checked


for _tag, _construct in (("int", _explicit(_Loader.construct_bounded_int, "an integer")),
                         ("float", _explicit(_Loader.construct_yaml_float, "a number")),
                         ("bool", _explicit(_Loader.construct_yaml_bool, "true or false")),
                         ("timestamp", _Loader.construct_yaml_str),
                         ("binary", _Loader.construct_yaml_str),
                         ("set", _Loader.construct_yaml_map)):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct)


def _wide(text: str) -> str:
    shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
    return (f"the integer {shown} is wider than {INT_BITS} bits, which no PLC integer is; "
            "write it as a string if it is text")


def _json_int(text: str) -> int:
    value = int(text) if len(text) <= _INT_CHARS else None
    if value is None or value.bit_length() > INT_BITS:
        raise _WideInt(_wide(text))
    return value


def read_task_file(path: Path) -> list[Any]:
    """The records of one task file: a YAML or JSON list, JSONL (one record per line), or an
    Agents4PLC benchmark file (plcpilot.importers)."""
    text = read_text(path, MAX_YAML_BYTES if _is_yaml(path) else MAX_JSON_BYTES)
    if path.suffix == ".jsonl":
        from plcpilot.importers import import_agents4plc, recognise

        if recognise(path, text):  # a third-party benchmark's own file, read as it is
            return [t.model_dump(exclude_none=True) for t in import_agents4plc(path, text)]
        return [_json(line, f"{path}: line {n}") for n, line in enumerate(text.split("\n"), 1)
                if line.strip()]
    data = _yaml(text, path) if _is_yaml(path) else _json(text, str(path))
    if data is None:
        return []
    if not isinstance(data, list):
        raise PlcPilotError(f"{path}: a task file holds a list of tasks")
    return data


def _is_yaml(path: Path) -> bool:
    return path.suffix not in (".json", ".jsonl")


def read_text(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as f:  # read at most one byte over: /dev/zero is a path too
            data = f.read(limit + 1)
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read task file ({e.strerror or e})") from None
    if len(data) > limit:
        raise PlcPilotError(
            f"{path}: over {_size(limit)}, the limit for one {'YAML' if _is_yaml(path) else 'JSON'}"
            " task file (it bounds the time spent parsing); split it into several files in one "
            "folder, which loads as one task set")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise PlcPilotError(f"{path}: line {line}: not UTF-8 text ({e.reason} at byte "
                            f"{e.start})") from None


def _json(text: str, where: str) -> Any:
    try:
        data = json.loads(text, parse_int=_json_int)
    except _WideInt as e:
        raise PlcPilotError(f"{where}: {e}") from None
    except json.JSONDecodeError as e:
        raise PlcPilotError(f"{where}: not valid JSON: {e}") from None
    except RecursionError:  # json's scanner counts its recursion: no C stack at risk
        raise PlcPilotError(f"{where}: {_deep()}") from None
    return _check_depth(data, where)


def _yaml(text: str, path: Path) -> Any:
    try:
        _check_events(text, path)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _WideInt as e:
        raise PlcPilotError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        raise PlcPilotError(f"{path}: not valid YAML: {e}") from None
    return _check_depth(data, str(path))


def _check_depth(data: Any, where: str) -> Any:
    """Depth as loaded, aliases and merge keys expanded; level by level, no recursion, and
    linear in the expanded size (already bounded)."""
    depth, level = 0, [data]
    while level := [x for x in level if isinstance(x, dict | list | tuple)]:  # tuple: !!omap
        depth += 1
        if depth > MAX_DEPTH:
            raise PlcPilotError(f"{where}: {_deep()}")
        level = [y for x in level for y in (x.values() if isinstance(x, dict) else x)]
    return data


def _deep() -> str:
    return f"nested deeper than {MAX_DEPTH} levels (a task needs about eight)"


_OPEN = -1  # the size of an anchor whose collection is still open: an alias to it is a cycle


def _check_events(text: str, path: Path) -> None:
    """Depth as written, cycles and expanded size, from the parser's events one at a time,
    before anything recursive composes them."""
    anchors: dict[str, int] = {}  # anchor -> expanded size
    stack: list[list] = []  # open collections: [expanded size, anchor]
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) == MAX_DEPTH:
                raise PlcPilotError(f"{path}: line {line}: {_deep()}")
            if event.anchor is not None:
                anchors[event.anchor] = _OPEN
            stack.append([1, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1 + len(event.value), event.anchor
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = anchors.get(event.anchor, 1), None  # undefined: the composer says so
            if size == _OPEN:
                raise PlcPilotError(f"{path}: line {line}: the alias *{event.anchor} is inside "
                                    "the node it names (a cycle)")
        else:
            continue
        if anchor is not None:
            anchors[anchor] = size
        if stack:
            stack[-1][0] += size
            if stack[-1][0] > MAX_EXPANDED:
                raise PlcPilotError(
                    f"{path}: line {line}: with its aliases expanded the document grows past "
                    f"{MAX_EXPANDED:,} nodes and characters, which no file under the "
                    f"{_size(MAX_YAML_BYTES)} limit reaches without aliases; alias less")


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"
