"""Fail when any import cycle exists between the modules of rbh (make lint; run it through
scripts/in-installed-layout.sh so that rbh.checks and rbh.indexer are found).

import-linter's acyclic_siblings contract covers siblings only; a package's __init__ and its own
modules importing each other (the store had one) is a cycle too. Every import counts, the ones
inside functions and under TYPE_CHECKING included: a cycle there still couples the two modules.
"""

from __future__ import annotations

import sys

import grimp


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in adj:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            for j in range(i, len(adj[node])):
                nxt = adj[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def main() -> int:
    graph = grimp.build_graph("rbh")
    found = cycles(graph)
    for comp in found:
        print("import cycle: " + " <-> ".join(comp))
    if found:
        return 1
    print(f"No import cycles among {len(graph.modules)} modules.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
