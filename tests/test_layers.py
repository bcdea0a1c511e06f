"""The layers import only the layers below them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reactive_blocks"

#: Each layer with the packages it may import (shared modules aside).
ALLOWED = {
    "protocol": set(),
    "declaration": {"protocol"},
    "graph": {"protocol", "declaration"},
    "scheduler": {"protocol", "declaration", "graph"},
    "session": {"protocol", "declaration", "graph", "scheduler"},
    "transport": {"protocol", "declaration", "graph", "scheduler", "session"},
    "client": {"protocol"},
}
SHARED = {"errors", "log"}


def _imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "reactive_blocks" and len(parts) > 1:
                layers.add(parts[1])
    return layers


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer: str) -> None:
    """Every module of a layer imports only itself, lower layers and shared modules."""
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        imported = _imported_layers(path) - SHARED - {layer}
        assert imported <= ALLOWED[layer], (
            f"{path.name} imports {imported - ALLOWED[layer]}"
        )


def test_every_layer_is_checked() -> None:
    """No subpackage escapes the import-direction check."""
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages == set(ALLOWED)
