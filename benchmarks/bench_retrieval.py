"""Exemplar retrieval: our NumPy index vs a ChromaDB pipeline vs sqlite-vec, same embeddings.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_retrieval.py
Every shipped task prompt is a query, leave-one-out, k=3 with fetch 3k, threshold 0.25 and MMR
lambda 0.5 (the FX-IL RAG benchmark's settings). Each store returns its candidates; the same MMR
picks from them, so the table shows whether the stores agree on the chosen examples and what
each step costs per query (the paper: 9.6 ms per query, 8.6 of it encoding, on its hardware).
ChromaDB and sqlite-vec are benchmark-only dependencies (pip install chromadb sqlite-vec
pysqlite3-binary); a missing one is skipped with a note.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from plcpilot.paths import shipped_tasks
from plcpilot.retrieval.embeddings import default_embedder
from plcpilot.retrieval.mmr import fetch_count, mmr_pick, nearest
from plcpilot.spec import load_tasks

K, FETCH, THRESHOLD, LAM = 3, 3, 0.25, 0.5


def site_size(*names: str) -> str:
    import importlib.util

    total = 0
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                total += sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return f"{total / 2**20:.0f} MB" if total else "-"


class NumpyStore:
    name, packages = "numpy (ours)", ("numpy",)

    def build(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def candidates(self, q: np.ndarray, count: int, own: int) -> list[tuple[int, float]]:
        return nearest(q, self.vectors, count, {own})


class ChromaStore:
    name, packages = "ChromaDB (HNSW, persistent)", ("chromadb", "onnxruntime", "tokenizers")

    def build(self, vectors: np.ndarray) -> None:
        import chromadb

        self.tmp = tempfile.mkdtemp()
        client = chromadb.PersistentClient(path=self.tmp)
        # embedding_function=None: we give the vectors; Chroma must not fetch a model
        self.col = client.create_collection("tasks", embedding_function=None,
                                            metadata={"hnsw:space": "cosine"})
        self.col.add(ids=[str(i) for i in range(len(vectors))], embeddings=vectors.tolist())

    def candidates(self, q: np.ndarray, count: int, own: int) -> list[tuple[int, float]]:
        res = self.col.query(query_embeddings=[q.tolist()], n_results=count + 1,
                             include=["distances"])
        pairs = [(int(i), 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0],
                                                    strict=True)]
        return [p for p in pairs if p[0] != own][:count]


class SqliteVecStore:
    name, packages = "sqlite-vec", ("sqlite_vec", "pysqlite3")

    def build(self, vectors: np.ndarray) -> None:
        import pysqlite3 as sqlite3  # this Python's sqlite3 cannot load extensions
        import sqlite_vec

        self.db = sqlite3.connect(str(Path(tempfile.mkdtemp()) / "vec.db"))
        self.db.enable_load_extension(True)
        sqlite_vec.load(self.db)
        self.db.execute(f"create virtual table v using vec0(e float[{vectors.shape[1]}] "
                        "distance_metric=cosine)")
        self.db.executemany("insert into v(rowid, e) values (?, ?)",
                            [(i, v.astype(np.float32).tobytes()) for i, v in enumerate(vectors)])
        self.db.commit()

    def candidates(self, q: np.ndarray, count: int, own: int) -> list[tuple[int, float]]:
        rows = self.db.execute("select rowid, distance from v where e match ? and k = ?",
                               (q.astype(np.float32).tobytes(), count + 1)).fetchall()
        return [(int(r), 1.0 - d) for r, d in rows if r != own][:count]


def main() -> None:
    console = Console(width=130)
    tasks = [t for t in load_tasks(shipped_tasks("fx-il")) if t.reference]
    embedder = default_embedder()
    texts = [t.prompt for t in tasks]
    t0 = time.perf_counter()
    vectors = embedder.encode(texts)
    corpus_s = time.perf_counter() - t0
    encode_ms = []
    queries = []
    for text in texts:
        t = time.perf_counter()
        queries.append(embedder.encode([text])[0])
        encode_ms.append((time.perf_counter() - t) * 1000)
    count = fetch_count(K, FETCH, len(tasks))
    picks: dict[str, list[list[int]]] = {}
    table = Table(title=f"retrieval over {len(tasks)} task prompts, leave-one-out, k={K}, "
                        f"fetch={count}, threshold={THRESHOLD}, lambda={LAM}; query encoding "
                        f"{statistics.mean(encode_ms):.1f} ms mean (MiniLM, shared); corpus "
                        f"encoding {len(texts) / corpus_s:.0f} texts/s")
    for col in ("store", "package dirs", "build ms", "search ms (mean)", "search ms (p95)",
                "MMR ms", "per query ms (with encoding)", "same picks as ours"):
        table.add_column(col, justify="left" if col == "store" else "right")
    for store in (NumpyStore(), ChromaStore(), SqliteVecStore()):
        try:
            t = time.perf_counter()
            store.build(vectors)
            build_ms = (time.perf_counter() - t) * 1000
        except ImportError as e:
            table.add_row(store.name, "-", f"skipped: {e.name} not installed", "", "", "", "", "")
            continue
        search, mmr, chosen = [], [], []
        for own, q in enumerate(queries):
            t1 = time.perf_counter()
            cands = store.candidates(q, count, own)
            t2 = time.perf_counter()
            picked = mmr_pick(cands, vectors, k=K, threshold=THRESHOLD, lam=LAM)
            t3 = time.perf_counter()
            search.append((t2 - t1) * 1000)
            mmr.append((t3 - t2) * 1000)
            chosen.append([i for i, _ in picked])
        picks[store.name] = chosen
        ours = picks[NumpyStore.name]
        agree = sum(a == b for a, b in zip(ours, chosen, strict=True)) / len(chosen)
        p95 = sorted(search)[int(0.95 * len(search))]
        table.add_row(store.name, site_size(*store.packages), f"{build_ms:.1f}",
                      f"{statistics.mean(search):.3f}", f"{p95:.3f}",
                      f"{statistics.mean(mmr):.3f}",
                      f"{sum(map(statistics.mean, (encode_ms, search, mmr))):.1f}",
                      f"{100 * agree:.1f} %")
    console.print(table)


if __name__ == "__main__":
    main()
