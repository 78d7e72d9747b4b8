"""Files of a Qdrant Edge shard: copying one while readers have it loaded, mirroring one onto a
recycled copy, syncing a folder to disk. Plain file-system work, apart from the store's logic
(``indexer.store.edge``), which decides what is copied where."""

from __future__ import annotations

import os
import shutil
import stat
from contextlib import suppress
from pathlib import Path


def copy_shard(src: Path, dest: Path) -> None:
    """Copy a published shard while readers may have it loaded.

    Qdrant Edge 0.9 rewrites some of a shard's metadata on load and close (its config and segment
    JSON through a temporary ``.atomicwrite*`` file and a rename, and mmapped status flags), always
    with the same content. So a reader's temporary file can vanish under the copy: those are
    skipped, and a file replaced mid-copy is the same either way."""
    for dirpath, _dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.startswith(".atomicwrite"):
                continue
            with suppress(FileNotFoundError):
                copy_sparse(os.path.join(dirpath, name), dest / rel / name)


def mirror_shard(src: Path, dest: Path) -> int:
    """Make *dest* (a recycled generation's shard) a copy of the published shard *src*, rewriting only
    the files that differ; returns how many were copied.

    A file is kept when its size and modification time (to the nanosecond) equal the published
    one's: it was copied from there with its times (``copy_sparse``), and any later write (Edge's,
    through ``write`` or a shared mapping) sets a newer time. On a file system that keeps whole
    seconds only, two writes could share a time, so such files are always copied. Everything in
    *dest* that *src* lacks is removed; a symlink is removed, never followed."""
    copied = 0
    for dirpath, dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dest if rel == "." else dest / rel
        target.mkdir(parents=True, exist_ok=True)
        have = {e.name: e for e in os.scandir(target)}
        for name in dirs:
            entry = have.pop(name, None)
            if entry is not None and not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        for name in files:
            if name.startswith(".atomicwrite"):
                continue
            entry = have.pop(name, None)
            try:
                st = os.stat(os.path.join(dirpath, name))
            except FileNotFoundError:  # a reader's temporary file, gone
                continue
            if entry is not None:
                mine = entry.stat(follow_symlinks=False)
                if (stat.S_ISREG(mine.st_mode) and mine.st_size == st.st_size and mine.st_mtime_ns == st.st_mtime_ns
                        and st.st_mtime_ns % 1_000_000_000):
                    continue
                remove_entry(entry)
            with suppress(FileNotFoundError):
                copy_sparse(os.path.join(dirpath, name), target / name)
                copied += 1
        for entry in have.values():
            remove_entry(entry)
    return copied


def remove_entry(entry: os.DirEntry) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)


def copy_sparse(src: str, dest: Path) -> None:
    """Copy one file keeping its holes: Edge preallocates its storage files as sparse files (32 MB
    apparent, kilobytes on disk for a small index); a plain copy would write every zero."""
    if not hasattr(os, "SEEK_DATA"):
        shutil.copy2(src, dest)
        return
    with open(src, "rb") as fi, open(dest, "wb") as fo:
        fd, size, pos = fi.fileno(), os.fstat(fi.fileno()).st_size, 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # no data after pos: the rest is a hole
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            fi.seek(start)
            fo.seek(start)
            left = end - start
            while left > 0:
                chunk = fi.read(min(left, 1 << 20))
                if not chunk:
                    break
                fo.write(chunk)
                left -= len(chunk)
            pos = end
        fo.truncate(size)
    shutil.copystat(src, dest)


def fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with suppress(OSError), open(os.path.join(dirpath, name), "rb") as f:
                os.fsync(f.fileno())
        fsync_dir(Path(dirpath))


def fsync_dir(path: Path) -> None:
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
