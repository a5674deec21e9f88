"""`plcpilot train …`: build supervised data from the project's own simulators, and train LoRA
adapters on CPU that every in-process backend loads (`--model embedded+lora:DIR`)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from plcpilot.console import Ticker, console, progress_bar
from plcpilot.errors import PlcPilotError

train_app = typer.Typer(no_args_is_help=True, help="Fine-tuning: data builders and LoRA "
                                                   "training on CPU.")
data_app = typer.Typer(no_args_is_help=True, help="Build supervised training data.")
train_app.add_typer(data_app, name="data")
out = console()
err = console(stderr=True)

BaseOpt = Annotated[str, typer.Option("--base", help="embedded[:name] or a local Hugging Face "
                                                     "model folder.")]


@data_app.command("agent")
def data_agent(
    to: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    train_seeds: Annotated[int, typer.Option("--train-seeds", min=1, help="Scenario seeds for "
                                             "the train split.")] = 3,
    validation_seeds: Annotated[int, typer.Option("--validation-seeds", min=0)] = 1,
    wording: Annotated[str, typer.Option(
        "--wording", help="dev: the development half of the log phrasings; train: those and "
                          "the training-only styles (upper-case alarm lists, an engineer's "
                          "diary). The held-out half is never used.")] = "dev",
    base: BaseOpt = "embedded",
) -> None:
    """Operator-agent decisions from the plant simulator (dev-half wording, random task
    parameters), split by scenario seed; token counts with the base's tokenizer."""
    from plcpilot.plant.model import load_plant
    from plcpilot.sources import writable
    from plcpilot.train.agent_data import agent_examples, split_seeds
    from plcpilot.train.records import write_examples

    if wording not in ("dev", "train"):
        why = " (the held-out phrasings are for evaluation only)" if wording == "held_out" else ""
        raise PlcPilotError(f"--wording must be dev or train, not {wording!r}{why}")
    writable(to, "--out")  # before the work, not after it
    seeds = split_seeds(train_seeds, validation_seeds)
    with progress_bar(err) as bar:
        job = bar.add_task("scenario seeds", total=len(seeds))
        examples = list(agent_examples(load_plant(), seeds, lambda: bar.advance(job),
                                       wording))
    write_examples(examples, to)
    _describe(examples, base, to)


@data_app.command("code")
def data_code(
    to: Annotated[Path, typer.Option("--out", help="JSONL file to write (train and validation "
                                                   "examples).")],
    per_family: Annotated[int, typer.Option("--per-family", min=1, help="Draws per family; "
                                            "each makes one task per language the family "
                                            "writes (FX IL, ST, SFC).")] = 40,
    tasks_out: Annotated[Path | None, typer.Option(
        "--tasks-out", help="Also write the verified tasks as task files, "
                            "DIR/{train,validation,test}/LANGUAGE.json (test: the held-out "
                            "family, for `plcpilot bench run`).")] = None,
    benchmark: Annotated[list[Path] | None, typer.Option(
        "--benchmark", help="More benchmark task files whose prompts no generated prompt may "
                            "nearly duplicate (the shipped sets are always screened).")] = None,
    near: Annotated[float | None, typer.Option(min=0, max=1, help="MiniLM cosine from which a "
                                               "prompt counts as a near-duplicate "
                                               "(default 0.85).")] = None,
    only: Annotated[list[str] | None, typer.Option(
        "--language", help="Write examples of this language only (fx-il, st, sfc; repeat for "
                           "several; default all). Every task is still verified and written "
                           "by --tasks-out.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Processes that verify "
                                             "tasks (default: one per CPU).")] = None,
    base: BaseOpt = "embedded",
) -> None:
    """Code-generation examples from the synthetic families (latches, interlocks, delays,
    pulses, flashers, counters, sequences, scaling, a running average, and two or three of
    them in one FX task; alarms held out) in FX IL, ST and, for six of them, SFC with
    sub-graph-masked charts: each task's reference passes its tests, its mutants fail them, and
    its prompt is no near-duplicate of a benchmark prompt."""
    from plcpilot.paths import shipped_tasks
    from plcpilot.retrieval.embeddings import default_embedder
    from plcpilot.sources import writable
    from plcpilot.spec import load_tasks
    from plcpilot.train.code_data import NEAR, code_examples, screen, verified_tasks
    from plcpilot.train.families.base import LANGUAGES
    from plcpilot.train.records import write_examples

    writable(to, "--out")
    if unknown := set(only or ()) - set(LANGUAGES):
        raise PlcPilotError(f"--language {', '.join(sorted(unknown))}: not a language of the "
                            f"synthetic families ({', '.join(LANGUAGES)})")
    if tasks_out is not None and tasks_out.exists() and not tasks_out.is_dir():
        raise PlcPilotError(f"--tasks-out {tasks_out} is a file; give a folder")
    screened = [t for language in ("fx-il", "st", "sfc")
                for t in load_tasks(shipped_tasks(language))]
    screened += [t for path in benchmark or [] for t in load_tasks(path)]
    near = NEAR if near is None else near
    with progress_bar(err) as bar:
        job = bar.add_task("verifying tasks and their mutants", total=None)
        built = verified_tasks(per_family, seed,
                               lambda done, total: bar.update(job, completed=done, total=total),
                               jobs or os.cpu_count() or 1)
    embedder = default_embedder()
    screen(built, screened, embedder, near)
    if tasks_out is not None:
        _write_tasks(built.tasks, tasks_out)
    examples = list(code_examples(built, embedder, seed, tuple(only or LANGUAGES)))
    if not examples:
        raise PlcPilotError("no task survived verification; nothing to write")
    write_examples(examples, to)
    counts = ", ".join(f"{split} {len(tasks)}" for split, tasks in built.tasks.items())
    dropped = ", ".join(f"{n} {why}" for why, n in built.dropped.items() if n) or "none"
    out.print(f"tasks kept: {counts}; dropped: {dropped}; closest to a benchmark prompt "
              f"(of {len(screened)}): cosine {built.nearest_benchmark:.3f} (limit {near})")
    _describe(examples, base, to)


