"""One build = one generation: the database and its Parquet copies are switched together.

Layout under the processed folder::

    .build.lock                       flock held by the one build running (others wait)
    .generations/<id>/hbmcycle.duckdb the database of generation <id>
    .generations/<id>/parquet/        its Parquet copies
    current -> .generations/<id>      the generation readers see (switched by one rename)
    hbmcycle.duckdb -> current/hbmcycle.duckdb
    parquet -> current/parquet

A build writes a whole new generation, then renames a fresh ``current`` symlink over the old
one: readers see either the old database and old Parquet or the new ones, never a mix, and a
kill -9 at any moment leaves a consistent pair. DuckDB follows the symlink, so a writer's WAL
lives inside its generation and can never be replayed against another generation's file.
Everything a killed build left behind (unfinished generations, temp links, the old layout's
``parquet.old`` / ``.hbmcycle-*`` / ``.parquet-*``) is removed by the next build under the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".build.lock"
GENERATIONS = ".generations"
CURRENT = "current"
TEMP_PREFIX = ".hbmcycle-"
# Leftovers of the layout before generations (temp database, temp Parquet, half-removed copy).
LEGACY_LEFTOVERS = (".hbmcycle-*", ".parquet-*", "parquet.old", ".calibration.json.*.tmp")
# How long a build waits for another build to finish before it gives up.
LOCK_WAIT_S = 300.0


class BuildBusy(RuntimeError):
    """Another process holds the build lock too long, or has the database open for writing."""


@contextlib.contextmanager
def build_lock(processed: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the processed folder's build lock (an flock: the kernel drops it if the holder dies)."""
    processed.mkdir(parents=True, exist_ok=True)
    fd = os.open(processed / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BuildBusy(f"another build held {processed / LOCK_NAME} for over {wait_s:.0f} s") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def writer_pid(db: Path) -> int | None:
    """The pid of a process with ``db`` open read-write (DuckDB holds a POSIX write lock), else None."""
    try:
        fd = os.open(db, os.O_RDONLY)
    except OSError:
        return None
    try:
        if sys.platform.startswith("linux"):
            layout = "hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(layout, fcntl.F_RDLCK, 0, 0, 0, 0))
            kind, _, _, _, pid = struct.unpack(layout, answer)
            return pid if kind == fcntl.F_WRLCK else None
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return -1  # held, holder unknown on this platform
        return None
    finally:
        os.close(fd)


def new_generation(processed: Path) -> Path:
    """An empty folder for the next generation (created with the umask's permissions)."""
    root = processed / GENERATIONS
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{time.time_ns()}-{os.getpid()}"
    path.mkdir()
    return path


def publish(generation: Path, db: Path, parquet: Path) -> None:
    """Make ``generation`` current in one rename, then point the stable names at ``current``."""
    processed = generation.parent.parent
    link = processed / f"{TEMP_PREFIX}current-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.join(GENERATIONS, generation.name), link)
    os.replace(link, processed / CURRENT)
    _point(db, processed / CURRENT / db.name)
    _point(parquet, processed / CURRENT / parquet.name)


def _point(name: Path, target: Path) -> None:
    """Make ``name`` a relative symlink to ``target`` (atomically, unless an old-layout folder is in the way)."""
    relative = os.path.relpath(target, name.parent)
    if name.is_symlink() and os.readlink(name) == relative:
        return
    if name.is_dir() and not name.is_symlink():  # the old layout's real Parquet folder
        aside = name.with_name(f"{TEMP_PREFIX}old-{name.name}-{os.getpid()}")
        os.replace(name, aside)
    tmp = name.with_name(f"{TEMP_PREFIX}link-{name.name}-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(relative, tmp)
    os.replace(tmp, name)


def prepare(processed: Path, db: Path, parquet: Path) -> None:
    """Before building (lock held): no writer on the database, no leftovers of killed builds."""
    pid = writer_pid(db)
    if pid is not None:
        holder = "another process" if pid < 0 else f"process {pid}"
        raise BuildBusy(
            f"{holder} has {db} open for writing; close that connection (the database is a build product, "
            "edit data/raw instead) and build again"
        )
    remove_stale(processed)


def remove_stale(processed: Path) -> None:
    """Delete every generation but the current one, and temp files of builds that were killed."""
    current = processed / CURRENT
    keep = os.path.realpath(current) if current.is_symlink() else None
    for old in (processed / GENERATIONS).glob("*") if (processed / GENERATIONS).is_dir() else ():
        if os.path.realpath(old) != keep:
            shutil.rmtree(old, ignore_errors=True)
    for pattern in LEGACY_LEFTOVERS:
        for leftover in processed.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
