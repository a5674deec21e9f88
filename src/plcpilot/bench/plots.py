"""Benchmark plots (matplotlib, Agg): pass rates with intervals, quality-latency Pareto,
per-sample similarity gains over the llm-only baseline, per-category heatmaps."""

from __future__ import annotations

from pathlib import Path

from plcpilot.bench.runner import read_samples
from plcpilot.plots import pyplot


def _label(g: dict, models: int) -> str:
    return g["mode"] if models == 1 else f"{g['model']}\n{g['mode']}"


def pass_rates(groups: list[dict], path: Path, models: int) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(groups)), 4))
    xs = range(len(groups))
    # the second bar is what the run measured beyond the checker: behaviour where tasks have
    # tests, Agents4PLC's verification pass where they have properties instead
    second = ("behaviour", "behavioural pass")
    if any("properties" in g for g in groups) and not any(g["behaviour"]["n"] for g in groups):
        second = ("verification", "verification pass")
    for offset, key, colour, label in ((-0.2, "valid", "tab:blue", "checker pass"),
                                       (0.2, *second[:1], "tab:green", second[1])):
        rows = [g["properties"][key] if key == "verification" else g[key] for g in groups]
        rates = [100 * r["rate"] for r in rows]
        err = [[100 * (r["rate"] - r["low"]) for r in rows],
               [100 * (r["high"] - r["rate"]) for r in rows]]
        ax.bar([x + offset for x in xs], rates, 0.4, yerr=err, capsize=3, color=colour,
               label=label)
    ax.set_xticks(list(xs), [_label(g, models) for g in groups], fontsize=8)
    ax.set_ylabel("% of samples (95 % Wilson interval)")
    ax.set_ylim(0, 105)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Pass rates per model and mode")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pareto(groups: list[dict], path: Path, models: int) -> None:
    """Quality (mean similarity to the reference) against generation time; the frontier joins
    the points no other point beats on both."""
    plt = pyplot()
    pts = [(g["means"]["latency_s"][0], g["means"]["similarity"][0], g) for g in groups
           if g["means"]["latency_s"][0] == g["means"]["latency_s"][0]]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for x, y, g in pts:
        ax.scatter(x, y, s=40 + 400 * g["behaviour"]["rate"], alpha=0.7)
        ax.annotate(_label(g, models).replace("\n", " "), (x, y), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    frontier = sorted((p for p in pts if not any(q[0] <= p[0] and q[1] > p[1] or
                                                 q[0] < p[0] and q[1] >= p[1] for q in pts)),
                      key=lambda p: p[0])
    if len(frontier) > 1:
        ax.plot([p[0] for p in frontier], [p[1] for p in frontier], "k--", lw=1,
                label="Pareto frontier")
        ax.legend(fontsize=8)
    ax.set_xlabel("mean generation time per sample (s, model calls only)")
    ax.set_ylabel("mean cosine similarity to the reference")
    ax.set_title("Quality vs latency (marker size: behavioural pass rate)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def delta_similarity(out: Path, path: Path) -> bool:
    """Per-sample similarity gain of each mode over llm-only on the same task and sample."""
    records = read_samples(out)
    base = {(r["model"], r["task_id"], r["sample"]): r.get("similarity") for r in records
            if r["mode"] == "llm-only"}
    series: dict[str, list[float]] = {}
    for r in records:
        b = base.get((r["model"], r["task_id"], r["sample"]))
        if r["mode"] != "llm-only" and b is not None and r.get("similarity") is not None:
            series.setdefault(f"{r['mode']}" if len({k[0] for k in base}) == 1
                              else f"{r['model']}\n{r['mode']}", []).append(r["similarity"] - b)
    if not series:
        return False
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(series)), 4))
    ax.violinplot(list(series.values()), showmedians=True)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(1, len(series) + 1), list(series), fontsize=8)
    ax.set_ylabel("Δ cosine similarity vs llm-only (per sample)")
    ax.set_title("What retrieval, grammar and repair add, sample by sample")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


HEATMAP_ROWS = 40  # more categories than this would make an unreadable (and huge) image


def category_heatmap(groups: list[dict], path: Path, models: int) -> None:
    """Pass rates per category; the HEATMAP_ROWS categories with most samples when there are
    more (report.md's table has them all)."""
    import numpy as np

    plt = pyplot()
    sizes: dict[str, int] = {}
    for g in groups:
        for c, row in g["per_category"].items():
            sizes[c] = sizes.get(c, 0) + row["n"]
    cats = sorted(sorted(sizes, key=lambda c: -sizes[c])[:HEATMAP_ROWS])
    shown = "" if len(cats) == len(sizes) else f", {len(cats)} of {len(sizes)} categories"
    fig, axes = plt.subplots(1, 2, figsize=(2 * max(4, 1.3 * len(groups)) + 2,
                                            0.45 * len(cats) + 2), sharey=True)
    for ax, key, title in ((axes[0], "valid", "checker pass"),
                           (axes[1], "behaviour", "behavioural pass")):
        grid = np.array([[100 * g["per_category"].get(c, {}).get(key, np.nan) for g in groups]
                         for c in cats])
        im = ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            if v == v:
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v < 60 else "black")
        ax.set_xticks(range(len(groups)), [_label(g, models) for g in groups], fontsize=7,
                      rotation=30, ha="right")
        ax.set_yticks(range(len(cats)), cats, fontsize=8)
        ax.set_title(f"{title} (%{shown})")
    fig.colorbar(im, ax=list(axes), shrink=0.8)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def draw_all(out: Path, summary: dict) -> list[Path]:
    groups, models = summary["groups"], len(summary["config"]["models"])
    paths = [out / "pass_rates.png", out / "pareto.png", out / "category_heatmap.png"]
    pass_rates(groups, paths[0], models)
    pareto(groups, paths[1], models)
    category_heatmap(groups, paths[2], models)
    if delta_similarity(out, out / "delta_similarity.png"):
        paths.insert(2, out / "delta_similarity.png")
    return paths
