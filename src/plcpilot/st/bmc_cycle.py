"""One PLC cycle of an ST POU as z3 terms, for st.bmc's bounded model checking.

The encoding follows the interpreter (st.runtypes, st.stdlib), since a counterexample must
replay there:
- BOOL is a z3 Bool; integers and TIME (ms) are 64-bit bit-vectors holding the exact value,
  narrowed on store to the declared width (wrap-around, as IntType.store); arithmetic between
  stores is 64-bit, the interpreter's unbounded (they differ only past 2**63, e.g. a product
  of three 32-bit values); `/` truncates and MOD takes the dividend's sign (bvsdiv, bvsrem);
  64-bit integer types are not encoded.
- REAL is IEEE floating point, not z3's Real: the interpreter rounds to float32 on store and
  computes in Python floats between, so a REAL variable is a Float32 and an expression a
  Float64 - bit for bit what the interpreter computes (a mathematical Real would prove
  `x + 1.0 > x`, false for x = 1e8 in float32). Float64 is slow to bit-blast, so where the
  operands are float32 values the Float32 operation stands in: a comparison of two float32
  values, and the store of a + - * / of two (rounding the double result to float32 equals
  the float32 operation, since 53 >= 2 * 24 + 2: Figueroa's double-rounding bound).
- Assignments build the next state functionally (SSA by substitution, shared as a DAG by z3);
  IF/ELSIF/CASE merge both branches' states with If; FOR loops with constant bounds unroll
  (at most MAX_UNROLL passes); RETURN and EXIT are flags that disable later assignments.
  Arrays and structs are their elements and fields, one state variable each (an element at
  a computed index is an If over the elements; outside the bounds, a run-time error).
  WHILE and REPEAT are not feasible (unbounded), nor strings, pointers, whole-array or
  whole-struct assignment, CONTINUE.
- User FUNCTIONs are inlined and user FB instances' bodies too; the standard FBs R_TRIG,
  F_TRIG, SR, RS, CTU, CTD, CTUD, TON, TOF and TP are encoded from st.stdlib's bodies. Time: the
  scan time is one free value per run (1 ms .. 1 h, the Counterexample's scan_ms), so cycle
  N starts at (N-1) * scan_ms, as check_properties runs them.
- A cycle that divides an integer by zero or indexes outside an array stops the
  interpreter's run, so a violation only counts in cycles before any such error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from plcpilot.st import ast
from plcpilot.st.compile_expr import callee
from plcpilot.st.program import Program
from plcpilot.st.runtypes import (
    ArrayType,
    BoolType,
    EnumType,
    FbType,
    IntType,
    Layout,
    RealType,
    StructType,
    TimeType,
    Type,
)
from plcpilot.st.stdlib import CTR_MAX, CTR_MIN

W = 64  # bits of integer and TIME values in expressions
MAX_UNROLL = 1_000  # passes of one FOR loop
F32, F64 = z3.Float32(), z3.Float64()
RNE = z3.RNE()
Key = tuple[str, ...]  # a variable's place: its path of upper-case names from the POU
_RET, _EXIT, ERR = ("#RET",), ("#EXIT",), ("#ERR",)
_OPERATORS = {"+": (lambda a, b: a + b, z3.fpAdd), "-": (lambda a, b: a - b, z3.fpSub),
              "*": (lambda a, b: a * b, z3.fpMul)}
_COMPARE: dict[str, tuple[Callable, Callable]] = {
    "=": (lambda a, b: a == b, z3.fpEQ), "<>": (lambda a, b: a != b, z3.fpNEQ),
    "<": (lambda a, b: a < b, z3.fpLT), ">": (lambda a, b: a > b, z3.fpGT),
    "<=": (lambda a, b: a <= b, z3.fpLEQ), ">=": (lambda a, b: a >= b, z3.fpGEQ)}


class NotFeasible(Exception):
    """A construct the encoder does not cover; the message names it and its line."""

    def __init__(self, construct: str, node: ast.Node | None):
        super().__init__(f"{construct}" + (f" (line {node.line})" if node is not None else ""))


@dataclass(frozen=True)
class Val:
    """A value in an expression: a z3 term and its kind - bool (Bool), int (64-bit vector:
    integers, TIME, enumerators) or real (Float64) - with the ST type when one is known. A
    real may carry `f32`, a Float32 term for the value rounded to float32, which is the value
    itself when `exact`."""

    term: Any
    kind: str
    type: Type | None = None
    f32: Any = None
    exact: bool = False


def _single(x32: Any, t: Type | None = None) -> Val:
    """A float32 value (a REAL variable, a literal float32 holds exactly)."""
    return Val(z3.fpToFP(RNE, x32, F64), "real", t, x32, True)


def _read(term: Any, t: Type, node: ast.Node | None) -> Val:
    """A variable's value: REAL variables are held as Float32."""
    if isinstance(t, RealType) and t.single:
        return _single(term, t)
    return Val(term, _kind(t, node), t)


