"""Store settings, the client-building path for a Qdrant server (no server needed), and ids."""

from __future__ import annotations


import pytest

from rbh.indexer.store import (
    PAYLOAD_INDEXES,
    StoreSettings,
    client_params,
    collection_params,
    display_url,
    ensure_payload_indexes,
    store_settings,
    with_retries,
)
from rbh.errors import StoreError
from rbh.project import load_project
from rbh.redact import redact


def test_vector_names_are_the_ones_earlier_indexes_used():
    """Haystack's Qdrant integration names; a server collection written by an earlier rbh keeps working."""
    from rbh.indexer.store import DENSE_VECTOR, SPARSE_VECTOR

    assert (DENSE_VECTOR, SPARSE_VECTOR) == ("text-dense", "text-sparse")


def test_server_settings_from_config_env_and_flag(make_repo, monkeypatch):
    repo = make_repo({"rbh.yaml": "store:\n  url: https://qdrant.internal:6333\n  api_key_env: TEAM_QDRANT_KEY\n"
                                  "  shards: 3\n  replicas: 2\n  timeout: 4.5\n  retries: 1\n  collection: oncall\n"})
    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    monkeypatch.setenv("TEAM_QDRANT_KEY", "s3cr3t-key-value")
    monkeypatch.setenv("RBH_QDRANT_API_KEY_ENV", "TEAM_QDRANT_KEY")  # the user, not rbh.yaml, allows the variable
    monkeypatch.delenv("RBH_TRUST_REPO_URLS", raising=False)
    project = load_project(repo.root)
    s = store_settings(project)
    assert (s.url, s.path, s.alias, s.shards, s.replicas, s.retries) == ("https://qdrant.internal:6333", None, "oncall", 3, 2, 1)
    with pytest.raises(StoreError, match="RBH_TRUST_REPO_URLS"):  # the URL came from rbh.yaml: no key without opt-in
        client_params(s)
    monkeypatch.setenv("RBH_TRUST_REPO_URLS", "1")
    assert client_params(s) == {"url": "https://qdrant.internal:6333", "timeout": 4, "check_compatibility": False,
                                "api_key": "s3cr3t-key-value"}
    assert collection_params(s) == {"shard_number": 3, "replication_factor": 2}
    assert redact("auth failed for s3cr3t-key-value") == "auth failed for ***"  # the env var is registered as secret
    monkeypatch.setenv("RBH_QDRANT_URL", "https://env.example:6333")
    assert store_settings(project).url == "https://env.example:6333"
    assert store_settings(project, qdrant_url="http://flag:6333").url == "http://flag:6333"


def test_local_settings_resolve_under_the_repository(make_repo, monkeypatch):
    monkeypatch.delenv("RBH_QDRANT_URL", raising=False)
    repo = make_repo({"README.md": "x"})
    s = store_settings(load_project(repo.root))
    assert s.is_local and s.path == (repo.root / ".rbh" / "qdrant").resolve()
    assert collection_params(s) == {}


def test_no_api_key_means_no_key_sent(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    s = StoreSettings(path=None, url="http://q:6333", api_key_env="NO_SUCH_KEY_VAR", alias="runbooks")
    assert "api_key" not in client_params(s)


def test_location_never_shows_credentials():
    assert display_url("https://user:pass@qdrant.example:6333/prefix?api-key=abc") == "https://qdrant.example:6333/prefix"
    s = StoreSettings(path=None, url="https://user:pass@q.example", api_key_env="X", alias="r")
    assert s.location == "https://q.example"


def test_unreachable_server_gives_a_bounded_retry_then_one_line_error():
    from qdrant_client import QdrantClient

    s = StoreSettings(path=None, url="http://127.0.0.1:9", api_key_env="X", alias="r", timeout=1, retries=1)
    client = QdrantClient(**client_params(s))
    calls = {"n": 0}

    def get():
        calls["n"] += 1
        return client.get_collections()

    with pytest.raises(StoreError, match=r"^cannot reach Qdrant at http://127.0.0.1:9 after 2 attempt\(s\)"):
        with_retries(s, get, "connect")
    assert calls["n"] == 2


def test_payload_indexes_are_added_to_an_existing_collection():
    """Only the missing ones are created. Qdrant local mode does not report payload indexes back
    (they have no effect there), so this stands in for a server's answers with a small fake."""
    from types import SimpleNamespace

    class ServerWithSomeIndexes:
        def __init__(self):
            self.schema = {"meta.path": "keyword", "meta.service": "keyword"}
            self.created = []

        def get_collection(self, name):
            return SimpleNamespace(payload_schema=dict(self.schema))

        def create_payload_index(self, name, field_name, field_schema):
            self.created.append((name, field_name, str(field_schema.value)))
            self.schema[field_name] = field_schema

    server = ServerWithSomeIndexes()
    assert ensure_payload_indexes(server, "runbooks-1") == list(PAYLOAD_INDEXES[2:])
    assert server.created == [("runbooks-1", k, "keyword") for k in PAYLOAD_INDEXES[2:]]
    assert ensure_payload_indexes(server, "runbooks-1") == []


def test_point_ids_are_the_ones_earlier_indexes_used():
    """UUID5 in qdrant-haystack's namespace, as rbh wrote them before: a server index keeps its ids."""
    from rbh.indexer.store import point_id

    assert point_id("runbooks/x.md") == "f4804d482922500b98103f4ba2659e50"
