"""PLCopen TC6 XML ⇄ the reduced form (plcpilot.sfc.model).

Import reads the namespaces real tools write: tc6_0201 (Beremiz, OpenPLC Editor, PLCreX),
tc6_0200 (CODESYS) and the v1.0 `tc6.xsd` namespace of old Beremiz and matiec. The chart's
graph (elements linked by `connectionPointIn/connection@refLocalId`, through selection and
simultaneous divergences and convergences and jump steps) becomes the Petri-net form: each
transition's source and target steps. Branch order is the drawing's left-to-right order
(IEC's priority for alternative branches), read from the elements' x positions.

Export writes a v2.01 project holding the chart's POU, with coordinates from
plcpilot.sfc.layout. What the reduced form keeps opaque (LD/FBD networks, their comments) is
written back verbatim with its own localIds; ours are numbered above them.
"""

from __future__ import annotations

from collections import defaultdict
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path

from plcpilot.errors import PlcPilotError
from plcpilot.sfc import layout
from plcpilot.sfc.model import ActionUse, Body, Chart, Step, Transition, Variable
from plcpilot.sfc.xmlsafe import etree, parse_xml, read_bytes

V201 = "http://www.plcopen.org/xml/tc6_0201"
NAMESPACES = {V201: "2.01", "http://www.plcopen.org/xml/tc6_0200": "2.00",
              "http://www.plcopen.org/xml/tc6.xsd": "1.0"}
XHTML = "http://www.w3.org/1999/xhtml"
VAR_SECTIONS = {"inputVars": "input", "outputVars": "output", "inOutVars": "in_out",
                "localVars": "local", "tempVars": "temp", "externalVars": "external",
                "globalVars": "global"}
ELEMENTARY = {"BOOL", "BYTE", "WORD", "DWORD", "LWORD", "SINT", "INT", "DINT", "LINT", "USINT",
              "UINT", "UDINT", "ULINT", "REAL", "LREAL", "TIME", "DATE", "DT", "TOD", "LTIME",
              "CHAR", "WCHAR"}
SFC_ELEMENTS = {"step", "transition", "selectionDivergence", "selectionConvergence",
                "simultaneousDivergence", "simultaneousConvergence", "jumpStep", "actionBlock",
                "macroStep"}


# ---- import --------------------------------------------------------------------------------

def read_charts(path: Path) -> list[Chart]:
    """Every SFC POU of a PLCopen file."""
    return charts_of(read_bytes(path), str(path))


def charts_of(data: bytes, path: str) -> list[Chart]:
    """Every SFC POU of PLCopen XML text (`path` names it in errors)."""
    root = parse_xml(data, path)
    ns = etree.QName(root).namespace
    if etree.QName(root).localname != "project" or ns not in NAMESPACES:
        raise PlcPilotError(f"{path}: not a PLCopen TC6 project (root element "
                            f"{root.tag!r}; expected project in one of "
                            f"{', '.join(NAMESPACES)})")
    q = _Names(ns)
    charts = []
    data_types = [_xml(t) for t in root.iterfind(
        f"{q('types')}/{q('dataTypes')}/{q('dataType')}")]
    for pou in root.iterfind(f"{q('types')}/{q('pous')}/{q('pou')}"):
        sfc = pou.find(f"{q('body')}/{q('SFC')}")
        if sfc is not None:
            try:
                charts.append(_chart(pou, sfc, q).model_copy(update={"data_types": data_types}))
            except PlcPilotError as e:
                raise PlcPilotError(f"{path}: POU {pou.get('name')}: {e}") from None
    return charts


