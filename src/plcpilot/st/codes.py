"""The ST parser's diagnostic codes, defined once (see plcpilot.diagnostics)."""

from __future__ import annotations

from plcpilot.diagnostics import Code, code_table

CODES = code_table([
    Code("syntax", "error", "Text the ST grammar cannot read",
         "The parser met text that fits no Structured Text construct at this place; it skipped "
         "it and went on, so later findings may be knock-on effects.",
         "Check the quoted text against the statement or declaration it should belong to."),
    Code("missing-token", "error", "A keyword or punctuation mark is missing",
         "The parser could only continue by assuming a token that is not there, such as the "
         "`;` that ends every statement and declaration, or an END_IF.",
         "Insert the named token at the position given."),
    Code("unterminated-comment", "error", "A (* comment is never closed",
         "Everything after `(*` up to the end of the file is comment, so the code after it is "
         "lost.", "Close the comment with `*)`."),
    Code("unterminated-string", "error", "A string literal is not closed on its line",
         "ST strings end on the line they start, with the quote they started with.",
         "Add the closing quote, or write a quote inside a string as $' (or $\" in WSTRING)."),
    Code("too-deep", "error", "Nesting too deep",
         "Expressions or statements nest deeper than the parser follows; no real PLC program "
         "does, and later stages could not walk it safely.",
         "Split the expression with intermediate variables, or flatten the IF/CASE chain."),
    Code("bad-number", "error", "A number with no value",
         "A based literal holds a digit its base does not have (2#102, 8#9), or a decimal "
         "literal has thousands of digits, far beyond any IEC integer type.",
         "Write the digits the base allows, or a value within the variable's type."),
])
