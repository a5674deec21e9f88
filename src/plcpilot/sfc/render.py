"""`plcpilot sfc render`: the chart drawn with IEC 61131-3's graphical conventions, as SVG and
PNG (matplotlib: already a dependency, and it writes both from one drawing).

Steps are boxes, the initial step framed twice; transitions are short bars with their
condition beside them; a selection (alternative) divergence or convergence is a single
horizontal line, a simultaneous (parallel) one a double line; an action block sits to the right
of its step, one row per association (qualifier, time, action); a jump is an arrow pointing
down with the target's name. Coordinates are plcpilot.sfc.layout's, the same the PLCopen
export writes, so the picture is what an editor will show.

A Safe-SFC counterexample can be highlighted: the steps active at its end and the transitions
it fired are drawn in red, numbered in firing order; a step that is never active is drawn red
on its own.
"""

from __future__ import annotations

from pathlib import Path

from plcpilot.plots import pyplot
from plcpilot.sfc import layout
from plcpilot.sfc.model import Chart
from plcpilot.sfc.safety import Violation

INK, RED, GREY = "#1a1a1a", "#c62828", "#666666"
PX = 72  # px per inch at dpi 72: 1 layout pixel = 1 point


def render(chart: Chart, path: Path, violation: Violation | None = None) -> list[Path]:
    """Write `path` with suffix .svg and .png; returns both paths."""
    plt = pyplot()
    from matplotlib.patches import FancyArrow, Rectangle

    drawing = layout.place(chart)
    width, height = drawing.size
    width += 260  # conditions are written to the right of their transitions
    fig = plt.figure(figsize=(width / PX, height / PX), dpi=PX)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    hot_steps = set(violation.path[-1].active) if violation and violation.path else set()
    hot_steps |= set(violation.steps) if violation else set()
    moves = [m.fired for m in (violation.path if violation else []) if m.fired]
    fired = {k: n for n, k in enumerate(moves, start=1)}  # transition → its (last) firing
    for item in drawing.items:
        for points in item.wires.values():
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color=INK, linewidth=1)
    for item in drawing.items:
        colour = INK
        if item.kind == "step":
            step = item.payload
            colour = RED if step.name in hot_steps else INK
            ax.add_patch(Rectangle((item.x, item.y), item.width, item.height, fill=True,
                                   facecolor="#fff5f5" if step.name in hot_steps else "white",
                                   edgecolor=colour, linewidth=1.6 if step.name in hot_steps
                                   else 1.2))
            if step.initial:
                ax.add_patch(Rectangle((item.x + 4, item.y + 4), item.width - 8,
                                       item.height - 8, fill=False, edgecolor=colour))
            ax.text(item.x + item.width / 2, item.y + item.height / 2, step.name, ha="center",
                    va="center", fontsize=9, color=colour, family="monospace")
        elif item.kind == "transition":
            k = drawing.transitions.index(item) + 1
            t = item.payload
            colour = RED if k in fired else INK
            ax.plot([item.x - 8, item.x + item.width + 8], [item.y, item.y], color=colour,
                    linewidth=3 if k in fired else 2)
            condition = t.condition or t.reference or ("network" if t.network else "TRUE")
            label = f"T{k}: {_cut(condition)}"
            if k in fired:
                label += f"   (fired #{fired[k]})"
            ax.text(item.x + item.width + 14, item.y, label, va="center", fontsize=8,
                    color=colour if k in fired else GREY, family="monospace")
        elif item.kind == "jump":
            ax.add_patch(FancyArrow(item.x + item.width / 2, item.y, 0, item.height,
                                    width=0.5, head_width=10, head_length=8,
                                    length_includes_head=True, color=INK))
            ax.text(item.x + item.width / 2 + 12, item.y + item.height, item.payload,
                    va="center", fontsize=8, family="monospace")
        elif item.kind == "actionBlock":
            for row, use in enumerate(item.payload):
                y = item.y + row * layout.ACTION_LINE
                ax.add_patch(Rectangle((item.x, y), item.width, layout.ACTION_LINE,
                                       fill=False, edgecolor=INK, linewidth=1))
                ax.plot([item.x + 28, item.x + 28], [y, y + layout.ACTION_LINE], color=INK,
                        linewidth=1)
                ax.text(item.x + 14, y + layout.ACTION_LINE / 2, use.qualifier, ha="center",
                        va="center", fontsize=7, family="monospace")
                body = use.action or _cut(use.st or "", 16)
                if use.time:
                    body = f"{use.time} {body}"
                ax.text(item.x + 32, y + layout.ACTION_LINE / 2, body, va="center",
                        fontsize=7, family="monospace")
        else:  # divergence / convergence bars
            double = item.kind.startswith("simultaneous")
            for dy in ((-1.5, 1.5) if double else (0,)):
                ax.plot([item.x, item.x + item.width], [item.y + dy, item.y + dy], color=INK,
                        linewidth=1.2)
    if violation:
        ax.text(10, height - 12, f"{violation.criterion}: {violation.message}", color=RED,
                fontsize=9)
    paths = [path.with_suffix(".svg"), path.with_suffix(".png")]
    with plt.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, small
        for p in paths:
            fig.savefig(p, dpi=PX * 2 if p.suffix == ".png" else PX)
    plt.close(fig)
    return paths


def _cut(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