def encodable(t: Type) -> bool:
    """Whether a variable of type t is a state variable (else reading it is not feasible)."""
    try:
        _kind(t, None)
    except NotFeasible:
        return False
    return True


def _kind(t: Type | None, node: ast.Node | None) -> str:
    if isinstance(t, BoolType):
        return "bool"
    if isinstance(t, IntType):
        if t.bits > 32:
            raise NotFeasible(f"the 64-bit integer type {t.text}", node)
        return "int"
    if isinstance(t, EnumType | TimeType):
        return "int"
    if isinstance(t, RealType):
        return "real"
    raise NotFeasible(f"a variable of type {t.text if t else '?'}", node)


def _const(value: Any, t: Type, node: ast.Node | None) -> Any:
    """A power-on value as the term that holds it."""
    kind = _kind(t, node)
    if kind == "bool":
        return z3.BoolVal(bool(value))
    if kind == "int":
        return z3.BitVecVal(int(value), W)
    return z3.FPVal(float(value), F32 if t.single else F64)


def _to_real(v: Val) -> Any:
    if v.kind == "real":
        return v.term
    if v.kind == "int":
        return z3.fpSignedToFP(RNE, v.term, F64)
    raise NotFeasible("a BOOL used as a number", None)


def _to_int(term: Any, mode: Any) -> Any:
    """A Float64 as an integer (rounded by `mode`), 0 when not finite, as the interpreter."""
    return z3.If(z3.Or(z3.fpIsInf(term), z3.fpIsNaN(term)), z3.BitVecVal(0, W),
                 z3.fpToSBV(mode, term, z3.BitVecSort(W)))


def _store(v: Val, t: Type, node: ast.Node | None) -> Any:
    """The term a variable of type t holds after `:=` of v (runtypes' store)."""
    kind = _kind(t, node)
    if kind == "bool":
        if v.kind != "bool":
            raise NotFeasible("a number stored in a BOOL", node)
        return v.term
    if kind == "real":
        if not t.single:
            return _to_real(v)
        if v.f32 is not None:
            return v.f32
        return z3.fpToFP(RNE, v.term, F32) if v.kind == "real" else \
            z3.fpSignedToFP(RNE, v.term, F32)
    if v.kind == "bool":
        raise NotFeasible("a BOOL stored in a number", node)
    x = _to_int(v.term, RNE) if v.kind == "real" else v.term
    if isinstance(t, IntType) and t.bits < W:
        low = z3.Extract(t.bits - 1, 0, x)
        return z3.SignExt(W - t.bits, low) if t.signed else z3.ZeroExt(W - t.bits, low)
    return x


def _as_real(v: Val) -> Val:
    """A number as a real: an integer constant float32 holds exactly (`x = -1` for a REAL
    x) as a float32, so the comparison or operation stays in Float32."""
    if v.kind == "int":
        term = z3.simplify(v.term)
        if z3.is_bv_value(term) and abs(term.as_signed_long()) <= 2**24:
            return _single(z3.FPVal(float(term.as_signed_long()), F32))
        return Val(_to_real(v), "real", v.type)
    return v


def _ite(c: Any, a: Val, b: Val) -> Val:
    if a.kind == b.kind:
        both = a.f32 is not None and b.f32 is not None
        return Val(z3.If(c, a.term, b.term), a.kind, a.type or b.type,
                   z3.If(c, a.f32, b.f32) if both else None, both and a.exact and b.exact)
    return Val(z3.If(c, _to_real(a), _to_real(b)), "real", a.type or b.type)


def _fill_layout(st: dict, prefix: Key, layout: Layout) -> None:
    for key, slot in layout.slots.items():
        if not slot.by_reference:  # VAR_IN_OUT: reading one is not feasible
            _fill(st, (*prefix, key), slot.type, slot.power_on())


def _fill(st: dict, key: Key, t: Type, value: Any) -> None:
    """A variable's power-on value in the state: a struct or FB instance field by field
    (keys `x.F`), an array element by element (keys `a.[n]`, n the row-major offset)."""
    if isinstance(t, StructType):
        _fill_layout_values(st, key, t.layout, value)
    elif isinstance(t, ArrayType):
        for n, v in enumerate(value):
            _fill(st, (*key, f"[{n}]"), t.element, v)
    else:
        try:
            st[key] = _const(value, t, None)
        except NotFeasible:
            return


