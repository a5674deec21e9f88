"""Plots people would rather look at than read (matplotlib, Agg backend: no screen needed)."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib's pyplot drawing to files (Agg: no screen needed), with mathtext off: labels
    hold user text (test and signal names, task categories, model specs, station names), and a
    `$` there must be drawn as written, not parsed as a formula (an unmatched one raises)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def timing_diagram(times: list[int], names: list[str], values: list[list[int]], *, title: str,
                   path: Path) -> None:
    """One step trace per signal, stacked like a logic analyser; words drawn as numbers."""
    plt = pyplot()
    n = len(names)
    fig, axes = plt.subplots(n, 1, sharex=True, figsize=(10, 0.6 * n + 1.2), squeeze=False)
    for ax, name, series in zip(axes[:, 0], names, values, strict=True):
        binary = set(series) <= {0, 1}
        ax.step(times, series, where="post", linewidth=1.4,
                color="tab:blue" if binary else "tab:orange")
        if binary:
            ax.fill_between(times, series, step="post", alpha=0.25)
            ax.set_ylim(-0.2, 1.3)
            ax.set_yticks([])
        else:
            ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
