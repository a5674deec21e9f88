"""`plcpilot bench report DIR`: summary.json, report.md and PNG plots from samples.jsonl.

Tables follow the FX-IL RAG benchmark's (similarity/BLEU/ROUGE-L/time per model and mode,
syntax tiers, per-category pass) plus what a demanding reader asks next: Wilson intervals,
Pass@k, one-sided paired Wilcoxon tests between modes, a ground-truth calibration row (our
checker on the references) and the failure modes.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

from plcpilot import languages
from plcpilot.bench.runner import RunConfig, load_config, load_samples, select_tasks
from plcpilot.bench.stats import mean_sd, pass_at_k, wilcoxon_greater, wilson
from plcpilot.errors import PlcPilotError
from plcpilot.generate.pipeline import MODES

METRICS = ("similarity", "bleu", "rouge_l", "latency_s", "tokens_out", "retrieval_ms",
           "simulate_s")


def _rate(records: list[dict], key: str) -> dict:
    usable = [r for r in records if r.get(key) is not None]
    ok = sum(bool(r[key]) for r in usable)
    rate, low, high = wilson(ok, len(usable))
    return {"n": len(usable), "passed": ok, "rate": rate, "low": low, "high": high}


def _share(records: list[dict], finish: str) -> float:
    """The share of samples whose last answer ended this way ("length": the budget ran out)."""
    return sum(r.get("finish_reason") == finish for r in records) / len(records) if records else 0.0


def _pass_at(records: list[dict], key: str, samples: int) -> dict[str, float]:
    """Pass@1..samples, averaged over tasks (empty with one sample: that is the pass rate)."""
    if samples < 2:
        return {}
    by_task: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if r.get(key) is not None:
            by_task[r["task_id"]].append(bool(r[key]))
    out = {}
    for k in range(1, samples + 1):
        values = [pass_at_k(len(v), sum(v), k) for v in by_task.values() if len(v) >= k]
        if values:
            out[f"pass@{k}"] = sum(values) / len(values)
    return out


def _order(modes) -> list[str]:
    return sorted(modes, key=lambda m: list(MODES).index(m) if m in MODES else len(MODES))


def _languages(config: RunConfig) -> list:
    """The languages of the run's tasks, in the order they first appear."""
    _, tasks = select_tasks(config.tasks, config.every, config.limit)
    return [languages.get(name) for name in dict.fromkeys(t.language for t in tasks)]


def _verdicts(langs: list) -> dict[str, str]:
    """The extra verdicts the run's languages declare (FX: paper_valid), with their labels."""
    return {field: label for lang in langs for field, label in lang.verdicts.items()}


def calibration(config: RunConfig, verdicts: dict[str, str]) -> dict:
    """Each checker on the references of the run's tasks: how far to trust its verdicts."""
    _, tasks = select_tasks(config.tasks, config.every, config.limit)
    refs = [t for t in tasks if t.reference]
    reports = []
    for t in refs:
        language = languages.get(t.language)
        reports.append(language.check(t.reference,
                                      **languages.options_for(language, config.options)))
    rows = [{"valid": r.is_valid, **r.model_extra} for r in reports]
    return {"n": len(refs), "valid": _rate(rows, "valid"),
            **{v: _rate(rows, v) for v in verdicts}}


def _tier_names(records: list[dict]) -> list[str]:
    """Every tier the checkers returned, in the order they first appear."""
    return list(dict.fromkeys(t for r in records for t in r.get("tiers") or {}))


