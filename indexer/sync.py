"""``rbh index``: bring the index to a git ref, re-embedding only what changed.

Decision per run:

- **unchanged**: the index already holds this commit with these settings -> nothing to do.
- **incremental**: the index holds an older commit of the same history, with the same settings
  fingerprint -> ``git diff --name-status -M old new``; added and modified runbooks are re-chunked
  and re-embedded, deleted ones removed, pure renames moved (their vectors are reused, only path and
  commit metadata change). New chunks are written before stale ones are removed.
- **full rebuild** into a new collection, then an atomic switch: ``--full``, no index yet, a changed
  fingerprint (model, dimension, chunking, globs), an indexed commit that is unknown here or not an
  ancestor of the new one (a force-push rewrote history: every file's last-change metadata may have
  changed), or the work tree (``--worktree``) on either side.

A failure anywhere before the switch leaves the previous index serving (see ``indexer.store``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

from rbh import __version__
from rbh import git as rgit
from rbh.errors import GitError, StoreError

if TYPE_CHECKING:
    from rbh.project import Project
    from git import Repo

    from rbh.indexer.pipelines import IndexSettings
    from rbh.indexer.store import IndexState

log = logging.getLogger(__name__)

BATCH_FILES = 32


@dataclass
class SyncReport:
    mode: str  # full | incremental | unchanged
    reason: str
    commit: str | None
    location: str
    added: int = 0
    changed: int = 0
    renamed: int = 0
    deleted: int = 0
    unchanged: int = 0
    files: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0  # rebuild: vectors carried over from the previous index (same text, same model)
    chunks_moved: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def chunks_written(self) -> int:
        return self.chunks_embedded + self.chunks_reused + self.chunks_moved

    def summary(self) -> str:
        what = {"full": "full rebuild", "incremental": "incremental sync", "unchanged": "up to date"}[self.mode]
        sha = (self.commit or "work tree")[:8] if self.commit else "work tree"
        return (
            f"indexed {sha} ({what}: {self.reason}): files {self.added} added, {self.changed} changed, "
            f"{self.renamed} renamed, {self.deleted} deleted, {self.unchanged} unchanged; "
            f"chunks {self.chunks_written} written ({self.chunks_embedded} embedded"
            + (f", {self.chunks_reused} reused" if self.chunks_reused else "")
            + f"), {self.chunks_deleted} removed, "
            f"{self.chunks_total} total; {self.seconds:.1f}s"
        )


@dataclass
class _Plan:
    embed: list[str] = field(default_factory=list)  # paths to (re)chunk and embed
    moves: list[tuple[str, str]] = field(default_factory=list)  # (old, new): same content, reuse vectors
    remove: list[str] = field(default_factory=list)  # paths whose chunks all go
    added: int = 0
    changed: int = 0
    renamed: int = 0
    deleted: int = 0


Progress = Callable[[int], None]  # called with the number of files just processed


def sync(project: Project, *, ref: str | None = None, worktree: bool = False, full: bool = False,
         qdrant_url: str | None = None, source: str | None = None,
         progress_start: Callable[[int], Progress] | None = None,
         then: Callable[[], None] | None = None) -> SyncReport:
    """Index the runbooks of *project* at *ref* (or its work tree) and return what was done.

    *source* (default: config ``index.source``, else the project's own repository) is a git URL or
    path the runbooks are read from; config and store always belong to *project*.
    *progress_start(total_files)* returns a callback for progress. *then* is work that does not
    touch the index, run once the index is up to date (not after a failure) while the store cleans
    up after itself (the embedded store deletes the replaced generation meanwhile).
    """
    from rbh.indexer.components.source import GitRunbookLoader, select_runbooks
    from rbh.indexer.pipelines import IndexSettings
    from rbh.indexer.remote import is_url, open_source, remote_ref, safe_url
    from rbh.indexer.store import IndexState, StoreWriter, store_settings

    t0 = time.monotonic()
    source = source or project.config.index.source
    ref = ref or project.config.index.ref
    repo: Repo | None = project.repo
    if source:
        if worktree and is_url(source):
            raise GitError("--worktree reads files on disk; it cannot be used with a remote --source")
        repo = open_source(project, source)
    if repo is None:
        raise GitError(f"{project.root} is not a git repository: rbh indexes runbooks from git (run 'git init' and commit them)")
    root = rgit.repo_root(repo)
    settings = IndexSettings.from_project(project, root)
    ss = store_settings(project, qdrant_url)

    if worktree:
        commit = rgit.resolve_ref(repo, "HEAD") if rgit.has_commits(repo) else None
    elif source and is_url(source):
        commit = remote_ref(repo, ref)
    else:
        commit = rgit.resolve_ref(repo, ref)
    shown_source = safe_url(source) if source and is_url(source) else str(root)
    loader = GitRunbookLoader(str(root), ref=commit or "HEAD", worktree=worktree, max_file_bytes=settings.max_file_bytes)
    files = loader.list_files()
    paths = select_runbooks(project, files)
    notices: list[str] = []
    if not paths:
        notices.append("no runbooks matched the runbook globs (config 'runbooks.include'); the index is empty")
    if not worktree and rgit.is_shallow(repo):
        notices.append("shallow clone: runbooks last changed before the clone's first commit get that commit's "
                       "sha, date and author (fetch full history for exact values)")

    with StoreWriter(ss, settings.dim) as writer:
        prev = writer.state
        notices.extend(writer.notices)
        reason = _full_reason(repo, prev, settings, commit, worktree, full)
        report = SyncReport(mode="full" if reason else "incremental", reason=reason or "", commit=commit, location=ss.location,
                            warnings=list(notices))
        state = IndexState(collection="", commit=commit, ref=None if worktree else ref, worktree=worktree,
                           source=shown_source, fingerprint=settings.fingerprint, model_fingerprint=settings.model_fingerprint,
                           settings=settings.as_dict(), rbh_version=__version__)
        if not reason and prev.commit == commit and not writer.verify():  # damaged: never "up to date" over it
            report.warnings.extend(n for n in writer.notices if n not in report.warnings)
            reason = "the index was damaged"
            report.mode, report.reason = "full", reason
        if reason:
            plan = _Plan(embed=list(paths), added=len(paths))
        else:
            assert prev is not None and prev.commit is not None and commit is not None  # _full_reason saw to it
            if prev.commit == commit:
                writer.ensure_indexes()  # payload indexes added by a newer rbh reach an unchanged index too
                report.mode, report.reason = "unchanged", f"already at {commit[:8]}"
                report.unchanged = report.files = len(paths)
                report.chunks_total = prev.chunks
                report.seconds = time.monotonic() - t0
                if then is not None:
                    then()
                return report
            plan = _plan_incremental(repo, project, prev.commit, commit, set(paths))
            report.reason = f"{prev.commit[:8]}..{commit[:8]}"
        report.added, report.changed, report.renamed, report.deleted = plan.added, plan.changed, plan.renamed, plan.deleted
        report.unchanged = len(paths) - plan.added - plan.changed - plan.renamed
        report.files = len(paths)

        touched = plan.embed + plan.remove + [p for move in plan.moves for p in move]
        try:
            target = writer.begin(full=bool(reason), state=state, touched=touched)
            if target.full and not reason:  # the serving index turned out damaged: rebuild it whole
                report.warnings.extend(n for n in writer.notices if n not in report.warnings)
                report.mode, report.reason = "full", "the index was damaged"
                plan = _Plan(embed=list(paths), added=len(paths))
                report.added, report.changed, report.renamed, report.deleted, report.unchanged = len(paths), 0, 0, 0, 0
        except Exception as exc:  # a half-made generation or collection is swept by the next run
            store_exc = as_store_error(exc, ss.location)
            if store_exc is not None:
                raise store_exc from None
            raise
        try:
            tick = progress_start(len(plan.embed) + len(plan.moves)) if progress_start else (lambda n: None)
            cache = _vector_cache(writer, prev, settings) if reason else None
            _apply(target, plan, settings, loader, report, tick, cache)
            state.files = len(paths)
            state.chunks = report.chunks_total = target.count()
            state.indexed_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            writer.publish(target, state)
        except BaseException as exc:
            writer.abort(target)
            store_exc = as_store_error(exc, ss.location)
            if store_exc is not None:
                raise store_exc from None
            raise
        report.seconds = time.monotonic() - t0
        if then is not None:
            then()
    return report


def _full_reason(repo: Repo, prev: IndexState | None, settings: IndexSettings, commit: str | None, worktree: bool,
                 full: bool) -> str | None:
    if full:
        return "--full"
    if prev is None or not prev.complete:
        return "no index yet"
    if prev.fingerprint != settings.fingerprint:
        old = prev.settings or {}
        diff = sorted(k for k, v in settings.as_dict().items() if old.get(k) != v)
        return f"settings changed: {', '.join(diff) or 'index format'}"
    if worktree or commit is None:  # no commit: a work tree without commits
        return "work tree"
    if prev.worktree:
        return "the index was built from a work tree"
    if not prev.commit or not _commit_exists(repo, prev.commit):
        if rgit.is_shallow(repo):
            return f"indexed commit {str(prev.commit)[:8]} is not in this shallow clone (fetch more history to sync incrementally)"
        return f"indexed commit {str(prev.commit)[:8]} is not in this repository (history rewritten?)"
    if not (rgit.is_ancestor(repo, prev.commit, commit) or rgit.is_ancestor(repo, commit, prev.commit)):
        return f"history rewritten: indexed commit {prev.commit[:8]} is not an ancestor of {commit[:8]}"
    return None


def _commit_exists(repo, sha: str) -> bool:
    try:
        rgit.resolve_ref(repo, sha)
        return True
    except GitError:
        return False


def _plan_incremental(repo: Repo, project: Project, old: str, new: str, selected_now: set[str]) -> _Plan:
    from rbh.indexer.components.source import select_runbooks

    plan = _Plan()
    changes = rgit.diff_names(repo, old, new)
    old_candidates = [c.old_path or c.path for c in changes]
    # the selection at the old commit is decided on the old tree (the runbooks/ default may differ)
    selected_before = set(select_runbooks(project, rgit.list_files(repo, old))) & set(old_candidates) if changes else set()
    renamed_pairs = [(c.old_path, c.path) for c in changes
                     if c.status == "R" and c.old_path is not None and c.old_path in selected_before and c.path in selected_now]
    old_blobs = rgit.blob_ids(repo, old, [o for o, _ in renamed_pairs]) if renamed_pairs else {}
    new_blobs = rgit.blob_ids(repo, new, [n for _, n in renamed_pairs]) if renamed_pairs else {}
    for c in changes:
        old_path = c.old_path or c.path
        was, now = old_path in selected_before, c.path in selected_now
        if c.status == "R" and was and now:
            plan.renamed += 1
            if old_blobs.get(old_path) == new_blobs.get(c.path):
                plan.moves.append((old_path, c.path))
            else:
                plan.remove.append(old_path)
                plan.embed.append(c.path)
        elif c.status == "M" and was and now:
            plan.changed += 1
            plan.embed.append(c.path)
        else:  # added, deleted, or moved into / out of the runbook globs
            if was:
                plan.deleted += 1
                plan.remove.append(old_path)
            if now:
                plan.added += 1
                plan.embed.append(c.path)
    return plan


def _vector_cache(writer, prev, settings):
    """Vectors of the previous index for a rebuild, when they were made by the same model."""
    if prev is None or not prev.complete or prev.model_fingerprint != settings.model_fingerprint:
        return None
    try:
        return writer.vector_cache()
    except Exception as exc:  # noqa: BLE001 - an optimisation: without it every chunk is embedded
        log.info("not reusing vectors of the previous index: %s", exc)
        return None


def _apply(target, plan: _Plan, settings, loader, report: SyncReport, tick: Progress, cache=None) -> None:
    from rbh.indexer.pipelines import build_indexing_pipeline

    info = loader.git_info(plan.embed + [n for _, n in plan.moves]) if (plan.embed or plan.moves) else {}
    pipeline = build_indexing_pipeline(settings, loader)
    written_ids: dict[str, list[str]] = {}
    for i in range(0, len(plan.embed), BATCH_FILES):
        batch = plan.embed[i : i + BATCH_FILES]
        with _quiet_haystack():
            out = pipeline.run({"loader": {"paths": batch, "git_info": {p: info[p] for p in batch if p in info}},
                                "reuse": {"cache": cache}, "writer": {"target": target}},
                               include_outputs_from={"chunker"})
        report.warnings.extend(out["loader"]["problems"])
        reused = out["reuse"]["reused"]
        report.chunks_reused += reused
        report.chunks_embedded += out["writer"]["documents_written"] - reused
        for doc in out["chunker"]["documents"]:
            written_ids.setdefault(doc.meta["path"], []).append(doc.id)
        tick(len(batch))
    for old, new in plan.moves:
        ids = _move(target, loader, settings, old, new, info)
        report.chunks_moved += len(ids)
        written_ids.setdefault(new, []).extend(ids)
        tick(1)
    if target.full:
        return  # a new collection: nothing stale in it
    # Stale chunks go after the new ones are in: a reader never finds a runbook missing. A path that
    # was written again in this run (a rename onto a deleted file's name) only loses what is stale.
    rewritten = set(plan.embed) | {new for _, new in plan.moves}
    gone = [p for p in dict.fromkeys(plan.remove + [old for old, _ in plan.moves]) if p not in rewritten]
    report.chunks_deleted += target.delete_paths(gone)
    for path in sorted(rewritten):
        report.chunks_deleted += _delete_stale(target, path, written_ids.get(path, []))


@contextmanager
def _quiet_haystack():
    """Silence Haystack's own warnings while a batch runs: when a component fails it tries to
    snapshot the pipeline inputs (parsed runbooks, not serializable) and warns about each; the
    failure itself reaches the user as one line (``as_store_error``)."""
    hay = logging.getLogger("haystack")
    level = hay.level
    hay.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hay.setLevel(level)


def _move(target, loader, settings, old: str, new: str, info: dict[str, Any]) -> list[str]:
    """Re-key the chunks of a renamed, unchanged runbook: new ids and metadata, the old vectors.

    Returns the ids written under the new path."""
    from haystack.dataclasses import SparseEmbedding

    from rbh.indexer.components.chunker import HeadingChunker
    from rbh.indexer.components.writer import QdrantChunkWriter
    from rbh.indexer.store import DENSE_VECTOR, SPARSE_VECTOR

    out = loader.run(paths=[new], git_info={new: info[new]} if new in info else {})
    docs = HeadingChunker(settings.heading_levels, settings.max_chars, settings.overlap_chars).run(
        runbooks=out["runbooks"], blobs=out["blobs"])["documents"]
    by_index = {(r.payload.get("meta") or {}).get("chunk_index"): r for r in target.points_of(old, with_vectors=True)}
    moved, missing = [], []
    for doc in docs:
        p = by_index.get(doc.meta["chunk_index"])
        vectors = p.vectors if p is not None else {}
        if p is None or p.payload.get("content") != doc.content or DENSE_VECTOR not in vectors or SPARSE_VECTOR not in vectors:
            missing.append(doc)
            continue
        sv = vectors[SPARSE_VECTOR]
        moved.append(replace(doc, embedding=[float(x) for x in vectors[DENSE_VECTOR]],
                             sparse_embedding=SparseEmbedding(indices=list(sv.indices), values=list(sv.values))))
    if missing:  # cannot happen for an identical blob, but never write a chunk without vectors
        from rbh.indexer.components.dense import WordLlamaDocumentEmbedder
        from rbh.indexer.components.lexical import LexicalDocumentEncoder

        emb = WordLlamaDocumentEmbedder(model=settings.model, dim=settings.dim)
        emb.warm_up()
        moved += emb.run(LexicalDocumentEncoder().run(missing)["documents"])["documents"]
    QdrantChunkWriter().run(documents=moved, target=target)
    return [d.id for d in moved]


def _delete_stale(target, path: str, keep_doc_ids: list[str]) -> int:
    """Remove chunks of *path* that the new version no longer has (a removed or renamed heading)."""
    from rbh.indexer.store import point_id

    keep = {point_id(i) for i in keep_doc_ids}
    stale = [r.id for r in target.points_of(path) if r.id not in keep]
    target.delete_ids(stale)
    return len(stale)


def as_store_error(exc: BaseException, location: str) -> Exception | None:
    """The one-line error to show for a failure while writing, or None to let it through.

    Haystack wraps a component's exception in ``PipelineRuntimeError``; unwrap it so that our own
    errors keep their message and exit code, and a Qdrant failure (server down, timeout, HTTP error,
    disk full) becomes a ``StoreError`` instead of a traceback.
    """
    from haystack.core.errors import PipelineRuntimeError

    from rbh.errors import RbhError
    from rbh.redact import redact

    inner = exc
    while isinstance(inner, PipelineRuntimeError) and inner.__cause__ is not None:
        inner = inner.__cause__
    if isinstance(inner, RbhError):
        return inner
    module = type(inner).__module__ or ""
    if module.startswith(("qdrant_client", "qdrant_edge", "httpx", "httpcore", "grpc")) or isinstance(inner, (OSError, TimeoutError)):
        text = redact(str(inner)).strip().splitlines()
        return StoreError(f"writing the index at {location} failed: {type(inner).__name__}: {text[0][:300] if text else ''}")
    return None


def ensure_store_error(exc: Exception, location: str) -> StoreError:
    """A one-line StoreError for an unexpected failure talking to Qdrant (used by the query side)."""
    from rbh.redact import redact

    return StoreError(f"index at {location}: {type(exc).__name__}: {redact(str(exc)).splitlines()[0][:300] if str(exc) else ''}")
