"""The server adapter's stand-in for a Qdrant server: qdrant-client's in-process engine, one for
every connection, as one server is for many processes (the guide's rule: the real engine, where a
server is needed)."""

from __future__ import annotations

from typing import Any

import pytest

from rbh.indexer.store import server as server_module


class SharedQdrant:
    """One in-memory Qdrant engine behind every ``connect()``; closing a connection keeps it up."""

    def __init__(self) -> None:
        from qdrant_client import QdrantClient

        self.engine = QdrantClient(":memory:")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def close(self, *a: Any, **k: Any) -> None:  # connections close, the server stays up
        pass


def in_process_server(monkeypatch: pytest.MonkeyPatch) -> SharedQdrant:
    """Route the server adapter's connections to one shared in-process engine for this test."""
    shared = SharedQdrant()
    monkeypatch.setattr(server_module, "connect", lambda settings: shared)
    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    return shared
