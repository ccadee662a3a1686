"""The layering rules (CONTRIBUTING.md), checked on the source: `drupe.protocols` knows no store,
no chat and no gateway, the core imports neither face (`drupe.cli`, `drupe.web`; the gateway is
core too), and `drupe.local` knows no CLI. Every import counts: at the top, inside a function (the lazy ones) or under
`TYPE_CHECKING`, since each is a dependency all the same."""

import ast
import sys
from pathlib import Path

import pytest

import drupe

SRC = Path(drupe.__file__).parent
FACES = ("drupe.cli", "drupe.web")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


ENTRY_POINT = "drupe.__main__"  # `python -m drupe` runs the CLI: a face's front door, not core


def is_core(module: str) -> bool:
    return module != ENTRY_POINT and not any(within(module, face) for face in FACES)


# (who is bound, what it must not import, why)
RULES = [
    (
        lambda module: within(module, "drupe.protocols"),
        ("drupe.store", "drupe.registry", "drupe.chat", "drupe.gateway", *FACES),
        "the protocols speak to providers and know no store (nor the gateway, which keeps its keys in one)",
    ),
    (
        lambda module: within(module, "drupe.local"),
        ("drupe.cli",),
        "the local model knows no CLI (the web app runs it too)",
    ),
    (
        lambda module: within(module, "drupe.tools"),
        ("drupe.chat", *FACES),
        "the tools (MCP servers) are core: they know no face, and conversations use them, not the reverse",
    ),
    (
        lambda module: within(module, "drupe.gateway"),
        FACES,
        "the gateway (keys, routes, usage, the /v1 API) is core: `drupe serve` mounts it, it knows no face",
    ),
    (is_core, FACES, "the core never imports a face; the faces choose the words"),
]


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, relative imports resolved, with its line."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from drupe import cli` imports drupe.cli: name each imported module too
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def crossings(rules: list, files: list[Path]) -> list[str]:
    found = []
    for path in files:
        module = module_name(path)
        for bound, forbidden, why in rules:
            if not bound(module):
                continue
            seen = set()
            for line, name in imports(path):
                if line not in seen and any(within(name, banned) for banned in forbidden):
                    seen.add(line)
                    found.append(f"{path.relative_to(SRC.parent)}:{line}: {module} imports {name} ({why})")
    return found


SOURCES = sorted(SRC.rglob("*.py"))


def test_the_source_is_found():
    names = {module_name(p) for p in SOURCES}
    assert {
        "drupe.protocols.client",
        "drupe.chat.service",
        "drupe.local.server",
        "drupe.cli",
        "drupe.web.app",
        "drupe.tools.client",
        "drupe.gateway.keys",
    } <= names


@pytest.mark.parametrize("rule", RULES, ids=["protocols", "local", "tools", "gateway", "core"])
def test_no_import_crosses_a_layer(rule):
    assert crossings([rule], SOURCES) == []


def test_a_crossing_is_caught(tmp_path, monkeypatch):
    """The check itself: lazy, relative and TYPE_CHECKING imports all count."""
    fake = tmp_path / "drupe"
    (fake / "protocols").mkdir(parents=True)
    (fake / "local").mkdir()
    (fake / "protocols" / "__init__.py").write_text("")
    (fake / "protocols" / "lazy.py").write_text("def f():\n    from drupe.store.db import Store\n")
    (fake / "protocols" / "relative.py").write_text("from ..registry import Registry\n")
    (fake / "protocols" / "typing_only.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from drupe import chat\n"
    )
    (fake / "protocols" / "fine.py").write_text("from . import base\nfrom drupe.errors import DrupeError\n")
    (fake / "local" / "cli_use.py").write_text("import drupe.cli.common\n")
    (fake / "tools").mkdir()
    (fake / "tools" / "chatty.py").write_text("def f():\n    from drupe.chat import service\n")
    (fake / "gateway").mkdir()
    (fake / "gateway" / "faced.py").write_text("from drupe.web.errors import STATUS\n")
    (fake / "protocols" / "keyed.py").write_text("from drupe.gateway.keys import GatewayKeys\n")
    (fake / "checks.py").write_text("def f():\n    from drupe.web import app\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    files = sorted(fake.rglob("*.py"))
    found = crossings(RULES, files)
    assert sorted({line.split(":")[0] for line in found}) == [
        "drupe/checks.py",
        "drupe/gateway/faced.py",
        "drupe/local/cli_use.py",
        "drupe/protocols/keyed.py",
        "drupe/protocols/lazy.py",
        "drupe/protocols/relative.py",
        "drupe/protocols/typing_only.py",
        "drupe/tools/chatty.py",
    ]
    assert "drupe/protocols/lazy.py:2: drupe.protocols.lazy imports drupe.store.db" in "\n".join(found)
