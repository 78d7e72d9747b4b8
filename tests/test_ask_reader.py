"""The index reader forked at the start of `rbh ask` (indexer.store_worker): same answers as the
in-process store, errors with the same class and message, no process left behind."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ask_support import ask_json, cli, indexed_shop, make_shop
from indexer.store_worker import ForkedStore, StoreBackend, can_fork, start_reader
from rbh.errors import StoreError
from rbh.project import load_project

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return indexed_shop(tmp_path_factory, "ask-reader")


@pytest.fixture(autouse=True)
def force_fork(monkeypatch):
    monkeypatch.setenv("RBH_FORK", "1")  # whatever the machine's load


def test_forked_and_in_process_answers_are_identical(shop):
    forked = ask_json(shop, "too many clients", "--top-k", "3", "--no-cache")
    in_process = ask_json(shop, "too many clients", "--top-k", "3", "--no-cache", env={"RBH_NO_FORK": "1"})
    assert forked == in_process
    assert forked["results"][0]["path"] == "runbooks/postgres.md"


def test_reader_requests(shop):
    if threading.active_count() != 1:
        pytest.skip("another thread runs in this test process")
    reader = start_reader()
    assert isinstance(reader, ForkedStore)
    project = load_project(shop)
    reader.open(project)
    try:
        state = reader.call("state")
        backend = StoreBackend(project)
        try:
            assert state == backend.call("state")
            chunks = reader.call("scroll", path="runbooks/redis.md")
            assert [c["meta"]["anchor"] for c in sorted(chunks, key=lambda c: c["meta"]["chunk_index"])] == \
                ["redis", "evictions-and-memory-pressure"]
            assert chunks == backend.call("scroll", path="runbooks/redis.md")
        finally:
            backend.close()
    finally:
        reader.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(reader._pid, os.WNOHANG)  # reaped: no zombie left


def test_reader_errors_keep_their_class_and_message(tmp_path):
    if threading.active_count() != 1:
        pytest.skip("another thread runs in this test process")
    root = make_shop(tmp_path / "never-indexed")
    project = load_project(root)
    with pytest.raises(StoreError) as in_process:
        StoreBackend(project)
    reader = start_reader()
    reader.open(project)
    try:
        with pytest.raises(StoreError) as forked:
            reader.call("state")
        assert str(forked.value) == str(in_process.value)
        assert str(forked.value).endswith("yet: run 'rbh index' first")
    finally:
        reader.close()
    code, out, err = cli(["ask", "--repo", str(root), "anything"])
    assert code == 2 and err.startswith("rbh: error: no index at ")


def test_dead_reader_is_a_store_error(shop):
    if threading.active_count() != 1:
        pytest.skip("another thread runs in this test process")
    reader = start_reader()
    os.kill(reader._pid, 9)
    try:
        with pytest.raises(StoreError, match="the index reader process ended unexpectedly"):
            reader.call("state")
    finally:
        reader.close()


def test_no_fork_when_asked_or_busy(monkeypatch):
    monkeypatch.setenv("RBH_NO_FORK", "1")
    assert can_fork() is False and start_reader() is None
    monkeypatch.delenv("RBH_NO_FORK")
    monkeypatch.delenv("RBH_FORK")
    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    assert can_fork() is False
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert can_fork() is ((os.cpu_count() or 1) >= 2 and threading.active_count() == 1)


@pytest.mark.parametrize("env", [{"RBH_FORK": "1"}, {"RBH_NO_FORK": "1"}])
def test_cold_process_end_to_end(shop, env):
    """A real `rbh ask` process: the lazy qdrant-client import and (or not) the forked reader."""
    import json

    from conftest import run_rbh_subprocess

    proc = run_rbh_subprocess(["ask", "--repo", str(shop), "--json", "--no-cache", "CheckoutHighLatency"], env=env)
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)["results"][0]
    assert (first["path"], first["anchor"], first["via"]) == ("runbooks/checkout.md", "alert-checkouthighlatency", "alert")


def test_lazy_qdrant_import_falls_back_to_the_eager_rebuild():
    import subprocess
    import sys

    code = (
        "import indexer.fast_import as f\n"
        "def boom(models): raise RuntimeError('simulated')\n"
        "f._smoke = boom\n"
        "f.import_qdrant_client()\n"
        "from qdrant_client import models\n"
        "assert all(m.__pydantic_complete__ for m in (models.Filter, models.Prefetch, models.RrfQuery, models.ScoredPoint))\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
