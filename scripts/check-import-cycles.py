#!/usr/bin/env python3
"""Fails when two or more files under src/ import each other, directly or around a loop.

Each `use crate::…`, `use super::…` and `use self::…` path is resolved to the deepest
module file it names (src/a/b.rs or src/a/b/mod.rs). A module file re-exporting its own
submodules (`pub use child::…` in a mod.rs) is its facade, not a dependency, so edges
from a module to its own descendants are left out. Prints each cycle's files.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"
USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M | re.S)


def module_of(path: Path) -> tuple:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "mod" or parts in (["lib"], ["main"]):
        parts = parts[:-1]
    return tuple(parts)


FILES = {module_of(p): p for p in ROOT.rglob("*.rs")}


def expand(tree: str) -> list:
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    if "{" not in tree:
        return [tree]
    head, rest = tree.split("{", 1)
    inner = rest[: rest.rindex("}")]
    items, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    items.append(current)
    return [p for item in items if item for p in expand(head + item)]


def target(module: tuple, path: str):
    parts = path.split(" as ")[0].split("::")
    if parts[0] == "crate":
        base, parts = (), parts[1:]
    elif parts[0] in ("super", "self"):
        base = module
        while parts and parts[0] in ("super", "self"):
            base = base[:-1] if parts.pop(0) == "super" else base
    else:
        return None
    best = None
    for i in range(len(parts) + 1):
        if base + tuple(parts[:i]) in FILES:
            best = base + tuple(parts[:i])
    return best


def main() -> int:
    edges = {}
    for module, path in FILES.items():
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", path.read_text(), flags=re.S)
        deps = set()
        for match in USE.finditer(text):
            for used in expand(match.group(1)):
                dep = target(module, used)
                if dep and dep != module and dep[: len(module)] != module:
                    deps.add(dep)
        edges[module] = deps
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(component)

    sys.setrecursionlimit(10_000)
    for v in edges:
        if v not in index:
            visit(v)
    for component in cycles:
        print("import cycle: " + " <-> ".join(str(FILES[m].relative_to(ROOT.parent)) for m in sorted(component)))
    print(f"{len(FILES)} files, {sum(map(len, edges.values()))} imports, {len(cycles)} cycle(s)")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
