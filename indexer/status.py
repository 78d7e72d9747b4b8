"""``rbh index --status``: what the index holds, read from the store's own state, checked against it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rbh.indexer.store import read_status, store_settings, store_sizes

if TYPE_CHECKING:
    from rbh.project import Project


def index_status(project: Project, qdrant_url: str | None = None) -> str:
    """Indexed commit, counts, model and store location (a URL is shown without credentials).

    The recorded point count is compared with the stored one; a damaged, foreign or old-format
    index is said so (never shown as healthy). Does not wait for a running ``rbh index``.
    """
    from rbh.indexer.pipelines import IndexSettings

    ss = store_settings(project, qdrant_url)
    state, stored, problem = read_status(ss)
    lines = [f"store:       {ss.location}" + (" (local, Qdrant Edge)" if ss.is_local else " (server)")]
    if problem:
        lines.append(f"index:       unusable: {problem}")
        if state is None:
            return "\n".join(lines)
    if state is None or not state.complete:
        lines.append("index:       none yet (run 'rbh index')")
        return "\n".join(lines)
    wanted = IndexSettings.from_project(project)
    s = state.settings or {}
    if project.config.index.source:  # the site config read is the source's, not this folder's
        wanted = dataclasses.replace(wanted, site=str(s.get("site", "")))
    lines += [
        f"collection:  {ss.alias} -> {state.collection}",
        f"source:      {state.source or '-'}",
        f"commit:      {state.commit or '-'}" + (f" ({state.ref})" if state.ref else "") + (" + work tree" if state.worktree else ""),
        f"indexed at:  {state.indexed_at}",
        f"runbooks:    {state.files}",
        f"chunks:      {state.chunks}" + ("" if stored in (None, state.chunks) else f" recorded, {stored} stored"),
        f"model:       {s.get('model')} dim {s.get('dim')}; sparse {s.get('lexical')}",
        f"chunking:    heading levels {s.get('heading_levels')}, max {s.get('max_chars')} chars, overlap {s.get('overlap_chars')}",
    ]
    sizes = store_sizes(ss)
    if sizes is not None:
        serving, on_disk = sizes
        lines.append(f"size:        {serving / 1e6:.1f} MB" + (
            f" ({on_disk / 1e6:.1f} MB on disk with the spare copy the next 'rbh index' updates)" if on_disk > serving else ""))
    if state.chunks == 0:
        lines.append("note:        the index is empty: no runbook matched the runbook globs (config 'runbooks.include')")
    if state.fingerprint != wanted.fingerprint:
        lines.append("note:        the config changed since this index was built; the next 'rbh index' rebuilds it")
    return "\n".join(lines)
