"""tree-sitter tree -> typed AST (`st.ast`), in one iterative walk.

The walk keeps its own stack instead of recursing, so a program nested 10,000 deep cannot
overflow Python's stack; beyond `MAX_DEPTH` tree levels it stops descending and reports
`too-deep`, so the AST it hands on stays shallow enough for the recursive checker and
interpreter. The same walk collects ERROR and MISSING nodes for `st.syntax` to describe.

Each grammar node kind has one builder below; it receives the node and its children already
built (named children as AST values, anonymous ones as their token text, e.g. `AND`, `:=`).
Under recovery a child may be absent, so builders read everything optionally; an AST part lost
that way sits in a POU whose `has_errors` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plcpilot.st import ast, literals

if TYPE_CHECKING:  # tree-sitter is the optional `st` extra; parser.py imports it on first use
    from tree_sitter import Node as TsNode

MAX_DEPTH = 120  # tree levels: the deepest file in the ST corpus (OSCAT) needs 27


@dataclass(slots=True)
class Problem:
    """Something the walk found for `st.syntax` to turn into a diagnostic."""
    kind: str  # "error" (ERROR node), "missing" (MISSING node), "too-deep", "bad-number"
    node: TsNode
    detail: str = ""


@dataclass(slots=True)
class _Frame:
    node: TsNode
    field: str | None
    problems_before: int
    skipped: bool = False  # not descended: deeper than MAX_DEPTH
    parts: list[tuple[str | None, bool, object]] = field(default_factory=list)

    def get(self, name: str) -> object:
        return next((v for f, named, v in self.parts if f == name and named), None)

    def all(self, name: str) -> list:
        return [v for f, named, v in self.parts if f == name and named]

    def named(self) -> list:
        return [v for _, named, v in self.parts if named]

    def tokens(self) -> list[str]:
        return [v for _, named, v in self.parts if not named]


class Builder:
    def __init__(self, source: bytes, line_offset: int = 0):
        self.source = source
        self.line_offset = line_offset  # lines of a wrapper put before the user's text
        self.ascii = source.isascii()
        self.problems: list[Problem] = []

    def at(self, node: TsNode) -> dict[str, int]:
        """1-based line and character column (tree-sitter counts bytes)."""
        row, col = node.start_point
        if not self.ascii and col:
            start = node.start_byte
            col = len(self.source[start - col:start].decode("utf-8", "replace"))
        return {"line": max(1, row + 1 - self.line_offset), "column": col + 1}

    def text(self, node: TsNode) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def build(self, root: TsNode) -> ast.CompilationUnit:
        cursor = root.walk()
        stack = [_Frame(root, None, 0)]
        while True:
            frame = stack[-1]
            node = frame.node
            descend = node.child_count > 0
            if node.is_error:
                self.problems.append(Problem("error", node))
                descend = False
            elif node.is_missing:
                self.problems.append(Problem("missing", node))
            elif descend and len(stack) > MAX_DEPTH:
                if not any(p.kind == "too-deep" for p in self.problems[stack[1].problems_before:]):
                    self.problems.append(Problem("too-deep", node))
                frame.skipped = True
                descend = False
            if descend and cursor.goto_first_child():
                stack.append(_Frame(cursor.node, cursor.field_name, len(self.problems)))
                continue
            while True:
                done = stack.pop()
                value = self._finish(done)
                if not stack:  # an input recovery could not read at all has an ERROR root
                    return value if value is not None else ast.CompilationUnit(line=1, column=1)
                if value is not None:
                    stack[-1].parts.append((done.field, done.node.is_named, value))
                if cursor.goto_next_sibling():
                    stack.append(_Frame(cursor.node, cursor.field_name, len(self.problems)))
                    break
                cursor.goto_parent()

    def _finish(self, frame: _Frame) -> object:
        node = frame.node
        if node.is_error or frame.skipped:
            return None
        if not node.is_named:
            return node.type
        make = _BUILDERS.get(node.type)
        return make(self, frame) if make else None

    def failed(self, frame: _Frame) -> bool:
        return frame.node.has_error or len(self.problems) > frame.problems_before

    # ---- literals and names ----

    def identifier(self, f: _Frame) -> ast.Name:
        return ast.Name(**self.at(f.node), name=self.text(f.node))

    def literal(self, f: _Frame) -> ast.Literal:
        text = self.text(f.node)
        try:
            kind, value = _LITERALS[f.node.type](text)
        except literals.LiteralError as e:
            self.problems.append(Problem("bad-number", f.node, str(e)))
            kind, value = "integer", None
        return ast.Literal(**self.at(f.node), kind=kind, value=value, text=text)

    def typed_literal(self, f: _Frame) -> ast.Literal | None:
        inner = f.get("value")
        if not isinstance(inner, ast.Literal):
            return None
        type_name = f.get("type")
        inner.type_name = type_name.name.upper() if isinstance(type_name, ast.Name) else None
        inner.text = self.text(f.node)
        inner.line, inner.column = self.at(f.node).values()
        return inner

    def keyword_name(self, f: _Frame) -> ast.Name:
        return ast.Name(**self.at(f.node), name=f.tokens()[0] if f.tokens() else "")

    # ---- expressions ----

    def first_named(self, f: _Frame) -> object:
        return next(iter(f.named()), None)

    def call(self, f: _Frame) -> ast.Call:
        return ast.Call(**self.at(f.node), function=f.get("function"),
                        args=f.get("arguments") or [])

    def argument_list(self, f: _Frame) -> list[ast.Arg]:
        return [a if isinstance(a, ast.Arg) else
                ast.Arg(line=a.line, column=a.column, name=None, value=a) for a in f.named()]

    def named_argument(self, f: _Frame) -> ast.Arg:
        name = f.get("name")
        return ast.Arg(**self.at(f.node), name=name.name if name else None, value=f.get("value"),
                       output="=>" in f.tokens())

    def index(self, f: _Frame) -> ast.Index:
        return ast.Index(**self.at(f.node), object=f.get("object"), indexes=f.all("index"))

    def member(self, f: _Frame) -> ast.Member:
        member = f.get("member")
        return ast.Member(**self.at(f.node), object=f.get("object"),
                          member=member.name if member else "")

    def deref(self, f: _Frame) -> ast.Deref:
        return ast.Deref(**self.at(f.node), pointer=f.get("pointer"))

    def address_of(self, f: _Frame) -> ast.AddressOf:
        return ast.AddressOf(**self.at(f.node), operand=f.get("operand"))

    def unary(self, f: _Frame) -> ast.Unary:
        return ast.Unary(**self.at(f.node), op=f.tokens()[0].upper(), operand=f.get("operand"))

    def binary(self, f: _Frame) -> ast.Binary:
        op = next((v for n, named, v in f.parts if n == "operator"), "")
        return ast.Binary(**self.at(f.node), op=op.upper(), left=f.get("left"),
                          right=f.get("right"))

    def subrange(self, f: _Frame) -> ast.Range:
        return ast.Range(**self.at(f.node), lower=f.get("lower"), upper=f.get("upper"))

    # ---- types ----

    def named_type(self, f: _Frame) -> ast.NamedType:
        return ast.NamedType(**self.at(f.node), name=f.tokens()[0] if f.tokens() else "")

    def string_type(self, f: _Frame) -> ast.StringType:
        return ast.StringType(**self.at(f.node), wide="WSTRING" in f.tokens(),
                              length=f.get("length"))

    def array_type(self, f: _Frame) -> ast.ArrayType:
        return ast.ArrayType(**self.at(f.node), ranges=f.all("range"),
                             element=_type(f.get("element_type")))

    def pointer_type(self, f: _Frame) -> ast.PointerType:
        return ast.PointerType(**self.at(f.node), target=_type(f.get("target")),
                               reference="REF_TO" in f.tokens())

    def subrange_type(self, f: _Frame) -> ast.SubrangeType:
        base = next((v for v in f.named() if isinstance(v, ast.NamedType)), None)
        return ast.SubrangeType(**self.at(f.node), base=base.name if base else "",
                                lower=f.get("lower"), upper=f.get("upper"))

    def enumerated_type(self, f: _Frame) -> ast.EnumType:
        return ast.EnumType(**self.at(f.node), values=f.named())

    def enumerator(self, f: _Frame) -> ast.Enumerator:
        return ast.Enumerator(**self.at(f.node), name=_name(f.get("name")), value=f.get("value"))

    def structure_type(self, f: _Frame) -> ast.StructType:
        return ast.StructType(**self.at(f.node),
                              fields=[v for v in f.named() if isinstance(v, ast.StructField)])

    def structure_field(self, f: _Frame) -> ast.StructField:
        return ast.StructField(**self.at(f.node), name=_name(f.get("name")),
                               type=_type(f.get("type")), default=f.get("default"))

    def array_repetition(self, f: _Frame) -> ast.Repeated:
        values = [v for n, named, v in f.parts if named and n != "count"]
        return ast.Repeated(**self.at(f.node), count=f.get("count"), values=values)

    def structure_initializer(self, f: _Frame) -> ast.StructInit:
        return ast.StructInit(**self.at(f.node), fields=f.named())

    def structure_initializer_field(self, f: _Frame) -> ast.Arg:
        return ast.Arg(**self.at(f.node), name=_name(f.get("name")), value=f.get("value"))

    # ---- declarations ----

    def var_section(self, f: _Frame) -> ast.VarSection:
        qualifiers = next((v for v in f.named() if isinstance(v, list)), [])
        return ast.VarSection(**self.at(f.node), kind=f.tokens()[0] if f.tokens() else "",
                              qualifiers=qualifiers,
                              decls=[v for v in f.named() if isinstance(v, ast.VarDecl)])

    def qualifiers(self, f: _Frame) -> list[str]:
        return f.named()

    def token(self, f: _Frame) -> str:
        return f.tokens()[0] if f.tokens() else ""

    def variable_declaration(self, f: _Frame) -> ast.VarDecl:
        init_parts = [(named, v) for n, named, v in f.parts if n == "initial_value"]
        if init_parts and not init_parts[0][0]:  # `[`: the hidden array initializer
            items = [v for named, v in init_parts if named]
            init = ast.ArrayInit(**self.at(f.node), items=items)
        else:
            init = init_parts[0][1] if init_parts else None
        return ast.VarDecl(**self.at(f.node), names=[n.name for n in f.all("names")],
                           type=_type(f.get("type")), init=init, address=f.get("address"))

    def direct_address(self, f: _Frame) -> str:
        return self.text(f.node)

    def access_declaration(self, f: _Frame) -> ast.VarDecl:
        path = f.get("path")
        return ast.VarDecl(**self.at(f.node), names=[_name(f.get("name"))],
                           type=_type(f.get("type")), address=path.name if path else None)

    def instance_specific_init(self, f: _Frame) -> ast.VarDecl:
        path = f.get("path")
        return ast.VarDecl(**self.at(f.node), names=[path.name if path else ""],
                           type=_type(f.get("type")), init=f.get("value"))

    def type_declaration(self, f: _Frame) -> list[ast.TypeDecl]:
        return [v for v in f.named() if isinstance(v, ast.TypeDecl)]

    def type_definition(self, f: _Frame) -> ast.TypeDecl:
        return ast.TypeDecl(**self.at(f.node), name=_name(f.get("name")),
                            definition=_type(f.get("definition")), default=f.get("default"))

    # ---- statements ----

    def assignment(self, f: _Frame) -> ast.Assign:
        return ast.Assign(**self.at(f.node), target=f.get("left"), value=f.get("right"),
                          reference=f.node.type == "reference_assignment_statement")

    def invocation(self, f: _Frame) -> ast.CallStatement:
        return ast.CallStatement(**self.at(f.node), call=self.first_named(f))

    def if_statement(self, f: _Frame) -> ast.If:
        first = ast.Branch(**self.at(f.node), condition=f.get("condition"),
                           body=f.all("consequence"))
        branches = [first] + [v for v in f.named() if isinstance(v, ast.Branch)]
        return ast.If(**self.at(f.node), branches=branches, else_body=_else(f))

    def elsif_clause(self, f: _Frame) -> ast.Branch:
        return ast.Branch(**self.at(f.node), condition=f.get("condition"), body=f.all("body"))

    def else_clause(self, f: _Frame) -> _Else:
        return _Else(f.all("body"))

    def case_statement(self, f: _Frame) -> ast.Case:
        return ast.Case(**self.at(f.node), subject=f.get("subject"),
                        clauses=[v for v in f.named() if isinstance(v, ast.CaseClause)],
                        else_body=_else(f))

    def case_clause(self, f: _Frame) -> ast.CaseClause:
        values = [v for n, named, v in f.parts if named and n is None]
        return ast.CaseClause(**self.at(f.node), values=values, body=f.all("body"))

    def for_statement(self, f: _Frame) -> ast.For:
        return ast.For(**self.at(f.node), control=_name(f.get("control")), start=f.get("start"),
                       end=f.get("end"), step=f.get("step"), body=f.all("body"))

    def while_statement(self, f: _Frame) -> ast.While:
        return ast.While(**self.at(f.node), condition=f.get("condition"), body=f.all("body"))

    def repeat_statement(self, f: _Frame) -> ast.Repeat:
        return ast.Repeat(**self.at(f.node), body=f.all("body"), condition=f.get("condition"))

    def exit_statement(self, f: _Frame) -> ast.Exit:
        return ast.Exit(**self.at(f.node))

    def continue_statement(self, f: _Frame) -> ast.Continue:
        return ast.Continue(**self.at(f.node))

    def return_statement(self, f: _Frame) -> ast.Return:
        return ast.Return(**self.at(f.node), value=f.get("value"))

    def pragma(self, f: _Frame) -> ast.Pragma:
        return ast.Pragma(**self.at(f.node), text=self.text(f.node))

    # ---- POUs, configuration, unit ----

    def pou(self, f: _Frame) -> ast.Pou:
        kind = next((t for t in f.tokens() if t in _POU_KINDS), f.node.type)
        members = [v for v in f.named() if isinstance(v, ast.Pou)]
        extends = f.get("extends")
        return ast.Pou(**self.at(f.node), kind=kind, name=_name(f.get("name")),
                       return_type=_type(f.get("return_type") or f.get("type")),
                       sections=[v for v in f.named() if isinstance(v, ast.VarSection)],
                       body=f.all("body"), members=members,
                       extends=extends.name if isinstance(extends, ast.Name) else None,
                       end_line=f.node.end_point[0] + 1, has_errors=self.failed(f))

    def property_accessor(self, f: _Frame) -> ast.Pou:
        kind = next((t for t in f.tokens() if t in ("GET", "SET")), "GET")
        return ast.Pou(**self.at(f.node), kind=kind, name=kind,
                       sections=[v for v in f.named() if isinstance(v, ast.VarSection)],
                       body=f.all("body"), end_line=f.node.end_point[0] + 1,
                       has_errors=self.failed(f))

    def configuration(self, f: _Frame) -> ast.Configuration:
        return ast.Configuration(
            **self.at(f.node), name=_name(f.get("name")),
            sections=[v for v in f.named() if isinstance(v, ast.VarSection)],
            resources=[v for v in f.named() if isinstance(v, ast.Resource)],
            has_errors=self.failed(f))

    def resource(self, f: _Frame) -> ast.Resource:
        return ast.Resource(
            **self.at(f.node), name=_name(f.get("name")), cpu=_name(f.get("cpu_type")),
            sections=[v for v in f.named() if isinstance(v, ast.VarSection)],
            tasks=[v for v in f.named() if isinstance(v, ast.Task)],
            programs=[v for v in f.named() if isinstance(v, ast.ProgramInstance)])

    def task(self, f: _Frame) -> ast.Task:
        return ast.Task(**self.at(f.node), name=_name(f.get("name")),
                        params=[v for v in f.named() if isinstance(v, ast.Arg)])

    def task_parameter(self, f: _Frame) -> ast.Arg:
        return ast.Arg(**self.at(f.node), name=_name(f.get("name")), value=f.get("value"))

    def program_assignment(self, f: _Frame) -> ast.ProgramInstance:
        task = f.get("task")
        return ast.ProgramInstance(
            **self.at(f.node), name=_name(f.get("name")), task=task.name if task else None,
            type_name=_name(f.get("program_type")),
            args=next((v for v in f.named() if isinstance(v, list)), []))

    def container(self, f: _Frame) -> list:
        """source_file and namespace_declaration: their items, flattened."""
        items: list = []
        for v in f.named():
            if f.node.type == "namespace_declaration" and v is f.get("name"):
                continue
            items.extend(v if isinstance(v, list) else [v])
        return items

    def unit(self, f: _Frame) -> ast.CompilationUnit:
        unit = ast.CompilationUnit(**self.at(f.node))
        for item in self.container(f):
            match item:
                case ast.Pou():
                    unit.pous.append(item)
                case ast.TypeDecl():
                    unit.types.append(item)
                case ast.Configuration():
                    unit.configurations.append(item)
                case ast.VarSection():
                    unit.globals.append(item)
                case ast.Pragma():
                    unit.pragmas.append(item)
        return unit


_POU_KINDS = ("PROGRAM", "FUNCTION", "FUNCTION_BLOCK", "METHOD", "PROPERTY", "INTERFACE")


def _name(value: object) -> str:
    return value.name if isinstance(value, ast.Name) else ""


def _type(value: object) -> ast.TypeSpec | None:
    """A type position holding a bare (or dotted) name is a user-defined type."""
    if isinstance(value, ast.Name):
        return ast.NamedType(line=value.line, column=value.column, name=value.name)
    return value


@dataclass(slots=True)
class _Else:
    """An ELSE clause on its way into its IF or CASE."""
    body: list


def _else(f: _Frame) -> list | None:
    return next((v.body for v in f.named() if isinstance(v, _Else)), None)


_LITERALS: dict[str, Callable[[str], tuple[str, object]]] = {
    "integer_literal": lambda t: ("integer", literals.integer(t)),
    "real_literal": lambda t: ("real", literals.real(t)),
    "boolean_literal": lambda t: ("bool", t.upper() == "TRUE"),
    "string_literal": lambda t: ("wstring" if t.startswith('"') else "string",
                                 literals.string(t)),
    "time_literal": lambda t: ("time", literals.duration_ms(t)),
    "date_literal": lambda t: ("date", t.split("#", 1)[1]),
    "time_of_day_literal": lambda t: ("tod", t.split("#", 1)[1]),
    "date_and_time_literal": lambda t: ("dt", t.split("#", 1)[1]),
}

_BUILDERS: dict[str, Callable[[Builder, _Frame], object]] = {
    **dict.fromkeys(_LITERALS, Builder.literal),
    "typed_literal": Builder.typed_literal,
    "identifier": Builder.identifier,
    "qualified_identifier": lambda b, f: ast.Name(**b.at(f.node), name=b.text(f.node)),
    "this_expression": Builder.keyword_name,
    "super_expression": Builder.keyword_name,
    "parenthesized_expression": Builder.first_named,
    "call_expression": Builder.call,
    "argument_list": Builder.argument_list,
    "named_argument": Builder.named_argument,
    "index_expression": Builder.index,
    "member_access_expression": Builder.member,
    "dereference_expression": Builder.deref,
    "address_of_expression": Builder.address_of,
    "unary_expression": Builder.unary,
    "binary_expression": Builder.binary,
    "subrange": Builder.subrange,
    "case_value": Builder.first_named,
    "elementary_type": Builder.named_type,
    "generic_type": Builder.named_type,
    "string_type": Builder.string_type,
    "array_type": Builder.array_type,
    "pointer_type": Builder.pointer_type,
    "reference_type": Builder.pointer_type,
    "subrange_type": Builder.subrange_type,
    "enumerated_type_inline": Builder.enumerated_type,
    "enumerator": Builder.enumerator,
    "structure_type_inline": Builder.structure_type,
    "structure_field": Builder.structure_field,
    "array_repetition": Builder.array_repetition,
    "structure_initializer": Builder.structure_initializer,
    "structure_initializer_field": Builder.structure_initializer_field,
    **dict.fromkeys(("var_block", "var_input", "var_output", "var_in_out", "var_temp",
                     "var_global", "var_external", "var_access", "var_config"),
                    Builder.var_section),
    "var_qualifier_list": Builder.qualifiers,
    "var_qualifier": Builder.token,
    "variable_declaration": Builder.variable_declaration,
    "direct_address": Builder.direct_address,
    "access_declaration": Builder.access_declaration,
    "instance_specific_init": Builder.instance_specific_init,
    "global_var_declaration_block": Builder.first_named,
    "type_declaration": Builder.type_declaration,
    "type_definition": Builder.type_definition,
    "assignment_statement": Builder.assignment,
    "reference_assignment_statement": Builder.assignment,
    "invocation_statement": Builder.invocation,
    "if_statement": Builder.if_statement,
    "elsif_clause": Builder.elsif_clause,
    "else_clause": Builder.else_clause,
    "case_statement": Builder.case_statement,
    "case_clause": Builder.case_clause,
    "for_statement": Builder.for_statement,
    "while_statement": Builder.while_statement,
    "repeat_statement": Builder.repeat_statement,
    "exit_statement": Builder.exit_statement,
    "continue_statement": Builder.continue_statement,
    "return_statement": Builder.return_statement,
    "pragma": Builder.pragma,
    **dict.fromkeys(("program_declaration", "function_declaration",
                     "function_block_declaration", "method_declaration", "method_signature",
                     "property_declaration", "property_signature", "interface_declaration"),
                    Builder.pou),
    "property_accessor": Builder.property_accessor,
    "configuration_declaration": Builder.configuration,
    "resource_declaration": Builder.resource,
    "task_declaration": Builder.task,
    "task_parameter": Builder.task_parameter,
    "program_assignment": Builder.program_assignment,
    "namespace_declaration": Builder.container,
    "source_file": Builder.unit,
}
