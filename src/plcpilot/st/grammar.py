"""A Lark grammar for IEC 61131-3 Structured Text, for grammar-constrained decoding.

The decoder reads it with llguidance (in-process models: a maximal-munch lexer over the terminals
the parser allows, then Earley) and Python's Lark reads the same text in tests and for the GBNF
conversion (plcpilot.llm.gbnf), so it keeps to what both understand:

- keywords are case-insensitive (`"IF"i`), as IEC and the tree-sitter parser allow; the GBNF
  conversion drops case flags, so a GBNF server gets keywords and literal prefixes in the case
  written here (upper; time units lower): a smaller language, still sound;
- no lookahead: identifiers exclude the keywords by a regex spelled out from the keyword list
  (`ident_regex`), so `IF := 1;` is not an assignment and `END_IF` is never a variable;
- whitespace and comments `(* *)` / `//` go through `%ignore`, which llguidance and Lark apply
  between terminals and the GBNF conversion allows after each one. GBNF has no lexer, so there
  a keyword may touch the name after it (`IFx THEN` read as `IF x THEN`), which the parser
  would read differently: the llguidance path is exact, the GBNF path nearly so.

It covers what generated programs need: TYPE (STRUCT, enums, arrays, subranges), PROGRAM /
FUNCTION_BLOCK / FUNCTION with VAR sections, IEC literals and operator precedence, and the
statements of IEC 61131-3 2nd edition (and CONTINUE); located variables (`x AT %IX0.0 : BOOL`).
Left out, so the parser's leniency is not invited: vendor and 3rd-edition syntax (METHOD,
REF_TO, POINTER, NAMESPACE, pragmas `{}`), CONFIGURATION/RESOURCE, nested comments, `name.0` bit
access. Programs it accepts parse without diagnostics (tests hold it to that on hand-written and
randomly generated programs).
"""

from __future__ import annotations

# The grammar's keywords (BOOL literals and operators written as words among them); none names
# a variable. Elementary type names (INT, TIME …) are not keywords: the parser reads them as
# identifiers, and the grammar writes a type as a name.
KEYWORDS = (
    "PROGRAM", "END_PROGRAM", "FUNCTION", "END_FUNCTION", "FUNCTION_BLOCK", "END_FUNCTION_BLOCK",
    "TYPE", "END_TYPE", "STRUCT", "END_STRUCT", "ARRAY", "OF", "STRING", "WSTRING",
    "VAR", "VAR_INPUT", "VAR_OUTPUT", "VAR_IN_OUT", "VAR_TEMP", "VAR_GLOBAL", "VAR_EXTERNAL",
    "END_VAR", "CONSTANT", "RETAIN", "NON_RETAIN", "AT",
    "IF", "THEN", "ELSIF", "ELSE", "END_IF", "CASE", "END_CASE", "FOR", "TO", "BY", "DO",
    "END_FOR", "WHILE", "END_WHILE", "REPEAT", "UNTIL", "END_REPEAT", "EXIT", "CONTINUE",
    "RETURN", "NOT", "AND", "OR", "XOR", "MOD", "TRUE", "FALSE",
)
# Words the grammar never writes that the parser will not read as a name somewhere (found by
# trying every keyword of its grammar as a variable, a call, a type and a member name)
RESERVED = (
    "END_METHOD", "END_NAMESPACE", "END_INTERFACE", "END_PROPERTY", "END_CONFIGURATION",
    "END_RESOURCE", "END_GET", "END_SET", "VAR_ACCESS", "VAR_CONFIG", "POINTER", "REF_TO",
    "THIS", "SUPER", "ADR",
)
_IDENT_CHARS = "A-Za-z0-9_"


def _letter(c: str) -> str:
    return f"[{c.upper()}{c.lower()}]" if c.isalpha() else c


def _other_than(chars: set[str], first: bool) -> str:
    """A class of identifier characters outside `chars` (in either case)."""
    both = {x for c in chars for x in (c.upper(), c.lower())}
    pool = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
            + ("" if first else "0123456789") if c not in both]
    return "[" + "".join(pool) + "]"


