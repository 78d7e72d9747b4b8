"""``rbh index --status``: what the index holds, read from the store's own metadata."""

from __future__ import annotations

from indexer.store import store_settings, store_size_bytes


def index_status(project, qdrant_url: str | None = None) -> str:
    """Indexed commit, counts, model and store location (a URL is shown without credentials).

    Reads only the recorded state: for a local store that is Qdrant's ``meta.json`` of the serving
    generation, so it neither loads the vectors nor waits for a running ``rbh index``.
    """
    from indexer.pipelines import IndexSettings
    from indexer.store import _connect, read_state, with_retries, current_generation, _state_from_meta_file

    ss = store_settings(project, qdrant_url)
    if ss.is_local:
        gen = current_generation(ss.path)
        state = _state_from_meta_file(gen, ss.alias) if gen else None
    else:
        client = _connect(ss)
        try:
            state = with_retries(ss, lambda: read_state(client, ss.alias), "read the index state")
        finally:
            client.close()
    lines = [f"store:       {ss.location}" + (" (local)" if ss.is_local else " (server)")]
    if state is None or not state.complete:
        lines.append("index:       none yet (run 'rbh index')")
        return "\n".join(lines)
    wanted = IndexSettings.from_project(project)
    s = state.settings or {}
    lines += [
        f"collection:  {ss.alias} -> {state.collection}",
        f"source:      {state.source or '-'}",
        f"commit:      {state.commit or '-'}" + (f" ({state.ref})" if state.ref else "") + (" + work tree" if state.worktree else ""),
        f"indexed at:  {state.indexed_at}",
        f"runbooks:    {state.files}",
        f"chunks:      {state.chunks}",
        f"model:       {s.get('model')} dim {s.get('dim')}; sparse {s.get('lexical')}",
        f"chunking:    heading levels {s.get('heading_levels')}, max {s.get('max_chars')} chars, overlap {s.get('overlap_chars')}",
    ]
    size = store_size_bytes(ss)
    if size is not None:
        lines.append(f"size:        {size / 1e6:.1f} MB")
    if state.fingerprint != wanted.fingerprint:
        lines.append("note:        the config changed since this index was built; the next 'rbh index' rebuilds it")
    return "\n".join(lines)
