"""Stopping a model that has fallen into a loop: opt-in decoding rules that save time.

Small models often end an answer by repeating one line or phrase until the token budget runs
out. In the full FX run on the embedded model, 87 % of the free-text answers and 65 % of the
grammar-constrained ones ran to the 1,024-token budget, most of them in such a loop, and those
tokens were most of the run's time. Two rules, each off unless given a window:

- loops (`--stop-loops`): an answer is cut where its last `window` characters first consist of
  one unit of at most window // 3 characters repeated (a line of up to a third of the window
  said three times or more, or a shorter phrase more often);
- counts (`--stop-counts`): the same with every digit taken as the same character, which also
  cuts counting sequences (`MOV K1 D125`, `MOV K1 D126`, …). Real programs count too (`OUT Y0`,
  `OUT Y1`, …), so this rule needs a longer window: at 96 characters it would cut three shipped
  reference programs, at 160 none.

Every backend applies the same cut to its answer (`stop_loops`), so outputs mean the same
whichever backend made them; the in-process backend also stops decoding there (`LoopStop`),
which is where the time is saved. Off by default: the FX-IL benchmark's protocol runs every
answer to its end or its budget.
"""

from __future__ import annotations

import codecs
from dataclasses import replace

from plcpilot.llm.base import Completion, Sampling

DIGITS = frozenset("0123456789")


class LoopDetector:
    """Finds the first point of a growing text where its last `window` characters are periodic.

    For each period p it keeps how many characters in a row equalled the character p before;
    the last `window` characters repeat with period p once that run reaches window - p. That
    costs window // 3 steps per character, whatever the text's length, so it can watch a model
    decode token by token.
    """

    def __init__(self, window: int, fold_digits: bool = False):
        if window < 3:
            raise ValueError("a loop window needs at least 3 characters")
        self.window, self.max_period, self.fold_digits = window, window // 3, fold_digits
        self.text: list[str] = []
        self.runs = [0] * (self.max_period + 1)
        self.at: int | None = None  # the text's length when the loop was first seen

    def feed(self, piece: str) -> int | None:
        """Add text; returns the length of the text at which a loop was first seen, if any."""
        text, runs = self.text, self.runs
        for ch in piece:
            if self.at is not None:
                break
            if self.fold_digits and ch in DIGITS:
                ch = "0"
            n = len(text)
            for p in range(1, min(n, self.max_period) + 1):
                runs[p] = runs[p] + 1 if text[n - p] == ch else 0
                if runs[p] >= self.window - p:
                    self.at = n + 1
            text.append(ch)
        return self.at


class LoopWatch:
    """Both rules as `sampling` sets them: where the first of them sees a loop."""

    def __init__(self, sampling: Sampling):
        self.detectors = [LoopDetector(w, fold) for w, fold in
                          ((sampling.stop_loops, False), (sampling.stop_counts, True)) if w]

    def feed(self, piece: str) -> int | None:
        return min((at for d in self.detectors if (at := d.feed(piece)) is not None),
                   default=None)


def stop_loops(completion: Completion, sampling: Sampling) -> Completion:
    """The completion cut where it first loops (finish_reason "loop"); unchanged if it does not
    loop or both rules are off."""
    at = LoopWatch(sampling).feed(completion.text)
    if at is None:
        return completion
    return replace(completion, text=completion.text[:at], finish_reason="loop")


class LoopStop:
    """A llama-cpp-python logits processor that lets only end-of-generation through once the
    answer loops. It watches the tokens as they are decoded; the exact cut is `stop_loops`'s."""

    def __init__(self, llm, sampling: Sampling):
        self.llm, self.watch = llm, LoopWatch(sampling)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.seen: int | None = None  # tokens already read (the prompt, on the first call)
        self.looped = False

    def __call__(self, input_ids, scores):
        if self.seen is None:
            self.seen = len(input_ids)
        elif len(input_ids) > self.seen:
            piece = self.llm.detokenize([int(t) for t in input_ids[self.seen:]])
            self.seen = len(input_ids)
            self.looped |= self.watch.feed(self.decoder.decode(piece)) is not None
        if self.looped:
            scores[:] = float("-inf")
            scores[self.llm.token_eos()] = 0.0
        return scores
