"""`plcpilot agent bench`: decision accuracy on the scenario set, closed-loop episodes under
fault injection, and a report (report.md, summary.json, accuracy.png).

Both parts append one JSON line per result as it finishes and skip what the folder already
holds, so a killed run resumes where it stopped. One run at a time holds the folder
(`open_run`); a line that is not a result is skipped, named in the report, and redone.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
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
from plcpilot.plant.scenarios import VARIANTS, Scenario, episode, matches
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
                           "mode": mode, "gold": s.gold, "command": d.command,
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


def _rate(rows: list[dict], key: str) -> dict:
    ok = sum(bool(r[key]) for r in rows)
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
    by = defaultdict(list)
    for r in decisions:
        for group in ("all", r["kind"], f"station:{r['station']}"):
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
            "unsafe_executed": sum(len(r["unsafe"]) for r in rows),
            "refused_by_gate": sum(r["refused"] for r in rows)}
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
             "engine or the model proposed before the gate.", "",
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
    if summary["episodes"]:
        lines += ["", "## Closed loop under fault injection", "",
                  "A fault strikes only when the agent gets as far as the command it affects; an "
                  "episode whose fault never struck counts as a failure to escalate.", "",
                  "| mode | gate | episodes | success | normal completed | faults struck "
                  "| faults escalated | unsafe executed | refused by gate |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for mode, by_gate in summary["episodes"].items():
            for gated, r in by_gate.items():
                lines.append(f"| {mode} | {gated} | {r['episodes']} | {_pct(r['success'])} | "
                             f"{_pct(r['normal_completed'])} | {r['faults_struck']} | "
                             f"{_pct(r['faults_escalated'])} | "
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
    lines += _points_section(read_results(out, POINTS).records)
    lines += ["", "![accuracy](accuracy.png)", ""]
    _plot(summary, out / "accuracy.png")
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def _points_section(rows: list[dict]) -> list[str]:
    """What each mode answered to the predecessor plant's test points (no gold: read, not scored):
    per point type, how often it escalated and the commands it chose most."""
    if not rows:
        return []
    groups = defaultdict(list)
    for r in rows:
        groups[(r["mode"], r["type"])].append(r)
    lines = ["", "## The predecessor plant's test points (no gold answers)", "",
             f"{len({r['id'] for r in rows})} points of ../shared/corpus/ias/test_points.json "
             "(Xia et al., ETFA 2023, CC BY 4.0) in this plant's log format; every answer is in "
             "points.jsonl.", "", "| mode | point type | points | escalated | most chosen |",
             "|---|---|---|---|---|"]
    for (mode, kind), rs in sorted(groups.items(), key=lambda kv: (MODES.index(kv[0][0]),
                                                                     kv[0][1])):
        escalated = sum(r["command"].startswith(("alert_to_supervisor", "emergency_stop"))
                        for r in rs)
        top = Counter(r["command"].split("(")[0] for r in rs).most_common(2)
        lines.append(f"| {mode} | {kind} | {len(rs)} | {escalated} | "
                     + ", ".join(f"{f} ×{n}" for f, n in top) + " |")
    return lines


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
    """Answers to test points that have no gold (the predecessor plant's), kept for reading."""
    path = out / POINTS
    done = _done(out, POINTS)
    for mode in modes:
        for p in points:
            if (p.id, mode) not in done:
                d = Agent(plant.station(p.station), mode, backend).decide(
                    parse_log(p.log, where=p.id))
                _append(path, {"id": p.id, "station": p.station, "type": p.kind, "mode": mode,
                               "event": parse_log(p.log)[-1].text, **d.answer(),
                               "source": d.source})
            advance()
