"""The ST parser's and checker's diagnostic codes, defined once (see plcpilot.diagnostics).

The parser's codes come first; the checker's follow (`CHECK_CODES`), each one of its rules,
which the checker's semantic tier counts. `LEXICAL_CODES` spoil lines for the lexical tier.
"""

from __future__ import annotations

from plcpilot.diagnostics import Code, code_table

_SYNTAX = [
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
]
_SYNTAX.append(Code(
    "unreadable", "error", "Not program text",
    "The text cannot be read as a program at all: it holds NUL bytes, is not UTF-8, or is over "
    "the size limit (5 MB).", "Give the ST source as text, and split a huge file."))
LEXICAL_CODES = frozenset(("unterminated-comment", "unterminated-string", "bad-number",
                           "unreadable"))

_CHECKER = [
    Code("no-code", "error", "No POU, type or variable declaration",
         "The text holds no PROGRAM, FUNCTION_BLOCK, FUNCTION, TYPE or VAR_GLOBAL, so there is "
         "nothing a PLC could load.", "Write the program inside PROGRAM name … END_PROGRAM."),
    Code("not-constant", "error", "An initial value that reads a variable",
         "A variable's initial value is fixed before the program first runs, so it is a "
         "constant expression: literals, CONSTANT variables and enumeration values; another "
         "variable has no value yet at that point.",
         "Use a literal or a VAR CONSTANT, or assign the value in the first scan."),
    Code("duplicate-declaration", "error", "A name declared twice in one POU",
         "Every variable of a POU has one declaration across all its VAR sections (IEC names "
         "ignore case): a second one, even in another section, leaves it unclear which is "
         "meant. A VAR_INPUT that is also an output is declared once, as VAR_IN_OUT.",
         "Delete or rename one of the two, or use VAR_IN_OUT for a value read and written."),
    Code("undeclared", "error", "A name that is not declared",
         "Every variable must be declared in the POU's VAR sections, as a global "
         "(VAR_GLOBAL / VAR_EXTERNAL), or be an enumeration value; a structure or function "
         "block has only the members its declaration lists.",
         "Declare the variable (name : TYPE;) or fix the spelling."),
    Code("unknown-type", "error", "A type that is not defined",
         "The declared type is neither elementary (BOOL, INT, REAL, TIME, STRING …), a standard "
         "function block (TON, CTU …), nor a TYPE or FUNCTION_BLOCK of the program.",
         "Fix the spelling or add the TYPE … END_TYPE / FUNCTION_BLOCK declaration."),
    Code("unused-variable", "warning", "A variable that is never used",
         "A local variable (VAR, VAR_TEMP, VAR_EXTERNAL) that no statement or initial value "
         "reads or writes. Interface variables (VAR_INPUT, VAR_OUTPUT, VAR_IN_OUT) and located "
         "variables (AT %I…) are not reported: they are used from outside.",
         "Remove the declaration, or use the variable where it was meant to be."),
    Code("type-mismatch", "error", "Types that do not fit together",
         "An assignment, operator, condition or call argument combines types IEC does not "
         "convert implicitly: BOOL with integers, REAL into an integer, TIME with numbers, "
         "STRING with anything else, different enumerations or structures.",
         "Convert explicitly (REAL_TO_INT, BOOL_TO_INT, INT_TO_TIME …) or fix the variable."),
    Code("narrowing", "warning", "An implicit conversion that may lose data",
         "An integer is stored into a narrower integer (DINT into INT) or LREAL into REAL; "
         "CODESYS accepts it silently, but values outside the target's range wrap.",
         "Convert explicitly (DINT_TO_INT) where the value is known to fit, or widen the target."),
    Code("literal-range", "error", "A constant outside its type's range",
         "An integer literal in an initial value, assignment or argument does not fit the "
         "type it is stored in (300 into SINT, -1 into UINT).",
         "Use a value within the type's range, or a wider type."),
    Code("write-input", "warning", "A VAR_INPUT written inside its POU",
         "Writing an input overwrites the caller's value for the rest of the call; CODESYS "
         "warns about it. It is legal, but usually a local copy was meant.",
         "Copy the input to a local variable and change the copy."),
    Code("write-constant", "error", "A CONSTANT written",
         "Variables of a VAR CONSTANT section keep their initial value; writing one is rejected "
         "by every IEC compiler.",
         "Declare the variable outside VAR CONSTANT, or do not write it."),
    Code("fb-without-instance", "error", "A function block called without an instance",
         "A function block keeps state between calls, so it is called through an instance "
         "variable, never by its type name (TON(…) is not valid; t(…) with t : TON is).",
         "Declare an instance (t : TON;) in VAR and call t(IN := …, PT := …)."),
    Code("no-result", "warning", "A FUNCTION that never assigns its result",
         "Nothing in the body assigns the function's name, so every call returns the result "
         "type's default (0, FALSE, ''). Compilers accept it; it is almost always a mistake.",
         "Assign the result: FunctionName := expression;"),
    Code("unreachable", "warning", "Statements that never run",
         "Statements after RETURN, EXIT or CONTINUE in the same statement list cannot run.",
         "Remove them, or put the RETURN/EXIT inside the IF that was meant to guard it."),
    Code("case-selector", "error", "CASE on a value that is not an integer or enumeration",
         "IEC CASE selects on ANY_INT or an enumeration; BOOL, REAL, TIME and STRING selectors "
         "are rejected.", "Use IF … ELSIF, or convert the selector to an integer."),
    Code("case-label", "error", "A CASE label that cannot match",
         "The label's type differs from the selector's (a string label on an INT, a value of "
         "another enumeration), or the value lies outside the selector type's range.",
         "Use labels of the selector's type and range."),
    Code("case-duplicate", "warning", "A CASE label given twice",
         "The value already appears in an earlier label of the same CASE; only the first "
         "clause can run for it.", "Remove the repeated value or correct it."),
    Code("unknown-call", "error", "A call to something that is not a function or FB instance",
         "The name is neither a FUNCTION of the program, a standard function (ADD, SEL, "
         "INT_TO_REAL …) nor a variable holding a function block instance.",
         "Fix the spelling, declare the FUNCTION, or call an FB instance variable."),
    Code("bad-parameter", "error", "A named argument the callee does not have",
         "Named arguments (name := value, name => variable) must name an input or an output of "
         "the function or function block called.",
         "Use one of the callee's parameter names (TON: IN, PT => Q, ET)."),
    Code("argument-count", "error", "Wrong number of positional arguments",
         "A positional call gives a FUNCTION one value per input, in declaration order; more "
         "arguments than inputs are an error for every callee.",
         "Pass one argument per input, or name them (f(a := 1, b := 2))."),
]
CHECK_CODES = tuple(c.code for c in _CHECKER)
CODES = code_table(_SYNTAX + _CHECKER)
