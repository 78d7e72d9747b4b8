"""Where runbooks come from: the committed tree of a git repository at a ref, or its work tree.

Indexing the committed tree (not the files on disk) means the index answers for what was merged,
whatever the checkout looks like; ``worktree=True`` reads the files on disk instead, for authors
previewing uncommitted drafts. Git metadata (last commit, date, author per file) comes from one
pass over history. Symlinks are never followed (``rbh.git.list_files`` and ``walk_files`` skip
them), so nothing outside the repository is read.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from haystack import component, default_from_dict, default_to_dict

from rbh import git as rgit
from rbh.paths import UNDECODABLE_NAME, escape_name, is_undecodable, select, walk_files
from rbh.project import Project, runbook_globs
from rbh.anchors import mkdocs_nav_titles, slugger_for
from rbh.runbook import Problem, Runbook, parse_runbook

log = logging.getLogger(__name__)

#: Problem codes that change what gets indexed; reported as warnings with file and line.
INDEX_PROBLEMS = ("binary", "too-large", "encoding", "fence", "parse", "front-matter")


def select_runbooks(project: Project, files: list[str]) -> list[str]:
    """The runbooks among *files* (the tree being indexed, which may be a remote clone: the
    ``runbooks/`` default is decided on that tree, not on the local folder)."""
    include, exclude = runbook_globs(project.config.runbooks, any(f.startswith("runbooks/") for f in files))
    return select(files, include, exclude)


def worktree_blob_id(data: bytes) -> str:
    """The git blob sha of *data* (what ``git hash-object`` prints): the same id the tree would record."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id, not security


@component
class GitRunbookLoader:
    """Reads and parses runbook files from a git repository at a ref (or from its work tree).

    ``run(paths)`` returns ``runbooks`` (parsed, with ``git`` set to the file's last change),
    ``blobs`` (path -> blob sha) and ``problems``: ``path:line: message`` for what keeps a file (or
    part of it) out of the index. Unreadable or binary files come back with no text.
    """

    def __init__(self, repo_path: str, ref: str = "HEAD", worktree: bool = False, max_file_bytes: int = 5_000_000) -> None:
        self.repo_path = str(repo_path)
        self.ref = ref
        self.worktree = worktree
        self.max_file_bytes = max_file_bytes
        self._repo = None
        self._undecodable: set[str] = set()  # escaped names of files whose names are not UTF-8

    def warm_up(self) -> None:
        if self._repo is None:
            self._repo = rgit.open_repo(self.repo_path)

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, repo_path=self.repo_path, ref=self.ref, worktree=self.worktree, max_file_bytes=self.max_file_bytes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GitRunbookLoader":
        return default_from_dict(cls, data)

    # -------------------------------------------------------------------------------- listing
    def list_files(self) -> list[str]:
        """Every regular file of the tree being indexed (repository-relative POSIX paths)."""
        self.warm_up()
        if self.worktree:
            return walk_files(Path(self.repo_path), self._undecodable)
        return rgit.list_files(self._repo, self.ref, self._undecodable)

    def git_info(self, paths: list[str]) -> dict[str, rgit.CommitInfo]:
        self.warm_up()
        if not rgit.has_commits(self._repo):
            return {}
        return rgit.last_changes(self._repo, "HEAD" if self.worktree else self.ref, paths=paths)

    # -------------------------------------------------------------------------------- reading
    @component.output_types(runbooks=list[Runbook], blobs=dict[str, str], problems=list[str])
    def run(self, paths: list[str], git_info: dict[str, Any] | None = None) -> dict[str, Any]:
        self.warm_up()
        data = self._read(paths)
        info = self.git_info(paths) if git_info is None else git_info
        runbooks: list[Runbook] = []
        blobs: dict[str, str] = {}
        slugger = slugger_for(self.repo_path)  # citations carry the site's anchors (its toc.slugify)
        titles = mkdocs_nav_titles(self.repo_path)  # an MkDocs page without an H1 is titled by its nav entry
        for path in paths:
            raw = data.get(path)
            if raw is None and (path in self._undecodable or is_undecodable(path)):
                runbooks.append(Runbook(path=escape_name(path), text="", problems=[Problem(1, UNDECODABLE_NAME, "encoding")]))
                continue
            if raw is None:
                runbooks.append(Runbook(path=path, text="", problems=[Problem(1, "cannot be read (not a regular file at this ref)", "parse")]))
                continue
            blobs[path] = worktree_blob_id(raw)
            rb = parse_runbook(path, raw, max_bytes=self.max_file_bytes, slugger=slugger)
            rb.git = info.get(path)
            rb.site_title = titles.get(path)
            runbooks.append(rb)
        problems = [f"{rb.path}:{p.line}: {p.message}" for rb in runbooks for p in rb.problems if p.code in INDEX_PROBLEMS]
        return {"runbooks": runbooks, "blobs": blobs, "problems": problems}

    def _read(self, paths: list[str]) -> dict[str, bytes]:
        if not self.worktree:
            return rgit.read_files(self._repo, self.ref, paths)
        root = Path(self.repo_path).resolve()
        out: dict[str, bytes] = {}
        for p in paths:
            full = root / p
            try:
                if full.is_symlink() or not full.resolve().is_relative_to(root):
                    continue
                out[p] = full.read_bytes()
            except OSError as exc:
                log.warning("%s: cannot read: %s", p, exc.strerror)
        return out
