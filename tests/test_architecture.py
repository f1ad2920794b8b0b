"""The house rules: import layers (import-linter), no import circles, no hidden imports, a light answer path."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT_ROOT / "assistant"
# `from assistant…` inside a function is allowed only where it is a documented lazy import of a tool
# that needs heavy optional libraries (the `build` extra: torch, transformers, llama-index).
ALLOWED_FUNCTION_IMPORTS = {
    ("assistant/frontends/cli.py", "assistant.build.model_prep"),
    ("assistant/frontends/cli.py", "assistant.build.evaluation"),
}
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index")


def test_import_layers_hold():
    """`lint-imports` checks the contracts in pyproject.toml: layers, no build tools at run time, no torch."""
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _cycles(graph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.find_modules_directly_imported_by(node):
            if target not in modules:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_between_modules():
    graph = grimp.build_graph("assistant", cache_dir=None)
    # a package's __init__ re-exporting its submodules is not a circle
    modules = {m for m in graph.modules if m != "assistant"}
    cycles = [c for c in _cycles(graph, modules)
              if not any(all(m == p or m.startswith(p + ".") for m in c) and p in c for p in c)]
    assert cycles == [], cycles


def _function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0 \
                        and (inner.module == "assistant" or inner.module.startswith("assistant.")):
                    found.append((inner.lineno, inner.module))
                elif isinstance(inner, ast.Import):
                    found.extend((inner.lineno, alias.name) for alias in inner.names if alias.name.startswith("assistant"))
    return found


def test_no_assistant_imports_hidden_in_functions():
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        for line, module in _function_imports(path):
            if (relative, module) not in ALLOWED_FUNCTION_IMPORTS:
                hidden.append(f"{relative}:{line} imports {module}")
    assert hidden == []


@pytest.mark.slow
def test_answering_imports_neither_torch_nor_llama_index(built_assistant):
    """A fresh process answers (and builds a follow-up draft) on the ONNX default without loading the build extra."""
    settings = built_assistant.settings
    code = (
        "import json, sys\n"
        "from assistant.service import Assistant\n"
        "assistant = Assistant()\n"
        "answer = assistant.respond('Vem ansvarar för VFU-arbetet i Södra?').answer\n"
        "draft = assistant.respond('Sammanfatta uppföljningen för Södra')\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(json.dumps({'heavy': heavy, 'answered': bool(answer.citations), 'draft': draft.kind}))\n"
    )
    env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(settings.corpus_dir), ASSISTANT_INDEX_DIR=str(settings.index_dir))
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data == {"heavy": [], "answered": True, "draft": "summary"}
