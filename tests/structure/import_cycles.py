"""Find import cycles among the project's modules, counting imports made inside functions.

A late import inside a function hides a cycle from the interpreter (it only runs after both modules
loaded) but not from a reader: the two modules still cannot be understood, tested or moved apart.
grimp reads every ``import`` statement of every module, wherever it sits, so its graph has them all.

``python tests/structure/import_cycles.py`` run from a checkout prints each cycle and exits 1 if
there is any; the tests run it on this tree and on a temporary copy with a cycle added.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

PACKAGES = ("shared", "lambdas", "model", "local", "cdk", "statemachine", "benchmarks")


def find_cycles(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Each strongly connected set of two or more modules (or a module importing itself), sorted."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    return sorted(sorted(c) for c in _strongly_connected(edges) if len(c) > 1 or c[0] in edges[c[0]])


def _strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is a few hundred modules; recursion would do too)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = [s for s in edges[node] if s in edges]
            if child < len(successors):
                work.append((node, child + 1))
                successor = successors[child]
                if successor not in index:
                    work.append((successor, 0))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def main() -> int:
    sys.path.insert(0, str(Path.cwd()))
    cycles = find_cycles()
    for cycle in cycles:
        print("import cycle: " + " <-> ".join(cycle))
    return 1 if cycles else 0


if __name__ == "__main__":
    raise SystemExit(main())