def ident_regex(words: tuple[str, ...] = KEYWORDS + RESERVED) -> str:
    """A regex for identifiers that are none of `words` (in any case), without lookahead:
    walk the words' trie; at each node an identifier may end (if the node is no word), leave the
    trie by a character no word continues with, or go on down a branch."""
    trie: dict = {}
    for w in words:
        node = trie
        for c in w.upper():
            node = node.setdefault(c, {})
        node[""] = {}

    def below(node: dict, first: bool) -> str:
        kids = sorted(c for c in node if c)
        alts = [_other_than(set(kids), first) + f"[{_IDENT_CHARS}]*"]
        alts += [_letter(c) + below(node[c], False) for c in kids]
        if "" not in node and not first:
            alts.append("")  # last: Python's re takes the first alternative that matches
        return "(?:" + "|".join(alts) + ")"

    return below(trie, True)


def _keyword_terminals() -> str:
    return "\n".join(f'{w}: "{w}"i' for w in KEYWORDS)


_RULES = r"""
unit: _element+
_element: type_block | program | function_block | function
statements: _statement*
expression: expr

// ---- declarations ------------------------------------------------------------------
type_block: TYPE type_decl+ END_TYPE
// a TYPE or STRUCT field takes a plain value as its default (the parser reads no [..] or (..))
type_decl: IDENT ":" (struct_type | enum_type [":=" IDENT] | _spec [":=" expr]) ";"
struct_type: STRUCT field+ END_STRUCT
field: IDENT ":" (_spec | enum_type) [":=" expr] ";"
enum_type: "(" enumerator ("," enumerator)* ")"
enumerator: IDENT [":=" signed_int]

program: PROGRAM IDENT var_section* _statement* END_PROGRAM
function_block: FUNCTION_BLOCK IDENT var_section* _statement* END_FUNCTION_BLOCK
// a function returns no sized string (the parser reads no `F : STRING(10)`)
function: FUNCTION IDENT ":" _result var_section* _statement* END_FUNCTION
_result: named_type | STRING | WSTRING | subrange_type | result_array
result_array: ARRAY "[" subrange ("," subrange)* "]" OF _result

var_section: _var_kind [CONSTANT | RETAIN | NON_RETAIN] var_decl* END_VAR
_var_kind: VAR | VAR_INPUT | VAR_OUTPUT | VAR_IN_OUT | VAR_TEMP | VAR_GLOBAL | VAR_EXTERNAL
var_decl: (IDENT ("," IDENT)* | IDENT AT LOCATION) ":" (_spec | enum_type) [":=" initializer] ";"

_spec: named_type | string_type | array_type | subrange_type
named_type: IDENT
string_type: (STRING | WSTRING) ["(" INTEGER ")"]
array_type: ARRAY "[" subrange ("," subrange)* "]" OF _spec
subrange: bound ".." bound
?bound: signed_int | IDENT
subrange_type: INTEGER_TYPE "(" signed_int ".." signed_int ")"
signed_int: ["-" | "+"] (INTEGER | BASED_INT)

// initializers do not nest (the parser reads no `[(x := 1)]` nor `(p := (x := 1))`)
initializer: expr | array_init | struct_init
array_init: "[" array_item ("," array_item)* "]"
?array_item: expr | INTEGER "(" [expr ("," expr)*] ")" -> repeated
struct_init: "(" IDENT ":=" expr ("," IDENT ":=" expr)* ")"

// ---- statements --------------------------------------------------------------------
_statement: assignment | call_statement | if_stmt | case_stmt | for_stmt | while_stmt
    | repeat_stmt | exit_stmt | continue_stmt | return_stmt | empty
assignment: variable ":=" expr ";"
call_statement: call ";"
if_stmt: IF expr THEN _statement* (ELSIF expr THEN _statement*)* [ELSE _statement*] END_IF _end
case_stmt: CASE expr OF case_clause+ [ELSE _statement*] END_CASE _end
case_clause: case_label ("," case_label)* ":" _statement*
?case_label: signed_int | signed_int ".." signed_int -> case_range | IDENT
for_stmt: FOR IDENT ":=" expr TO expr [BY expr] DO _statement* END_FOR _end
while_stmt: WHILE expr DO _statement* END_WHILE _end
repeat_stmt: REPEAT _statement* UNTIL expr END_REPEAT _end
exit_stmt: EXIT ";"
continue_stmt: CONTINUE ";"
return_stmt: RETURN ";"
empty: ";"
_end: ";"?

// ---- expressions: IEC precedence, loosest first ------------------------------------
// (** binds tighter than a sign or NOT, and takes one: 2 ** -1)
?expr: xor_expr (OR xor_expr)*
?xor_expr: and_expr (XOR and_expr)*
?and_expr: eq_expr ((AND | "&") eq_expr)*
?eq_expr: cmp_expr (EQ_OP cmp_expr)*
?cmp_expr: add_expr (CMP_OP add_expr)*
?add_expr: mul_expr (ADD_OP mul_expr)*
?mul_expr: unary ((MUL_OP | MOD) unary)*
?unary: (ADD_OP | NOT) unary | power
?power: _primary ("**" unary)*
_primary: literal | variable | call | "(" expr ")"
// AND(a, b), MOD(a, b): the operators are standard functions too
call: (IDENT ("." IDENT)* | AND | OR | XOR | MOD) "(" [argument ("," argument)*] ")"
argument: IDENT ":=" expr | IDENT "=>" variable | expr
variable: IDENT ("." IDENT | "[" expr ("," expr)* "]")*
literal: INTEGER | BASED_INT | REAL | TYPED | DURATION | DATE | TIME_OF_DAY | DATE_TIME
    | STRING_LIT | WSTRING_LIT | TRUE | FALSE

EQ_OP: "=" | "<>"
CMP_OP: "<=" | ">=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/"

// ---- terminals ---------------------------------------------------------------------
// (longer alternatives first: Lark tests each with Python's re, which takes the first match)
INTEGER: /[0-9](_?[0-9])*/
BASED_INT: /2#[01](_?[01])*|8#[0-7](_?[0-7])*|16#[0-9A-Fa-f](_?[0-9A-Fa-f])*/
_FRACTION: /\.[0-9](_?[0-9])*/
_EXPONENT: /[Ee][+-]?[0-9]+/
REAL: INTEGER (_FRACTION _EXPONENT? | _EXPONENT)
_NUMBER_TYPE: /(?i:(S|D|L|US|UD|UL|U)?INT|BYTE|L?WORD|DWORD|L?REAL)#[+-]?/
TYPED: _NUMBER_TYPE (BASED_INT | INTEGER _FRACTION? _EXPONENT?) | /(?i:BOOL#(TRUE|FALSE|0|1))/
DURATION: /(?i:L?T|L?TIME)#-?([0-9]+(\.[0-9]+)?(?i:d|h|ms|m|s|us|ns))+/
_DAY: /[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/
_CLOCK: /[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?/
DATE: /(?i:D|DATE)#/ _DAY
TIME_OF_DAY: /(?i:TOD|TIME_OF_DAY)#/ _CLOCK
DATE_TIME: /(?i:DT|DATE_AND_TIME)#/ _DAY "-" _CLOCK
STRING_LIT: /'([^'$\r\n]|\$[$'"LlNnPpRrTt]|\$[0-9A-Fa-f][0-9A-Fa-f])*'/
WSTRING_LIT: /"([^"$\r\n]|\$[$'"LlNnPpRrTt]|\$[0-9A-Fa-f]{4})*"/
COMMENT: /\(\*([^*]|\*+[^*)])*\*+\)/ | /\/\/[^\r\n]*/
LOCATION: /%[IQM][XBWDL]?[0-9]+(\.[0-9]+)*/  // upper case: the parser reads no %ix0
INTEGER_TYPE: /(?i:U?[SDL]?INT|BYTE|L?WORD|DWORD)/
_LEAD: (WS | COMMENT)+
WS: /[ \t\r\n]/  // one character: GBNF repeats it, and (x+)* would be ambiguous
%ignore WS
%ignore COMMENT
"""


ENTRIES = ("unit", "statements", "expression")


def lark_grammar(entry: str = "unit") -> str:
    """The grammar text (Lark syntax; llguidance reads the same), starting at `entry`: "unit"
    (TYPEs and POUs: what a model writes), "statements" (an SFC action body) or "expression"
    (a transition condition)."""
    if entry not in ENTRIES:
        raise ValueError(f"entry {entry!r} is none of {ENTRIES}")
    # llguidance applies %ignore between terminals only, not before the first: _LEAD lets a
    # text open with a comment (or blank lines), as engineers' files do
    return (f"// IEC 61131-3 Structured Text, from plcpilot.st.grammar\nstart: _LEAD? {entry}\n"
            f"{_RULES}\n"
            f"{_keyword_terminals()}\nIDENT: /{ident_regex()}/\n")