def _fill_layout_values(st: dict, key: Key, layout: Layout, value: list) -> None:
    for field, slot in layout.slots.items():
        if not slot.by_reference:
            _fill(st, (*key, field), slot.type, value[slot.index])


def _assigns(body: list[ast.Statement], name: str) -> bool:
    """Whether a loop body writes its control variable (the unrolling assumes not)."""
    for s in body:
        if isinstance(s, ast.Assign) and isinstance(s.target, ast.Name) \
                and s.target.name.upper() == name.upper():
            return True
        nested = [b.body for b in s.branches] + [s.else_body or []] if isinstance(s, ast.If) \
            else [c.body for c in s.clauses] + [s.else_body or []] if isinstance(s, ast.Case) \
            else [s.body] if isinstance(s, ast.For | ast.While | ast.Repeat) else []
        if any(_assigns(b, name) for b in nested):
            return True
    return False


def _fits(t: Type, value: int) -> bool:
    return not isinstance(t, IntType) or t.lo <= value <= t.hi


def _arith(a: Val, b: Val, node: ast.Node) -> str:
    if "bool" in (a.kind, b.kind):
        raise NotFeasible("arithmetic on a BOOL", node)
    return "real" if "real" in (a.kind, b.kind) else "int"


# ---- one cycle --------------------------------------------------------------------------

@dataclass
class Scope:
    """Where a POU body's names live: its variables at `prefix` in the state."""

    prefix: Key
    layout: Layout
    pou: ast.Pou


