"""llguidance, the in-process decoder's grammar engine, fed one byte per token: it accepts
exactly the strings a grammar accepts, whatever a real tokenizer would cut (and it lexes as the
decoder does, maximal-munch over the terminals the parser allows, which Lark's Earley does not)."""

from __future__ import annotations

from functools import cache

import llguidance


class _Bytes:
    """A tokenizer whose tokens are the 256 bytes (and EOS)."""

    eos_token_id, bos_token_id, special_token_ids = 256, None, [256]
    tokens = [bytes([i]) for i in range(256)] + [b""]

    def __call__(self, text):
        return list(text if isinstance(text, bytes) else text.encode())


@cache
def tokenizer():
    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_Bytes()))


@cache
def compiled(lark_text: str):
    return llguidance.grammar_from("lark", lark_text)


def rejected_at(lark_text: str, text: str) -> int | None:
    """Where the matcher stops taking `text` (a byte offset), None if it accepts it whole."""
    m = llguidance.LLMatcher(tokenizer(), compiled(lark_text), log_level=0)
    data = text.encode()
    for i, byte in enumerate(data):
        if not m.consume_token(byte):
            return i
    return None if m.is_accepting() else len(data)
