"""The symbolic engine of plcpilot.sfc.safety: BDDs with dd (CUDD's C library through its
Cython binding; dd's pure-Python `autoref` where the binding is missing).

One variable per step. The image of a set R under transition t (sources S, targets T) needs no
primed copy of the variables: ∃(S ∪ T). (R ∧ S all active) ∧ T active ∧ (S \\ T) inactive.
Breadth-first layers (the markings first reached after j firings) give shortest counterexamples
by walking back through pre-images, one marking per layer.
"""

from __future__ import annotations

import time

from plcpilot.errors import optional_import
from plcpilot.sfc.model import Chart
from plcpilot.sfc.safety import Move, Violation, _Net

optional_import("dd", "Safe-SFC verification", "sfc")
try:  # why not only autoref: CUDD is ~100x faster on the parallel charts that matter
    from dd.cudd import BDD
except ImportError:  # pragma: no cover - the wheel ships the binding on Linux x86-64
    from dd.autoref import BDD


class _Symbolic:
    def __init__(self, net: _Net):
        self.net = net
        self.bdd = BDD()
        self.names = [f"s{i}" for i in range(len(net.names))]
        if self.names:
            self.bdd.declare(*self.names)
        self.x = [self.bdd.var(v) for v in self.names]
        self.moves = []  # (k, enabled, quantified variables, post)
        for k, src, dst in net.transitions:
            self.moves.append((k, self.all_of(src, True), [self.names[i] for i in _bits(src | dst)],
                               self.all_of(dst, True) & self.all_of(src & ~dst, False)))

    def all_of(self, mask: int, value: bool):
        u = self.bdd.true
        for i in _bits(mask):
            u &= self.x[i] if value else ~self.x[i]
        return u

    def cube(self, marking: int):
        return self.all_of(marking, True) & self.all_of(~marking & ((1 << len(self.x)) - 1),
                                                         False)

    def image(self, states):
        out = self.bdd.false
        for _, enabled, qvars, post in self.moves:
            part = states & enabled
            if part != self.bdd.false:
                out |= self.bdd.exist(qvars, part) & post
        return out

    def pick(self, u) -> int:
        assignment = self.bdd.pick(u, care_vars=set(self.names))
        return sum(1 << i for i, v in enumerate(self.names) if assignment.get(v))


def _bits(mask: int) -> list[int]:
    out, i = [], 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return out


def search(net: _Net, chart: Chart, pairs, deadline: float, max_states: int):
    sym = _Symbolic(net)
    bdd = sym.bdd
    layers = [sym.cube(net.initial)]
    reached = layers[0]
    while True:
        if time.perf_counter() > deadline:
            return (f"over the time bound after {len(layers)} breadth-first layers "
                    f"({int(bdd.count(reached, nvars=len(sym.names)))} markings so far)")
        new = sym.image(layers[-1]) & ~reached
        if new == bdd.false:
            break
        reached |= new
        layers.append(new)
    index = {n: i for i, n in enumerate(net.names)}

    def path_to(target) -> list[Move]:
        j = next(j for j, layer in enumerate(layers) if layer & target != bdd.false)
        m = sym.pick(layers[j] & target)
        moves = [Move(active=net.active(m))]
        for i in range(j - 1, -1, -1):
            for k, enabled, qvars, post in sym.moves:
                after = sym.cube(m) & post
                if after == bdd.false:
                    continue
                before = enabled & bdd.exist(qvars, after) & layers[i]
                if before != bdd.false:
                    moves[-1].fired = k + 1
                    m = sym.pick(before)
                    moves.append(Move(active=net.active(m)))
                    break
        return moves[::-1]

    violations = []
    for a, b in pairs:
        both = reached & sym.x[index[a]] & sym.x[index[b]]
        if both != bdd.false:
            violations.append(Violation(criterion="exclusive", message=f"{a} and {b} are "
                                        "active together", path=path_to(both)))
    dead = reached
    for _, enabled, _, _ in sym.moves:
        dead &= ~enabled
    if dead != bdd.false:
        violations.append(Violation(criterion="deadlock", message="no transition can fire: a "
                                    "dead end", path=path_to(dead)))
    for (k, enabled, _, _), (_, src, dst) in zip(sym.moves, net.transitions, strict=True):
        into = bdd.false
        for i in _bits(dst & ~src):
            into |= sym.x[i]
        bad = reached & enabled & into
        if bad != bdd.false:
            m = sym.pick(bad)
            violations.append(Violation(
                criterion="overflow", message=f"{net.label(k, chart)} fires into "
                f"{', '.join(net.active(m & dst & ~src))}, already active", path=path_to(bad)))
    for i, name in enumerate(net.names):
        if reached & sym.x[i] == bdd.false:
            violations.append(Violation(criterion="reachable", message=f"step {name} is never "
                                        "active", steps=[name]))
    for (k, enabled, _, _), (_, src, _) in zip(sym.moves, net.transitions, strict=True):
        if len(_bits(src)) > 1 and reached & enabled == bdd.false:
            violations.append(Violation(
                criterion="convergence", message=f"{net.label(k, chart)} never has all its "
                "source steps active: the parallel convergence is never reached"))
    return int(bdd.count(reached, nvars=len(sym.names))), violations