def summarize(out: Path, warn: Callable[[str], None] | None = None) -> dict:
    """summary.json of DIR; `warn` hears of lines of samples.jsonl that are not samples."""
    config = load_config(out)
    samples = load_samples(out)
    if warn and (message := samples.warning(out / "samples.jsonl")):
        warn(message)
    records = samples.records
    if not records:
        raise PlcPilotError(f"{out}: no samples yet (run `plcpilot bench run … --out {out}`)")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["model"], r["mode"])].append(r)
    langs = _languages(config)
    verdicts = _verdicts(langs)
    summary: dict = {"config": config.model_dump(), "groups": [], "wilcoxon": [],
                     "languages": [lang.name for lang in langs],
                     "calibration": calibration(config, verdicts), "verdicts": verdicts,
                     "skipped_lines": [n for n, _ in samples.skipped]}
    for (model, mode), rs in sorted(groups.items(), key=lambda kv: (kv[0][0],
                                                                     _order([kv[0][1]]))):
        codes = Counter(c for r in rs for c in r.get("error_codes") or [])
        cats: dict[str, list[dict]] = defaultdict(list)
        for r in rs:
            cats[r["category"]].append(r)
        summary["groups"].append({
            "model": model, "mode": mode, "n": len(rs),
            "errors": sum(r["error"] is not None for r in rs),
            "valid": _rate(rs, "is_valid"), **{v: _rate(rs, v) for v in verdicts},
            "behaviour": _rate(rs, "behaviour_passed"),
            "pass_at_k": _pass_at(rs, "is_valid", config.samples),
            "behaviour_pass_at_k": _pass_at(rs, "behaviour_passed", config.samples),
            # the languages' verdicts at k too (SFC: Safe@k, LLM4SFC's metric)
            "verdict_pass_at_k": {v: _pass_at(rs, v, config.samples) for v in verdicts},
            "tiers": {t: mean_sd([r["tiers"][t] for r in rs if t in (r.get("tiers") or {})])
                      for t in _tier_names(rs)},
            "means": {m: mean_sd([r.get(m) for r in rs]) for m in METRICS},
            "failures": {"top_error_codes": codes.most_common(8),
                         "prose_preamble": _rate(rs, "prose_preamble")["rate"],
                         "at_budget": _share(rs, "length"), "loop_cut": _share(rs, "loop"),
                         "closed": _rate(rs, "closed_truncated")["rate"]},
            "per_category": {c: {"n": len(v), "valid": _rate(v, "is_valid")["rate"],
                                 "behaviour": _rate(v, "behaviour_passed")["rate"],
                                 "verification": _rate(v, "verification_passed")["rate"]}
                             for c, v in sorted(cats.items())},
            **_property_summary(rs),
        })
    for model in config.models:
        present = _order({m for (mo, m) in groups if mo == model})
        for lower, higher in combinations(present, 2):
            a = {(r["task_id"], r["sample"]): r for r in groups[(model, higher)]}
            b = {(r["task_id"], r["sample"]): r for r in groups[(model, lower)]}
            keys = sorted(a.keys() & b.keys())
            for metric in ("similarity", "behaviour_passed"):
                test = wilcoxon_greater([_num(a[k].get(metric)) for k in keys],
                                        [_num(b[k].get(metric)) for k in keys])
                summary["wilcoxon"].append({"model": model, "better": higher, "than": lower,
                                            "metric": metric, **test})
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _property_summary(records: list[dict]) -> dict:
    """Agents4PLC's metrics for tasks with properties: syntax pass (parses and type-checks)
    and verification pass, with every verdict counted per method; {} for a run without them."""
    mine = [r for r in records if r.get("verification_passed") is not None]
    if not mine:
        return {}
    verdicts: dict[str, Counter] = defaultdict(Counter)
    for r in mine:
        for how, counts in (r.get("properties") or {}).items():
            verdicts[how].update(counts)
    return {"properties": {"n": len(mine), "compiles": _rate(mine, "compiles"),
                           "verification": _rate(mine, "verification_passed"),
                           "verdicts": {how: dict(c) for how, c in verdicts.items()}}}


def _property_lines(s: dict, records: list[dict]) -> list[str]:
    """The report's section on properties: totals per model and mode, then every task."""
    groups = [g for g in s["groups"] if "properties" in g]
    if not groups:
        return []
    lines = ["## Properties (Agents4PLC's metrics)", "",
             "Syntax pass: the program parses and type-checks. Verification pass: no property "
             "violated and at least one confirmed: never broken in simulation over generated "
             "input sequences (`held`, evidence, not a proof), proved by z3 up to k cycles, or "
             "a reachability goal reached; a goal `not reached` fails. Liveness properties "
             "(`unsupported`) count neither way.", "",
             "| model | mode | n | syntax pass | verification pass | verdicts (simulation) | "
             "verdicts (BMC) |", "|---|---|---:|---|---|---|---|"]
    for g in groups:
        p = g["properties"]
        shown = {how: ", ".join(f"{v} {n}" for v, n in sorted(p["verdicts"].get(how, {}).items()))
                 or "–" for how in ("simulation", "bmc")}
        lines.append(f"| {g['model']} | {g['mode']} | {p['n']} | {_pct(p['compiles'])} | "
                     f"{_pct(p['verification'])} | {shown['simulation']} | {shown['bmc']} |")
    cats = sorted({c for g in groups for c in g["per_category"]})
    lines += ["", "Verification pass per category:", "",
              "| model | mode | " + " | ".join(cats) + " |", "|---|---|" + "---:|" * len(cats)]
    for g in groups:
        cells = [f"{100 * g['per_category'][c]['verification']:.0f} %"
                 if c in g["per_category"] else "–" for c in cats]
        lines.append(f"| {g['model']} | {g['mode']} | " + " | ".join(cells) + " |")
    columns = [(g["model"], g["mode"]) for g in groups]
    by_task: dict[str, dict] = defaultdict(dict)
    for r in records:
        if r.get("verification_passed") is not None and r["sample"] == 0:
            by_task[r["task_id"]][(r["model"], r["mode"])] = r
    lines += ["", "Per task (first sample): ✓ verified, ✗ not, with the simulation's verdicts "
                  "(h held, v violated, r reached, n not reached, u unsupported or not "
                  "applicable); `syntax` when the program does not parse and type-check.", "",
              "| task | " + " | ".join(f"{mo} {m}" for mo, m in columns) + " |",
              "|---|" + "---|" * len(columns)]
    for task, cells in by_task.items():
        lines.append(f"| {task} | " + " | ".join(_task_cell(cells.get(c)) for c in columns) + " |")
    return lines + [""]


