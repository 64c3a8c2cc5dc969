"""The shape of the package: one async body, no import cycles, no private names shared."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import Any

import pytest

from summarizer.api import Summarizer
from summarizer.errors import ConfigError
from summarizer.testing import FunctionEngine
from summarizer.testing.fake_openai import FakeOpenAI, completion

PACKAGE = Path(__file__).resolve().parent.parent / "summarizer"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_top_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Imports that run when the module is imported (not in functions, not type-only)."""
    out: list[ast.ImportFrom | ast.Import] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif (isinstance(node, ast.If) and not _is_type_checking(node)) or isinstance(
            node, ast.Try
        ):
            out += [n for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return out


def _targets(node: ast.ImportFrom | ast.Import, modules: dict[str, Any]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in modules]
    base = node.module or ""
    names = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
    return names or ([base] if base in modules else [])


def test_no_module_imports_a_private_name_from_another() -> None:
    modules = _modules()
    offences = []
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("summarizer"):
                if node.module == name:
                    continue
                offences += [
                    f"{name} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert offences == []


def test_no_import_cycle_at_import_time() -> None:
    modules = _modules()
    graph = {
        name: {
            t
            for node in _runtime_top_imports(tree)
            for t in _targets(node, modules)
            if t != name and not name.startswith(f"{t}.")  # a package's own __init__
        }
        for name, tree in modules.items()
    }
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, [*path, nxt], seen)

    for start in sorted(graph):
        visit(start, [start], {start})
    assert cycles == []


# -- one async body: the sync API is a wrapper over it ----------------------------------------
def _comparable(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.to_dict()
    data["meta"].pop("latency_ms")
    return data


@pytest.mark.parametrize("engine", ["llm", "extractive", "function"])
def test_sync_and_async_give_equal_results(
    engine: str, fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any]
) -> None:
    def make() -> Summarizer:
        if engine == "function":
            return Summarizer(engine_impl=FunctionEngine(lambda a, t: good_answer), cache=False)
        if engine == "extractive":
            return Summarizer(engine="extractive")
        return Summarizer(base_url=fake.url, model="fake-model", cache=False)

    fake.push(completion(good_answer), completion(good_answer))
    with make() as s:
        sync = s.summarize(seed_text, title="A title")

    async def run() -> Any:
        async with make() as a:
            return await a.asummarize(seed_text, title="A title")

    assert _comparable(sync) == _comparable(asyncio.run(run()))


def test_the_sync_api_inside_a_running_loop_says_to_await(seed_text: str) -> None:
    async def misuse() -> None:
        with Summarizer(engine="extractive") as s:
            s.summarize(seed_text)

    with pytest.raises(ConfigError, match=r"await summarizer\.asummarize"):
        asyncio.run(misuse())

    async def misuse_many() -> None:
        with Summarizer(engine="extractive") as s:
            list(s.summarize_many([seed_text]))

    with pytest.raises(ConfigError, match="running event loop"):
        asyncio.run(misuse_many())
