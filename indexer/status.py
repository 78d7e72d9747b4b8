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


def runbooks_changed_since(project, commit: str) -> bool:
    """True when a runbook, or the config file that selects them, differs between *commit* (the
    indexed one) and HEAD; a commit that touched only manifests or code leaves the index current.
    An unknown commit (history rewritten, shallow clone) counts as changed: the index cannot be
    shown to be current. One tree diff, no file contents read."""
    from checks.history import HistoryError, _git_lines
    from rbh.config import CONFIG_NAMES
    from rbh.paths import glob_match

    try:
        names = list(_git_lines(project.root, ["diff", "--name-only", "--no-renames", "--no-color", commit, "HEAD", "--"]))
    except HistoryError:
        return True
    include, exclude = project.runbook_include, project.runbook_exclude
    for line in names:
        path = line.strip()
        if not path:
            continue
        if path in CONFIG_NAMES:
            return True
        if any(glob_match(path, g) for g in include) and not any(glob_match(path, g) for g in exclude):
            return True
    return False
