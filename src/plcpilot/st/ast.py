"""The typed ST syntax tree: small dataclasses, every node with a 1-based line and column.

Built from the tree-sitter tree by `st.build`; later stages (checker, interpreter, conversion)
read only these classes, never the tree-sitter nodes, so the grammar can change under them.
Literal values are decoded (16#FF -> 255, T#1m -> 60000.0 ms); integers stay Python ints of any
size, so an out-of-range constant is the checker's finding, not a parse crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, kw_only=True)
class Node:
    line: int
    column: int


# ---- expressions -------------------------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class Literal(Node):
    """kind: integer, real, bool, string, wstring, time, date, tod, dt. `value` is the decoded
    value (int, float, bool, str; time in milliseconds; dates as written), None for a number
    with no value (a `bad-number` diagnostic says why); `type_name` is the prefix of a typed
    literal (INT#3)."""
    kind: str
    value: object
    text: str
    type_name: str | None = None


@dataclass(slots=True, kw_only=True)
class Name(Node):
    name: str  # as written; dotted for a qualified name (a namespace path)


@dataclass(slots=True, kw_only=True)
class Member(Node):
    object: Expr
    member: str


@dataclass(slots=True, kw_only=True)
class Index(Node):
    object: Expr
    indexes: list[Expr]


@dataclass(slots=True, kw_only=True)
class Deref(Node):
    pointer: Expr


@dataclass(slots=True, kw_only=True)
class AddressOf(Node):
    operand: Expr


@dataclass(slots=True, kw_only=True)
class Unary(Node):
    op: str  # "-", "+", "NOT"
    operand: Expr


@dataclass(slots=True, kw_only=True)
class Binary(Node):
    op: str  # OR XOR AND & = <> < > <= >= + - * / MOD **, upper-case
    left: Expr
    right: Expr


@dataclass(slots=True, kw_only=True)
class Arg(Node):
    name: str | None  # None for a positional argument
    value: Expr
    output: bool = False  # `name => variable`


@dataclass(slots=True, kw_only=True)
class Call(Node):
    function: Expr
    args: list[Arg]


Expr = Literal | Name | Member | Index | Deref | AddressOf | Unary | Binary | Call


@dataclass(slots=True, kw_only=True)
class Range(Node):
    lower: Expr
    upper: Expr


# ---- types and initial values ------------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class NamedType(Node):
    name: str  # elementary (INT, TIME …), generic (ANY_NUM) or user-defined


@dataclass(slots=True, kw_only=True)
class StringType(Node):
    wide: bool
    length: Expr | None


@dataclass(slots=True, kw_only=True)
class ArrayType(Node):
    ranges: list[Range]
    element: TypeSpec


@dataclass(slots=True, kw_only=True)
class PointerType(Node):
    target: TypeSpec
    reference: bool  # REF_TO rather than POINTER TO


@dataclass(slots=True, kw_only=True)
class SubrangeType(Node):
    base: str
    lower: Expr
    upper: Expr


@dataclass(slots=True, kw_only=True)
class Enumerator(Node):
    name: str
    value: Expr | None


@dataclass(slots=True, kw_only=True)
class EnumType(Node):
    values: list[Enumerator]


@dataclass(slots=True, kw_only=True)
class StructField(Node):
    name: str
    type: TypeSpec
    default: Expr | None


@dataclass(slots=True, kw_only=True)
class StructType(Node):
    fields: list[StructField]


TypeSpec = NamedType | StringType | ArrayType | PointerType | SubrangeType | EnumType | StructType


@dataclass(slots=True, kw_only=True)
class Repeated(Node):
    """`2(3)` inside an array initializer: `values` repeated `count` times."""
    count: Expr
    values: list[Expr]


@dataclass(slots=True, kw_only=True)
class ArrayInit(Node):
    items: list[Expr | Repeated]


@dataclass(slots=True, kw_only=True)
class StructInit(Node):
    fields: list[Arg]


Initializer = Expr | ArrayInit | StructInit


# ---- declarations -------------------------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class VarDecl(Node):
    names: list[str]
    type: TypeSpec | None  # None only where recovery lost it
    init: Initializer | None = None
    address: str | None = None  # `AT %IX0.1`, or the access path of VAR_ACCESS/VAR_CONFIG


@dataclass(slots=True, kw_only=True)
class VarSection(Node):
    kind: str  # VAR, VAR_INPUT, VAR_OUTPUT, VAR_IN_OUT, VAR_TEMP, VAR_GLOBAL, VAR_EXTERNAL …
    qualifiers: list[str]  # CONSTANT, RETAIN, NON_RETAIN
    decls: list[VarDecl]


@dataclass(slots=True, kw_only=True)
class TypeDecl(Node):
    name: str
    definition: TypeSpec | None
    default: Expr | None = None


# ---- statements ---------------------------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class Assign(Node):
    target: Expr
    value: Expr
    reference: bool = False  # `REF=`


@dataclass(slots=True, kw_only=True)
class CallStatement(Node):
    call: Call


@dataclass(slots=True, kw_only=True)
class Branch(Node):
    condition: Expr
    body: list[Statement]


@dataclass(slots=True, kw_only=True)
class If(Node):
    branches: list[Branch]  # IF, then each ELSIF
    else_body: list[Statement] | None


@dataclass(slots=True, kw_only=True)
class CaseClause(Node):
    values: list[Expr | Range]
    body: list[Statement]


@dataclass(slots=True, kw_only=True)
class Case(Node):
    subject: Expr
    clauses: list[CaseClause]
    else_body: list[Statement] | None


@dataclass(slots=True, kw_only=True)
class For(Node):
    control: str
    start: Expr
    end: Expr
    step: Expr | None
    body: list[Statement]


@dataclass(slots=True, kw_only=True)
class While(Node):
    condition: Expr
    body: list[Statement]


@dataclass(slots=True, kw_only=True)
class Repeat(Node):
    body: list[Statement]
    condition: Expr


@dataclass(slots=True, kw_only=True)
class Exit(Node):
    pass


@dataclass(slots=True, kw_only=True)
class Continue(Node):
    pass


@dataclass(slots=True, kw_only=True)
class Return(Node):
    value: Expr | None = None


@dataclass(slots=True, kw_only=True)
class Pragma(Node):
    text: str  # with its braces


Statement = (Assign | CallStatement | If | Case | For | While | Repeat | Exit | Continue | Return
             | Pragma)


# ---- program organisation units -----------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class Pou(Node):
    """PROGRAM, FUNCTION, FUNCTION_BLOCK; inside a function block METHOD, PROPERTY (its GET/SET
    accessors are members) and INTERFACE (method signatures as members)."""
    kind: str
    name: str
    return_type: TypeSpec | None = None  # FUNCTION, METHOD; a PROPERTY's type
    sections: list[VarSection] = field(default_factory=list)
    body: list[Statement] = field(default_factory=list)
    members: list[Pou] = field(default_factory=list)
    extends: str | None = None
    end_line: int = 0
    has_errors: bool = False  # a syntax diagnostic lies inside it; the rest is best effort


@dataclass(slots=True, kw_only=True)
class Task(Node):
    name: str
    params: list[Arg]


@dataclass(slots=True, kw_only=True)
class ProgramInstance(Node):
    name: str
    task: str | None
    type_name: str
    args: list[Arg]


@dataclass(slots=True, kw_only=True)
class Resource(Node):
    name: str
    cpu: str
    sections: list[VarSection]
    tasks: list[Task]
    programs: list[ProgramInstance]


@dataclass(slots=True, kw_only=True)
class Configuration(Node):
    name: str
    sections: list[VarSection]
    resources: list[Resource]
    has_errors: bool = False


@dataclass(slots=True, kw_only=True)
class CompilationUnit(Node):
    """One source text. Namespaces are flattened: their POUs and types land here."""
    pous: list[Pou] = field(default_factory=list)
    types: list[TypeDecl] = field(default_factory=list)
    configurations: list[Configuration] = field(default_factory=list)
    globals: list[VarSection] = field(default_factory=list)
    pragmas: list[Pragma] = field(default_factory=list)