def st_types(chart: Chart) -> list[str]:
    """The chart's data types as ST TYPE declarations, for those ST can state (enumerations,
    structures, subranges, arrays, aliases); the others are left out."""
    q = _Names(V201)
    out = []
    for text in chart.data_types:
        el = etree.fromstring(text, _opaque_parser())
        base = el.find(q("baseType"))
        content = next((c for c in base if _local(c)), None) if base is not None else None
        if content is None:
            continue
        kind = _local(content)
        if kind == "enum":
            values = [v.get("name") for v in content.iterfind(f"{q('values')}/{q('value')}")]
            out.append(f"{el.get('name')} : ({', '.join(values)});")
        elif kind == "struct":
            members = " ".join(f"{v.get('name')} : {_type(v.find(q('type')), q)['type']};"
                               for v in content.iterfind(q("variable")))
            out.append(f"{el.get('name')} : STRUCT {members} END_STRUCT;")
        elif kind in ("subrangeSigned", "subrangeUnsigned"):
            r = content.find(q("range"))
            inner = _type(content.find(q("baseType")), q)["type"]
            out.append(f"{el.get('name')} : {inner} ({r.get('lower')}..{r.get('upper')});")
        else:
            t = _type(base, q)
            if "type_xml" not in t:
                out.append(f"{el.get('name')} : {t['type']};")
    return out


def read_chart(path: Path, pou: str | None = None) -> Chart:
    """The SFC POU `pou`, or the only one."""
    return chart_of(read_charts(path), path, pou)


def chart_of(charts: list[Chart], path: Path | str, pou: str | None = None) -> Chart:
    if pou is not None:
        chosen = [c for c in charts if c.name == pou]
        if not chosen:
            raise PlcPilotError(f"{path}: no SFC POU named {pou!r}; it has: "
                                f"{', '.join(c.name for c in charts) or 'none'}")
        return chosen[0]
    if len(charts) != 1:
        names = ", ".join(c.name for c in charts)
        raise PlcPilotError(f"{path}: {len(charts)} SFC POUs" + (f" ({names}); choose one with "
                            "--pou NAME" if charts else ": nothing to import"))
    return charts[0]


class _Names:
    """Qualified tag names in the file's namespace."""

    def __init__(self, ns: str):
        self.ns = ns

    def __call__(self, local: str) -> str:
        return f"{{{self.ns}}}{local}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element | None) -> str:
    """ST or IL text, whether wrapped in xhtml:p (v2.0x) or not (v1.0)."""
    return "" if el is None else "".join(el.itertext()).strip()


def _xml(el: etree._Element) -> str:
    """An element kept opaque, moved into the v2.01 namespace (the element names are the
    same in 1.0 and 2.00), so an export from an older file stays one namespace."""
    return etree.tostring(_rebuilt(el, None), encoding="unicode", with_tail=False)


def _rebuilt(el: etree._Element, parent: etree._Element | None) -> etree._Element:
    name = etree.QName(el)
    tag = f"{{{V201}}}{name.localname}" if name.namespace in NAMESPACES else el.tag
    new = etree.Element(tag, dict(el.attrib), nsmap={None: V201, "xhtml": XHTML}) \
        if parent is None else etree.SubElement(parent, tag, dict(el.attrib))
    new.text = el.text
    if name.localname == "content" and len(el) == 0 and (el.text or "").strip():
        # v1.0 comment text; v2.01 wants it in xhtml
        etree.SubElement(new, f"{{{XHTML}}}p").text = el.text.strip()
        new.text = None
    if name.localname == "condition" and el.find(f"{{{name.namespace}}}connection") is not None:
        # v1.0 links a condition's network directly; v2.01 through a connectionPointIn
        point = etree.SubElement(new, f"{{{V201}}}connectionPointIn")
        for child in el:
            if isinstance(child.tag, str):
                _rebuilt(child, point)
        return new
    for child in el:
        if isinstance(child.tag, str):
            _rebuilt(child, new).tail = child.tail
        else:  # a comment or processing instruction
            copy = deepcopy(child)
            copy.tail = child.tail
            new.append(copy)
    return new


