"""Runbooks -> section chunks: split at headings, never inside a code fence or a table.

A chunk is one section (a heading down to the next heading of a split level) quoted verbatim, so an
answer can show exactly what the runbook says. Sections longer than ``max_chars`` are cut at block
boundaries (paragraphs, lists, whole fenced code blocks, whole tables) and the next part repeats the
trailing blocks of the previous one up to ``overlap_chars``, so a step that spans the cut is still
found. A single block larger than the limit stays whole when it is a code fence or a table (cutting
a command in half is worse than a big chunk); a huge plain paragraph is cut at whitespace.

Ids derive from path + heading path (+ occurrence of a repeated heading path, + part number), so an
unchanged section keeps its id across runs and an edit elsewhere in the file does not move it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from rbh.runbook import Runbook

CHUNKER_VERSION = "chunk-1"
_TABLE_ROW = re.compile(r"^\s*\|")


@dataclass
class _Block:
    start: int  # 0-based line index, inclusive
    end: int  # exclusive
    atomic: bool  # fence or table: never cut


class Chunk(Document):
    """A runbook chunk: a Haystack ``Document`` (same fields, same stored layout) that is cheap to copy.

    Haystack deep-copies every component input. For 20,000 chunks carrying 256 floats and a sparse
    vector each, that was about 20 of the 60 seconds a full index may take. The indexing components
    never change a chunk in place (they return ``dataclasses.replace`` copies), so a copy can share
    the vectors; ``meta`` is copied so a component that edits it cannot reach back.
    """

    def __deepcopy__(self, memo: dict) -> "Chunk":
        return replace(self, meta=dict(self.meta))


def chunk_id(path: str, heading_path: list[str], occurrence: int = 0, part: int = 0) -> str:
    """Stable chunk id: same path and heading path -> same id, run after run."""
    key = "\x1f".join([path, *heading_path]) + f"\x1e{occurrence}\x1e{part}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _blocks(lines: list[str], start: int, end: int, fences: list[tuple[int, int]]) -> list[_Block]:
    """Split lines[start:end] into blocks separated by blank lines; fences and tables stay whole."""
    fence_at = {a: b for a, b in fences}
    out: list[_Block] = []
    i = start
    cur: int | None = None
    while i < end:
        if i in fence_at:
            if cur is not None:
                out.append(_Block(cur, i, False))
                cur = None
            stop = min(fence_at[i] + 1, end)
            out.append(_Block(i, stop, True))
            i = stop
            continue
        line = lines[i]
        if _TABLE_ROW.match(line):
            if cur is not None:
                out.append(_Block(cur, i, False))
                cur = None
            j = i
            while j < end and _TABLE_ROW.match(lines[j]) and j not in fence_at:
                j += 1
            out.append(_Block(i, j, True))
            i = j
            continue
        if not line.strip():
            if cur is not None:
                out.append(_Block(cur, i, False))
                cur = None
        elif cur is None:
            cur = i
        i += 1
    if cur is not None:
        out.append(_Block(cur, end, False))
    return out


def _block_len(lines: list[str], b: _Block) -> int:
    return sum(len(lines[i]) + 1 for i in range(b.start, b.end))


def _split_text(text: str, max_chars: int) -> list[str]:
    """Cut an oversized plain paragraph at whitespace (last resort: hard cut)."""
    parts: list[str] = []
    pos, n = 0, len(text)  # positions, not slices of the rest: slicing made a 4 MB line quadratic
    while n - pos > max_chars:
        cut = text.rfind(" ", pos, pos + max_chars)
        if cut - pos <= max_chars // 2:
            cut = pos + max_chars
        parts.append(text[pos:cut])
        pos = cut
        while pos < n and text[pos] == " ":
            pos += 1
    if pos < n:
        parts.append(text[pos:])
    return parts


@component
class HeadingChunker:
    """Turns parsed runbooks into Documents, one per section (or section part).

    Input ``runbooks``: ``rbh.runbook.Runbook`` objects with ``git`` (CommitInfo or None) set, and
    an optional ``blobs`` mapping path -> git blob sha recorded in each chunk.
    """

    def __init__(self, heading_levels: int = 3, max_chars: int = 2000, overlap_chars: int = 200) -> None:
        self.heading_levels = heading_levels
        self.max_chars = max_chars
        self.overlap_chars = overlap_chars

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, heading_levels=self.heading_levels, max_chars=self.max_chars, overlap_chars=self.overlap_chars)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HeadingChunker":
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, runbooks: list[Runbook], blobs: dict[str, str] | None = None) -> dict[str, list[Document]]:
        docs: list[Document] = []
        for rb in runbooks:
            docs.extend(self.chunk(rb, (blobs or {}).get(rb.path)))
        return {"documents": docs}

    # ------------------------------------------------------------------------------------------
    def chunk(self, rb: Runbook, blob: str | None = None) -> list[Document]:
        if not rb.text:
            return []
        lines = rb.lines
        body = rb.body_line - 1
        fences = [(c.line - 1, c.end_line - 1) for c in rb.code_blocks]
        splits = [h for h in rb.headings if h.level <= self.heading_levels]
        # (start index, end index, heading or None)
        sections: list[tuple[int, int, Any]] = []
        first = splits[0].line - 1 if splits else len(lines)
        if first > body:
            sections.append((body, first, None))
        for n, h in enumerate(splits):
            end = splits[n + 1].line - 1 if n + 1 < len(splits) else len(lines)
            sections.append((h.line - 1, end, h))

        base = self._base_meta(rb, blob)
        seen: dict[tuple[str, ...], int] = {}
        out: list[Document] = []
        for start, end, heading in sections:
            crumbs = rb.heading_path(heading.line) if heading else []
            crumbs = [c for c in crumbs if c.level <= self.heading_levels]
            hpath = [c.text for c in crumbs]
            key = tuple(hpath)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            body_start = start + 1 if heading else start
            if not any(lines[i].strip() for i in range(body_start, end)):
                continue  # a heading with nothing under it (e.g. the H1 right before the first H2)
            for part, (a, b, text) in enumerate(self._parts(lines, start, end, fences)):
                meta = dict(base)
                meta.update(
                    heading=heading.text if heading else base["title"],
                    heading_path=hpath,
                    anchor=heading.anchor if heading else "",
                    level=heading.level if heading else 0,
                    line=a + 1,
                    end_line=b,
                    part=part,
                )
                out.append(Chunk(id=chunk_id(rb.path, hpath, occurrence, part), content=text, meta=meta))
        for i, doc in enumerate(out):
            doc.meta["chunk_index"] = i
            doc.meta["chunk_count"] = len(out)
        return out

    def _parts(self, lines: list[str], start: int, end: int, fences: list[tuple[int, int]]):
        """(first line index, end line index exclusive, verbatim text) of each part of a section."""
        while end > start and not lines[end - 1].strip():
            end -= 1
        text = "\n".join(lines[start:end])
        if len(text) <= self.max_chars:
            yield start, end, text
            return
        blocks = _blocks(lines, start, end, fences)
        pending: list[_Block] = []
        size = 0
        carried = 0  # how many of the pending blocks are overlap from the previous part

        def emit(chosen: list[_Block]):
            a, b = chosen[0].start, chosen[-1].end
            return a, b, "\n".join(lines[a:b])

        for blk in blocks:
            blen = _block_len(lines, blk)
            if blen > self.max_chars and not blk.atomic:
                if len(pending) > carried:
                    yield emit(pending)
                pending, size, carried = [], 0, 0
                para = "\n".join(lines[blk.start : blk.end])
                for piece in _split_text(para, self.max_chars):
                    yield blk.start, blk.end, piece
                continue
            if pending and size + blen > self.max_chars and len(pending) > carried:
                yield emit(pending)
                keep: list[_Block] = []
                kept = 0
                for prev in reversed(pending):
                    plen = _block_len(lines, prev)
                    if prev.atomic or kept + plen > self.overlap_chars:
                        break
                    keep.insert(0, prev)
                    kept += plen
                pending, size, carried = keep, kept, len(keep)
            pending.append(blk)
            size += blen
        if len(pending) > carried:
            yield emit(pending)

    @staticmethod
    def _base_meta(rb: Runbook, blob: str | None) -> dict[str, Any]:
        fm = rb.front_matter
        git = rb.git
        return {
            "path": rb.path,
            "title": rb.title,
            "service": list(fm.service),
            "owner": fm.owner,
            "team": fm.team,
            "alerts": list(fm.alerts),
            "severity": fm.severity,
            "tags": list(fm.tags),
            "last_reviewed": fm.last_reviewed.isoformat() if fm.last_reviewed else None,
            "review_every": fm.review_every,
            "commit": git.sha if git else None,
            "commit_date": git.date.isoformat() if git else None,
            "author": git.author if git else None,
            "blob": blob,
        }
