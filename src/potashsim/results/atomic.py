"""Write a file or a folder so that a reader sees all of it or none of it.

Results folders (:mod:`potashsim.results.write`) and the report's HTML and image files
(:mod:`potashsim.report.build`) both go through :func:`replacing`: the content is built beside its
final place and renamed into it, so an interrupted or failed write leaves no partial file or
folder, and an old one stays as it was.

A write killed outright (SIGKILL, power loss) cannot remove its scratch folder; the next write
into the same folder removes such leftovers once they are stale (:data:`STALE_AFTER_S`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from potashsim.errors import ResultsError

__all__ = [
    "STALE_AFTER_S",
    "check_writable",
    "remove_stale_scratch",
    "replacing",
    "write_bytes",
    "writing_to",
]

#: A scratch folder in which nothing changed for this long (seconds) is a dead write's leftover.
#: Age rather than "is the writing process alive": a results folder may be shared by several
#: machines or containers, where a process id says nothing, and ids are reused. A live write
#: adds a file every second or so (a comparison's folder takes seconds in all), so a quarter of
#: an hour without a change cannot be a write still under way.
STALE_AFTER_S = 900.0

# mkdtemp's names: "." + the final name + "." + 8 characters of [a-z0-9_]
_SCRATCH = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}")


@contextmanager
def replacing(final: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield a path to build a file or a folder at; when the block succeeds, rename it to ``final``.

    The yielded path does not exist yet and lies in a private scratch folder beside ``final``
    (one file system, so the rename is atomic); the scratch folder is removed whatever happens.
    What the caller creates there gets the usual permissions (the umask's), since results and
    reports are for sharing. Stale scratch folders of earlier, killed writes beside ``final`` are
    removed first (:func:`remove_stale_scratch`).

    Args:
        final: the file or folder to write; its parent folders are created.
        keep_existing: when ``final`` exists by the end of the block (a folder written meanwhile
            by another process), keep it and drop the new one; otherwise ``final`` is replaced.

    Raises:
        OSError: the parent cannot be created or the rename fails (e.g. ``final`` is a folder
            and the new content a file); nothing is left behind.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(final.parent)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        built = scratch / final.name
        yield built
        if not (keep_existing and final.exists()):
            os.replace(built, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _is_scratch(path: Path) -> bool:
    """True for a folder that only :func:`replacing` makes: ``.<name>.<8 chars>`` holding at most
    ``<name>``. Complete results never start with a dot, so they never match."""
    m = _SCRATCH.fullmatch(path.name)
    if m is None or path.is_symlink() or not path.is_dir():
        return False
    return all(entry.name == m["name"] for entry in path.iterdir())


def _last_change(path: Path) -> float:
    """The latest modification time (epoch seconds) of ``path`` and everything under it."""
    latest = path.lstat().st_mtime
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            with suppress(OSError):  # removed meanwhile
                latest = max(latest, os.lstat(os.path.join(root, name)).st_mtime)
    return latest


def remove_stale_scratch(parent: Path, *, now: float | None = None) -> list[Path]:
    """Remove the scratch folders in ``parent`` untouched for :data:`STALE_AFTER_S`; return them.

    Best effort: a folder that cannot be read or removed is left (another write may retry).
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for path in candidates:
        with suppress(OSError):
            if _is_scratch(path) and now - _last_change(path) > STALE_AFTER_S:
                shutil.rmtree(path)
                removed.append(path)
    return removed


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path`` through :func:`replacing`, flushed to disk first.

    Raises:
        OSError: the folder cannot be created or the file cannot be written.
    """
    with replacing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _cannot_write(path: Path, err: OSError) -> ResultsError:
    reason = err.strerror or str(err)
    at = f" ({err.filename})" if err.filename and Path(err.filename) != path else ""
    return ResultsError(f"cannot write {path}: {reason}{at}")


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """Turn an :class:`OSError` of the block (a full disk, a read-only file system, a file in the
    way) into a :class:`ResultsError` naming ``path`` and the reason: the user's to fix."""
    try:
        yield
    except OSError as err:
        raise _cannot_write(path, err) from err


def check_writable(path: Path, *, folder: bool) -> None:
    """Check before any work that ``path`` can be written, creating nothing: the nearest existing
    folder on its way is a folder and takes a new file, and ``path`` is not something else
    (``/dev/null``, a file where a folder goes).

    Args:
        path: the results folder (``folder=True``) or the file to write (``folder=False``).

    Raises:
        ResultsError: naming ``path`` and the reason.
    """
    if folder and path.exists() and not path.is_dir():
        raise ResultsError(f"cannot write {path}: it exists and is not a folder")
    if not folder and path.exists() and not path.is_file():
        raise ResultsError(f"cannot write {path}: it exists and is not a regular file")
    nearest = path if folder else path.parent
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise ResultsError(f"cannot write {path}: {nearest} is not a folder")
    with writing_to(path), tempfile.TemporaryFile(dir=nearest):
        pass  # the file system's own answer: permissions, read-only, /proc and /sys
