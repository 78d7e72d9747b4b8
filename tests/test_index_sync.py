"""Acceptance of the indexer on real git repositories and a real local Qdrant store (issue 3).

Every test builds a repository with GitPython in a temp folder, indexes it with ``indexer.sync``
into the embedded store (Qdrant Edge) under that repository's ``.rbh/``, and queries it the way
``rbh ask`` does (weighted RRF of the dense and sparse prefetches, ``indexer.query.Retriever``).
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from rbh.indexer.store import open_store
from rbh.indexer.store.edge import GEN_MARKER, MARKER, POINTER, STATE_FILE
from rbh.indexer.sync import sync
from rbh.errors import StoreError
from rbh.project import load_project
from rbh.indexer.store.document_store import RbhDocumentStore


def runbook(title: str, service: str, alert: str, body_words: str) -> str:
    return textwrap.dedent(
        f"""\
        ---
        title: {title}
        service: {service}
        owner: team-{service}
        alerts: [{alert}]
        severity: critical
        tags: [{service}, latency]
        last_reviewed: 2026-01-15
        ---
        # {title}

        ## Symptoms

        The {alert} alert fires: {body_words}.

        ## Diagnosis

        ```bash
        kubectl -n {service} get pods -l app={service}
        kubectl -n {service} logs deploy/{service}-api --tail=200
        ```

        ## Mitigation

        Restart the {service} deployment if {body_words} persists.

        ```bash
        kubectl -n {service} rollout restart deploy/{service}-api
        ```
        """
    )


FILES = {
    "runbooks/checkout.md": runbook("Checkout latency", "checkout", "CheckoutHighLatency", "checkout p99 latency above two seconds"),
    "runbooks/payments.md": runbook("Payments errors", "payments", "PaymentsHigh5xx", "payments 5xx error ratio above one percent"),
    "runbooks/redis.md": runbook("Redis memory", "redis", "RedisMemoryHigh", "redis memory usage close to maxmemory eviction"),
    "runbooks/kafka.md": runbook("Kafka consumer lag", "kafka", "KafkaConsumerLagHigh", "kafka consumer group lag growing on orders topic"),
}
CHUNKS_PER_RUNBOOK = 3  # Symptoms, Diagnosis, Mitigation (the H1 has nothing of its own)


def ask(project, question: str, top_k: int = 10) -> list:
    """Hybrid retrieval on the live index, as the query side does it (sections, best first)."""
    from haystack import Document

    from rbh.indexer.query import Retriever

    with Retriever(project) as retriever:
        hits = retriever.search_sections(question, limit=top_k)
    return [Document(content=h.text, meta=h.meta) for h in hits]


def paths_in_store(project) -> dict[str, int]:
    with open_store(project) as store:
        docs = RbhDocumentStore.over_reader(store).filter_documents()
    out: dict[str, int] = {}
    for d in docs:
        out[d.meta["path"]] = out.get(d.meta["path"], 0) + 1
    return out


@pytest.fixture
def indexed(make_repo):
    repo = make_repo(FILES)
    project = load_project(repo.root)
    report = sync(project)
    assert report.mode == "full"
    return repo, project, report


def test_full_index_writes_every_section_with_its_metadata(indexed):
    repo, project, report = indexed
    assert (report.added, report.chunks_embedded, report.chunks_total) == (4, 4 * CHUNKS_PER_RUNBOOK, 4 * CHUNKS_PER_RUNBOOK)
    with open_store(project) as store:
        docs = RbhDocumentStore.over_reader(store).filter_documents({"field": "meta.path", "operator": "==", "value": "runbooks/checkout.md"})
    docs.sort(key=lambda d: d.meta["chunk_index"])
    assert [d.meta["heading_path"] for d in docs] == [
        ["Checkout latency", "Symptoms"], ["Checkout latency", "Diagnosis"], ["Checkout latency", "Mitigation"]]
    assert [(d.meta["anchor"], d.meta["line"], d.meta["end_line"]) for d in docs] == [
        ("symptoms", 12, 14), ("diagnosis", 16, 21), ("mitigation", 23, 29)]
    diag = docs[1]
    assert diag.content == "\n".join(FILES["runbooks/checkout.md"].splitlines()[15:21])  # verbatim, fence intact
    meta = diag.meta
    assert meta["commit"] == repo.repo.head.commit.hexsha and meta["author"] == "Test Author"
    assert (meta["service"], meta["owner"], meta["alerts"], meta["severity"], meta["tags"], meta["last_reviewed"]) == (
        ["checkout"], "team-checkout", ["CheckoutHighLatency"], "critical", ["checkout", "latency"], "2026-01-15")


def test_second_run_without_changes_does_nothing(indexed):
    _, project, _ = indexed
    report = sync(project)
    assert (report.mode, report.chunks_embedded, report.unchanged) == ("unchanged", 0, 4)


def test_editing_one_file_re_embeds_only_its_chunks(indexed):
    repo, project, _ = indexed
    text = FILES["runbooks/redis.md"].replace("Restart the redis", "Scale up, then restart the redis")
    repo.write("runbooks/redis.md", text)
    sha = repo.commit("redis: scale first")
    report = sync(project)
    assert (report.mode, report.changed, report.unchanged) == ("incremental", 1, 3)
    assert report.chunks_embedded == CHUNKS_PER_RUNBOOK  # exactly the edited runbook's chunks
    assert report.chunks_deleted == 0 and report.chunks_total == 4 * CHUNKS_PER_RUNBOOK
    docs = ask(project, "scale up redis before restart")
    assert docs[0].meta["path"] == "runbooks/redis.md" and docs[0].meta["anchor"] == "mitigation"
    assert "Scale up, then restart" in docs[0].content and docs[0].meta["commit"] == sha


def test_removed_heading_leaves_no_stale_chunk(indexed):
    repo, project, _ = indexed
    text = FILES["runbooks/kafka.md"].split("## Mitigation")[0].rstrip() + "\n"
    repo.write("runbooks/kafka.md", text)
    repo.commit("kafka: drop mitigation")
    report = sync(project)
    assert (report.chunks_embedded, report.chunks_deleted) == (2, 1)
    assert paths_in_store(project)["runbooks/kafka.md"] == 2


def test_deleted_runbook_never_comes_back(indexed):
    repo, project, _ = indexed
    assert ask(project, "payments 5xx error ratio")[0].meta["path"] == "runbooks/payments.md"
    repo.delete("runbooks/payments.md")
    repo.commit("payments runbook retired")
    report = sync(project)
    assert (report.deleted, report.chunks_deleted, report.chunks_embedded) == (1, CHUNKS_PER_RUNBOOK, 0)
    for question in ("payments 5xx error ratio", "PaymentsHigh5xx", "kubectl -n payments rollout restart"):
        assert all(d.meta["path"] != "runbooks/payments.md" for d in ask(project, question, top_k=50))
    assert "runbooks/payments.md" not in paths_in_store(project)


def test_renamed_runbook_is_found_under_the_new_path_only(indexed):
    repo, project, _ = indexed
    (repo.root / "runbooks" / "data").mkdir()
    repo.repo.git.mv("runbooks/redis.md", "runbooks/data/redis-memory.md")
    sha = repo.commit("move redis runbook")
    report = sync(project)
    assert (report.renamed, report.chunks_embedded, report.chunks_moved) == (1, 0, CHUNKS_PER_RUNBOOK)  # vectors reused
    docs = ask(project, "redis memory usage close to maxmemory eviction", top_k=50)
    assert docs[0].meta["path"] == "runbooks/data/redis-memory.md"
    assert docs[0].meta["commit"] == sha
    assert all(d.meta["path"] != "runbooks/redis.md" for d in docs)
    assert paths_in_store(project) == {"runbooks/checkout.md": 3, "runbooks/payments.md": 3, "runbooks/kafka.md": 3,
                                       "runbooks/data/redis-memory.md": 3}


def test_rename_with_edit_re_embeds_under_the_new_path(indexed):
    repo, project, _ = indexed
    repo.repo.git.mv("runbooks/kafka.md", "runbooks/kafka-lag.md")
    repo.write("runbooks/kafka-lag.md", FILES["runbooks/kafka.md"] + "\n## Escalation\n\nPage the data platform on-call.\n")
    repo.commit("kafka: rename and add escalation")
    report = sync(project)
    assert (report.renamed, report.chunks_embedded, report.chunks_deleted) == (1, 4, 3)
    assert paths_in_store(project)["runbooks/kafka-lag.md"] == 4 and "runbooks/kafka.md" not in paths_in_store(project)


def test_force_pushed_history_triggers_a_full_rebuild(indexed):
    repo, project, _ = indexed
    repo.write("runbooks/checkout.md", FILES["runbooks/checkout.md"] + "\nA note.\n")
    repo.commit("note")
    assert sync(project).mode == "incremental"
    # rewrite history: an orphan branch with the same files, then the old commits are gone
    repo.repo.git.checkout("--orphan", "rewritten")
    repo.commit("squashed history")
    repo.repo.git.branch("-D", "main")
    repo.repo.git.branch("-m", "main")
    repo.repo.git.reflog("expire", "--expire=now", "--all")
    repo.repo.git.gc("--prune=now", "--quiet")
    report = sync(project)
    assert report.mode == "full" and "not in this repository" in report.reason
    # same texts, same model: the rebuild carries every vector over instead of embedding again
    assert (report.chunks_embedded, report.chunks_reused, report.chunks_total) == (0, 4 * CHUNKS_PER_RUNBOOK, 12)
    assert ask(project, "kafka consumer group lag")[0].meta["commit"] == repo.repo.head.commit.hexsha


def test_unrelated_history_with_old_commit_still_present_rebuilds(indexed):
    repo, project, _ = indexed
    repo.repo.git.checkout("--orphan", "other")
    repo.commit("unrelated root")
    report = sync(project)
    assert report.mode == "full" and report.reason.startswith("history rewritten")


def test_rebuild_killed_half_way_leaves_the_old_index_serving(indexed, monkeypatch):
    import rbh.indexer.components.writer as writer_module

    repo, project, _ = indexed
    root = project.root / ".rbh" / "qdrant"
    before = (root / POINTER).read_text()
    real_to_record = writer_module.to_record
    calls = {"n": 0}

    def dying_to_record(doc):
        calls["n"] += 1
        if calls["n"] == 5:  # some points of the new collection are built ...
            raise KeyboardInterrupt("killed")  # ... then the process dies inside the writer
        return real_to_record(doc)

    monkeypatch.setattr(writer_module, "to_record", dying_to_record)
    with pytest.raises(KeyboardInterrupt):
        sync(project, full=True)
    monkeypatch.undo()
    assert calls["n"] == 5
    assert (root / POINTER).read_text() == before
    assert sum(paths_in_store(project).values()) == 4 * CHUNKS_PER_RUNBOOK
    assert ask(project, "kafka consumer group lag")[0].meta["path"] == "runbooks/kafka.md"
    assert len(list(root.glob("edge-*"))) == 1  # the half-written generation is gone
    # the next run repairs: a normal sync still works and changes nothing
    assert sync(project).mode == "unchanged"


def test_leftover_generation_of_a_killed_process_is_swept(indexed):
    _, project, _ = indexed
    root = project.root / ".rbh" / "qdrant"
    store_id = json.loads((root / MARKER).read_text())["store_id"]
    (root / "edge-1-aaaaaa").mkdir()  # an unpublished generation of this store, left by a killed run
    (root / "edge-1-aaaaaa" / GEN_MARKER).write_text(json.dumps({"store_id": store_id}))
    (root / "edge-2-bbbbbb").mkdir()  # not marked by this store: never removed
    (root / "edge-2-bbbbbb" / "data").write_text("someone else's")
    (root / "edge-3-cccccc").mkdir()  # killed between creating and marking it: empty, removed
    replaced = json.loads((root / POINTER).read_text())["generation"]
    sync(project, full=True)
    serving = json.loads((root / POINTER).read_text())["generation"]
    assert not (root / "edge-1-aaaaaa").exists() and (root / "edge-2-bbbbbb" / "data").is_file()
    assert not (root / "edge-3-cccccc").exists()
    # what stays: the foreign folder, the serving generation and the one it replaced (the spare)
    assert sorted(p.name for p in root.glob("edge-*")) == sorted(["edge-2-bbbbbb", serving, replaced])


def test_changed_model_setting_triggers_a_rebuild_and_readers_refuse_the_old_index(indexed):
    repo, project, _ = indexed
    repo.write("rbh.yaml", "index:\n  dim: 128\n")
    repo.commit("smaller vectors")
    project = load_project(repo.root)
    with pytest.raises(StoreError, match=r"built with model wordllama:l2_supercat \(dim 256.*run 'rbh index'"):
        open_store(project)
    report = sync(project)
    assert report.mode == "full" and report.reason == "settings changed: dim"
    assert (report.chunks_embedded, report.chunks_reused) == (12, 0)  # other model: nothing reusable
    with open_store(project) as store:
        assert store.state.settings["dim"] == 128
        assert len(store.scroll(with_vectors=True)[0].vectors["text-dense"]) == 128


def test_changed_chunking_setting_triggers_a_rebuild(indexed):
    repo, project, _ = indexed
    repo.write("rbh.yaml", "index:\n  heading_levels: 1\n")
    repo.commit("whole runbooks")
    report = sync(load_project(repo.root))
    assert report.mode == "full" and report.reason == "settings changed: heading_levels"
    assert report.chunks_total == 4


def test_changed_site_anchors_or_nav_titles_trigger_a_rebuild(indexed):
    """Chunks carry the site's anchors and page titles (mkdocs.yml's toc.slugify and nav); a change
    there left them stale until `rbh index --full`. The rebuild reuses the stored vectors."""
    repo, project, _ = indexed
    repo.write("runbooks/notitle.md", "## Restart steps\n\nRestart the consumer.\n")
    repo.write("mkdocs.yml", "site_name: Ops\ndocs_dir: runbooks\nnav:\n  - Consumer restarts: notitle.md\n")
    repo.commit("a page titled by the nav")
    first = sync(load_project(repo.root))
    assert (first.mode, first.reason) == ("full", "settings changed: site")
    assert sync(load_project(repo.root)).mode == "unchanged"
    repo.write("mkdocs.yml", "site_name: Ops\ndocs_dir: runbooks\nnav:\n  - Restarting consumers: notitle.md\n")
    repo.commit("renamed in the nav")
    second = sync(load_project(repo.root))
    assert (second.mode, second.reason) == ("full", "settings changed: site")
    hits = [d for d in ask(load_project(repo.root), "restart the consumer") if d.meta["path"] == "runbooks/notitle.md"]
    assert hits and hits[0].meta["title"] == "Restarting consumers"
    repo.write("mkdocs.yml", "site_name: Ops\ndocs_dir: runbooks\nnav:\n  - Restarting consumers: notitle.md\n"
                             "markdown_extensions:\n  - toc:\n      separator: _\n")
    repo.commit("another anchor separator")
    third = sync(load_project(repo.root))
    assert (third.mode, third.reason) == ("full", "settings changed: site")
    assert hits[0].meta["anchor"] == "restart-steps"
    again = [d for d in ask(load_project(repo.root), "restart the consumer") if d.meta["path"] == "runbooks/notitle.md"]
    assert again[0].meta["anchor"] == "restart_steps"


def test_reader_during_indexing_sees_the_previous_complete_index(indexed):
    from rbh.indexer.pipelines import IndexSettings
    from rbh.indexer.store import IndexState, StoreWriter, store_settings

    repo, project, _ = indexed
    settings = IndexSettings.from_project(project)
    with StoreWriter(store_settings(project), settings.dim) as writer:
        target = writer.begin(full=True, state=IndexState(collection="", fingerprint=settings.fingerprint,
                                                          model_fingerprint=settings.model_fingerprint))
        # an unpublished, half-built generation exists; two readers at once still get the old index
        with open_store(project) as first, open_store(project) as second:
            assert first.state.chunks == second.state.chunks == 4 * CHUNKS_PER_RUNBOOK
            assert second.count() == 4 * CHUNKS_PER_RUNBOOK
            assert first.collection == second.collection  # the same published generation, loaded twice
        writer.abort(target)
    root = project.root / ".rbh" / "qdrant"
    assert len(list(root.glob("edge-*"))) == 1
    reader = open_store(project)  # holds a lease on the serving generation ...
    old = root / reader.collection
    repo.write("runbooks/kafka.md", FILES["runbooks/kafka.md"] + "\nMore.\n")
    repo.commit("more")
    sync(project)
    assert old.is_dir() and reader.count() == 12  # ... so the new publish keeps it for the reader
    reader.close()
    spare = json.loads((root / POINTER).read_text())["generation"]
    sync(project, full=True)
    serving = json.loads((root / POINTER).read_text())["generation"]
    # the reader's generation goes; the one the rebuild replaced stays as the spare
    assert not old.exists() and sorted(p.name for p in root.glob("edge-*")) == sorted([serving, spare])
    assert list((root / "leases").iterdir()) == []


def test_second_indexer_gets_a_one_line_error_naming_the_pid(indexed, rbh):
    import os

    from rbh.indexer.pipelines import IndexSettings
    from rbh.indexer.store import StoreWriter, store_settings

    repo, project, _ = indexed
    with StoreWriter(store_settings(project), IndexSettings.from_project(project).dim):
        code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 2
    assert err.strip() == f"rbh: error: index at {project.root / '.rbh' / 'qdrant'} is in use by another rbh process (pid {os.getpid()})"


def test_worktree_indexes_drafts_then_committed_run_rebuilds(indexed):
    repo, project, _ = indexed
    repo.write("runbooks/draft.md", runbook("Search outage", "search", "SearchDown", "search returns empty results"))
    report = sync(project, worktree=True)
    assert report.mode == "full" and report.files == 5
    assert ask(project, "search returns empty results")[0].meta["path"] == "runbooks/draft.md"
    report = sync(project)
    assert report.mode == "full" and "work tree" in report.reason and report.files == 4
    assert "runbooks/draft.md" not in paths_in_store(project)


def test_cli_index_prints_summary_and_status(make_repo, rbh):
    repo = make_repo(FILES)
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0, err
    sha = repo.repo.head.commit.hexsha
    assert out.startswith(f"indexed {sha[:8]} (full rebuild: no index yet): files 4 added, 0 changed, 0 renamed, 0 deleted, 0 unchanged; chunks 12 written")
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    assert code == 0
    assert f"commit:      {sha} (HEAD)" in out and "chunks:      12" in out and "runbooks:    4" in out
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--quiet"])
    assert (code, out) == (0, "")


def test_status_without_index_and_ask_without_index(make_repo, rbh):
    repo = make_repo(FILES)
    code, out, _ = rbh(["index", "--repo", str(repo.root), "--status"])
    assert code == 0 and "none yet" in out
    with pytest.raises(StoreError, match="no index at .* yet: run 'rbh index' first"):
        open_store(load_project(repo.root))


def test_unknown_ref_is_a_one_line_error(make_repo, rbh):
    repo = make_repo(FILES)
    code, _, err = rbh(["index", "--repo", str(repo.root), "--ref", "no-such-branch"])
    assert (code, err.strip()) == (2, "rbh: error: unknown git ref 'no-such-branch'")


def test_bad_runbooks_are_reported_and_the_others_indexed(make_repo):
    files = dict(FILES)
    files["runbooks/binary.md"] = b"\x00\x01\x02binary"
    files["runbooks/broken.md"] = "---\ntitle: [unclosed\n---\n# Broken\n\n## Steps\n\nDo the thing.\n"
    repo = make_repo(files)
    report = sync(load_project(repo.root))
    assert report.files == 6 and report.chunks_total == 4 * CHUNKS_PER_RUNBOOK + 1
    assert report.warnings[0] == "runbooks/binary.md:1: binary file, not markdown: skipped"
    assert re.match(r"runbooks/broken.md:[23]: front matter is not valid YAML", report.warnings[1])


def test_store_records_its_own_state(indexed):
    _, project, _ = indexed
    root = project.root / ".rbh" / "qdrant"
    current = json.loads((root / POINTER).read_text())["generation"]
    rbh_meta = json.loads((root / current / STATE_FILE).read_text())["rbh"]
    assert rbh_meta["complete"] is True and rbh_meta["chunks"] == 12 and rbh_meta["files"] == 4
    assert rbh_meta["format"] == 2


def test_write_failure_is_one_line_and_keeps_the_old_index(indexed, rbh, monkeypatch):
    import rbh.indexer.components.writer as writer_module

    repo, project, _ = indexed
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nMore.\n")
    repo.commit("more")

    def disk_full(doc):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module, "to_record", disk_full)
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 2 and out == ""
    assert err.strip() == (f"rbh: error: writing the index at {project.root / '.rbh' / 'qdrant'} failed: "
                           "OSError: [Errno 28] No space left on device")
    monkeypatch.undo()
    assert sum(paths_in_store(project).values()) == 4 * CHUNKS_PER_RUNBOOK
    assert sync(project).mode == "incremental"  # the next run repairs


def test_unreachable_server_is_a_one_line_error(make_repo, rbh):
    repo = make_repo({**FILES, "rbh.yaml": "store:\n  retries: 0\n  timeout: 2\n"})
    for args in (["index", "--status"], ["index"]):
        code, out, err = rbh([*args, "--repo", str(repo.root), "--qdrant-url", "http://user:pw@127.0.0.1:9"])
        assert code == 2, err
        assert err.startswith("rbh: error: cannot reach Qdrant at http://127.0.0.1:9 after 1 attempt(s):")
        assert "pw" not in err and len(err.strip().splitlines()) == 1


def test_shallow_clone_indexes_with_a_notice_and_rebuilds_when_history_is_missing(make_repo, tmp_path):
    import git

    upstream = make_repo(FILES)
    for n in range(3):
        upstream.write("runbooks/checkout.md", FILES["runbooks/checkout.md"] + f"\nEdit {n}.\n")
        upstream.commit(f"edit {n}")
    clone = tmp_path / "shallow"
    git.Repo.clone_from(f"file://{upstream.root}", clone, depth=1)
    report = sync(load_project(clone))
    assert report.mode == "full" and report.files == 4
    assert any(w.startswith("shallow clone: ") for w in report.warnings)


def test_empty_repository_is_a_clear_error_and_worktree_still_works(git_repo, rbh):
    git_repo.write("runbooks/draft.md", FILES["runbooks/redis.md"])
    code, _, err = rbh(["index", "--repo", str(git_repo.root)])
    assert (code, err.strip()) == (2, "rbh: error: the repository has no commits yet; commit your runbooks first (or use --worktree)")
    report = sync(load_project(git_repo.root), worktree=True)
    assert (report.files, report.chunks_total, report.commit) == (1, 3, None)


def test_no_runbooks_gives_an_empty_index_and_a_notice(make_repo):
    repo = make_repo({"runbooks/notes.txt": "not markdown"})
    report = sync(load_project(repo.root))
    assert report.chunks_total == 0 and report.warnings == [
        "no runbooks matched the runbook globs (config 'runbooks.include'); the index is empty"]


def test_incremental_sync_leaves_the_published_generation_untouched(indexed):
    """Copy-on-write: the edit goes into a copy; the generation a reader holds does not change a byte."""
    import hashlib

    repo, project, _ = indexed
    reader = open_store(project)
    gen = project.root / ".rbh" / "qdrant" / reader.collection

    def digest():
        return {p.relative_to(gen).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(gen.rglob("*")) if p.is_file()}

    before = digest()
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nMore.\n")
    repo.commit("more")
    report = sync(project)
    assert (report.mode, report.chunks_embedded) == ("incremental", 3)
    assert digest() == before and reader.count() == 12
    reader.close()
    docs = ask(project, "redis memory usage close to maxmemory eviction")
    assert docs[0].meta["path"] == "runbooks/redis.md" and "More." in "".join(d.content for d in docs if d.meta["path"] == "runbooks/redis.md")
    with open_store(project) as store:
        assert store.state.commit == repo.repo.head.commit.hexsha and store.state.chunks == 12


def test_old_local_mode_layout_is_detected_and_rebuilt_with_a_notice(indexed, rbh):
    repo, project, _ = indexed
    old = project.root / "old-store"
    (old / "gen-1" / "collection").mkdir(parents=True)
    (old / ".gitignore").write_text("*\n")  # as the earlier rbh wrote it
    (old / "gen-1" / "meta.json").write_text("{}")
    (old / "CURRENT").write_text(json.dumps({"generation": "gen-1", "collection": "runbooks-1"}))
    repo.write("rbh.yaml", "store:\n  path: old-store\n")
    repo.commit("store elsewhere")
    code, _, err = rbh(["ask", "--repo", str(repo.root), "--no-cache", "redis memory"])
    assert code == 2 and "was built by an earlier rbh (Qdrant local mode)" in err and "run 'rbh index'" in err
    code, out, err = rbh(["index", "--repo", str(repo.root)])
    assert code == 0 and "full rebuild" in out
    assert err.count("\n") == 1 and "built by an earlier rbh (Qdrant local mode): rebuilding it with Qdrant Edge" in err
    assert (old / "CURRENT").is_file() and (old / "gen-1" / "meta.json").is_file()  # not ours to delete
    code, out, _ = rbh(["ask", "--repo", str(repo.root), "--no-cache", "--json", "redis memory usage close to maxmemory eviction"])
    assert code == 0 and json.loads(out)["results"][0]["path"] == "runbooks/redis.md"


def test_rename_onto_a_new_file_with_the_old_name_keeps_both(indexed):
    repo, project, _ = indexed
    repo.repo.git.mv("runbooks/checkout.md", "runbooks/checkout-latency.md")
    repo.write("runbooks/checkout.md", runbook("Checkout errors", "checkout", "CheckoutErrors", "checkout 5xx after deploy"))
    repo.commit("split checkout runbooks")
    sync(project)
    found = paths_in_store(project)
    assert found["runbooks/checkout.md"] == 3 and found["runbooks/checkout-latency.md"] == 3 and sum(found.values()) == 15
    assert ask(project, "checkout 5xx after deploy")[0].meta["path"] == "runbooks/checkout.md"


def test_local_incremental_finds_exactly_the_chunks_of_touched_runbooks(make_repo):
    """The path filter must not pick up another runbook that merely mentions it."""
    files = dict(FILES)
    files["runbooks/checkout.md"] += "\n## See also\n\nFor cache trouble read runbooks/redis.md first.\n"
    repo = make_repo(files)
    project = load_project(repo.root)
    sync(project)
    repo.delete("runbooks/redis.md")
    repo.commit("redis runbook retired")
    report = sync(project)
    assert (report.chunks_deleted, report.chunks_total) == (3, 10)
    assert paths_in_store(project) == {"runbooks/checkout.md": 4, "runbooks/payments.md": 3, "runbooks/kafka.md": 3}


def test_full_rebuild_embeds_only_chunks_whose_text_changed(indexed):
    repo, project, _ = indexed
    repo.write("runbooks/payments.md", FILES["runbooks/payments.md"].replace("Restart the payments", "Fail over the payments"))
    repo.commit("payments: fail over")
    report = sync(project, full=True)
    assert (report.mode, report.chunks_embedded, report.chunks_reused) == ("full", 1, 11)
    top = ask(project, "fail over the payments deployment")[0]
    assert top.meta["path"] == "runbooks/payments.md" and "Fail over the payments" in top.content


def test_work_after_the_index_runs_on_the_new_index_and_the_old_generation_is_gone_on_return(indexed):
    """``sync(then=...)`` (``rbh index`` refreshes the stored health there) runs once the new
    generation serves, while the replaced one is deleted; by the time sync returns it is gone."""
    repo, project, _ = indexed
    root = project.root / ".rbh" / "qdrant"
    old = json.loads((root / POINTER).read_text())["generation"]
    seen: list[tuple[str, str | None]] = []

    def then():
        with open_store(project) as store:
            seen.append((store.collection, store.state.commit))

    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nMore.\n")
    sha = repo.commit("more")
    report = sync(project, then=then)
    new = json.loads((root / POINTER).read_text())["generation"]
    assert report.mode == "incremental" and new != old
    assert seen == [(new, sha)]
    assert sorted(p.name for p in root.glob("edge-*")) == sorted([new, old])  # old: the spare
    sync(project, then=then)  # up to date: the work still runs
    assert seen == [(new, sha), (new, sha)]


def test_work_after_the_index_does_not_run_when_indexing_fails(indexed, monkeypatch):
    from rbh.indexer.store.edge import EdgeWriter

    repo, project, _ = indexed
    ran: list[bool] = []

    def broken(self, target, state):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(EdgeWriter, "publish", broken)  # a full disk at the last step
    repo.write("runbooks/redis.md", FILES["runbooks/redis.md"] + "\nMore.\n")
    repo.commit("more")
    with pytest.raises(StoreError, match="No space left on device"):
        sync(project, then=lambda: ran.append(True))
    assert ran == []
