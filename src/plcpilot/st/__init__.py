"""IEC 61131-3 Structured Text: parser and typed AST (checker and interpreter to come).

Not registered as a Language yet; `plcpilot.st.parser.parse(text)` is the entry point.
"""
