"""Write a file or a folder so that a reader sees all of it or none of it.

Results folders (:mod:`potashsim.results.write`) and the report's HTML and image files
(:mod:`potashsim.report.build`) both go through :func:`replacing`: the content is built beside its
final place and renamed into it, so an interrupted or failed write leaves no partial file or
folder, and an old one stays as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_bytes"]


@contextmanager
def replacing(final: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield a path to build a file or a folder at; when the block succeeds, rename it to ``final``.

    The yielded path does not exist yet and lies in a private scratch folder beside ``final``
    (one file system, so the rename is atomic); the scratch folder is removed whatever happens.
    What the caller creates there gets the usual permissions (the umask's), since results and
    reports are for sharing.

    Args:
        final: the file or folder to write; its parent folders are created.
        keep_existing: when ``final`` exists by the end of the block (a folder written meanwhile
            by another process), keep it and drop the new one; otherwise ``final`` is replaced.

    Raises:
        OSError: the parent cannot be created or the rename fails (e.g. ``final`` is a folder
            and the new content a file); nothing is left behind.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        built = scratch / final.name
        yield built
        if not (keep_existing and final.exists()):
            os.replace(built, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path`` through :func:`replacing`, flushed to disk first.

    Raises:
        OSError: the folder cannot be created or the file cannot be written.
    """
    with replacing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
