"""Where each element of a chart is drawn: one grid for the PLCopen export (Beremiz and the
other editors draw the file's coordinates as they are) and the renderer.

The chart is walked from its initial steps in the order transitions are written. A branch that
opens (the second and later transitions out of a step, the second and later targets of a
parallel divergence) takes the next free column, so branches never share a column and nothing
overlaps; rows go down the chart, one for each step and one for each transition. A parallel
convergence waits until all its source steps have their places. Steps the walk never reaches
(unreachable ones) go into columns of their own at the right.

Divergence and convergence bars, jumps and action blocks are placed around that grid, and every
connection carries the points of its wire, as the editors store them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plcpilot.sfc.model import Chart

COLUMN = 260  # px between columns: room for a step and its action block
ROW = 64  # px per row (a step or a transition)
STEP_W, STEP_H = 90, 32
TRANS_W, TRANS_H = 20, 2
BAR_GAP = 14  # px between a bar and what it joins
ACTION_GAP = 30
ACTION_W, ACTION_LINE = 130, 20


@dataclass
class Item:
    id: int
    kind: str  # step, transition, jump, actionBlock, selectionDivergence, …
    x: int
    y: int
    width: int
    height: int
    payload: Any = None
    inputs: list[tuple[int, list[int]]] = field(default_factory=list)  # (rel. x, sources)
    outputs: list[int] = field(default_factory=list)  # rel. x of each output point
    wires: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # source id → points


@dataclass
class Drawing:
    items: list[Item]
    steps: dict[str, Item]
    transitions: list[Item]  # in the chart's order

    @property
    def size(self) -> tuple[int, int]:
        return (max((i.x + i.width for i in self.items), default=0) + 40,
                max((i.y + i.height for i in self.items), default=0) + 40)


class _Grid:
    def __init__(self, chart: Chart):
        self.chart = chart
        self.step_cell: dict[str, tuple[int, int]] = {}
        self.trans_cell: dict[int, tuple[int, int]] = {}
        self.next_col = 0
        self.outgoing: dict[str, list[int]] = {s.name: [] for s in chart.steps}
        for k, t in enumerate(chart.transitions):
            for s in t.source:
                self.outgoing.setdefault(s, []).append(k)

    def new_col(self) -> int:
        self.next_col += 1
        return self.next_col

    def walk(self) -> None:
        starts = [s.name for s in self.chart.steps if s.initial] or \
            [s.name for s in self.chart.steps[:1]]
        for n, name in enumerate(starts):
            self.visit(name, 0 if n == 0 else self.new_col(), 0)
        for s in self.chart.steps:  # the walk never reached these
            if s.name not in self.step_cell:
                self.visit(s.name, self.new_col(), 0)
        for k in range(len(self.chart.transitions)):  # sources never placed
            if k not in self.trans_cell:
                self.trans_cell[k] = (self.new_col(), 1)

    def visit(self, name: str, col: int, row: int) -> None:
        if name in self.step_cell or self.chart.step(name) is None:
            return
        self.step_cell[name] = (col, row)
        for i, k in enumerate(self.outgoing.get(name, [])):
            t = self.chart.transitions[k]
            if k in self.trans_cell or not all(s in self.step_cell for s in t.source
                                               if self.chart.step(s)):
                continue
            cells = [self.step_cell[s] for s in t.source if s in self.step_cell]
            tcol = col if i == 0 else self.new_col()
            if len(t.source) > 1:
                tcol = min(c for c, _ in cells)
            trow = max(r for _, r in cells) + 1
            self.trans_cell[k] = (tcol, trow)
            if t.jump:
                continue
            for j, target in enumerate(t.target):
                self.visit(target, tcol if j == 0 else self.new_col(), trow + 1)


def place(chart: Chart, first_id: int = 1) -> Drawing:
    """Items with localIds from `first_id`, coordinates and wires."""
    grid = _Grid(chart)
    grid.walk()
    ids = iter(range(first_id, 10**9))
    items: list[Item] = []

    def add(item: Item) -> Item:
        items.append(item)
        return item

    def px(col: int) -> int:
        return 40 + col * COLUMN

    # a row grows by what its tallest action block hangs below its step, so that the block
    # never reaches the bars, wires and labels under it
    rows = 1 + max([r for _, r in (*grid.step_cell.values(), *grid.trans_cell.values())],
                   default=0)
    extra = [0] * rows
    for s in chart.steps:
        _, row = grid.step_cell[s.name]
        extra[row] = max(extra[row], footprint(s) - STEP_H)
    tops = [20]
    for row in range(rows):
        tops.append(tops[-1] + ROW + extra[row])

    def py(row: int) -> int:
        return tops[row]

    steps = {}
    for s in chart.steps:
        col, row = grid.step_cell[s.name]
        steps[s.name] = add(Item(next(ids), "step", px(col), py(row), STEP_W, STEP_H, s))
    trans = []
    for k, t in enumerate(chart.transitions):
        col, row = grid.trans_cell[k]
        trans.append(add(Item(next(ids), "transition", px(col) + (STEP_W - TRANS_W) // 2,
                              py(row) + ROW // 2, TRANS_W, TRANS_H, t)))
    # the element each step's outgoing transitions hang from: the step, or its divergence bar
    below: dict[str, Item] = {}
    for name, item in steps.items():
        outs = [trans[k] for k in grid.outgoing.get(name, [])]
        below[name] = item if len(outs) < 2 else add(_bar(
            next(ids), "selectionDivergence", [item], outs,
            item.y + footprint(item.payload) + BAR_GAP, 1))
    for k, t in enumerate(chart.transitions):
        item = trans[k]
        sources = [below[s] for s in t.source if s in below]
        if len(sources) > 1:
            bar = add(_bar(next(ids), "simultaneousConvergence", sources, [item],
                           item.y - BAR_GAP, 3))
            _join(item, [bar])
        else:
            _join(item, sources)
    incoming: dict[str, list[Item]] = {name: [] for name in steps}
    for k, t in enumerate(chart.transitions):
        item = trans[k]
        if t.jump:
            jump = add(Item(next(ids), "jump", item.x, item.y + ROW // 2, TRANS_W, 13,
                            t.target[0]))
            _join(jump, [item])
            continue
        targets = [steps[n] for n in t.target if n in steps]
        if len(targets) > 1:
            bar = add(_bar(next(ids), "simultaneousDivergence", [item], targets,
                           item.y + TRANS_H + BAR_GAP, 3))
            for step in targets:
                incoming[step.payload.name].append(bar)
        elif targets:
            incoming[targets[0].payload.name].append(item)
    for name, sources in incoming.items():
        step = steps[name]
        if len(sources) > 1:
            bar = add(_bar(next(ids), "selectionConvergence", sources, [step],
                           step.y - BAR_GAP, 1))
            _join(step, [bar])
        else:
            _join(step, sources)
    for step in steps.values():
        if step.payload.actions:
            block = add(Item(next(ids), "actionBlock", step.x + STEP_W + ACTION_GAP, step.y,
                             ACTION_W, ACTION_LINE * len(step.payload.actions),
                             step.payload.actions))
            block.inputs = [(0, [step.id])]
            block.wires[step.id] = [(block.x, step.y + STEP_H // 2),
                                    (step.x + STEP_W, step.y + STEP_H // 2)]
    return Drawing(items, steps, trans)


def footprint(step) -> int:
    """How far a step reaches down the chart: its box, or its action block when taller."""
    return max(STEP_H, ACTION_LINE * len(step.actions))


def _bar(lid: int, kind: str, above: list[Item], under: list[Item], y: int, height: int
         ) -> Item:
    """A divergence or convergence bar spanning the centres of what it joins."""
    centres = [i.x + i.width // 2 for i in above + under]
    left, right = min(centres), max(centres)
    bar = Item(lid, kind, left, y, max(right - left, 1), height)
    if kind in ("selectionDivergence", "simultaneousDivergence"):
        bar.outputs = [i.x + i.width // 2 - left for i in under]
        _join(bar, above, rel=above[0].x + above[0].width // 2 - left)  # under what it splits
    else:
        bar.outputs = [under[0].x + under[0].width // 2 - left]
        bar.inputs = [(i.x + i.width // 2 - left, []) for i in above]
        for n, source in enumerate(above):
            bar.inputs[n][1].append(source.id)
            bar.wires[source.id] = _wire((left + bar.inputs[n][0], y), source)
    return bar


def _join(item: Item, sources: list[Item], rel: int | None = None) -> None:
    """One input at the item's top (centre unless `rel`), wired to each source's nearest
    output."""
    rel = item.width // 2 if rel is None else rel
    item.inputs = [(rel, [s.id for s in sources])]
    for s in sources:
        item.wires[s.id] = _wire((item.x + rel, item.y), s)


def _wire(point: tuple[int, int], source: Item) -> list[tuple[int, int]]:
    outs = source.outputs or [source.width // 2]
    rel = min(outs, key=lambda r: abs(source.x + r - point[0]))
    end = (source.x + rel, source.y + source.height)
    if end[0] == point[0]:
        return [point, end]
    middle = (point[1] + end[1]) // 2
    return [point, (point[0], middle), (end[0], middle), end]

