"""`plcpilot agent bench`: decision accuracy on the scenario set, closed-loop episodes under
fault injection, and a report (report.md, summary.json, accuracy.png).

Both parts append one JSON line per result as it finishes and skip what the folder already
holds, so a killed run resumes where it stopped. One run at a time holds the folder
(`open_run`); a line that is not a result is skipped, named in the report, and redone.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from plcpilot.bench.stats import wilson
from plcpilot.errors import PlcPilotError
from plcpilot.plant.agent import MODES, Agent, Mode
from plcpilot.plant.closed_loop import run_episode
from plcpilot.plant.eventlog import parse_log
from plcpilot.plant.model import Plant
from plcpilot.plant.scenarios import PHRASINGS, VARIANTS, Scenario, episode, matches
from plcpilot.plant.simulator import FaultPlan, StationSim
from plcpilot.runfolder import Lines, locked, read_lines

DECISIONS, EPISODES, PLANT_RUNS, POINTS = ("decisions.jsonl", "episodes.jsonl", "plant.jsonl",
                                           "points.jsonl")


class _Row(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    mode: Mode


class _Decision(_Row):
    id: str
    station: str
    kind: str
    source: str
    exact: bool
    lenient: bool
    proposed_exact: bool
    proposed_lenient: bool
    seconds: Annotated[float, Field(allow_inf_nan=False)]


class _Episode(_Row):
    station: str | None  # a whole-plant run without a fault names no station
    fault: str | None
    gate: bool
    completed: bool
    success: bool
    refused: int
    unsafe: list


class _StationEpisode(_Episode):
    station: str
    fault_struck: bool


class _PlantRun(_Episode):
    decisions: int


class _Point(_Row):
    id: str
    type: str
    command: str


def _by_id(r: dict) -> tuple:
    return (r["id"], r["mode"])


def _by_run(r: dict) -> tuple:
    return (r["station"], r["fault"], r["mode"], r["gate"])


# each result file: what a line must hold, and what makes two lines the same result
FILES = {DECISIONS: (_Decision, _by_id), EPISODES: (_StationEpisode, _by_run),
         PLANT_RUNS: (_PlantRun, _by_run), POINTS: (_Point, _by_id)}


def read_results(out: Path, name: str) -> Lines:
    """The results in one file of the folder; lines that are not are skipped (and redone)."""
    model, key = FILES[name]
    return read_lines(out / name, model, key)


def _done(out: Path, name: str) -> set:
    key = FILES[name][1]
    return {key(r) for r in read_results(out, name).records}


def read_config(run_dir: Path) -> dict | None:
    """DIR/config.json, None when there is none yet."""
    path = run_dir / "config.json"
    try:
        config = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PlcPilotError(f"{path}: cannot read ({e.strerror or e})") from None
    except (ValueError, RecursionError):
        config = None
    if not isinstance(config, dict):
        raise PlcPilotError(f"{path}: not an agent bench configuration (a JSON object); "
                            "restore it, or use a new --out")
    return config


@contextmanager
def open_run(run_dir: Path, config: dict) -> Iterator[None]:
    """Hold the folder for one run: lock it (a second run is refused, naming the holder),
    refuse a resume with another configuration, record this one."""
    with locked(run_dir):
        saved = read_config(run_dir)
        if saved is not None and saved != config:
            raise PlcPilotError(f"{run_dir} holds a run with another configuration "
                                f"({json.dumps(saved)}); use a new --out")
        (run_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        yield


def _append(path: Path, record: dict) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def score_decisions(plant: Plant, scenarios: list[Scenario], agents: dict[str, Agent] | None,
                    modes: Iterable[str], backend, out: Path, advance=lambda: None) -> None:
    """One decision per scenario and mode, compared with the gold (exact and lenient)."""
    path = out / DECISIONS
    done = _done(out, DECISIONS)
    agents = agents or {}
    for mode in modes:
        for s in scenarios:
            if (s.id, mode) in done or s.gold is None:
                advance()
                continue
            station = plant.station(s.station)
            agent = agents.setdefault((s.station, mode), Agent(station, mode, backend))
            d = agent.decide(parse_log(s.log, where=s.id), s.flags)
            exact, lenient = matches(d.command, s.gold, station)
            alone = matches(d.proposed, s.gold, station)
            _append(path, {"id": s.id, "station": s.station, "kind": s.kind, "fault": s.fault,
                           "phrasing": s.phrasing, "mode": mode, "gold": s.gold,
                           "command": d.command,
                           "proposed": d.proposed, "reason": d.reason, "source": d.source,
                           "allowed": d.allowed, "exact": exact, "lenient": lenient,
                           "proposed_exact": alone[0], "proposed_lenient": alone[1],
                           "seconds": round(d.seconds, 3), "tokens_out": d.tokens_out,
                           "raw": d.raw})
            advance()


def closed_loop_plan(plant: Plant) -> list[tuple[str, str, dict, str | None]]:
    """Per station: a normal episode, then one episode per fault, on the first task variant
    whose SOP run calls a function the fault strikes (a fault that never strikes tests nothing).
    """
    plan = []
    for station, variants in VARIANTS.items():
        called = [{gold.split("(")[0] for *_, gold in episode(plant, station, task, params, None,
                                                               seed=0)}
                  for task, params in variants]
        plan.append((station, *variants[0], None))
        for name, fault in plant.faults.items():
            hit = next((v for v, used in zip(variants, called, strict=True)
                        if used & set(fault.strikes)), None)
            if hit is not None:
                plan.append((station, *hit, name))
    return plan


def run_closed_loop(plant: Plant, modes: Iterable[str], backend, out: Path, *,
                    use_gate: bool = True, seed: int = 7, advance=lambda: None) -> None:
    path = out / EPISODES
    done = _done(out, EPISODES)
    for mode in modes:
        for station, task, params, fault in closed_loop_plan(plant):
            if (station, fault, mode, use_gate) in done:
                advance()
                continue
            sim = StationSim(plant, station, task, params,
                             fault=FaultPlan(fault) if fault else None, seed=seed)
            agent = Agent(plant.station(station), mode, backend)
            ep = run_episode(sim, agent, use_gate=use_gate)
            _append(path, {"station": station, "fault": fault, "mode": mode, "gate": use_gate,
                           "danger": ep.danger, "fault_struck": ep.fault_struck,
                           "ended": ep.ended, "completed": ep.completed,
                           "success": ep.success, "refused": ep.refused, "unsafe": ep.unsafe,
                           "decisions": len(ep.decisions),
                           "seconds": round(sum(x["seconds"] for x in ep.decisions), 3)})
            advance()


def run_plant_loop(plant: Plant, modes: Iterable[str], backend, out: Path, *,
                   use_gate: bool = True, seed: int = 7, advance=lambda: None) -> None:
    """The whole plant on one order: once without a fault, once per (station, fault) of the
    closed-loop plan, every station operated by its own agent of the mode."""
    from plcpilot.plant.plant_run import PlantRun, run_plant

    path = out / PLANT_RUNS
    done = _done(out, PLANT_RUNS)
    faults = [(None, None)] + [(st, f) for st, _, _, f in closed_loop_plan(plant) if f]
    for mode in modes:
        agents = {n: Agent(plant.station(n), mode, backend) for n in plant.stations}
        for station, fault in faults:
            if (station, fault, mode, use_gate) not in done:
                run = PlantRun(plant, fault=(station, FaultPlan(fault)) if fault else None,
                               seed=seed)
                r = run_plant(run, agents, use_gate=use_gate)
                _append(path, {"station": station, "fault": fault, "mode": mode,
                               "gate": use_gate, "completed": r.completed,
                               "success": r.success, "ended": r.ended,
                               "decisions": r.decisions, "refused": r.refused,
                               "unsafe": r.unsafe})
            advance()


def plant_loop_size(plant: Plant) -> int:
    return 1 + sum(1 for *_, f in closed_loop_plan(plant) if f)


def _rate(rows: list[dict], key: str, equals: object = None) -> dict:
    """How many rows have `key` true (or equal to `equals`), with a Wilson interval."""
    ok = sum(r[key] == equals if equals is not None else bool(r[key]) for r in rows)
    rate, low, high = wilson(ok, len(rows))
    return {"n": len(rows), "ok": ok, "rate": rate, "low": low, "high": high}


def summarize(out: Path, warn: Callable[[str], None] | None = None) -> dict:
    """summary.json of DIR; `warn` hears of result lines skipped as not results."""
    results = {name: read_results(out, name) for name in FILES}
    for name, lines in results.items():
        if warn and (message := lines.warning(out / name)):
            warn(message)
    decisions, episodes, runs = (results[n].records for n in (DECISIONS, EPISODES, PLANT_RUNS))
    summary: dict = {"decisions": {}, "episodes": {},
                     "skipped_lines": {n: [k for k, _ in lines.skipped]
                                       for n, lines in results.items() if lines.skipped}}
    # the headline tables read the simulator's own sentences, or the first wording that ran
    present = {r.get("phrasing", "own") for r in decisions}
    summary["wording"] = main = next((p for p in PHRASINGS if p in present), "own")
    by = defaultdict(list)
    for r in decisions:
        phrasing = r.get("phrasing", "own")
        headline = ("all", r["kind"], f"station:{r['station']}") if phrasing == main else ()
        for group in (*headline, f"phrasing:{phrasing}", f"phrasing:{phrasing}:{r['kind']}"):
            by[(r["mode"], group)].append(r)
    for (mode, group), rows in sorted(by.items(), key=lambda kv: (MODES.index(kv[0][0]),
                                                                   kv[0][1])):
        model_rows = [r for r in rows if r["source"] == "model"]
        summary["decisions"].setdefault(mode, {})[group] = {
            "exact": _rate(rows, "exact"), "lenient": _rate(rows, "lenient"),
            "proposed_exact": _rate(rows, "proposed_exact"),
            "proposed_lenient": _rate(rows, "proposed_lenient"),
            "model_calls": len(model_rows),
            "mean_model_s": (sum(r["seconds"] for r in model_rows) / len(model_rows)
                             if model_rows else None)}
    eps = defaultdict(list)
    for r in episodes:
        eps[(r["mode"], "gate" if r["gate"] else "no gate")].append(r)
    for (mode, gated), rows in sorted(eps.items(), key=lambda kv: (MODES.index(kv[0][0]),
                                                                    kv[0][1])):
        faulted = [r for r in rows if r["fault"]]
        summary["episodes"].setdefault(mode, {})[gated] = {
            "episodes": len(rows), "success": _rate(rows, "success"),
            "normal_completed": _rate([r for r in rows if not r["fault"]], "completed"),
            "faults_escalated": _rate(faulted, "success"),
            "faults_struck": sum(r["fault_struck"] for r in faulted),
            "danger_stopped": _rate([r for r in rows if r.get("danger")],
                                    "ended", "emergency_stop"),
            "unsafe_executed": sum(len(r["unsafe"]) for r in rows),
            "refused_by_gate": sum(r["refused"] for r in rows)}
    summary["points"] = _points_summary(results[POINTS].records)
    summary["plant"] = {}
    by_run = defaultdict(list)
    for r in runs:
        by_run[(r["mode"], "gate" if r["gate"] else "no gate")].append(r)
    for (mode, gated), rows in sorted(by_run.items(), key=lambda kv: (MODES.index(kv[0][0]),
                                                                      kv[0][1])):
        summary["plant"].setdefault(mode, {})[gated] = {
            "runs": len(rows), "success": _rate(rows, "success"),
            "order_completed": _rate([r for r in rows if not r["fault"]], "completed"),
            "faults_escalated": _rate([r for r in rows if r["fault"]], "success"),
            "unsafe_executed": sum(len(r["unsafe"]) for r in rows),
            "refused_by_gate": sum(r["refused"] for r in rows),
            "decisions": sum(r["decisions"] for r in rows)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _pct(r: dict) -> str:
    return f"{r['rate']:.1%} [{r['low']:.0%}–{r['high']:.0%}] ({r['ok']}/{r['n']})"


def write_report(out: Path, title: str, warn: Callable[[str], None] | None = None) -> Path:
    summary = summarize(out, warn)
    skipped = [f"Not counted: line {', '.join(map(str, numbers))} of {name} (not results, or "
               "repeating one)." for name, numbers in summary["skipped_lines"].items()]
    lines = [f"# {title}", "", *skipped, *([""] if skipped else []),
             "## Decision accuracy (95 % Wilson intervals)", "",
             "Agent = the command that runs (after the safety gate); proposal = what the SOP "
             "engine or the model proposed before the gate."
             + ("" if summary["wording"] == "own" else
                f" Logs in the `{summary['wording']}` wording (see phrasing robustness)."), "",
             "| mode | points | exact | lenient | SOP exact | abnormal exact | abnormal lenient "
             "| abnormal lenient, proposal | model calls | s per model call |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for mode, groups in summary["decisions"].items():
        a, s, ab = groups["all"], groups.get("sop"), groups.get("abnormal")
        mean = f"{a['mean_model_s']:.2f}" if a["mean_model_s"] is not None else "–"
        lines.append(f"| {mode} | {a['exact']['n']} | {_pct(a['exact'])} | {_pct(a['lenient'])} "
                     f"| {_pct(s['exact']) if s else '–'} | {_pct(ab['exact']) if ab else '–'} "
                     f"| {_pct(ab['lenient']) if ab else '–'} "
                     f"| {_pct(ab['proposed_lenient']) if ab else '–'} "
                     f"| {a['model_calls']} | {mean} |")
    lines += ["", "### Exact accuracy per station", "", "| mode | " + " | ".join(
        s for s in VARIANTS) + " |", "|---" * (len(VARIANTS) + 1) + "|"]
    for mode, groups in summary["decisions"].items():
        cells = [groups.get(f"station:{s}") for s in VARIANTS]
        lines.append(f"| {mode} | " + " | ".join(
            f"{c['exact']['rate']:.0%} ({c['exact']['n']})" if c else "–" for c in cells) + " |")
    lines += _phrasing_section(summary["decisions"], out)
    if summary["episodes"]:
        lines += ["", "## Closed loop under fault injection", "",
                  "A fault strikes only when the agent gets as far as the command it affects; an "
                  "episode whose fault never struck counts as a failure to escalate.", "",
                  "| mode | gate | episodes | success | normal completed | faults struck "
                  "| faults escalated | danger → emergency_stop() | unsafe executed "
                  "| refused by gate |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for mode, by_gate in summary["episodes"].items():
            for gated, r in by_gate.items():
                lines.append(f"| {mode} | {gated} | {r['episodes']} | {_pct(r['success'])} | "
                             f"{_pct(r['normal_completed'])} | {r['faults_struck']} | "
                             f"{_pct(r['faults_escalated'])} | "
                             f"{r['danger_stopped']['ok']}/{r['danger_stopped']['n']} | "
                             f"{r['unsafe_executed']} | {r['refused_by_gate']} |")
    if summary["plant"]:
        lines += ["", "## The whole plant on one order", "",
                  "Five operators of the mode, one per station, carry an order Storage → "
                  "Inspection → robot → CNC → robot → Painting → Storage; once without a fault "
                  "and once per (station, fault) of the closed-loop plan.", "",
                  "| mode | gate | runs | success | order completed (no fault) "
                  "| faults escalated | unsafe executed | refused by gate | decisions |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for mode, by_gate in summary["plant"].items():
            for gated, r in by_gate.items():
                lines.append(f"| {mode} | {gated} | {r['runs']} | {_pct(r['success'])} | "
                             f"{_pct(r['order_completed'])} | {_pct(r['faults_escalated'])} | "
                             f"{r['unsafe_executed']} | {r['refused_by_gate']} | "
                             f"{r['decisions']} |")
    lines += _points_section(summary["points"], read_results(out, POINTS).records, out)
    lines += ["", "![accuracy](accuracy.png)", ""]
    _plot(summary, out / "accuracy.png")
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def _phrasing_section(decisions: dict, out: Path) -> list[str]:
    """The same points with their logs reworded (phrasing.py): the development templates, tuned
    on, next to the held-out ones, never looked at while tuning."""
    rows = [(mode, half, groups) for mode, groups in decisions.items() for half in PHRASINGS
            if f"phrasing:{half}" in groups]
    if not {half for _, half, _ in rows} - {"own"}:
        return []
    lines = ["", "## Phrasing robustness", "",
             "The same points, their logs reworded by the phrasing generator (plant/phrasing.py): "
             "`own` = the simulator's sentences, `dev` = the development half of the templates "
             "(the agent was tuned on these), `held_out` = the other half (never tuned on). "
             "Role tags dropped, spacing varied and earlier lines cut short in both halves.", "",
             "| mode | phrasing | points | exact | lenient | SOP exact | SOP lenient "
             "| abnormal exact | abnormal lenient | model calls |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for mode, half, groups in rows:
        a = groups[f"phrasing:{half}"]
        s, ab = groups.get(f"phrasing:{half}:sop"), groups.get(f"phrasing:{half}:abnormal")
        lines.append(f"| {mode} | {half} | {a['exact']['n']} | {_pct(a['exact'])} | "
                     f"{_pct(a['lenient'])} | {_pct(s['exact']) if s else '–'} | "
                     f"{_pct(s['lenient']) if s else '–'} | {_pct(ab['exact']) if ab else '–'} "
                     f"| {_pct(ab['lenient']) if ab else '–'} | {a['model_calls']} |")
    _plot_phrasing(rows, out / "phrasing.png")
    return [*lines, "", "![phrasing](phrasing.png)"]


def _plot_phrasing(rows: list[tuple[str, str, dict]], path: Path) -> None:
    from plcpilot.plots import pyplot

    plt = pyplot()
    modes = list(dict.fromkeys(mode for mode, _, _ in rows))
    halves = [h for h in PHRASINGS if any(h == half for _, half, _ in rows)]
    panels = (("sop", "exact", "SOP points"),
              ("abnormal", "exact", "abnormal points, exact (cause named)"),
              ("abnormal", "lenient", "abnormal points, lenient (escalated)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 3.9), sharey=True)
    width = 0.8 / len(halves)
    for ax, (kind, score, title) in zip(axes, panels, strict=True):
        for i, half in enumerate(halves):
            xs, ys, errs = [], [], [[], []]
            for j, mode in enumerate(modes):
                groups = next((g for m, h, g in rows if m == mode and h == half), {})
                r = groups.get(f"phrasing:{half}:{kind}", {}).get(score)
                if r:
                    xs.append(j + (i - (len(halves) - 1) / 2) * width)
                    ys.append(r["rate"] * 100)
                    errs[0].append((r["rate"] - r["low"]) * 100)
                    errs[1].append((r["high"] - r["rate"]) * 100)
            ax.bar(xs, ys, width, yerr=errs, capsize=3, label=half.replace("_", "-"),
                   color=f"C{PHRASINGS.index(half)}")
        ax.set_xticks(range(len(modes)), modes)
        ax.set_ylim(0, 105)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("decisions matching the gold (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, title="log phrasing", title_fontsize=8,
               loc="lower center", ncol=len(halves), frameon=False)
    fig.suptitle("Operator agent on reworded logs (95 % Wilson intervals)", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _points_summary(rows: list[dict]) -> dict:
    """Per mode and point type (sop/abnormal, as the file types them): exact and lenient over
    the points a gold answer applies to."""
    groups = defaultdict(list)
    for r in rows:
        if r.get("gold"):
            for kind in ("all", r["type"]):
                groups[(r["mode"], kind)].append(r)
    summary: dict = {}
    for (mode, kind), rs in sorted(groups.items(), key=lambda kv: (MODES.index(kv[0][0]),
                                                                    kv[0][1])):
        summary.setdefault(mode, {})[kind] = {"exact": _rate(rs, "exact"),
                                              "lenient": _rate(rs, "lenient")}
    return summary


def _points_section(summary: dict, rows: list[dict], out: Path) -> list[str]:
    """The predecessor plant's points: scores here, every answer next to its gold in
    points.md."""
    if not rows:
        return []
    lines = ["", "## The predecessor plant's real test points", "",
             f"{len({r['id'] for r in rows})} points of ../shared/corpus/ias/test_points.json "
             "(Xia et al., CC BY 4.0) under the station their island maps to; "
             f"{len({r['id'] for r in rows if r.get('gold')})} have a gold answer "
             "(data/plant/ias_points_gold.yaml, written from IAS_PLANT.md where our plant's "
             "functions apply). Every answer next to its gold: [points.md](points.md).", "",
             "| mode | points | exact | lenient | SOP-typed lenient | abnormal lenient |",
             "|---|---|---|---|---|---|"]
    for mode, groups in summary.items():
        a, s, ab = groups["all"], groups.get("sop"), groups.get("abnormal")
        lines.append(f"| {mode} | {a['exact']['n']} | {_pct(a['exact'])} | "
                     f"{_pct(a['lenient'])} | {_pct(s['lenient']) if s else '–'} | "
                     f"{_pct(ab['lenient']) if ab else '–'} |")
    _write_points(rows, out / "points.md")
    return lines


def _write_points(rows: list[dict], path: Path) -> None:
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)]
    by_id: dict[str, dict] = defaultdict(dict)
    for r in rows:
        by_id[r["id"]][r["mode"]] = r
    lines = ["# Predecessor test points: answers and gold", "",
             "✓ exact, ≈ lenient (an alert with another reason), ✗ wrong, · no gold.", "",
             "| point | type | newest event | gold | " + " | ".join(modes) + " |",
             "|---|---|---|---|" + "---|" * len(modes)]
    for point, answers in by_id.items():
        first = next(iter(answers.values()))
        cells = []
        for mode in modes:
            r = answers.get(mode)
            mark = "" if r is None else "·" if not r.get("gold") else \
                "✓" if r["exact"] else "≈" if r["lenient"] else "✗"
            cells.append(f"{mark} `{_cell(r['command'])}`" if r else "–")
        lines.append(f"| {point} | {first['type']} | {_cell(first['event'])} | "
                     f"{'`' + _cell(first['gold']) + '`' if first.get('gold') else '–'} | "
                     + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell(text: str) -> str:
    """Log text inside a Markdown table cell: data, never markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _plot(summary: dict, path: Path) -> None:
    from plcpilot.plots import pyplot

    plt = pyplot()
    modes = [m for m in MODES if m in summary["decisions"]]
    bars = [("sop", "exact", "SOP points, exact"), ("abnormal", "exact", "abnormal, exact"),
            ("abnormal", "lenient", "abnormal, lenient (agent after the gate)"),
            ("abnormal", "proposed_lenient", "abnormal, lenient (proposal alone)")]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / len(bars)
    for i, (group, metric, label) in enumerate(bars):
        xs, ys, errs = [], [], [[], []]
        for j, mode in enumerate(modes):
            r = summary["decisions"][mode].get(group, {}).get(metric)
            if not r:
                continue
            xs.append(j + (i - (len(bars) - 1) / 2) * width)
            ys.append(r["rate"] * 100)
            errs[0].append((r["rate"] - r["low"]) * 100)
            errs[1].append((r["high"] - r["rate"]) * 100)
        ax.bar(xs, ys, width, yerr=errs, capsize=3, label=label)
    ax.set_xticks(range(len(modes)), modes)
    ax.set_ylabel("decisions matching the gold (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    ax.set_title("Operator agent decision accuracy (95 % Wilson intervals)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def answer_points(plant: Plant, points: list[Scenario], modes: Iterable[str], backend,
                  out: Path, advance=lambda: None) -> None:
    """Answers to the predecessor plant's test points, scored where a gold answer applies."""
    path = out / POINTS
    done = _done(out, POINTS)
    for mode in modes:
        for p in points:
            if (p.id, mode) not in done:
                station = plant.station(p.station)
                d = Agent(station, mode, backend).decide(parse_log(p.log, where=p.id))
                exact, lenient = matches(d.command, p.gold, station) if p.gold else (None, None)
                _append(path, {"id": p.id, "station": p.station, "type": p.kind, "mode": mode,
                               "event": parse_log(p.log)[-1].text, **d.answer(),
                               "source": d.source, "gold": p.gold, "exact": exact,
                               "lenient": lenient})
            advance()