_SHORT = {"held": "h", "violated": "v", "reached": "r", "not reached": "n",
          "unsupported": "u", "not applicable": "u"}


def _task_cell(r: dict | None) -> str:
    if r is None:
        return "–"
    if not r.get("compiles"):
        return "✗ syntax"
    counts: Counter = Counter()
    for verdict, n in (r.get("properties") or {}).get("simulation", {}).items():
        counts[_SHORT.get(verdict, verdict)] += n
    shown = " ".join(f"{n}{v}" for v, n in sorted(counts.items()))
    return ("✓ " if r["verification_passed"] else "✗ ") + shown


def _num(v) -> float | None:
    return None if v is None else float(v)


def _pct(r: dict) -> str:
    """`12.0 % [4.2, 29.9]`, or – when nothing was measured (tasks without tests have no
    behavioural pass, a run without references no calibration)."""
    if r["n"] == 0:
        return "–"
    return f"{100 * r['rate']:.1f} % [{100 * r['low']:.1f}, {100 * r['high']:.1f}]"


def _ms(pair, digits: int = 3) -> str:
    m, sd = pair
    return "–" if m != m else f"{m:.{digits}f} ± {sd:.{digits}f}"  # NaN: nothing to average


def _loop_rules(config: dict) -> list[str]:
    """The opt-in loop rules a run used, as clauses of the report's header."""
    return ([f"; answers cut where they loop (last {config['stop_loops']} characters repeat "
             "one unit)"] if config["stop_loops"] else []) + \
           ([f"; answers cut where they count (last {config['stop_counts']} characters repeat "
             "one unit, all digits alike)"] if config.get("stop_counts") else [])


def _skipped_note(lines: list[int]) -> list[str]:
    if not lines:
        return []
    shown = ", ".join(map(str, lines[:20])) + (", …" if len(lines) > 20 else "")
    return [f"Not counted: {len(lines)} line(s) of samples.jsonl that are not samples or "
            f"repeat one (line {shown}).", ""]


