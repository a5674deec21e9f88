"""A persistent exemplar index: task prompts and their embeddings, rebuilt when the corpus or the
embedding model changes.

The store is a NumPy matrix on disk with exact cosine search. Why: for task sets of hundreds to a
few thousand prompts an exact dot product is well under a millisecond and needs no database;
benchmarks/bench_retrieval.py measures it against a ChromaDB pipeline (same embeddings, same
top-k) and sqlite-vec in one run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plcpilot.llm.models import cache_dir
from plcpilot.retrieval.mmr import fetch_count, mmr_pick, nearest
from plcpilot.spec import Task


@dataclass
class Retrieved:
    task: Task
    score: float


@dataclass
class Timing:
    encode_ms: float = 0.0
    search_ms: float = 0.0
    mmr_ms: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def total_ms(self) -> float:
        return self.encode_ms + self.search_ms + self.mmr_ms


def fingerprint(model: str, texts: list[str]) -> str:
    h = hashlib.sha256(model.encode())
    for t in texts:
        h.update(b"\0" + t.encode())
    return h.hexdigest()[:16]


class ExemplarIndex:
    """Exemplars (tasks with a reference) searchable by prompt similarity."""

    def __init__(self, tasks: list[Task], embedder, root: Path | None = None):
        self.tasks = [t for t in tasks if t.reference]
        self.embedder = embedder
        self.row_of = {t.id: i for i, t in enumerate(self.tasks)}
        texts = [t.prompt for t in self.tasks]
        key = fingerprint(embedder.name, texts)
        folder = (root or cache_dir().parent / "index") / key
        if (folder / "vectors.npy").is_file():
            self.vectors = np.load(folder / "vectors.npy")
            self.rebuilt = False
        else:
            self.vectors = embedder.encode(texts) if texts else np.zeros((0, 384), np.float32)
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / "vectors.npy", self.vectors)
            (folder / "meta.json").write_text(json.dumps(
                {"model": embedder.name, "ids": [t.id for t in self.tasks]}, indent=1))
            self.rebuilt = True
        self.folder = folder

    def search(self, query: str, *, k: int = 3, fetch_factor: int = 3, threshold: float = 0.25,
               lam: float = 0.5, exclude_id: str | None = None) -> tuple[list[Retrieved], Timing]:
        """Leave-one-out when `exclude_id` names a task of the index."""
        timing = Timing()
        t0 = time.perf_counter()
        q = self.embedder.encode([query])[0]
        t1 = time.perf_counter()
        exclude = {self.row_of[exclude_id]} if exclude_id in self.row_of else set()
        n = len(self.tasks) + (0 if exclude else 1)  # n counts the query's own item
        candidates = nearest(q, self.vectors, fetch_count(k, fetch_factor, n), exclude)
        t2 = time.perf_counter()
        picked = mmr_pick(candidates, self.vectors, k=k, threshold=threshold, lam=lam)
        t3 = time.perf_counter()
        timing.encode_ms = (t1 - t0) * 1000
        timing.search_ms = (t2 - t1) * 1000
        timing.mmr_ms = (t3 - t2) * 1000
        return [Retrieved(self.tasks[i], s) for i, s in picked], timing
