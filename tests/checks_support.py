"""Helpers for the checks tests: real git repositories built in a temp folder with GitPython."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import git

AUTHOR = git.Actor("Test Author", "author@example.com")


def write_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    for rel, content in files.items():
        path = root / rel
        if content is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8")


def commit_history(root: Path, commits: list[dict[str, str | bytes | None]], start: dt.datetime | None = None) -> tuple[git.Repo, list[str]]:
    """A repository at *root* with one commit per dict of files (None deletes); returns (repo, shas)."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test Author")
        cw.set_value("user", "email", "author@example.com")
        cw.set_value("commit", "gpgsign", "false")
    when = start or dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    shas = []
    for i, files in enumerate(commits):
        write_files(root, files)
        for rel, content in files.items():
            if content is None:
                if rel in {e.path for e in repo.index.entries.values()} or (root / rel).exists() is False:
                    try:
                        repo.index.remove([rel], working_tree=False)
                    except git.GitCommandError:
                        pass
            else:
                repo.index.add([rel])
        stamp = (when + dt.timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S")
        c = repo.index.commit(f"commit {i}", author=AUTHOR, committer=AUTHOR, author_date=stamp, commit_date=stamp)
        shas.append(c.hexsha)
    return repo, shas
