#!/usr/bin/env python3
"""Import cycles between the modules (files) of each crate, from `cargo modules dependencies`.

    python3 scripts/module-cycles.py            # every crate of the workspace
    python3 scripts/module-cycles.py waf-core   # one

Needs cargo-modules (`cargo install --locked cargo-modules --version 0.27.0`, the last release for
Rust 1.95). Prints each cycle (a strongly connected component of the `uses` graph between
modules) and exits 1 when there is one.
"""

import re
import subprocess
import sys

# (package, target arguments)
CRATES = {
    "waf-core": ["--lib"],
    "waf-proxy": ["--bin", "waf-proxy"],
    "admin-api": ["--lib"],
}
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="uses"')


def edges(package, target):
    out = subprocess.run(
        ["cargo", "modules", "dependencies", "--package", package, *target, "--no-externs",
         "--no-sysroot", "--no-fns", "--no-traits", "--no-types", "--no-owns"],
        check=True, capture_output=True, text=True).stdout
    return [m.groups() for m in map(EDGE.match, out.splitlines()) if m]


def cycles(graph):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    found = 0
    for package in sys.argv[1:] or CRATES:
        graph = {}
        for a, b in edges(package, CRATES[package]):
            if a != b:
                graph.setdefault(a, set()).add(b)
        cs = cycles(graph)
        print(f"{package}: {len(cs)} cycle(s)")
        for c in cs:
            print("  " + " <-> ".join(c))
        found += len(cs)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
