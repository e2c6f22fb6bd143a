"""Owner-only files: the database's generations, its journal and lock, kept uploads and quarantined rows
hold the institution's data (and raw rows of every branch), so they are created readable by their owner
only (folders 0700, files 0600), whatever the process's umask, and tightened again on every write (a file
made by an older version, or copied into place, does not keep a wider mode). The folder that holds the
database is the user's own and is left as it is unless this module creates it."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only, or tighten it when it exists; returns it."""
    path = Path(path)
    missing = []
    for parent in (path, *path.parents):
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    os.chmod(path, DIR_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file owner-only (a symbolic link is left alone: its mode means nothing)."""
    if not Path(path).is_symlink():
        os.chmod(path, FILE_MODE)


def open_file(path: Path, mode: str = "a", **kwargs):
    """open() for a file that is created owner-only (and tightened when it already exists)."""
    flags = {"a": os.O_WRONLY | os.O_CREAT | os.O_APPEND, "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC}[mode[0]]
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode, **kwargs)


def write_bytes(path: Path, content: bytes) -> None:
    with open_file(path, "wb") as handle:
        handle.write(content)
