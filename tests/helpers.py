"""Small builders shared by tests: scenarios from dicts, without files."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

from abscopal.scenario.load import parse_scenario


def human_base(**changes) -> dict:
    doc = {
        "abscopal": 1, "name": "test", "species": "human", "tumour": "nsclc",
        "patient": {"lesions": [
            {"id": "lung1", "site": "lung", "diameter": "28 mm"},
            {"id": "liver1", "site": "liver", "diameter": "18 mm"},
            {"id": "adrenal1", "site": "adrenal", "diameter": "15 mm"},
        ]},
        "mechanisms": {"occult_lesions": False},
        "simulation": {"duration": "120 days"},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def mouse_base(**changes) -> dict:
    doc = {
        "abscopal": 1, "name": "test", "species": "mouse", "tumour": "tsa",
        "patient": {"lesions": [
            {"id": "primary", "site": "flank", "volume": "60 mm^3"},
            {"id": "secondary", "site": "flank", "volume": "40 mm^3"},
        ]},
        "simulation": {"duration": "30 days"},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def scenario(doc: dict):
    return parse_scenario(copy.deepcopy(doc))


def imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of every module a source file imports, top level or inside functions, with relative imports
    resolved against ``package`` (the file's own package); ``from M import a`` yields both M and M.a."""
    names: set[str] = set()
    parts = package.split(".")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names
