"""The query side's store reader (Qdrant Edge, in the `rbh ask` process): answers from the published
generation, never writes it, releases its lease, and fails with one clear line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ask_support import ask_json, cli, indexed_shop, make_shop
from rbh.indexer.store import open_store
from rbh.errors import StoreError
from rbh.project import load_project


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-reader")


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_reader_requests(shop):
    with open_store(load_project(shop)) as store:
        chunks = sorted(store.records_of("runbooks/redis.md"), key=lambda r: r.payload["meta"]["chunk_index"])
        assert [c.payload["meta"]["anchor"] for c in chunks] == ["redis", "evictions-and-memory-pressure"]
        assert store.count({"field": "meta.path", "operator": "==", "value": "runbooks/redis.md"}) == 2
        assert store.count() == store.state.chunks


def test_asking_never_changes_the_published_generation_and_releases_its_lease(shop):
    store_root = shop / ".rbh" / "qdrant"
    gen = store_root / json.loads((store_root / "PUBLISHED").read_text())["generation"]
    before = _digest(gen)
    first = ask_json(shop, "too many clients", "--top-k", "3", "--no-cache")
    second = ask_json(shop, "too many clients", "--top-k", "3", "--no-cache")
    assert first == second and first["results"][0]["path"] == "runbooks/postgres.md"
    assert _digest(gen) == before
    assert list((store_root / "leases").iterdir()) == []


def test_reader_errors_are_one_line(tmp_path):
    root = make_shop(tmp_path / "never-indexed")
    with pytest.raises(StoreError, match=r"yet: run 'rbh index' first$"):
        open_store(load_project(root))
    code, out, err = cli(["ask", "--repo", str(root), "anything"])
    assert code == 2 and err.startswith("rbh: error: no index at ") and len(err.strip().splitlines()) == 1


def test_cold_process_end_to_end(shop):
    """A real `rbh ask` process."""
    from conftest import run_rbh_subprocess

    proc = run_rbh_subprocess(["ask", "--repo", str(shop), "--json", "--no-cache", "CheckoutHighLatency"])
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)["results"][0]
    assert (first["path"], first["anchor"], first["via"]) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")


def test_ask_imports_neither_haystack_nor_qdrant_client(shop):
    """The embedded query path needs only Qdrant Edge: Haystack and qdrant-client stay out of a cold ask."""
    import subprocess
    import sys

    code = ("import sys, json\nfrom rbh.cli import run\n"
            f"rc = run(['ask', '--repo', {str(shop)!r}, '--json', '--no-cache', 'redis evictions'])\n"
            "print(json.dumps([rc, 'haystack' in sys.modules, 'qdrant_client' in sys.modules]), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == [0, False, False], proc.stderr