def _write_tasks(tasks: dict, folder: Path) -> None:
    import json

    for split, chosen in tasks.items():
        for language in sorted({t.language for t in chosen}):
            path = folder / split / f"{language}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            records = [t.model_dump(mode="json", by_alias=True, exclude_none=True)
                       for t in chosen if t.language == language]
            path.write_text(json.dumps(records, indent=1) + "\n")
            out.print(f"→ {path} ({len(records)} tasks)")


def _describe(examples, base: str, to: Path) -> None:
    from plcpilot.train.base import load_tokenizer
    from plcpilot.train.lora import encode

    tokenizer = load_tokenizer(base)
    for split in ("train", "validation"):
        chosen = [e for e in examples if e.split == split]
        if not chosen:
            continue
        encoded = [encode(tokenizer, e) for e in chosen]
        total = sum(len(x.ids) for x in encoded)
        answer = sum(len(x.ids) - x.prompt for x in encoded)
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(e.kind for e in chosen).items()))
        out.print(f"{split}: {len(chosen)} examples ({kinds}) in "
                  f"{len({e.group for e in chosen})} groups; {total:,} tokens, of which "
                  f"{answer:,} answer tokens (longest {max(len(x.ids) for x in encoded):,})")
    out.print(f"→ {to}")


DataOpt = Annotated[Path, typer.Option("--data", help="Examples (JSONL file or folder).")]
RunOpt = Annotated[Path, typer.Option("--out", help="Run folder (resumed if it exists).")]
EpochsOpt = Annotated[float | None, typer.Option(min=0.01)]
LrOpt = Annotated[float | None, typer.Option(min=0)]
BatchOpt = Annotated[int | None, typer.Option(min=1)]
TopOpt = Annotated[int | None, typer.Option("--top-layers", min=0, help="Train only the last N "
                                            "blocks (0: all).")]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="Only the first N train examples.")]
ChecksOpt = Annotated[int, typer.Option("--validation", min=0, help="Validation examples scored "
                                        "before and after (forward passes only).")]
SeedOpt = Annotated[int, typer.Option()]
SaveOpt = Annotated[int, typer.Option("--save-every", min=1, help="Checkpoint every N optimiser "
                                      "steps.")]