def _chart(pou: etree._Element, sfc: etree._Element, q: _Names) -> Chart:
    nodes: dict[str, etree._Element] = {}
    extras = []
    for n, el in enumerate(sfc):
        kind = _local(el)
        if kind == "macroStep":
            raise PlcPilotError("macro steps are not supported (expand them into the chart)")
        if kind in SFC_ELEMENTS:  # (a file without localIds gets ids no connection names)
            nodes[el.get("localId") or f"_{n}"] = el
        elif kind:
            extras.append(_xml(el))
    up = {lid: _refs(el, q) for lid, el in nodes.items() if _local(el) != "actionBlock"}
    down: dict[str, list[str]] = defaultdict(list)
    for lid, refs in up.items():
        for r in refs:
            down[r].append(lid)
    for refs in down.values():  # left to right: IEC's order of alternative branches
        refs.sort(key=lambda lid: _x(nodes[lid], q))
    graph = _Graph(nodes, up, down, q)
    steps = {lid: Step(name=el.get("name"), initial=el.get("initialStep") == "true")
             for lid, el in nodes.items() if _local(el) == "step"}
    for el in nodes.values():
        if _local(el) == "actionBlock":
            owners = [r for r in _refs(el, q) if r in steps]
            for r in owners:
                steps[r].actions += [_action(a, q) for a in el.iterfind(q("action"))]
            if not owners:  # attached to no step: kept, not dropped
                extras.append(_xml(el))
    transitions = _branch_order(
        [(el, graph.transition(el)) for el in nodes.values() if _local(el) == "transition"], q)
    return Chart(name=pou.get("name"), pou=pou.get("pouType", "program"),
                 variables=_variables(pou, q), steps=list(steps.values()),
                 transitions=transitions,
                 actions=[_body(a, q) for a in pou.iterfind(f"{q('actions')}/{q('action')}")],
                 named_transitions=[_body(t, q) for t in pou.iterfind(
                     f"{q('transitions')}/{q('transition')}")],
                 extras=extras, comment=_text(pou.find(q("documentation"))))


