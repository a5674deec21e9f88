"""Prompt templates and output extraction.

Two templates, as in the FX-IL RAG benchmark: `two-part` asks for the program in a code block and
then a short explanation; `code-only` asks for the program alone (and is what a grammar-
constrained decoder is given, since the grammar admits nothing but code). Retrieved exemplars
go in as `Q: …` / `A: …` blocks. The wording is ours; the language supplies its own rules.
"""

from __future__ import annotations

import re

from plcpilot.llm.base import Message

TEMPLATES = ("two-part", "code-only")
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.S)


def system_prompt(language) -> str:
    return (f"You are an automation engineer who writes correct {language.title} programs. "
            f"Programs are written as {language.prompt_rules}")


def _answer(program: str, language, template: str) -> str:
    code = program.strip()
    if template == "code-only":
        return code
    return f"```{language.code_fence}\n{code}\n```"


def instruction(language, template: str) -> str:
    if template == "code-only":
        rule = f", {language.answer_rule}" if language.answer_rule else ""
        return f"Answer with the program only: no explanation, no code fence, no comments{rule}."
    return (f"Answer in two parts: first the complete program in a ```{language.code_fence} "
            "code block, then a short explanation of how it works.")


def build_messages(request: str, language, exemplars: list[tuple[str, str]],
                   template: str = "two-part") -> list[Message]:
    """exemplars: (prompt, reference program) pairs, most relevant first."""
    blocks = [f"Q: {q.strip()}\nA: {_answer(a, language, template)}" for q, a in exemplars]
    intro = "Examples of requests and correct programs:\n\n" if blocks else ""
    user = (intro + "\n\n".join(blocks) + ("\n\n" if blocks else "")
            + f"Q: {request.strip()}\n{instruction(language, template)}\nA:")
    return [Message("system", system_prompt(language)), Message("user", user)]


def extract_program(text: str) -> str:
    """The program in a model's answer: the first code block, else the whole text (the
    language's parser skips prose lines and reports them)."""
    m = _FENCE.search(text)
    return (m.group(1) if m else text).strip() + "\n"


# diagnostics a repair message lists: an answer that looped to the token budget can draw
# hundreds, which would not fit a small model's context (one ST run asked for 10,185 tokens
# of 4,096); the first ones are what the next round can act on
REPAIR_DIAGNOSTICS = 12


def repair_message(check_errors: list, failures: list[str]) -> Message:
    """Feedback for the next round, built from diagnostic codes and the first failing test."""
    parts = ["Your program is not correct yet."]
    if check_errors:
        parts.append("The checker reports:")
        parts += [f"- line {e.line}: {e.code}: {e.message}" + (f" (fix: {e.hint})" if e.hint
                                                                else "")
                  for e in check_errors[:REPAIR_DIAGNOSTICS]]
        if len(check_errors) > REPAIR_DIAGNOSTICS:
            parts.append(f"- … and {len(check_errors) - REPAIR_DIAGNOSTICS} more")
    if failures:
        parts.append("A behavioural test fails:")
        parts += [f"- {f}" for f in failures]
    parts.append("Write the corrected complete program.")
    return Message("user", "\n".join(parts))