class CycleEncoder:
    """The POU under test's body as a function from a state (variables by Key to terms) to
    the state after one call; names resolve with the interpreter's Program."""

    def __init__(self, program: Program, pou: ast.Pou, fb: FbType):
        self.p, self.top = program, Scope((), fb.layout, pou)
        self.now = self.dt = z3.BitVecVal(0, W)
        self.st: dict[Key, Any] = {}
        self._inlined = 0

    # ---- state ---------------------------------------------------------------------------

    def power_on(self) -> dict[Key, Any]:
        """The declared initial values of the POU's variables, its FB instances' and the
        globals' (strings and the like are left out: using them is not feasible)."""
        st: dict[Key, Any] = {_RET: z3.BoolVal(False), _EXIT: z3.BoolVal(False),
                              ERR: z3.BoolVal(False)}
        _fill_layout(st, (), self.top.layout)
        _fill_layout(st, ("#G",), self.p.globals)
        return st

    def _get(self, key: Key, node: ast.Node) -> Any:
        if key not in self.st:
            raise NotFeasible(f"reading {'.'.join(key)} (a string, or a whole array or "
                              "struct)", node)
        return self.st[key]

    def _error_unless(self, ok: Any) -> None:
        """A run-time error (index out of bounds, division by zero) where ok fails on a live
        path: the interpreter's run stops there."""
        live = z3.Not(z3.Or(self.st[_RET], self.st[_EXIT]))
        self.st[ERR] = z3.Or(self.st[ERR], z3.And(live, z3.Not(ok)))

    def load(self, node: ast.Expr, scope: Scope) -> Val:
        """A variable's value; an element at a computed index is an If over the elements."""
        places, t = self.places(node, scope)
        value = None
        for guard, key in places:
            v = _read(self._get(key, node), t, node)
            value = v if value is None else _ite(guard, v, value)
        return value

    def assign(self, node: ast.Expr, scope: Scope, value: Val, at: ast.Node) -> None:
        places, t = self.places(node, scope)
        stored = _store(value, t, at)
        for guard, key in places:
            if key not in self.st:
                raise NotFeasible(f"assigning {'.'.join(key)} (a string, or a whole array or "
                                  "struct)", at)
            self._set(key, stored if guard is None else z3.If(guard, stored, self.st[key]))

    def _set(self, key: Key, term: Any) -> None:
        """Assign unless a RETURN or EXIT has been taken on this path."""
        live = z3.simplify(z3.Not(z3.Or(self.st[_RET], self.st[_EXIT])))
        self.st[key] = term if key not in self.st or z3.is_true(live) \
            else z3.If(live, term, self.st[key])

    def cycle(self, st: dict[Key, Any], now: Any, dt: Any) -> dict[Key, Any]:
        """The state after one call of the POU under test starting at `now` for `dt` ms."""
        self.st, self.now, self.dt = dict(st), now, dt
        self.st[ERR] = z3.BoolVal(False)
        self._reset_temps(self.top)
        self.block(self.top.pou.body, self.top)
        return self.st

    def _reset_temps(self, scope: Scope) -> None:
        for key, slot in scope.layout.slots.items():
            if slot.section == "VAR_TEMP":
                _fill(self.st, (*scope.prefix, key), slot.type, slot.power_on())

    # ---- statements ----------------------------------------------------------------------

    def block(self, body: list[ast.Statement], scope: Scope) -> None:
        for s in body:
            self.statement(s, scope)

    def statement(self, s: ast.Statement, scope: Scope) -> None:
        if isinstance(s, ast.Assign):
            if s.reference:
                raise NotFeasible("REF=", s)
            self.assign(s.target, scope, self.expr(s.value, scope), s)
        elif isinstance(s, ast.If):
            self._branches([(b.condition, b.body) for b in s.branches], s.else_body, scope)
        elif isinstance(s, ast.Case):
            subject = self.expr(s.subject, scope)
            arms = [(self._label_test(subject, c.values, scope), c.body) for c in s.clauses]
            self._branches(arms, s.else_body, scope)
        elif isinstance(s, ast.For):
            self._for(s, scope)
        elif isinstance(s, ast.CallStatement):
            self.call(s.call, scope)
        elif isinstance(s, ast.Return):
            if s.value is not None:
                raise NotFeasible("RETURN with a value", s)
            self.st[_RET] = z3.Or(self.st[_RET], z3.Not(self.st[_EXIT]))
        elif isinstance(s, ast.Exit):
            self.st[_EXIT] = z3.Or(self.st[_EXIT], z3.Not(self.st[_RET]))
        elif not isinstance(s, ast.Pragma):
            raise NotFeasible(f"{type(s).__name__.upper()} (an unbounded or unsupported "
                              "statement)", s)

    def _branches(self, arms: list[tuple[Any, list[ast.Statement]]],
                  else_body: list[ast.Statement] | None, scope: Scope) -> None:
        """IF/ELSIF/ELSE (and CASE): every arm runs on its own copy of the state; the copies
        merge with If on the arms' conditions, the first true arm winning."""
        before = self.st
        outcomes = []
        for cond, body in arms:
            c = cond if isinstance(cond, z3.BoolRef) else self._cond(cond, scope)
            self.st = dict(before)
            self.block(body, scope)
            outcomes.append((c, self.st))
        self.st = dict(before)
        self.block(else_body or [], scope)
        merged = self.st
        for c, st in reversed(outcomes):
            merged = {k: z3.If(c, st[k], merged[k]) if k in st and k in merged
                      and not st[k].eq(merged[k]) else st.get(k, merged.get(k))
                      for k in st.keys() | merged.keys()}
        self.st = merged

    def _label_test(self, subject: Val, labels: list, scope: Scope) -> Any:
        tests = []
        for label in labels:
            if isinstance(label, ast.Range):
                lo, hi = self.expr(label.lower, scope), self.expr(label.upper, scope)
                tests.append(z3.And(lo.term <= subject.term, subject.term <= hi.term))
            else:
                tests.append(self._compare("=", subject, self.expr(label, scope), label))
        return z3.Or(tests)

    def _for(self, s: ast.For, scope: Scope) -> None:
        bounds = [self._constant(e, scope) if e is not None else 1
                  for e in (s.start, s.end, s.step)]
        start, end, step = bounds
        if step == 0:
            raise NotFeasible("a FOR loop with step 0", s)
        count = max(0, (end - start) // step + 1)
        if count > MAX_UNROLL:
            raise NotFeasible(f"a FOR loop of {count} passes (more than {MAX_UNROLL})", s)
        control = ast.Name(line=s.line, column=s.column, name=s.control)
        [(_, key)], t = self.places(control, scope)
        if _assigns(s.body, s.control) or not _fits(t, start + count * step):
            raise NotFeasible(f"a FOR loop whose body assigns {s.control} or whose last "
                              "value overflows it", s)
        outer_exit = self.st[_EXIT]
        self.st[_EXIT] = z3.BoolVal(False)
        for i in range(count):
            self._set(key, _store(Val(z3.BitVecVal(start + i * step, W), "int"), t, s))
            self.block(s.body, scope)
        self._set(key, _store(Val(z3.BitVecVal(start + count * step, W), "int"), t, s))
        self.st[_EXIT] = outer_exit

    def _constant(self, node: ast.Expr, scope: Scope) -> int:
        term = z3.simplify(self.expr(node, scope).term)
        if not z3.is_bv_value(term):
            raise NotFeasible("a FOR loop whose bounds are not constant", node)
        return term.as_signed_long()

    # ---- calls ---------------------------------------------------------------------------

    def call(self, node: ast.Call, scope: Scope) -> Val | None:
        """A FB instance's call (None) or a function's (its value)."""
        key = callee(node.function)
        pou = self.p.pous.get(key) if key else None
        if pou is not None and pou.kind == "FUNCTION":
            return self._function(pou, node, scope)
        if key is not None and not isinstance(node.function, ast.Member):
            slot = scope.layout.get(key)
            if slot is not None and isinstance(slot.type, FbType):
                self._fb_call((*scope.prefix, key), slot.type, node, scope)
                return None
        if key is None or isinstance(node.function, ast.Member):
            raise NotFeasible("a call of a method or of an FB inside an array or struct", node)
        return self._standard(key or "?", node, scope)

    def _args(self, node: ast.Call, names: list[str], scope: Scope) -> dict[str, Val]:
        out = {}
        for i, arg in enumerate(node.args):
            if arg.output:
                continue
            if arg.name is None and i >= len(names):
                raise NotFeasible("too many positional arguments", arg)
            out[(arg.name or names[i]).upper()] = self.expr(arg.value, scope)
        return out

    def _enter(self) -> tuple[Any, Any]:
        """A callee's body runs only where its caller's would: its RETURN flag starts as
        "the caller has returned or exited"; the flags come back on leaving."""
        saved = self.st[_RET], self.st[_EXIT]
        self.st[_RET], self.st[_EXIT] = z3.Or(*saved), z3.BoolVal(False)
        return saved

    def _fb_call(self, prefix: Key, fb: FbType, node: ast.Call, scope: Scope) -> None:
        inputs = [k for k, s in fb.layout.slots.items() if s.section == "VAR_INPUT"]
        for name, v in self._args(node, inputs, scope).items():
            slot = fb.layout.get(name)
            if slot is None or slot.section != "VAR_INPUT":
                raise NotFeasible(f"the argument {name} of {fb.text}", node)
            self._set((*prefix, name), _store(v, slot.type, node))
        standard = _STANDARD.get(fb.text.upper()) if fb.text.upper() not in self.p.pous \
            else None
        saved = self._enter()
        if standard is not None:
            standard(self, prefix)
        elif fb.text.upper() in self.p.pous:
            inner = Scope(prefix, fb.layout, self.p.pous[fb.text.upper()])
            self._reset_temps(inner)
            self.block(inner.pou.body, inner)
        else:
            raise NotFeasible(f"the standard FB {fb.text}", node)
        self.st[_RET], self.st[_EXIT] = saved
        for arg in node.args:
            if arg.output:
                value = _read(self.st[(*prefix, arg.name.upper())],
                              fb.layout.get(arg.name).type, arg)
                self.assign(arg.value, scope, value, arg)

    def _function(self, pou: ast.Pou, node: ast.Call, scope: Scope) -> Val:
        """A user FUNCTION inlined: a fresh frame at a prefix of its own per call."""
        fn = self.p.function(pou, node)
        self._inlined += 1
        prefix = (f"#F{self._inlined}",)
        inner = Scope(prefix, fn.layout, pou)
        if any(slot.by_reference for slot in fn.layout.slots.values()):
            raise NotFeasible(f"VAR_IN_OUT of {pou.name}", node)
        _fill_layout(self.st, prefix, fn.layout)
        params = [s.name.upper() for s in fn.layout.slots.values() if s.section == "VAR_INPUT"]
        for name, v in self._args(node, params, scope).items():
            slot = fn.layout.get(name)
            if slot is None:
                raise NotFeasible(f"the argument {name} of {pou.name}", node)
            self.st[(*prefix, name)] = _store(v, slot.type, node)
        saved = self._enter()
        self.block(pou.body, inner)
        self.st[_RET], self.st[_EXIT] = saved
        result = fn.layout.get(pou.name)
        return _read(self._get((*prefix, pou.name.upper()), node), result.type, node)

    def _standard(self, name: str, node: ast.Call, scope: Scope) -> Val:
        args = [self.expr(a.value, scope) for a in node.args]
        if name in ("MIN", "MAX") and args:
            out = args[0]
            for b in args[1:]:  # the first of equal values wins, as Python's min and max
                out = _ite(self._compare("<" if name == "MIN" else ">", b, out, node), b, out)
            return out
        if name == "LIMIT" and len(args) == 3:
            lo, x, hi = args
            x = _ite(self._compare(">", lo, x, node), lo, x)
            return _ite(self._compare("<", hi, x, node), hi, x)
        if name == "SEL" and len(args) == 3:
            return _ite(args[0].term, args[2], args[1])
        if name == "ABS" and len(args) == 1:
            (x,) = args
            if x.kind == "real":
                return Val(z3.fpAbs(x.term), "real", x.type,
                           z3.fpAbs(x.f32) if x.f32 is not None else None, x.exact)
            return Val(z3.If(x.term < 0, -x.term, x.term), "int", x.type)
        if name == "MOVE" and len(args) == 1:
            return args[0]
        target = name.rsplit("TO_", 1)[-1] if "TO_" in name else None
        if target is not None and len(args) == 1:
            return self._conversion(name, target, args[0], node)
        raise NotFeasible(f"the function {name}", node)

    def _conversion(self, name: str, target: str, x: Val, node: ast.Node) -> Val:
        t = self.p.named_type(target, node)
        if isinstance(t, BoolType):
            term = x.term if x.kind == "bool" else (
                z3.Not(z3.fpIsZero(x.term)) if x.kind == "real" else x.term != 0)
            return Val(term, "bool", t)
        if x.kind == "bool":
            x = Val(z3.If(x.term, z3.BitVecVal(1, W), z3.BitVecVal(0, W)), "int")
        if x.kind == "real" and _kind(t, node) == "int":
            x = Val(_to_int(x.term, z3.RTZ() if name.startswith("TRUNC") else RNE), "int")
        return Val(_store(x, t, node), _kind(t, node), t)

    # ---- expressions ---------------------------------------------------------------------

    def places(self, node: ast.Expr, scope: Scope) -> tuple[list[tuple[Any, Key]], Type]:
        """The keys a name (`x`, `fb.Q`, `s.f`, `arr[i]`, a global) may denote, each with the
        condition under which it does (None: always; several for a computed index), and
        their type. An index outside the bounds is a run-time error, as in the interpreter."""
        if isinstance(node, ast.Name) and "." not in node.name:
            slot = scope.layout.get(node.name)
            if slot is not None:
                if slot.by_reference:
                    raise NotFeasible(f"VAR_IN_OUT {node.name}", node)
                return [(None, (*scope.prefix, node.name.upper()))], slot.type
            g = self.p.globals.get(node.name)
            if g is not None:
                return [(None, ("#G", node.name.upper()))], g.type
            raise NotFeasible(f"the name {node.name} (not declared)", node)
        if isinstance(node, ast.Member):
            places, t = self.places(node.object, scope)
            slot = t.layout.get(node.member) if isinstance(t, StructType) else None
            if slot is None:
                raise NotFeasible(f"the field .{node.member}", node)
            return [(g, (*key, slot.name.upper())) for g, key in places], slot.type
        if isinstance(node, ast.Index):
            places, t = self.places(node.object, scope)
            if not isinstance(t, ArrayType) or len(node.indexes) != len(t.dims):
                raise NotFeasible("an index into what is not an array of its rank", node)
            offset, ok = z3.BitVecVal(0, W), []
            for index, (lo, hi) in zip(node.indexes, t.dims, strict=True):
                i = self.expr(index, scope)
                if i.kind != "int":
                    raise NotFeasible("an array index that is not an integer", index)
                ok += [i.term >= lo, i.term <= hi]
                offset = offset * (hi - lo + 1) + (i.term - lo)
            self._error_unless(z3.And(ok))
            offset = z3.simplify(offset)
            if z3.is_bv_value(offset):
                n = offset.as_signed_long()
                cells = [(None, n)] if 0 <= n < t.size else []
            else:
                cells = [(offset == n, n) for n in range(t.size)]
            return [(g if c is None else c if g is None else z3.And(g, c), (*key, f"[{n}]"))
                    for g, key in places for c, n in cells], t.element
        raise NotFeasible(f"{type(node).__name__} (pointers, references)", node)

    def _cond(self, node: ast.Expr, scope: Scope) -> Any:
        v = self.expr(node, scope)
        if v.kind != "bool":
            raise NotFeasible("a condition that is not BOOL", node)
        return v.term

    def expr(self, node: ast.Expr, scope: Scope) -> Val:
        if isinstance(node, ast.Literal):
            return self._literal(node)
        if isinstance(node, ast.Name | ast.Member):
            constant = self._named_constant(node, scope)
            if constant is not None:
                return constant
            return self.load(node, scope)
        if isinstance(node, ast.Unary):
            v = self.expr(node.operand, scope)
            if node.op == "+":
                return v
            if node.op == "-" and v.kind == "real":
                return Val(z3.fpNeg(v.term), "real", v.type,
                           z3.fpNeg(v.f32) if v.f32 is not None else None, v.exact)
            if node.op == "-":
                return Val(-v.term, v.kind, v.type)
            return Val(z3.Not(v.term) if v.kind == "bool" else ~v.term, v.kind, v.type)
        if isinstance(node, ast.Binary):
            return self._binary(node, scope)
        if isinstance(node, ast.Index):
            return self.load(node, scope)
        if isinstance(node, ast.Call):
            v = self.call(node, scope)
            if v is None:
                raise NotFeasible("a FB call used as a value", node)
            return v
        raise NotFeasible(f"{type(node).__name__} expressions (arrays, pointers)", node)

    def _named_constant(self, node: ast.Expr, scope: Scope) -> Val | None:
        """An enumerator (`RED`, `Color.RED`) or a CONSTANT without a slot."""
        if isinstance(node, ast.Member) and isinstance(node.object, ast.Name):
            enum = self.p.enum_types.get(node.object.name.upper())
            if enum is not None and node.member.upper() in enum.values:
                return Val(z3.BitVecVal(enum.values[node.member.upper()], W), "int", enum)
        if isinstance(node, ast.Name):
            key = node.name.upper().rsplit(".", 1)[-1]
            if scope.layout.get(key) is None and self.p.globals.get(key) is None:
                if key in self.p.enum_values:
                    value, enum = self.p.enum_values[key]
                    return Val(z3.BitVecVal(value, W), "int", enum)
                if key in self.p.consts:
                    value = self.p.consts[key]
                    kind = "bool" if isinstance(value, bool) else \
                        "real" if isinstance(value, float) else "int"
                    return Val(_const(value, BoolType() if kind == "bool" else RealType("LREAL")
                                      if kind == "real" else TimeType("TIME"), node), kind)
        return None

    def _literal(self, node: ast.Literal) -> Val:
        v = node.value
        if node.kind == "bool":
            return Val(z3.BoolVal(bool(v)), "bool")
        if node.kind in ("integer", "time") and v is not None:
            t = self.p.named_type(node.type_name, node) if node.type_name else None
            if isinstance(t, RealType):
                return Val(z3.FPVal(float(t.store(v)), F64), "real", t)
            return Val(z3.BitVecVal(round(v), W), "int", t)
        if node.kind == "real" and v is not None:
            t = self.p.named_type(node.type_name, node) if node.type_name else None
            value = float(t.store(v) if t is not None else v)
            if RealType("REAL").store(value) == value:
                return _single(z3.FPVal(value, F32), t)
            return Val(z3.FPVal(value, F64), "real", t)
        raise NotFeasible(f"the {node.kind} literal {node.text}", node)

    def _compare(self, op: str, a: Val, b: Val, node: ast.Node) -> Any:
        bv, fp = _COMPARE[op]
        if a.kind == b.kind == "bool":
            if op not in ("=", "<>"):
                raise NotFeasible(f"BOOL {op} BOOL", node)
            return bv(a.term, b.term)
        if _arith(a, b, node) == "real":
            a, b = _as_real(a), _as_real(b)
            if a.exact and b.exact:
                return fp(a.f32, b.f32)
            return fp(_to_real(a), _to_real(b))
        return bv(a.term, b.term)

    def _binary(self, node: ast.Binary, scope: Scope) -> Val:
        a, b, op = self.expr(node.left, scope), self.expr(node.right, scope), node.op
        t = a.type or b.type
        if op in _COMPARE:
            return Val(self._compare(op, a, b, node), "bool")
        if op in ("AND", "&", "OR", "XOR"):
            if a.kind == b.kind == "bool":
                fn = {"AND": z3.And, "&": z3.And, "OR": z3.Or, "XOR": z3.Xor}[op]
                return Val(fn(a.term, b.term), "bool")
            if a.kind == b.kind == "int":
                fn = {"AND": lambda x, y: x & y, "&": lambda x, y: x & y,
                      "OR": lambda x, y: x | y, "XOR": lambda x, y: x ^ y}[op]
                return Val(fn(a.term, b.term), "int", t)
            raise NotFeasible(f"{op} on mixed operands", node)
        kind = _arith(a, b, node)
        if kind == "real":
            a, b = _as_real(a), _as_real(b)
        if op in _OPERATORS:
            bv, fp = _OPERATORS[op]
            if kind == "real":
                return Val(fp(RNE, _to_real(a), _to_real(b)), "real", t,
                           fp(RNE, a.f32, b.f32) if a.exact and b.exact else None)
            return Val(bv(a.term, b.term), "int", t)
        if op == "/" and kind == "real":
            return Val(z3.fpDiv(RNE, _to_real(a), _to_real(b)), "real", t,
                       z3.fpDiv(RNE, a.f32, b.f32) if a.exact and b.exact else None)
        if op in ("/", "MOD") and kind == "int":
            self._error_unless(b.term != 0)
            quotient = a.term / b.term  # z3's `/` on bit-vectors: signed, truncating
            return Val(quotient if op == "/" else z3.SRem(a.term, b.term), "int", t)
        raise NotFeasible(f"the operator {op}" + (" on REAL" if kind == "real" else ""), node)


# ---- standard function blocks, from st.stdlib's bodies -----------------------------------

def _timer(kind: str) -> Callable[[CycleEncoder, Key], None]:
    def body(e: CycleEncoder, p: Key) -> None:
        g = e.st
        IN, PT, Q, ET, START, M = (g[(*p, n)] for n in ("IN", "PT", "Q", "ET", "START", "M"))
        zero = z3.BitVecVal(0, W)
        if kind == "TON":
            start = z3.If(z3.And(IN, z3.Not(M)), e.now, START)
            et = e.now + e.dt - start
            q, et_out, start = (z3.If(IN, et >= PT, False), z3.If(IN, z3.If(et < PT, et, PT),
                                                                  zero), z3.If(IN, start, START))
        elif kind == "TOF":
            start = z3.If(z3.And(z3.Not(IN), M), e.now, START)
            et = e.now + e.dt - start
            run = z3.And(z3.Not(IN), Q)
            q = z3.If(IN, True, z3.If(run, et < PT, Q))
            et_out = z3.If(IN, zero, z3.If(run, z3.If(et < PT, et, PT), ET))
        else:  # TP
            fire = z3.And(IN, z3.Not(M), z3.Not(Q))
            start = z3.If(fire, e.now, START)
            running = z3.Or(fire, Q)
            et = e.now + e.dt - start
            q = z3.If(running, et < PT, Q)
            et_out = z3.If(running, z3.If(et < PT, et, PT), z3.If(z3.Not(IN), zero, ET))
        for name, term in (("Q", q), ("ET", et_out), ("START", start), ("M", IN)):
            e._set((*p, name), term)
    return body


def _counter(up: bool) -> Callable[[CycleEncoder, Key], None]:
    def body(e: CycleEncoder, p: Key) -> None:
        g = e.st
        clk, reset, pv, cv, m = (g[(*p, n)] for n in
                                 ("CU" if up else "CD", "R" if up else "LD", "PV", "CV", "M"))
        edge = z3.And(clk, z3.Not(m))
        if up:
            cv = z3.If(reset, z3.BitVecVal(0, W), z3.If(z3.And(edge, cv < CTR_MAX), cv + 1, cv))
            q = cv >= pv
        else:
            cv = z3.If(reset, pv, z3.If(z3.And(edge, cv > CTR_MIN), cv - 1, cv))
            q = cv <= 0
        for name, term in (("CV", cv), ("Q", q), ("M", clk)):
            e._set((*p, name), term)
    return body


def _ctud(e: CycleEncoder, p: Key) -> None:
    cu, cd, reset, load, pv, cv, mu, md = (e.st[(*p, n)] for n in
                                           ("CU", "CD", "R", "LD", "PV", "CV", "MU", "MD"))
    up, down = z3.And(cu, z3.Not(mu)), z3.And(cd, z3.Not(md))
    cv = z3.If(reset, z3.BitVecVal(0, W), z3.If(load, pv, z3.If(
        z3.And(up, z3.Not(down), cv < CTR_MAX), cv + 1,
        z3.If(z3.And(down, z3.Not(up), cv > CTR_MIN), cv - 1, cv))))
    for name, term in (("CV", cv), ("QU", cv >= pv), ("QD", cv <= 0), ("MU", cu), ("MD", cd)):
        e._set((*p, name), term)


def _trig(rising: bool) -> Callable[[CycleEncoder, Key], None]:
    def body(e: CycleEncoder, p: Key) -> None:
        clk, m = e.st[(*p, "CLK")], e.st[(*p, "M")]
        e._set((*p, "Q"), z3.And(clk, z3.Not(m)) if rising else z3.And(m, z3.Not(clk)))
        e._set((*p, "M"), clk)
    return body


def _bistable(set_wins: bool) -> Callable[[CycleEncoder, Key], None]:
    def body(e: CycleEncoder, p: Key) -> None:
        g, q = e.st, e.st[(*p, "Q1")]
        if set_wins:
            e._set((*p, "Q1"), z3.Or(g[(*p, "S1")], z3.And(z3.Not(g[(*p, "R")]), q)))
        else:
            e._set((*p, "Q1"), z3.And(z3.Not(g[(*p, "R1")]), z3.Or(g[(*p, "S")], q)))
    return body


_STANDARD: dict[str, Callable[[CycleEncoder, Key], None]] = {
    "TON": _timer("TON"), "TOF": _timer("TOF"), "TP": _timer("TP"),
    "CTU": _counter(True), "CTD": _counter(False), "CTUD": _ctud,
    "R_TRIG": _trig(True), "F_TRIG": _trig(False), "SR": _bistable(True), "RS": _bistable(False),
}