@train_app.command("lora")
def train_lora(
    data: DataOpt, to: RunOpt, base: BaseOpt = "embedded",
    preset_name: Annotated[str, typer.Option("--preset", help="cpu (tuned here) or llm4ias "
                                             "(the paper's).")] = "cpu",
    epochs: EpochsOpt = None, lr: LrOpt = None, batch: BatchOpt = None,
    rank: Annotated[int | None, typer.Option(min=1)] = None,
    alpha: Annotated[float | None, typer.Option(min=0)] = None,
    top_layers: TopOpt = None, limit: LimitOpt = None, checks: ChecksOpt = 24,
    start_from: Annotated[Path | None, typer.Option(
        "--start-from", help="Continue another run's adapter (DIR/adapter): more epochs, "
                             "another learning rate.")] = None,
    seed: SeedOpt = 0, save_every: SaveOpt = 10,
) -> None:
    """Train a LoRA adapter: DIR/adapter (peft), DIR/adapter.gguf (llama.cpp, for
    `--model embedded+lora:DIR`), DIR/loss.png, DIR/train.json."""
    from plcpilot.train.presets import preset

    chosen = preset(preset_name, epochs=epochs, lr=lr, batch=batch, rank=rank, alpha=alpha,
                    top_layers=top_layers)
    summary = _train(data, to, base, chosen, limit, checks, seed, save_every, start_from)
    out.print(f"→ {to} (use --model embedded+lora:{to})" if summary["adapted_matrices"]
              else f"→ {to}/adapter (peft)")


@train_app.command("full")
def train_full(
    data: DataOpt, to: RunOpt, base: BaseOpt = "embedded",
    preset_name: Annotated[str, typer.Option("--preset", help="cpu-full (this machine's "
                                             "starting point).")] = "cpu-full",
    epochs: EpochsOpt = None, lr: LrOpt = None, batch: BatchOpt = None,
    top_layers: TopOpt = None, limit: LimitOpt = None, checks: ChecksOpt = 24,
    seed: SeedOpt = 0, save_every: SaveOpt = 10,
) -> None:
    """Fine-tune every weight of the top blocks: DIR/weights.safetensors (the trained blocks,
    transformers names), DIR/model.gguf (the embedded model with them merged, for
    `--model gguf:DIR/model.gguf`), DIR/loss.png, DIR/train.json."""
    from plcpilot.train.presets import preset

    chosen = preset(preset_name, epochs=epochs, lr=lr, batch=batch, top_layers=top_layers)
    summary = _train(data, to, base, chosen, limit, checks, seed, save_every, None, full=True)
    out.print(f"→ {to} (use --model gguf:{to / 'model.gguf'})" if summary["adapted_matrices"]
              else f"→ {to}/weights.safetensors")


def _train(data: Path, to: Path, base: str, chosen, limit: int | None, checks: int, seed: int,
           save_every: int, start_from: Path | None, full: bool = False) -> dict:
    from plcpilot.train.records import read_examples
    from plcpilot.train.run import run

    train = read_examples(data, "train")[:limit]
    validation = [e for e in read_examples(data) if e.split == "validation"][:checks]
    with progress_bar(err) as bar:
        job = bar.add_task("training", total=None)

        def heard(p) -> None:
            rate = p.tokens / p.seconds if p.seconds else 0
            loss = f", loss {p.loss:.3f}" if p.loss is not None else ""
            bar.update(job, total=p.total, completed=p.examples,
                       description=f"training ({rate:.0f} tokens/s{loss})")

        summary = run(base, train, validation, chosen, to, seed=seed, save_every=save_every,
                      start_from=start_from, on_progress=heard, full=full)
    out.print(f"{summary['examples']} examples, {summary['tokens']:,} tokens in "
              f"{summary['seconds']:.0f} s ({summary['tokens_per_second']:.0f} tokens/s); "
              f"validation loss {summary['validation_loss_before']} → "
              f"{summary['validation_loss_after']}")
    return summary


@train_app.command("merge")
def train_merge(
    run_dir: Annotated[Path, typer.Argument(help="A `train lora` run folder on the embedded "
                                                 "model.")],
    to: Annotated[Path, typer.Option("--out", help="GGUF file to write.")],
) -> None:
    """Fold a run's adapter into the embedded model: one GGUF for `--model gguf:FILE`, a
    llama.cpp server or Ollama. Adapted tensors become Q8_0, the rest stay as they were."""
    from plcpilot.llm.llamacpp import embedded_adapter
    from plcpilot.llm.models import model_path
    from plcpilot.sources import writable
    from plcpilot.train.gguf_merge import merge_adapter

    adapter = embedded_adapter(run_dir, str(run_dir))
    writable(to, "--out")
    with Ticker(err) as ticker:
        ticker.update("merging")
        merged = merge_adapter(model_path(), adapter, to)
    size = to.stat().st_size / 2**20
    out.print(f"{merged} tensors merged → {to} ({size:.0f} MB; use --model gguf:{to})")
