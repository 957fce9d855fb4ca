"""docs/security.md names, for each threat, the test that proves the defence: every test it
names exists, so the page cannot go on citing a test that was renamed or removed."""

from __future__ import annotations

import ast
import re

from vitrine.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "security.md"
CITED = re.compile(r"`((?:unit|integration|functional|e2e)/[a-z0-9_/]+\.py)(?:::([a-z0-9_]+))?")


def functions_in(path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_security_page_cites_exists():
    cited = CITED.findall(DOC.read_text())
    assert len(cited) > 40
    missing = []
    for file, name in cited:
        path = PROJECT_ROOT / "tests" / file
        if not path.is_file() or (name and name not in functions_in(path)):
            missing.append(f"{file}::{name}")
    assert missing == []
