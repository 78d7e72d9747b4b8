"""Public APIs only (issue 11): no import of another library's underscore name or internal module,
and no reaching into another library's private attributes, anywhere in the project."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"rbh", "conftest", "ask_support", "checks_support", "report_samples", "drift", "demo"}
#: internal modules of libraries that have no underscore in their name
INTERNAL = ("qdrant_client.local", "qdrant_client.http.api_client", "haystack.core.pipeline.base")
#: private attributes of other libraries' objects that the old store used
PRIVATE_ATTRS = re.compile(r"\.(_client|_store|_https|_port|_rest_headers|_timeout)\b")


def _sources() -> list[Path]:
    out = []
    for folder in ("rbh", "indexer", "checks", "tests", "bench", "scripts"):
        out += sorted((ROOT / folder).rglob("*.py"))
    return out


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in OURS and top not in sys.stdlib_module_names


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def offences(path: Path) -> list[str]:
    found = []
    text = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            mods = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [(node.module, [a.name for a in node.names])]
        else:
            continue
        for module, names in mods:
            if not _third_party(module):
                continue
            if any(_private(p) for p in module.split(".")) or module.startswith(INTERNAL):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import of internal module {module}")
            for name in names:
                if _private(name):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import of private name {module}.{name}")
    if path.name != Path(__file__).name:
        for n, line in enumerate(text.splitlines(), 1):
            if PRIVATE_ATTRS.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{n}: private attribute of another library: {line.strip()[:80]}")
    return found


def test_no_third_party_private_imports_or_attributes():
    problems = [p for path in _sources() for p in offences(path)]
    assert problems == []


def test_the_check_catches_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from qdrant_client.local.persistence import CollectionPersistence\nfrom pydantic import _internal\n"
                   "import haystack._private\nclient._client.upsert()\nfrom rbh import _ours_is_fine\nimport _thread\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert [p.split(": ", 1)[1] for p in offences(bad)] == [
            "import of internal module qdrant_client.local.persistence", "import of private name pydantic._internal",
            "import of internal module haystack._private", "private attribute of another library: client._client.upsert()"]
    finally:
        ROOT = saved