def write_report(out: Path, warn: Callable[[str], None] | None = None) -> Path:
    from plcpilot.bench.plots import draw_all

    s = summarize(out, warn)
    plots = draw_all(out, s)
    c = s["config"]
    lines = [f"# Benchmark report: {out.name}", "",
             f"Tasks: {', '.join(c['tasks'])} (every {c['every']}. task"
             + (f", the first {c['limit']}" if c.get("limit") else "") + "); models: "
             f"{', '.join(c['models'])}; modes: {', '.join(c['modes'])}; {c['samples']} "
             f"sample(s) per task; temperature {c['temperature']}, top_k {c['top_k']}, "
             f"max {c['max_tokens']} new tokens, k = {c['k']} examples"
             + "".join(_loop_rules(c)) + ".", "", *_skipped_note(s["skipped_lines"]),
             "## Similarity to the reference and time", "",
             "| model | mode | n | cosine (MiniLM) | BLEU | ROUGE-L | generation s | "
             "retrieval ms | simulation s | tokens out |",
             "|---|---|---:|---|---|---|---|---|---|---|"]
    for g in s["groups"]:
        m = g["means"]
        lines.append(f"| {g['model']} | {g['mode']} | {g['n']} | {_ms(m['similarity'])} | "
                     f"{_ms(m['bleu'])} | {_ms(m['rouge_l'])} | {_ms(m['latency_s'], 1)} | "
                     f"{_ms(m['retrieval_ms'], 1)} | {_ms(m['simulate_s'], 1)} | "
                     f"{_ms(m['tokens_out'], 0)} |")
    tiers = list(dict.fromkeys(t for g in s["groups"] for t in g["tiers"]))
    verdicts = s["verdicts"]
    lines += ["", "## Syntax (checker) and behaviour (simulator), 95 % Wilson intervals", "",
              "| model | mode | " + "".join(f"{t} | " for t in tiers) + "checker pass | "
              + "".join(f"{label} | " for label in verdicts.values())
              + "behaviour pass | errors |",
              "|---|---|" + "---|" * (len(tiers) + 1 + len(verdicts)) + "---|---:|"]
    for g in s["groups"]:
        cells = [_ms(g["tiers"][t]) if t in g["tiers"] else "–" for t in tiers]
        cells += [_pct(g["valid"]), *(_pct(g[v]) for v in verdicts), _pct(g["behaviour"])]
        lines.append(f"| {g['model']} | {g['mode']} | " + " | ".join(cells)
                     + f" | {g['errors']} |")
    cal = s["calibration"]
    extra = "; ".join(f"{label}: {_pct(cal[v])}" for v, label in verdicts.items())
    notes = [note for name in s["languages"]
             if (note := getattr(languages.get(name), "calibration_note", ""))]
    lines += ["", (f"Ground-truth calibration: our checker passes {_pct(cal['valid'])} of the "
                   f"{cal['n']} references" + (f" ({extra})" if extra else "")
                   + "".join(f"; {note}" for note in notes) + ".") if cal["n"] else
              "Ground-truth calibration: the tasks carry no reference programs.", ""]
    if any(g["pass_at_k"] for g in s["groups"]):
        lines += ["## Pass@k (unbiased estimator)", "",
                  "| model | mode | checker | " + "".join(f"{label} | " for label in
                                                         verdicts.values()) + "behaviour |",
                  "|---|---|---|" + "---|" * len(verdicts) + "---|"]
        for g in s["groups"]:
            fmt = lambda d: ", ".join(f"{k} {100 * v:.1f} %" for k, v in d.items())  # noqa: E731
            at_k = g.get("verdict_pass_at_k", {})
            lines.append(f"| {g['model']} | {g['mode']} | {fmt(g['pass_at_k'])} | "
                         + "".join(f"{fmt(at_k.get(v, {}))} | " for v in verdicts)
                         + f"{fmt(g['behaviour_pass_at_k'])} |")
        lines.append("")
    cats = sorted({c for g in s["groups"] for c in g["per_category"]})
    lines += ["## Behavioural pass per category", "",
              "| model | mode | " + " | ".join(cats) + " |", "|---|---|" + "---:|" * len(cats)]
    for g in s["groups"]:
        cells = [f"{100 * g['per_category'][c]['behaviour']:.0f} %" if c in g["per_category"]
                 else "–" for c in cats]
        lines.append(f"| {g['model']} | {g['mode']} | " + " | ".join(cells) + " |")
    lines += ["", *_property_lines(s, load_samples(out).records)]
    lines += ["## Paired one-sided Wilcoxon signed-rank tests between modes", "",
              "| model | H1: mode | > mode | metric | pairs | non-zero | W | p |",
              "|---|---|---|---|---:|---:|---:|---:|"]
    for w in s["wilcoxon"]:
        stat = "–" if w["statistic"] is None else f"{w['statistic']:.1f}"
        p = "–" if w["p"] is None else f"{w['p']:.4f}"
        lines.append(f"| {w['model']} | {w['better']} | {w['than']} | {w['metric']} | "
                     f"{w['n']} | {w['nonzero']} | {stat} | {p} |")
    lines += ["", "## Failure modes", "",
              "The last answer of a sample: did it open with prose, run to the token budget, get "
              "cut where it looped (`--stop-loops`, `--stop-counts`), and was a cut program "
              "closed (grammar modes)?",
              "", "| model | mode | top checker errors | prose preamble | ran to budget | "
              "cut at a loop | closed after a cut |", "|---|---|---|---:|---:|---:|---:|"]
    for g in s["groups"]:
        f = g["failures"]
        top = ", ".join(f"{code} ({n})" for code, n in f["top_error_codes"]) or "–"
        lines.append(f"| {g['model']} | {g['mode']} | {top} | {100 * f['prose_preamble']:.0f} %"
                     f" | {100 * f['at_budget']:.0f} % | {100 * f['loop_cut']:.0f} % | "
                     f"{100 * f['closed']:.0f} % |")
    lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
