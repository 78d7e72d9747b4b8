"""Helpers for the checks tests: real git repositories built in a temp folder with GitPython."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path

import git
import pytest

AUTHOR = git.Actor("Test Author", "author@example.com")
GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("RBH_UPDATE_GOLDEN") == "1"


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; RBH_UPDATE_GOLDEN=1 rewrites it (review the diff before committing)."""
    path = GOLDEN / name
    if UPDATE_GOLDEN or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden file {path} did not exist; written now, check it and rerun")
    assert text == path.read_text(encoding="utf-8")


def _golden_sections(text: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    for block in ("\n" + text).split("\n## ")[1:]:
        title, _, body = block.partition("\n")
        sections[title] = body.rstrip("\n") + "\n"
    return sections


def assert_golden_section(name: str, section: str, text: str, order: list[str]) -> None:
    """Like ``assert_golden`` for one ``## SECTION`` of tests/golden/NAME (one file, many cases: each
    test compares and, with RBH_UPDATE_GOLDEN=1, rewrites only its own section; *order* lists every
    section the file should hold, in order, so stale ones go on update)."""
    path = GOLDEN / name
    sections = _golden_sections(path.read_text(encoding="utf-8")) if path.exists() else {}
    if UPDATE_GOLDEN or section not in sections:
        sections[section] = text
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"## {s}\n{sections[s]}" for s in order if s in sections), encoding="utf-8")
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden section {section!r} of {path} did not exist; written now, check it and rerun")
    assert text == sections[section]


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
