"""Per-sample similarity of an output to the reference, as the FX-IL RAG benchmark scores it:
cosine of MiniLM embeddings (eps 1e-8), sentence-BLEU (uniform 4-gram weights, smoothing method 1,
whitespace tokens, NLTK), ROUGE-L F with stemming (rouge-score)."""

from __future__ import annotations

from functools import cache

import numpy as np

from plcpilot.errors import needs_extra

EPS = 1e-8


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), EPS))


@cache
def _bleu():
    try:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    except ImportError:
        raise needs_extra("BLEU scoring", "bench", "nltk") from None

    return sentence_bleu, SmoothingFunction().method1


@cache
def _rouge():
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        raise needs_extra("ROUGE-L scoring", "bench", "rouge-score") from None

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def bleu(output: str, reference: str) -> float:
    sentence_bleu, smoothing = _bleu()
    hyp, ref = output.split(), reference.split()
    if not hyp:
        return 0.0
    return float(sentence_bleu([ref], hyp, weights=(0.25, 0.25, 0.25, 0.25),
                               smoothing_function=smoothing))


def rouge_l(output: str, reference: str) -> float:
    return float(_rouge().score(reference, output)["rougeL"].fmeasure)


class Similarity:
    """All three scores; embeddings come from the same MiniLM as retrieval."""

    def __init__(self, embedder=None):
        if embedder is None:
            from plcpilot.retrieval.embeddings import default_embedder

            embedder = default_embedder()
        self.embedder = embedder

    def score(self, output: str, reference: str | None) -> dict[str, float | None]:
        if not reference:
            return {"similarity": None, "bleu": None, "rouge_l": None}
        a, b = self.embedder.encode([output or " ", reference])
        return {"similarity": round(cosine(a, b), 6), "bleu": round(bleu(output, reference), 6),
                "rouge_l": round(rouge_l(output, reference), 6)}