def _branch_order(pairs: list[tuple[etree._Element, Transition]], q: _Names
                  ) -> list[Transition]:
    """Transitions in document order, except that those leaving the same step (alternative
    branches) take their slots left to right, as IEC orders their priority."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, (_, t) in enumerate(pairs):
        groups[tuple(t.source)].append(n)
    out = [t for _, t in pairs]
    for slots in groups.values():
        ranked = sorted(slots, key=lambda n: _x(pairs[n][0], q))
        for slot, n in zip(slots, ranked, strict=True):
            out[slot] = pairs[n][1]
    return out


def _refs(el: etree._Element, q: _Names) -> list[str]:
    return [c.get("refLocalId") for point in el.iterfind(q("connectionPointIn"))
            for c in point.iterfind(q("connection"))]


def _x(el: etree._Element, q: _Names) -> float:
    pos = el.find(q("position"))
    return float(pos.get("x", 0)) if pos is not None else 0.0


def _y(el: etree._Element, q: _Names) -> float:
    pos = el.find(q("position"))
    return float(pos.get("y", 0)) if pos is not None else 0.0


class _Graph:
    """Walks the element graph from a transition to the steps it joins."""

    def __init__(self, nodes, up, down, q: _Names):
        self.nodes, self.up, self.down, self.q = nodes, up, down, q

    def transition(self, el: etree._Element) -> Transition:
        lid = el.get("localId")
        targets = [t for d in self.down.get(lid, []) for t in self._targets(d)]
        cond = el.find(self.q("condition"))
        fields: dict = {}
        if cond is not None:
            inline, ref = cond.find(self.q("inline")), cond.find(self.q("reference"))
            if inline is not None:
                fields["condition"] = _text(inline.find(self.q("ST")))
                if inline.find(self.q("ST")) is None:
                    fields = {"network": _xml(cond)}
            elif ref is not None:
                fields["reference"] = ref.get("name")
            else:
                fields["network"] = _xml(cond)
        jumps = {name for name, jump in targets if jump}
        if el.get("priority"):
            fields["priority"] = int(el.get("priority"))
        return Transition(**{"from": [s for u in self.up.get(lid, []) for s in self._sources(u)],
                             "to": [name for name, _ in targets]},
                          jump=bool(jumps) and len(targets) == 1, **fields)

    def _sources(self, lid: str) -> list[str]:
        el = self.nodes.get(lid)
        kind = _local(el) if el is not None else ""
        if kind == "step":
            return [el.get("name")]
        if kind in ("selectionDivergence", "simultaneousConvergence"):
            return [s for u in self.up.get(lid, []) for s in self._sources(u)]
        raise PlcPilotError(f"a transition's input comes from {kind or 'nothing'} (element "
                            f"{lid}); it must come from a step, a selection divergence or a "
                            "simultaneous convergence")

    def _targets(self, lid: str) -> list[tuple[str, bool]]:
        el = self.nodes[lid]
        kind = _local(el)
        if kind == "step":
            return [(el.get("name"), False)]
        if kind == "jumpStep":
            return [(el.get("targetName"), True)]
        if kind in ("simultaneousDivergence", "selectionConvergence"):
            return [t for d in self.down.get(lid, []) for t in self._targets(d)]
        raise PlcPilotError(f"a transition leads to {kind} (element {lid}); it must lead to a "
                            "step, a jump, a simultaneous divergence or a selection convergence")


def _action(el: etree._Element, q: _Names) -> ActionUse:
    inline, ref = el.find(q("inline")), el.find(q("reference"))
    fields: dict = {"qualifier": el.get("qualifier", "N")}
    if el.get("duration"):
        fields["time"] = el.get("duration")
    if el.get("indicator"):
        fields["indicator"] = el.get("indicator")
    if inline is not None:
        fields["st"] = _text(inline.find(q("ST")))
    elif ref is not None:
        fields["action"] = ref.get("name")
    else:
        raise PlcPilotError("an action in an action block has neither a reference nor inline ST")
    return ActionUse(**fields)


def _body(el: etree._Element, q: _Names) -> Body:
    body = el.find(q("body"))
    content = next((c for c in body if _local(c)), None) if body is not None else None
    if content is None:
        raise PlcPilotError(f"{_local(el)} {el.get('name')!r} has no body")
    language = _local(content)
    if language in ("ST", "IL"):
        return Body(name=el.get("name"), language=language, text=_text(content))
    return Body(name=el.get("name"), language=language, xml=_xml(content))


def _variables(pou: etree._Element, q: _Names) -> list[Variable]:
    out = []
    interface = pou.find(q("interface"))
    if interface is None:
        return out
    for section in interface:
        kind = VAR_SECTIONS.get(_local(section))
        if kind is None:
            continue
        for v in section.iterfind(q("variable")):
            fields: dict = {"name": v.get("name"), "kind": kind,
                            "constant": section.get("constant") == "true"}
            fields |= _type(v.find(q("type")), q)
            init = v.find(f"{q('initialValue')}/{q('simpleValue')}")
            if init is not None:
                fields["initial"] = init.get("value")
            elif v.find(q("initialValue")) is not None:
                fields["initial_xml"] = _xml(v.find(q("initialValue")))
            if v.get("address"):
                fields["address"] = v.get("address")
            doc = _text(v.find(q("documentation")))
            if doc:
                fields["comment"] = doc
            out.append(Variable(**fields))
    return out


def _type(el: etree._Element | None, q: _Names) -> dict:
    """{"type": IEC text} for the forms text carries, else {"type": name, "type_xml": …}."""
    content = next((c for c in el if _local(c)), None) if el is not None else None
    if content is None:
        return {"type": "BOOL"}
    name = _local(content)
    if name in ELEMENTARY:
        return {"type": name}
    if name in ("string", "wstring"):
        length = content.get("length")
        return {"type": name.upper() + (f"[{length}]" if length else "")}
    if name == "derived":
        return {"type": content.get("name")}
    if name == "array":
        dims = ", ".join(f"{d.get('lower')}..{d.get('upper')}"
                         for d in content.iterfind(q("dimension")))
        base = _type(content.find(q("baseType")), q)
        if "type_xml" not in base:
            return {"type": f"ARRAY [{dims}] OF {base['type']}"}
    return {"type": name.upper(), "type_xml": _xml(content)}


# ---- export --------------------------------------------------------------------------------

def chart_xml(chart: Chart) -> bytes:
    """A PLCopen TC6 v2.01 project holding the chart's POU."""
    E = _Maker()
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "")
    project = E("project", nsmap={None: V201, "xhtml": XHTML})
    project.append(E("fileHeader", companyName="plcpilot", productName="plcpilot",
                     productVersion="1", creationDateTime=now))
    header = E("contentHeader", name=chart.name, modificationDateTime=now)
    info = E("coordinateInfo")
    for lang in ("fbd", "ld", "sfc"):
        info.append(E(lang, E("scaling", x="10", y="10")))
    header.append(info)
    project.append(header)
    pou = E("pou", name=chart.name, pouType=chart.pou)
    pou.append(_interface(chart, E))
    if chart.actions:
        pou.append(E("actions", *[E("action", _body_xml(b, E), name=b.name)
                                  for b in chart.actions]))
    if chart.named_transitions:
        pou.append(E("transitions", *[E("transition", _body_xml(b, E), name=b.name)
                                      for b in chart.named_transitions]))
    pou.append(E("body", _sfc(chart, E)))
    if chart.comment:
        pou.append(E("documentation", _p(chart.comment, E)))
    types = E("dataTypes", *[etree.fromstring(t, _opaque_parser()) for t in chart.data_types])
    project.append(E("types", types, E("pous", pou)))
    project.append(E("instances", E("configurations")))
    return etree.tostring(project, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_chart(chart: Chart, path: Path) -> None:
    from plcpilot.runfolder import write_atomic

    write_atomic(path, chart_xml(chart).decode("utf-8"))


class _Maker:
    """Elements in the v2.01 namespace; attributes given as keywords, None left out."""

    def __call__(self, tag: str, *children, nsmap=None, **attrs) -> etree._Element:
        ns, _, local = tag.rpartition(":")
        el = etree.Element(f"{{{XHTML if ns == 'xhtml' else V201}}}{local}", nsmap=nsmap)
        for k, v in attrs.items():
            if v is not None:
                el.set(k, str(v))
        for c in children:
            el.append(c)
        return el


def _p(text: str, E: _Maker) -> etree._Element:
    p = E("xhtml:p")
    p.text = etree.CDATA(text) if text else ""
    return p


def _body_xml(b: Body, E: _Maker) -> etree._Element:
    if b.text is not None:
        return E("body", E(b.language, _p(b.text, E)))
    return E("body", etree.fromstring(b.xml, _opaque_parser()))


def _opaque_parser() -> etree.XMLParser:
    from plcpilot.sfc.xmlsafe import parser

    return parser()


def _interface(chart: Chart, E: _Maker) -> etree._Element:
    interface = E("interface")
    sections: dict[tuple[str, bool], etree._Element] = {}
    tags = {v: k for k, v in VAR_SECTIONS.items()}
    for v in chart.variables:
        key = (v.kind, v.constant)
        if key not in sections:
            sections[key] = E(tags[v.kind], constant="true" if v.constant else None)
            interface.append(sections[key])
        var = E("variable", E("type", _type_xml(v, E)), name=v.name, address=v.address)
        if v.initial is not None:
            var.append(E("initialValue", E("simpleValue", value=v.initial)))
        elif v.initial_xml is not None:
            var.append(etree.fromstring(v.initial_xml, _opaque_parser()))
        if v.comment:
            var.append(E("documentation", _p(v.comment, E)))
        sections[key].append(var)
    return interface


def _type_xml(v: Variable, E: _Maker) -> etree._Element:
    if v.type_xml is not None:
        return etree.fromstring(v.type_xml, _opaque_parser())
    return type_element(v.type, E)


def type_element(text: str, E: _Maker) -> etree._Element:
    """The XML of an IEC type written as text (BOOL, STRING[20], ARRAY [0..3] OF INT, TON)."""
    t = text.strip()
    upper = t.upper()
    if upper in ELEMENTARY:
        return E(upper)
    if upper.startswith(("STRING", "WSTRING")):
        name, _, rest = upper.partition("[")
        if name in ("STRING", "WSTRING"):
            return E(name.lower(), length=rest.rstrip("]").strip() or None)
    if upper.startswith("ARRAY"):
        dims, _, base = t[t.index("[") + 1:].partition("]")
        base = base.strip()
        base = base[2:].strip() if base.upper().startswith("OF") else base
        arr = E("array")
        for d in dims.split(","):
            lower, _, upper_ = d.partition("..")
            arr.append(E("dimension", lower=lower.strip(), upper=upper_.strip()))
        arr.append(E("baseType", type_element(base, E)))
        return arr
    return E("derived", name=t)


def _sfc(chart: Chart, E: _Maker) -> etree._Element:
    """The chart's graphical elements with the layout's coordinates."""
    sfc = E("SFC")
    for extra in chart.extras:
        sfc.append(etree.fromstring(extra, _opaque_parser()))
    taken = [int(el.get("localId")) for el in sfc if el.get("localId", "").isdigit()]
    drawing = layout.place(chart, first_id=max(taken, default=0) + 1)
    for item in drawing.items:
        sfc.append(_element(item, E))
    return sfc


def _element(item: layout.Item, E: _Maker) -> etree._Element:
    pos = E("position", x=item.x, y=item.y)
    ins = [E("connectionPointIn", E("relPosition", x=rx, y=0),
             *[E("connection", refLocalId=r) for r in refs]) for rx, refs in item.inputs]
    outs = [E("connectionPointOut", E("relPosition", x=rx, y=item.height),
              formalParameter="" if item.kind in _NAMED_OUTPUTS else None)
            for rx in item.outputs]
    common = {"localId": item.id, "width": item.width, "height": item.height}
    if item.kind == "step":
        step: Step = item.payload
        return E("step", pos, *ins, *outs, name=step.name,
                 initialStep="true" if step.initial else None, **common)
    if item.kind == "transition":
        t: Transition = item.payload
        return E("transition", pos, *ins, *outs, _condition(t, E), priority=t.priority,
                 **common)
    if item.kind == "jump":
        return E("jumpStep", pos, *ins, targetName=item.payload, **common)
    if item.kind == "actionBlock":
        actions = [E("action", E("relPosition", x=0, y=0), *_action_content(a, E),
                     localId=0, qualifier=a.qualifier, duration=a.time, indicator=a.indicator)
                   for a in item.payload]
        return E("actionBlock", pos, *ins, *actions, **common)
    return E(item.kind, pos, *ins, *outs, **common)  # divergences and convergences


_NAMED_OUTPUTS = {"step", "selectionDivergence", "simultaneousDivergence"}  # as the XSD asks


def _condition(t: Transition, E: _Maker) -> etree._Element:
    if t.network is not None:
        return etree.fromstring(t.network, _opaque_parser())
    if t.reference is not None:
        return E("condition", E("reference", name=t.reference))
    return E("condition", E("inline", E("ST", _p(t.condition or "TRUE", E)), name=""))


def _action_content(a: ActionUse, E: _Maker) -> list[etree._Element]:
    if a.action is not None:
        return [E("reference", name=a.action)]
    return [E("inline", E("ST", _p(a.st or "", E)))]
