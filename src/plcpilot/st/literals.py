"""Decode ST literal text into values: 16#FF_FF, 1.5E3, T#1h2m, 'a$Nb', TRUE.

Integers are exact Python ints of any size (the checker judges their range). The grammar's token
lets any hex digit follow `2#` or `8#`, and decimal text can be longer than Python converts;
both raise LiteralError, which the AST builder turns into a `bad-number` diagnostic.
"""

from __future__ import annotations

import re
import sys

_TIME_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|ns|d|h|m|s)", re.I)
_TIME_MS = {"d": 86_400_000.0, "h": 3_600_000.0, "m": 60_000.0, "s": 1000.0, "ms": 1.0,
            "us": 1e-3, "ns": 1e-6}
_ESCAPES = {"$": "$", "'": "'", '"': '"', "L": "\n", "N": "\n", "P": "\f", "R": "\r", "T": "\t"}
_ESCAPE = re.compile(r"\$([$'\"LNPRTlnprt]|[0-9A-Fa-f]{4}|[0-9A-Fa-f]{2})")
MAX_DECIMAL_DIGITS = sys.get_int_max_str_digits() or 4300


class LiteralError(ValueError):
    """Literal text that has no value; the message says why, for the diagnostic."""


def integer(text: str) -> int:
    """`-16#FF_FF`, `2#1010`, `1_000` -> int."""
    body = text.replace("_", "")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    if "#" in body:
        base, digits = body.split("#", 1)
        wrong = next((d for d in digits if int(d, 16) >= int(base)), None)
        if wrong is not None:
            raise LiteralError(f"`{_short(text)}`: {wrong} is not a base-{base} digit")
        return sign * int(digits, int(base))  # power-of-two bases have no length limit
    if len(body) > MAX_DECIMAL_DIGITS:
        raise LiteralError(f"decimal number of {len(body):,} digits")
    return sign * int(body)


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "…"


def real(text: str) -> float:
    return float(text.replace("_", ""))  # 1E999 -> inf: the checker's finding


def string(text: str) -> str:
    """The characters of '…' or "…" with `$` escapes resolved. The two-hex form belongs to
    STRING and the four-hex form to WSTRING; the regex tries four first, which only matters
    for the rare STRING `$41` followed by two more hex digits."""
    wide = text.startswith('"')

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if len(e) == 1:
            return _ESCAPES[e.upper()] if e.isalpha() else e
        if len(e) == 4 and not wide:
            return chr(int(e[:2], 16)) + e[2:]
        return chr(int(e, 16))

    return _ESCAPE.sub(one, text[1:-1])


def duration_ms(text: str) -> float:
    """T#1h2m3s4ms / TIME#-5s / LTIME#1.5s -> milliseconds (negative allowed)."""
    body = text.split("#", 1)[1].replace("_", "")
    total = sum(float(n) * _TIME_MS[unit.lower()] for n, unit in _TIME_PART.findall(body))
    return -total if body.startswith("-") else total
